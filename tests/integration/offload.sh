#!/bin/bash
# ctest: heavy
# Offloads of the hosted TAP (IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4 on receive, TCP
# segmentation offload on send), with examples/echo and Linux's nc in a namespace of this
# test's own. Each run also sends 40 MB through echo and reads 20 MB of chargen out of unic,
# both checked by sha256 against what was sent / the RFC 864 text.
#  - default (offloads on), with --pcap: echo and chargen go out in TCP super-packets ("stats
#    tap:" tx_tso_frames > 0, the loop's tx_tso_frames and TCP's too), the capture holds
#    outgoing frames longer than the MTU; 40 MB into discard arrive in TCP super-packets:
#    "stats tap:" shows rx_gso_frames > 0 and rx_csum_partial > 0 (partial checksums the stack
#    need not sum: the capture still gets them complete), the loop's rx_large > 0,
#    no header is malformed, no TCP checksum fails, every byte is counted; the capture holds
#    frames longer than 60000 bytes, each recorded whole (caplen = len); after it exits, a plain
#    reader of the TAP gets complete checksums (the offloads ended with the process);
#  - --no-offload: the same transfers in wire-sized frames: no offload counter in "stats tap:",
#    no rx_large, no super-packet sent (no tx_tso_frames anywhere); the wire-sized frames went
#    out in io_uring batches (tx_uring_frames > 0) unless the log says there is no io_uring;
#  - a fault option (--duplicate) turns the offloads off the same way.
# Hosted only: the offloads are the TAP's (kvm: skipped).
# Usage: offload.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" offload
[ "$UNIC_PLATFORM" = hosted ] || unic_skip "receive offloads are a hosted TAP feature"
unic_need nc head grep awk tcpdump python3 sha256sum

MB=40
data=$UNIC_TMP/data
head -c $((MB * 1024 * 1024)) /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)
# The first 20 MB that chargen sends: line k (from 0) is 72 characters from ' ' + k % 95 on.
CHARGEN_BYTES=20000000
chargen_want=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1]); h = hashlib.sha256(); line = 0; out = 0
while out < n:
    chunk = b"".join(bytes(32 + (l + i) % 95 for i in range(72)) + b"\r\n" for l in range(line, line + 95))
    take = chunk[: n - out]; h.update(take); out += len(take); line += 95
print(h.hexdigest())' $CHARGEN_BYTES)

# counter MODULE NAME: the value of NAME on the service's "stats MODULE:" line, empty if absent.
counter() {
    grep -o "stats $1: .*" "$UNIC_LOG" | tail -n 1 | tr ' ' '\n' |
        awk -F= -v k="$2" '$1 == k { print $2 }'
}

# run LABEL [unic options]: a fresh service, $MB MB into discard, stopped; checks the count.
run() {
    local label=$1 discarded
    shift
    unic_start echo "$@"
    unic_wait_ready
    unic_ns -t 120 sh -c "nc -N $UNIC_SVC_IP 9 <'$data'" || unic_fail "$label: nc to discard failed"
    echoed=$(unic_ns -t 180 sh -c "nc -N $UNIC_SVC_IP 7 <'$data' | sha256sum" | cut -d' ' -f1)
    [ "$echoed" = "$want" ] || unic_fail "$label: echo returned sha256 $echoed, sent $want"
    chargen=$(unic_ns -t 60 sh -c "nc $UNIC_SVC_IP 19 </dev/null | head -c $CHARGEN_BYTES | sha256sum" |
        cut -d' ' -f1)
    [ "$chargen" = "$chargen_want" ] || unic_fail "$label: chargen sent other bytes (sha256 $chargen)"
    sleep 0.5
    unic_stop
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "$label: exit status $UNIC_STATUS"
    discarded=$(grep -o "echo: accepted=.*" "$UNIC_LOG" | tail -n 1 | tr ' ' '\n' |
        awk -F= '$1 == "discard_bytes" { print $2 }')
    [ "$discarded" = $((MB * 1024 * 1024)) ] || unic_fail "$label: discard counted '$discarded' bytes"
    [ -z "$(counter tcp rx_bad_checksum)" ] || unic_fail "$label: TCP checksums failed"
    unic_figure "$label: $(grep -o 'stats loop: .*' "$UNIC_LOG" | tail -n 1)"
    grep -q 'stats tap: ' "$UNIC_LOG" &&
        unic_figure "$label: $(grep -o 'stats tap: .*' "$UNIC_LOG" | tail -n 1)"
    return 0
}

unic_netns

# 1. Offloads on (the default).
cap=$UNIC_TMP/offload.pcap
run offload --pcap "$cap"
gso=$(counter tap rx_gso_frames)
[ "${gso:-0}" -gt 0 ] || unic_fail "offload: no super-packet received (rx_gso_frames '$gso')"
[ "$(counter tap rx_csum_partial)" -gt 0 ] || unic_fail "offload: no partial checksum flagged"
[ "$(counter loop rx_large)" -gt 0 ] || unic_fail "offload: the loop got no large frame"
[ -z "$(counter tap rx_bad_vnet_hdr)$(counter loop rx_bad_offload)" ] ||
    unic_fail "offload: malformed virtio-net headers"
