#!/bin/bash
# ctest: heavy
# Regression through the pcap-replay NIC: hello --replay feeds a committed capture into the
# stack (no TAP, no namespace, no traffic anywhere) and --pcap records what it answered; the
# process ends by itself once the capture is exhausted. Checked in the output capture:
#  - the ARP request is answered (10.0.0.2 is-at 02:00:00:00:00:02);
#  - echo requests id 77 seq 1..3 get one reply each, 64 bytes;
#  - the fragmented echo request (id 78, -s 3000, 3 fragments) is reassembled and its reply
#    leaves as 3 fragments;
#  - a request with a bad ICMP checksum (id 79) and one with a bad IP checksum (id 80) get none;
#  - a truncated and a corrupt capture end with status 1 and one line naming the damage;
#  - SIGINT during a long replay (a capture that never runs dry) stops it within 1 s.
# data/arp-ping.pcap was recorded with tcpdump -Q out on the host side of a TAP, Linux at
# 10.0.0.1 (MAC 02:00:00:00:00:01) pinging hello --ip 10.0.0.2/24 --mac 02:00:00:00:00:02
# (ping -e 77 -c 3; ping -e 78 -s 3000 -c 1; two frames from tests/tools/malformed.py).
# Hosted only (kvm: skipped).
# Usage: replay.sh hosted|kvm
set -u
dir=$(cd "$(dirname "$0")" && pwd)
UNIC_SOURCE_DIR=${UNIC_SOURCE_DIR:-$(cd "$dir/../.." && pwd)}
UNIC_HOSTED_BIN=${UNIC_HOSTED_BIN:-$UNIC_SOURCE_DIR/build/hosted/bin}
say() { echo "[replay.${1:-?}] ${*:2}" >&2; }
case ${1:-} in
hosted) ;;
kvm) say kvm "SKIP: --replay is a hosted platform option"; exit 77 ;;
*) echo "usage: $0 hosted|kvm" >&2; exit 2 ;;
esac
command -v tcpdump >/dev/null || { say hosted "SKIP: needs tcpdump"; exit 77; }
command -v python3 >/dev/null || { say hosted "SKIP: needs python3"; exit 77; }
fail() {
    say hosted "FAIL: $*"
    sed 's/^/    /' "$tmp/log" >&2
    exit 1
}

