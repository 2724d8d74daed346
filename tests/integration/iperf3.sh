#!/bin/bash
# ctest: heavy
# examples/iperf3 against the stock iperf3 client (Debian's) in a namespace of its own:
#  - TCP -t 2, -R, -P 4, --bidir and UDP -u -b RATE (and -R), each with -J: the client reports
#    no error and bytes > 0, and the server's own count (its "test N done" line) agrees with
#    the client's JSON: what the server received is what the client shows as received (the
#    server's report) and at most what the client sent; what the server sent is the client's
#    "sent" and at least what the client received; UDP datagrams with loss and jitter;
#  - bad control messages end that test cleanly: a state byte before the parameters, JSON that
#    is not JSON, a length over the limit, parameters beyond iperf3's limits (SERVER_ERROR
#    back), an unknown state byte while streams are created, a second client while a test
#    runs (ACCESS_DENIED); after them a normal test still runs;
#  - at the stop: tests/bad_messages/denied counters and the totals match the tests run.
# Usage: iperf3.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" iperf3
unic_need iperf3 python3

# Slower under TCG: a smaller UDP rate.
rate=20M
[ "$UNIC_PLATFORM" = kvm ] && rate=4M

unic_netns
unic_start iperf3
unic_wait_ready

n=0
labels=""
# run LABEL ARGS...: iperf3 -c -J ARGS; its JSON in $UNIC_TMP/LABEL.json, the server's line
# for the test in $UNIC_TMP/LABEL.server (checked all at once by check_all: one python3 start).
run() {
    local label=$1 i
    shift
    n=$((n + 1))
    labels="$labels $label"
    unic_ns -t 60 iperf3 -c "$UNIC_SVC_IP" -J "$@" >"$UNIC_TMP/$label.json" \
        2>"$UNIC_TMP/$label.stderr" ||
        unic_fail "$label: iperf3 -c $* failed: $(tail -c 300 "$UNIC_TMP/$label.json")"
    # The server logs the test as it ends (bounded wait).
    for ((i = 0; i < 100; i++)); do
        grep -q "iperf3: test $n " "$UNIC_LOG" && break
        sleep 0.1
    done
    grep "iperf3: test $n done" "$UNIC_LOG" >"$UNIC_TMP/$label.server" ||
        unic_fail "$label: no 'test $n done' line from the server"
}

# check_all: each client's JSON against the server's counts; one FIGURE line per test.
check_all() {
    local out
    out=$(cd "$UNIC_TMP" && python3 - $labels <<'PY'
import json, re, sys
bad = False
for label in sys.argv[1:]:
    j = json.load(open(label + ".json"))
    line = open(label + ".server").read()
    m = re.search(r"received (\d+) bytes, sent (\d+) bytes", line)
    srv_rx, srv_tx = int(m.group(1)), int(m.group(2))
    errs = []
    if "error" in j:
        print("%s: client error: %s" % (label, j["error"]))
        bad = True
        continue
    end = j["end"]
    udp = j["start"]["test_start"]["protocol"] == "UDP"
    bidir = "sum_sent_bidir_reverse" in end
    reverse = j["start"]["test_start"]["reverse"]
    if udp:
        s = end["sum"]
        if s["bytes"] <= 0 or s["packets"] <= 0 or s["lost_packets"] > s["packets"] // 10:
            errs.append("UDP: %s" % s)
        # forward: the client's summary is the sender's; the server received some, at most
        # all. reverse: the client's summary is its own receiving; the server sent all of it.
        if not reverse and not (0 < srv_rx <= s["bytes"]):
            errs.append("server received %d of %d" % (srv_rx, s["bytes"]))
        if reverse and not (0 < s["bytes"] <= srv_tx):
            errs.append("client received %d, server sent %d" % (s["bytes"], srv_tx))
        fig = "udp %s bytes=%d packets=%d lost=%d jitter_ms=%.4f server rx=%d tx=%d" % (
            "reverse" if reverse else "forward", s["bytes"], s["packets"], s["lost_packets"],
            s["jitter_ms"], srv_rx, srv_tx)
    else:
        sent, recv = end["sum_sent"]["bytes"], end["sum_received"]["bytes"]
        if sent <= 0 or recv <= 0:
            errs.append("no data: sent %d received %d" % (sent, recv))
        if bidir:
            sent_r = end["sum_sent_bidir_reverse"]["bytes"]
            recv_r = end["sum_received_bidir_reverse"]["bytes"]
            if srv_rx != recv or srv_rx > sent:
                errs.append("server received %d, client shows %d of %d" % (srv_rx, recv, sent))
            if srv_tx != sent_r or not (0 < recv_r <= srv_tx):
                errs.append("server sent %d, client shows %d, got %d" % (srv_tx, sent_r, recv_r))
        elif reverse:
            # the server's count is the client's "sent"; the client received at most that
            if srv_tx != sent or recv > srv_tx or srv_rx != 0:
                errs.append("server sent %d, client shows %d sent, %d received" % (srv_tx, sent, recv))
        elif srv_rx != recv or srv_rx > sent or srv_tx != 0:
            errs.append("server received %d, client shows %d of %d" % (srv_rx, recv, sent))
        fig = "tcp %s streams=%d sent=%d received=%d (%.2f Gbit/s) server rx=%d tx=%d" % (
            "bidir" if bidir else "reverse" if reverse else "forward",
            j["start"]["test_start"]["num_streams"], sent, recv,
            end["sum_received"]["bits_per_second"] / 1e9, srv_rx, srv_tx)
    print("%s: %s%s" % (label, fig, "".join("; FAIL " + e for e in errs)))
    bad |= bool(errs)
sys.exit(1 if bad else 0)
PY
) || unic_fail "client and server disagree: $out"
    while read -r line; do unic_figure "$line"; done <<<"$out"
}

