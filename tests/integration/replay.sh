#!/bin/bash
# Regression through the pcap-replay NIC: hello --replay feeds a committed capture into the
# stack (no TAP, no namespace, no traffic anywhere) and --pcap records what it answered; the
# process ends by itself once the capture is exhausted. Checked in the output capture:
#  - the ARP request is answered (10.0.0.2 is-at 02:00:00:00:00:02);
#  - echo requests id 77 seq 1..3 get one reply each, 64 bytes;
#  - the fragmented echo request (id 78, -s 3000, 3 fragments) is reassembled and its reply
#    leaves as 3 fragments;
#  - a request with a bad ICMP checksum (id 79) and one with a bad IP checksum (id 80) get none.
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
say hosted "PASS: ARP, 3 pings, a fragmented ping answered; bad checksums ignored; clean exit"