tmp=$(mktemp -d /tmp/unic-replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
in=$dir/data/arp-ping.pcap
out=$tmp/out.pcap
bin=$UNIC_HOSTED_BIN/hello
[ -x "$bin" ] || fail "$bin not built"

start=$SECONDS
timeout -k 2 20 "$bin" --replay "$in" --pcap "$out" --mac 02:00:00:00:00:02 --ip 10.0.0.2/24 \
    >"$tmp/log" 2>&1
status=$?
[ $status -eq 124 ] && fail "hello did not stop by itself when the capture was exhausted"
[ $status -eq 0 ] || fail "hello exited with status $status"
say hosted "FIGURE: replay of $(tcpdump -nr "$in" 2>/dev/null | wc -l) frames done in $((SECONDS - start)) s"

count() {
    tcpdump -nr "$out" "$1" 2>/dev/null | wc -l
}
expect() {
    local n
    n=$(count "$2")
    [ "$n" -eq "$1" ] || fail "expected $1 frame(s) matching '$2', found $n"
}
expect 1 "arp and arp[6:2] = 2 and src host 10.0.0.2 and ether src 02:00:00:00:00:02"
for seq in 1 2 3; do
    expect 1 "src host 10.0.0.2 and icmp[icmptype] = icmp-echoreply and icmp[4:2] = 77 and icmp[6:2] = $seq and ip[2:2] = 84"
done
expect 1 "src host 10.0.0.2 and icmp[icmptype] = icmp-echoreply and icmp[4:2] = 78"
expect 3 "src host 10.0.0.2 and dst host 10.0.0.1 and (ip[6:2] & 0x3fff) != 0"
expect 0 "src host 10.0.0.2 and icmp[icmptype] = icmp-echoreply and (icmp[4:2] = 79 or icmp[4:2] = 80)"
# The frames that came in are recorded too.
expect "$(tcpdump -nr "$in" 2>/dev/null | wc -l)" "ether src 02:00:00:00:00:01"

# A damaged capture must not pass as a clean run: a truncated one (the last record cut short)
# and a corrupt one (a record claiming 2 GB) each end with exit status 1 and one line that says
# what is wrong with which file.
damaged() {
    local what=$1 file=$2 status lines
    timeout -k 2 20 "$bin" --replay "$file" --mac 02:00:00:00:00:02 --ip 10.0.0.2/24 \
        >"$tmp/log" 2>&1
    status=$?
    [ $status -eq 1 ] || fail "$what capture: exit status $status, expected 1"
    lines=$(grep -c "damaged capture" "$tmp/log")
    [ "$lines" -eq 1 ] || fail "$what capture: $lines lines about the damage, expected 1"
    grep "damaged capture" "$tmp/log" | grep -qF "$file" || fail "$what capture: no file name"
    say hosted "$what capture: $(grep "damaged capture" "$tmp/log")"
}
size=$(stat -c %s "$in")
head -c $((size - 10)) "$in" >"$tmp/truncated.pcap"
damaged truncated "$tmp/truncated.pcap"
python3 - "$in" "$tmp/corrupt.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
# The second record's captured length (record header after the 24-byte file header and the
# first record) becomes 0x7fffffff.
first_caplen = struct.unpack_from("<I", data, 24 + 8)[0]
struct.pack_into("<I", data, 24 + 16 + first_caplen + 8, 0x7FFFFFFF)
open(sys.argv[2], "wb").write(data)
PY
damaged corrupt "$tmp/corrupt.pcap"

# SIGINT during the replay of a long capture: the process must end within 1 s of the signal,
# with status 0 and its statistics. The capture comes through a FIFO from a writer that stays
# ahead of the service (up to 20,000,000 frames for another MAC, dropped at once, about 10 s of
# replay), so the replay NIC never runs dry and the loop reads full batches back to back
# (src/os/loop.c); the writer ends with the reader.
mkfifo "$tmp/long.pcap"
python3 - "$tmp/long.pcap" <<'PY' &
import struct, sys
frame = bytes.fromhex("020000000099" "020000000001" "0800") + bytes(46)
rec = struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
try:
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = rec * 10000
        for _ in range(2000):
            f.write(chunk)
except (BrokenPipeError, OSError):
    pass
PY
writer=$!
"$bin" --replay "$tmp/long.pcap" --mac 02:00:00:00:00:02 --ip 10.0.0.2/24 >"$tmp/log" 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do # until the service runs (the writer may start slowly)
    grep -q "^hello from unic" "$tmp/log" && break
    sleep 0.1
done
grep -q "^hello from unic" "$tmp/log" || fail "hello did not start on the FIFO within 10 s"
sleep 0.5
kill -0 "$pid" 2>/dev/null || fail "the replay ended within 0.5 s: too short to test"
t0=$(date +%s%N)
kill -INT "$pid"
(sleep 20 && kill -KILL "$pid" 2>/dev/null) &
watchdog=$!
wait "$pid"
status=$?
t1=$(date +%s%N)
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
ms=$(((t1 - t0) / 1000000))
frames=$(grep -o "^stats loop:.* rx_frames=[0-9]*" "$tmp/log" | grep -o "rx_frames=[0-9]*")
say hosted "FIGURE: SIGINT during a long replay: exit after $ms ms ($frames)"
[ $status -eq 0 ] || fail "exit status $status after SIGINT, expected 0"
[ "$ms" -le 1000 ] || fail "SIGINT took $ms ms to stop the replay"
[ "${frames#rx_frames=}" -lt 20000000 ] || fail "the whole capture was replayed despite SIGINT"
say hosted "PASS: ARP, 3 pings, a fragmented ping answered; bad checksums ignored; clean exit;
    damaged captures exit 1; SIGINT stops a long replay"