run tcp -t 2
run reverse -t 2 -R
run parallel -t 1 -P 4
run bidir -t 1 --bidir
run udp -t 1 -u -b "$rate"
run udp_reverse -t 1 -u -b "$rate" -R

# Bad control messages, from a raw client: each ends its test; the server goes on.
unic_ns -t 60 python3 - "$UNIC_SVC_IP" >"$UNIC_TMP/bad.out" 2>&1 <<'PY' &
import socket, struct, sys, time
ip = sys.argv[1]
def conn(cookie=b"x" * 36 + b"\0"):
    s = socket.create_connection((ip, 5201), timeout=20)
    s.sendall(cookie)
    return s
def read_all(s):
    out = b""
    while True:
        try:
            b = s.recv(100)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    return out
def case(name, payload, want, half_close=False):
    s = conn()
    s.sendall(payload)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    got = read_all(s)
    s.close()
    ok = got[:len(want)] == want
    print(name, "ok" if ok else "BAD", got[:16].hex())
    return ok
ok = True
ok &= case("cut_length", b"\x04", b"\x09", True)  # then FIN: the length never completes
ok &= case("not_json", struct.pack(">I", 8) + b"not json", b"\x09\xfe\0\0\0\x72")
ok &= case("too_long", struct.pack(">I", 0x7fffffff), b"\x09\xfe")
big = b'{"tcp":true,"parallel":1000}'
ok &= case("limits", struct.pack(">I", len(big)) + big, b"\x09\xfe\0\0\0\x06")
p = b'{"tcp":true,"time":1,"parallel":1}'
ok &= case("unknown_state", struct.pack(">I", len(p)) + p + b"\x4d", b"\x09\x0a")
# A test in progress turns a second client away.
s = conn()
s.sendall(struct.pack(">I", len(p)) + p)
time.sleep(0.5)
t = conn(b"y" * 36 + b"\0")
got = read_all(t)
print("second_client", got.hex())
ok &= got == b"\xff"
s.close()
sys.exit(0 if ok else 1)
PY
wait $! || unic_fail "bad control messages: $(cat "$UNIC_TMP/bad.out")"
unic_log "bad messages: $(tr '\n' ' ' <"$UNIC_TMP/bad.out")"
# These were tests n+1 .. n+6 (the second client was turned away, not a test).
n=$((n + 6))
grep -q "unexpected message 77 while creating streams" "$UNIC_LOG" ||
    unic_fail "no 'unexpected message 77' in the log"

# The server still serves.
run after -n 1M
check_all

kill -USR1 "$UNIC_PID" 2>/dev/null || true
unic_stop
[ "$UNIC_STATUS" = 0 ] || unic_fail "exit status $UNIC_STATUS"
stats=$(grep "stats iperf3:" "$UNIC_LOG" | tail -n 1)
[ -n "$stats" ] || unic_fail "no stats iperf3 line"
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$stats"; }
[ "$(get tests)" = "$n" ] || unic_fail "tests=$(get tests), expected $n: $stats"
[ "$(get tests_ok)" = 7 ] || unic_fail "tests_ok=$(get tests_ok), expected 7: $stats"
[ "$(get tests_failed)" = 6 ] || unic_fail "tests_failed=$(get tests_failed), expected 6: $stats"
[ "$(get denied)" -ge 1 ] || unic_fail "no denied connection counted: $stats"
[ "$(get bad_messages)" -ge 4 ] || unic_fail "bad_messages=$(get bad_messages): $stats"
rx_sum=$(sed -n 's/.*iperf3: test [0-9]* [a-z]*: .* received \([0-9]*\) bytes.*/\1/p' "$UNIC_LOG" |
    awk '{s += $1} END {printf "%.0f\n", s}') # mawk prints large sums as %g
[ "$(get rx_bytes)" = "$rx_sum" ] || unic_fail "rx_bytes=$(get rx_bytes), the tests' lines sum to $rx_sum"
unic_pass "iperf3 -c TCP (-R, -P 4, --bidir) and UDP agree with the server; 6 bad control sequences ended their tests; $stats"
