#!/bin/bash
# UDP against Linux's own stack, in a namespace of its own, with the echo service (UDP 7):
#  - datagrams of 0..65507 bytes come back intact (above 1472 both directions fragment);
#  - a datagram without a checksum (Linux SO_NO_CHECK) is accepted and echoed;
#  - a datagram with a wrong checksum gets no echo and is counted (udp rx_bad_checksum=1 in
#    the stats printed at exit), while the same datagram with the right checksum is echoed;
#  - a closed port answers ICMP port unreachable (the Linux socket sees ECONNREFUSED);
#  - 500 datagrams to a closed port at once get at most the ICMP burst plus the rate's worth
#    of unreachables (icmp: burst 50, 100/s).
# Usage: udp.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" udp
unic_need python3 tcpdump

unic_netns
unic_start echo
unic_wait_ready

client=$UNIC_TMP/udp_client.py
cat >"$client" <<'PY'
import os, socket, struct, sys, time

svc, host, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def echo(s, data):
    for _ in range(3):  # the link is not lossy, but be fair to a slow QEMU
        s.send(data)
        try:
            return s.recv(70000)
        except socket.timeout:
            pass
    return None

def udp_checksum(src, dst, seg):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(seg))
    data = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total & 0xFFFF) or 0xFFFF

if mode == "sizes":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((svc, 7))
    for size in (0, 1, 100, 1472, 1473, 4000, 8000, 30000, 65507):
        data = os.urandom(size)
        if echo(s, data) != data:
            sys.exit("size %d: no or wrong echo" % size)
    print("sizes ok")
elif mode == "nocheck":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: send a zero checksum
    s.settimeout(2)
    s.connect((svc, 7))
    if echo(s, b"no checksum here") != b"no checksum here":
        sys.exit("zero-checksum datagram not echoed")
    print("nocheck ok")
elif mode == "badsum":
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((host, 40000))
    rx.settimeout(1.5)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    payload = b"checksum test"
    hdr = struct.pack("!HHHH", 40000, 7, 8 + len(payload), 0)
    good = udp_checksum(host, svc, hdr + payload)
    bad = good ^ 0x1234
    raw.sendto(struct.pack("!HHHH", 40000, 7, 8 + len(payload), bad) + payload, (svc, 0))
    try:
        rx.recv(100)
        sys.exit("a datagram with a wrong checksum was echoed")
    except socket.timeout:
        pass
    raw.sendto(struct.pack("!HHHH", 40000, 7, 8 + len(payload), good) + payload, (svc, 0))
    if rx.recv(100) != payload:
        sys.exit("the same datagram with the right checksum was not echoed")
    print("badsum ok")
elif mode == "refused":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((svc, 9999))
    s.send(b"anyone?")
    try:
        s.recv(100)
        sys.exit("a closed port answered")
    except ConnectionRefusedError:
        print("refused ok")
    except socket.timeout:
        sys.exit("no ICMP port unreachable from the closed port")
elif mode == "flood":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    for i in range(500):
        s.sendto(b"x", (svc, 9999))
    print("%.3f" % (time.monotonic() - t0))
PY

run() { unic_ns -t 60 python3 "$client" "$UNIC_SVC_IP" "$UNIC_HOST_IP" "$@" 2>&1; }

out=$(run sizes) || unic_fail "echo sizes: $out"
unic_log "$out (0, 1, 100, 1472, 1473, 4000, 8000, 30000, 65507 bytes)"
out=$(run nocheck) || unic_fail "$out"
unic_log "$out"
out=$(run badsum) || unic_fail "$out"
unic_log "$out"
out=$(run refused) || unic_fail "$out"
unic_log "$out"

sleep 1 # refill the ICMP token bucket
# Capture only what the service sends back (a full capture of the flood overruns tcpdump's
# buffer on a busy host): ICMP from the service, small snapshots, a large buffer.
cap=$UNIC_TMP/flood.pcap
unic_bg ip netns exec "$UNIC_NS" tcpdump -i "$UNIC_TAP" --immediate-mode -U -s 128 -B 8192 \
    -w "$cap" "icmp and src host $UNIC_SVC_IP" 2>"$cap.log"
cap_pid=$UNIC_BG_PID
for ((i = 0; i < 50; i++)); do
    grep -q "listening on" "$cap.log" 2>/dev/null && break
    sleep 0.1
done
secs=$(run flood) || unic_fail "flood: $secs"
sleep 1.5
kill -INT "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
dropped=$(grep -o '[0-9]* packets dropped by kernel' "$cap.log" | cut -d' ' -f1)
[ "${dropped:-0}" -eq 0 ] || unic_fail "tcpdump dropped $dropped packets: cannot count"
unreach=$(tcpdump -nr "$cap" "icmp[icmptype] = 3 and icmp[icmpcode] = 3" 2>/dev/null | wc -l)
# The bucket: 50 at once, then 100/s while the flood lasts (+0.2 s of slack).
most=$(awk "BEGIN { print int(50 + 100 * ($secs + 0.2)) }")
unic_figure "500 datagrams to a closed port sent in $secs s: $unreach ICMP port unreachable (allowed 40..$most)"
[ "$unreach" -ge 40 ] && [ "$unreach" -le "$most" ] || unic_fail "$unreach unreachables"

unic_stop # kvm: the power button, so the guest prints its statistics as a hosted service does
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
stats=$(tr -d '\r' <"$UNIC_LOG" | grep "^stats udp:")
unic_log "$stats"
grep -q " rx_bad_checksum=1\b" <<<"$stats" || unic_fail "expected udp rx_bad_checksum=1"
grep -q " rx_zero_checksum=[1-9]" <<<"$stats" || unic_fail "expected udp rx_zero_checksum >= 1"
unic_pass "echo 0..65507 bytes, zero checksum accepted, bad checksum dropped, port unreachable, ICMP rate limit"
