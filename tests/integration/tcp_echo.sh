#!/bin/bash
# ctest: heavy
# TCP against the real Linux stack, with examples/echo, in a namespace of its own:
#  - 100 MB through discard (port 9): the service counts every byte;
#  - 100 MB through echo (port 7): sha256 of what came back equals what was sent;
#  - both once clean and once with the service's NIC at --loss 0.02 --reorder 0.02
#    --duplicate 0.01 (a fresh service run);
#  - chargen (port 19): 20 MB read, every line the RFC 864 pattern;
#  - 200 concurrent echo connections, each 64 kB, all held open together, all intact;
#  - UDP echo answers;
#  - at SIGTERM the service reports zero open connections and exits 0.
# Usage: tcp_echo.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" tcp_echo
unic_need nc sha256sum head awk
if [ "$UNIC_PLATFORM" = kvm ]; then
    [ -f "$UNIC_KVM_BIN/echo.elf" ] || unic_skip "no $UNIC_KVM_BIN/echo.elf"
fi

MB=${TCP_ECHO_MB:-100}
data=$UNIC_TMP/data
head -c $((MB * 1024 * 1024)) /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)

# The service's own summary line at shutdown: "echo: accepted=N closed=N open=N ...".
summary_field() {
    grep -o "echo: accepted=.*" "$UNIC_LOG" | tail -n 1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# transfer LABEL: discard and echo of $data, timed.
transfer() {
    local label=$1 t0 t1 got
    t0=$(date +%s.%N)
    unic_ns -t 120 sh -c "nc -N $UNIC_SVC_IP 9 <'$data'" || unic_fail "$label: nc to discard failed"
    t1=$(date +%s.%N)
    unic_figure "$label discard ${MB} MB: $(awk -v a="$t0" -v b="$t1" -v m="$MB" 'BEGIN { printf "%.2f s, %.0f Mbit/s", b - a, m * 8.388608 / (b - a) }')"
    t0=$(date +%s.%N)
    got=$(unic_ns -t 180 sh -c "nc -N $UNIC_SVC_IP 7 <'$data' | sha256sum" | cut -d' ' -f1)
    t1=$(date +%s.%N)
    unic_figure "$label echo ${MB} MB: $(awk -v a="$t0" -v b="$t1" -v m="$MB" 'BEGIN { printf "%.2f s, %.0f Mbit/s each way", b - a, m * 8.388608 / (b - a) }')"
    [ "$got" = "$want" ] || unic_fail "$label: echo returned sha256 $got, sent $want"
}

# svc_stop: SIGTERM (hosted) or the power button (kvm, lib.sh); the guest prints its statistics
# as a hosted process does, and its own exit status must be 0.
svc_stop() {
    unic_stop 30
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
}

# stop_and_check LABEL DISCARD_BYTES: stop; zero open connections; the byte counts.
stop_and_check() {
    local label=$1 bytes=$2 open discarded
    sleep 1 # let the last FIN/ACK exchanges finish
    svc_stop
    open=$(summary_field open)
    discarded=$(summary_field discard_bytes)
    unic_figure "$label: $(grep -o 'echo: accepted=.*' "$UNIC_LOG" | tail -n 1)"
    unic_figure "$label: $(grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1)"
    [ "$open" = 0 ] || unic_fail "$label: $open connections still open at shutdown"
    [ "$discarded" = "$bytes" ] || unic_fail "$label: discard counted $discarded bytes, sent $bytes"
}

unic_netns

# 1. Clean link.
unic_start echo
unic_wait_ready
transfer clean

# chargen: 20 MB of RFC 864 lines (72 rotating printable characters + CRLF).
lines=$(unic_ns -t 60 sh -c "nc $UNIC_SVC_IP 19 </dev/null | head -c 20000000" |
    awk 'BEGIN { RS = "\r\n"; bad = 0 }
         NR <= 270000 { first = substr($0, 1, 1); expect = sprintf("%c", 32 + (NR - 1) % 95)
                        if (length($0) == 72 && first == expect) ok++; else if (length($0) == 72) bad++ }
         END { print ok + 0, bad + 0 }')
unic_figure "chargen: lines ok/bad: $lines"
[ "${lines#* }" = 0 ] && [ "${lines% *}" -gt 250000 ] || unic_fail "chargen: bad lines ($lines)"

# UDP echo.
udp=$(unic_ns -t 10 sh -c "echo ping-udp | nc -u -w 1 $UNIC_SVC_IP 7")
[ "$udp" = ping-udp ] || unic_fail "UDP echo returned '$udp'"

# 200 concurrent connections: started 10 ms apart, each holds its socket open 3 s after sending,
# so all overlap. (Started all in the same instant, the kvm NIC's 256 transmit descriptors
# overflow: the loop drops what does not fit and the connections wait for their RTOs.)
conc=$UNIC_TMP/conc
mkdir -p "$conc"
head -c 65536 "$data" >"$conc/in"
small=$(sha256sum <"$conc/in" | cut -d' ' -f1)
unic_ns -t 120 bash -c "
    for i in \$(seq 1 200); do
        (cat '$conc/in'; sleep 3) | nc -N -w 20 $UNIC_SVC_IP 7 >'$conc/out.'\$i &
        sleep 0.01
    done
    wait"
okc=0
for i in $(seq 1 200); do
    [ "$(sha256sum <"$conc/out.$i" | cut -d' ' -f1)" = "$small" ] && okc=$((okc + 1))
done
unic_figure "200 concurrent echo connections: $okc intact"
[ "$okc" -eq 200 ] || unic_fail "only $okc of 200 concurrent echo connections intact"
stop_and_check clean $((MB * 1024 * 1024))

# 2. The service's NIC loses, reorders and duplicates frames (both directions).
unic_start echo --loss 0.02 --reorder 0.02 --duplicate 0.01 --seed 7
unic_wait_ready 30
transfer faults
stop_and_check faults $((MB * 1024 * 1024))
unic_figure "faults: $(grep -o 'stats fault.tx: .*' "$UNIC_LOG" | tail -n 1)"

unic_pass "${MB} MB discard + echo clean and under faults (sha256 equal), chargen, UDP echo, 200 concurrent, 0 open at exit"
