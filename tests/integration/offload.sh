#!/bin/bash
# ctest: heavy
# NIC offloads: hosted's TAP (IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) and kvm's
# virtio-net (CSUM, GUEST_CSUM, HOST_TSO4/6, GUEST_TSO4/6 over MRG_RXBUF, on QEMU's TAP
# backend): partial checksums and TCP super-packets both ways, with examples/echo and Linux's nc
# in a namespace of this test's own. Each run sends MB MB into discard and through echo and reads
# some chargen out of unic, all checked by sha256 against what was sent / the RFC 864 text.
#  - default (offloads on): echo and chargen go out in TCP super-packets (the NIC's
#    tx_tso_frames > 0, the loop's the same, TCP's at least as many); MB MB into discard arrive
#    in super-packets: the NIC's rx_gso_frames > 0 and rx_csum_partial > 0 (partial checksums
#    the stack need not sum), the loop's rx_large > 0, no header is malformed, no TCP checksum
#    fails, every byte is counted.
#    Hosted also with --pcap: the capture holds outgoing frames longer than the MTU and frames
#    longer than 60000 bytes, each recorded whole (caplen = len; partial checksums completed for
#    the capture); after it exits, a plain reader of the TAP gets complete checksums (the
#    offloads ended with the process);
#  - --no-offload: the same transfers in wire-sized frames: no super-packet either way; on
#    hosted the wire-sized frames went out in io_uring batches (tx_uring_frames > 0) unless the
#    log says there is no io_uring;
#  - a fault option (--duplicate) turns the offloads off the same way (hosted);
#  - kvm: a device without MRG_RXBUF (--nic-opts mrg_rxbuf=off): the driver leaves GUEST_TSO4/6
#    off (it would need 64 KB receive buffers) but still sends super-packets.
# The NIC's counters: "stats tap:" (hosted), "stats kvm.net0:" (kvm, every counter printed).
# Sizes: MB (default 40 hosted, 8 kvm under TCG) and CHARGEN_MB (20, 4) from the environment;
# UNIC_OFFLOAD_MB=100 tests/integration/offload.sh kvm is the 100 MB run by hand.
# Usage: offload.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" offload
unic_need nc head grep awk tcpdump python3 sha256sum

if [ "$UNIC_PLATFORM" = hosted ]; then
    NIC=tap MB=${UNIC_OFFLOAD_MB:-40} CHARGEN_MB=${UNIC_OFFLOAD_CHARGEN_MB:-20}
else
    NIC=kvm.net0 MB=${UNIC_OFFLOAD_MB:-8} CHARGEN_MB=${UNIC_OFFLOAD_CHARGEN_MB:-4}
fi
data=$UNIC_TMP/data
head -c $((MB * 1024 * 1024)) /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)
# The first CHARGEN_MB MB that chargen sends: line k (from 0) is 72 characters from ' ' + k % 95 on.
CHARGEN_BYTES=$((CHARGEN_MB * 1000000))
chargen_want=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1]); h = hashlib.sha256(); line = 0; out = 0
while out < n:
    chunk = b"".join(bytes(32 + (l + i) % 95 for i in range(72)) + b"\r\n" for l in range(line, line + 95))
    take = chunk[: n - out]; h.update(take); out += len(take); line += 95
print(h.hexdigest())' $CHARGEN_BYTES)

# counter MODULE NAME: the value of NAME on the service's "stats MODULE:" line, empty if absent
# (or 0: kvm prints its NIC's counters all, hosted only those not zero).
counter() {
    grep -o "stats $1: .*" "$UNIC_LOG" | tail -n 1 | tr -d '\r' | tr ' ' '\n' |
        awk -F= -v k="$2" '$1 == k && $2 != 0 { print $2 }'
}

# run LABEL [qemu-run options --] [unic options]: a fresh service, $MB MB into discard, through
# echo, chargen out, stopped; checks the bytes and the count.
run() {
    local label=$1 discarded start=$SECONDS
    shift
    if [ "$UNIC_PLATFORM" = kvm ] && [ "${1:-}" = --nic-opts ]; then
        unic_boot "$1" "$2" "$(unic_service_binary echo)" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "${@:4}"
    else
        unic_start echo "$@"
    fi
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
    unic_figure "$label: $((SECONDS - start)) s; $(grep -o 'stats loop: .*' "$UNIC_LOG" | tail -n 1)"
    grep -q "stats $NIC: " "$UNIC_LOG" &&
        unic_figure "$label: $(grep -o "stats $NIC: .*" "$UNIC_LOG" | tail -n 1)"
    return 0
}