tso=$(counter tap tx_tso_frames)
[ "${tso:-0}" -gt 0 ] || unic_fail "offload: echo and chargen sent no super-packet (tx_tso_frames '$tso')"
[ "$(counter loop tx_tso_frames)" = "$tso" ] || unic_fail "offload: the loop and the TAP count other super-packets"
[ "$(counter tcp tx_tso_frames)" -ge "$tso" ] || unic_fail "offload: TCP built fewer super-packets than went out"
[ -z "$(counter loop tx_too_long)$(counter loop tx_errors)" ] || unic_fail "offload: the TAP refused frames"
out_big=$(tcpdump -nr "$cap" "src host $UNIC_SVC_IP and tcp and greater 1600" 2>/dev/null | wc -l)
unic_figure "offload: $tso super-packets sent, $out_big of them over 1600 bytes in the capture"
[ "$out_big" -gt 0 ] || unic_fail "offload: no outgoing super-packet in the capture"
big=$(tcpdump -nr "$cap" 'greater 60000' 2>/dev/null | wc -l)
unic_figure "offload: $big frames over 60000 bytes in the capture"
[ "$big" -gt 0 ] || unic_fail "offload: no super-packet in the capture"
# Every record whole: the capture's caplen equals its len (no snaplen cut).
cut=$(python3 - "$cap" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
magic, _, _, _, _, snaplen, _ = struct.unpack("<IHHiIII", f.read(24))
assert magic == 0xa1b2c3d4, hex(magic)
cut = 0
while True:
    h = f.read(16)
    if len(h) < 16:
        break
    _, _, caplen, length = struct.unpack("<IIII", h)
    cut += caplen != length
    f.seek(caplen, 1)
print(cut)
PY
) || unic_fail "offload: cannot read the capture"
[ "$cut" = 0 ] || unic_fail "offload: $cut frames cut short in the capture"

# The offloads end with the process: a later plain reader of the (persistent) TAP gets a UDP
# datagram with its checksum complete, not left partial. Linux sends it to a static neighbour
# entry, so nothing needs to answer ARP; the reader is a plain IFF_TAP | IFF_NO_PI open.
ip -n "$UNIC_NS" neigh replace "$UNIC_SVC_IP" lladdr 02:00:00:00:00:02 dev "$UNIC_TAP"
plain=$(unic_ns -t 20 python3 - "$UNIC_TAP" "$UNIC_SVC_IP" <<'PY'
import fcntl, os, select, socket, struct, sys, time
tap, dst = sys.argv[1], sys.argv[2]
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", tap.encode(), 0x0002 | 0x1000))  # TUNSETIFF
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 10
while time.time() < end:
    udp.sendto(b"after-offload", (dst, 7))
    while select.select([fd], [], [], 0.2)[0]:
        f = os.read(fd, 65536)
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        ihl = (f[14] & 15) * 4
        ip, l4 = f[14:14 + ihl], f[14 + ihl:]
        ulen = struct.unpack("!H", l4[4:6])[0]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        print("complete" if csum(pseudo + l4[:ulen]) == 0xFFFF else "partial")
        sys.exit(0)
print("none")
PY
)
unic_figure "plain reader after the offloaded run: UDP checksum $plain"
[ "$plain" = complete ] || unic_fail "offloads outlived the service: a plain reader got '$plain'"
ip -n "$UNIC_NS" neigh del "$UNIC_SVC_IP" dev "$UNIC_TAP" 2>/dev/null

# 2. --no-offload: frames as on a wire.
# Offload counters of "stats tap:" (the io_uring ones are there with or without offloads).
offload_counters() {
    echo "$(counter tap rx_gso_frames)$(counter tap rx_csum_partial)$(counter tap tx_tso_frames)"
}

run no-offload --no-offload
[ -z "$(offload_counters)" ] || unic_fail "no-offload: the TAP has offload counters"
grep -q 'no io_uring' "$UNIC_LOG" || [ "$(counter tap tx_uring_frames)" -gt 0 ] ||
    unic_fail "no-offload: no frame went out through io_uring"
[ -z "$(counter tap tx_uring_errors)" ] || unic_fail "no-offload: io_uring writes failed"
[ -z "$(counter loop rx_large)" ] || unic_fail "no-offload: frames larger than a pool buffer"
[ -z "$(counter loop tx_tso_frames)$(counter tcp tx_tso_frames)" ] ||
    unic_fail "no-offload: super-packets were sent"

# 3. A fault option: per-frame faults need wire frames, so the offloads are off.
run faults --duplicate 0.001 --seed 3
[ -z "$(offload_counters)" ] || unic_fail "faults: the TAP has offload counters"
[ -z "$(counter loop rx_large)" ] || unic_fail "faults: frames larger than a pool buffer"
[ -z "$(counter loop tx_tso_frames)$(counter tcp tx_tso_frames)" ] || unic_fail "faults: super-packets were sent"

unic_pass "$MB MB in $gso super-packets with offloads ($big in the capture, whole), echo + chargen out in $tso super-packets (sha256 equal), in wire frames with --no-offload and with faults"