# no_super LABEL: nothing went either way in super-packets, checksums were complete.
no_super() {
    [ -z "$(counter $NIC rx_gso_frames)$(counter $NIC tx_tso_frames)" ] ||
        unic_fail "$1: the NIC moved super-packets"
    [ -z "$(counter $NIC rx_csum_partial)" ] || unic_fail "$1: partial checksums arrived"
    [ -z "$(counter loop rx_large)" ] || unic_fail "$1: frames larger than a pool buffer"
    [ -z "$(counter loop tx_tso_frames)$(counter tcp tx_tso_frames)" ] ||
        unic_fail "$1: super-packets were sent"
}

# hosted: the capture of the offloaded run, then a plain reader of the TAP after it (the body is
# not indented: it holds here-documents).
hosted_capture_checks() {
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
}

unic_netns

# 1. Offloads on (the default).
cap=$UNIC_TMP/offload.pcap
if [ "$UNIC_PLATFORM" = hosted ]; then run offload --pcap "$cap"; else run offload; fi
if [ "$UNIC_PLATFORM" = kvm ] && ! grep -q "offloads tx-tso4 tx-tso6 tx-csum rx-tso4 rx-tso6 rx-csum mrg-rxbuf" "$UNIC_LOG"; then
    unic_fail "offload: QEMU's virtio-net did not take every offload (see the kvm: net0 line)"
fi
gso=$(counter $NIC rx_gso_frames)
[ "${gso:-0}" -gt 0 ] || unic_fail "offload: no super-packet received (rx_gso_frames '$gso')"
[ "$(counter $NIC rx_csum_partial)" -gt 0 ] || unic_fail "offload: no partial checksum flagged"
[ "$(counter loop rx_large)" -gt 0 ] || unic_fail "offload: the loop got no large frame"
[ -z "$(counter $NIC rx_bad_vnet_hdr)$(counter loop rx_bad_offload)" ] ||
    unic_fail "offload: malformed virtio-net headers"
tso=$(counter $NIC tx_tso_frames)
[ "${tso:-0}" -gt 0 ] || unic_fail "offload: echo and chargen sent no super-packet (tx_tso_frames '$tso')"
[ "$(counter loop tx_tso_frames)" = "$tso" ] || unic_fail "offload: the loop and the NIC count other super-packets"
[ "$(counter tcp tx_tso_frames)" -ge "$tso" ] || unic_fail "offload: TCP built fewer super-packets than went out"
[ -z "$(counter loop tx_too_long)$(counter loop tx_errors)" ] || unic_fail "offload: the NIC refused frames"
if [ "$UNIC_PLATFORM" = hosted ]; then hosted_capture_checks; fi

# 2. --no-offload: frames as on a wire.
# Offload counters of the NIC (hosted's io_uring ones are there with or without offloads).
offload_counters() {
    echo "$(counter $NIC rx_gso_frames)$(counter $NIC rx_csum_partial)$(counter $NIC tx_tso_frames)"
}

run no-offload --no-offload
[ -z "$(offload_counters)" ] || unic_fail "no-offload: the NIC has offload counters"
no_super no-offload
if [ "$UNIC_PLATFORM" = hosted ]; then
    grep -q 'no io_uring' "$UNIC_LOG" || [ "$(counter tap tx_uring_frames)" -gt 0 ] ||
        unic_fail "no-offload: no frame went out through io_uring"
    [ -z "$(counter tap tx_uring_errors)" ] || unic_fail "no-offload: io_uring writes failed"
fi

# 3. A fault option: per-frame faults need wire frames, so the offloads are off (hosted; on kvm
# the same config_offload decides, tested in test_service_options, and the run would cost 10 s).
if [ "$UNIC_PLATFORM" = hosted ]; then
    run faults --duplicate 0.001 --seed 3
    [ -z "$(offload_counters)" ] || unic_fail "faults: the TAP has offload counters"
    no_super faults
fi

# 4. kvm: a device without MRG_RXBUF: no receive super-packets (64 KB buffers would be needed),
# transmit ones still.
if [ "$UNIC_PLATFORM" = kvm ]; then
    run no-mrg-rxbuf --nic-opts mrg_rxbuf=off --
    grep -Eq 'offloads tx-tso4 tx-tso6 tx-csum rx-csum[[:space:]]*$' "$UNIC_LOG" ||
        unic_fail "no-mrg-rxbuf: other offloads than tx-tso4 tx-tso6 tx-csum rx-csum"
    [ -z "$(counter $NIC rx_gso_frames)$(counter loop rx_large)" ] ||
        unic_fail "no-mrg-rxbuf: super-packets arrived"
    [ "$(counter $NIC tx_tso_frames)" -gt 0 ] || unic_fail "no-mrg-rxbuf: no super-packet sent"
fi

unic_pass "$MB MB in $gso super-packets with offloads, echo + chargen out in $tso super-packets (sha256 equal), in wire frames with --no-offload"
