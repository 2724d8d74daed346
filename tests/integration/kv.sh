#!/bin/bash
# examples/kv against real clients (nc, python3) in a namespace of its own:
#  - pipelined commands in one write (LF and CRLF lines, answers in order, same line ends),
#    and an unterminated last line answered at the client's FIN;
#  - the same commands sent one byte per TCP segment (TCP_NODELAY, a pause after each byte);
#  - bad lines: empty, unknown command, missing and extra arguments, key / value / line too
#    long (the line after an over-long one is still answered);
#  - a full store (--max-keys 100): ERR store full, replacing a key still works;
#  - 20,000 pipelined GETs in one connection: 20,000 answers, every one right;
#  - RFC 868 time on UDP 37 within 2 s of the host clock;
#  - at the stop the service reports zero open connections.
# Usage: kv.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" kv
unic_need nc python3 awk cmp
client=$(dirname "$0")/kv_client.py

# kv_expect LABEL REQUEST_FILE EXPECTED_FILE: send with nc in one go, compare the answers.
kv_expect() {
    local label=$1 req=$2 want=$3 got=$UNIC_TMP/got.$1
    unic_ns -t 60 sh -c "nc -N -w 20 $UNIC_SVC_IP 6000 <'$req'" >"$got" ||
        unic_fail "$label: nc failed"
    cmp -s "$got" "$want" || {
        diff <(od -c "$want") <(od -c "$got") | head -n 20 >&2
        unic_fail "$label: answers differ from $want (diff of od -c above)"
    }
}

unic_netns
unic_start kv -- --max-keys 100
unic_wait_ready

# 1. Pipelined, one write; LF and CRLF lines get answers with the same line end.
printf 'SET a 1\nSET b two words\r\nGET a\nGET b\r\nDEL a\nGET a\nDEL a\nget b\n' >"$UNIC_TMP/pipe.req"
printf 'OK\nOK\r\n1\ntwo words\r\nOK\nNOTFOUND\nNOTFOUND\ntwo words\n' >"$UNIC_TMP/pipe.want"
kv_expect pipelined "$UNIC_TMP/pipe.req" "$UNIC_TMP/pipe.want"

# An unterminated last line is answered at the client's FIN.
printf 'SET t 1\nGET t\nDEL t\nGET t' >"$UNIC_TMP/tail.req"
printf 'OK\n1\nOK\nNOTFOUND\n' >"$UNIC_TMP/tail.want"
kv_expect unterminated "$UNIC_TMP/tail.req" "$UNIC_TMP/tail.want"

# 2. The same, one byte per segment.
delay=0.005
[ "$UNIC_PLATFORM" = kvm ] && delay=0.02
unic_ns -t 60 python3 "$client" bytewise "$UNIC_SVC_IP" 6000 "$delay" <"$UNIC_TMP/pipe.req" \
    >"$UNIC_TMP/got.bytewise" || unic_fail "bytewise client failed"
cmp -s "$UNIC_TMP/got.bytewise" "$UNIC_TMP/pipe.want" || unic_fail "bytewise: answers differ"
unic_figure "one byte per segment: $(wc -c <"$UNIC_TMP/pipe.req") segments, all 8 answers right"

# 3. Bad lines; a good line after each.
long_key=$(head -c 65 /dev/zero | tr '\0' k)
long_value=$(head -c 441 /dev/zero | tr '\0' v)
long_line=$(head -c 600 /dev/zero | tr '\0' x)
{
    printf '\nFOO x\nGET\nSET k\nGET b extra\nSET %s 1\nSET k %s\n%s\nGET b\n  \r\n' \
        "$long_key" "$long_value" "$long_line"
} >"$UNIC_TMP/bad.req"
printf '%s\n' 'ERR empty line' 'ERR unknown command' 'ERR missing argument' \
    'ERR missing argument' 'ERR too many arguments' 'ERR key too long' 'ERR value too long' \
    'ERR line too long' 'two words' >"$UNIC_TMP/bad.want"
printf 'ERR empty line\r\n' >>"$UNIC_TMP/bad.want"
kv_expect bad-lines "$UNIC_TMP/bad.req" "$UNIC_TMP/bad.want"

# 4. A full store: b and k1..k99 are 100 keys; k100 does not fit; b can still change.
{
    for i in $(seq 1 100); do printf 'SET k%d value%d\n' "$i" "$i"; done
    printf 'SET b new\nGET b\nDEL k1\nSET k100 value100\nGET k100\n'
} >"$UNIC_TMP/full.req"
{
    for i in $(seq 1 99); do echo OK; done
    printf 'ERR store full\nOK\nnew\nOK\nOK\nvalue100\n'
} >"$UNIC_TMP/full.want"
kv_expect full-store "$UNIC_TMP/full.req" "$UNIC_TMP/full.want"

# 5. 20,000 pipelined GETs in one connection (two keys, and one that is not there).
awk 'BEGIN { for (i = 0; i < 20000; i++) print (i % 3 == 0 ? "GET b" : i % 3 == 1 ? "GET k2" : "GET nokey") }' \
    >"$UNIC_TMP/gets.req"
awk 'BEGIN { for (i = 0; i < 20000; i++) print (i % 3 == 0 ? "new" : i % 3 == 1 ? "value2" : "NOTFOUND") }' \
    >"$UNIC_TMP/gets.want"
t0=$(date +%s.%N)
kv_expect gets "$UNIC_TMP/gets.req" "$UNIC_TMP/gets.want"
t1=$(date +%s.%N)
unic_figure "20000 pipelined GETs: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s, %.0f/s", b - a, 20000 / (b - a) }')"

# 6. RFC 868 time.
skew=$(unic_ns -t 30 python3 "$client" time "$UNIC_SVC_IP" 37) || unic_fail "no time answer"
unic_figure "RFC 868 time: service - host = $skew s"
awk -v s="$skew" 'BEGIN { exit !(s <= 2 && s >= -2) }' || unic_fail "time off by $skew s"

sleep 1 # the last FIN/ACK exchanges
unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop"
summary=$(grep -o 'stats kv: .*' "$UNIC_LOG" | tail -n 1)
unic_figure "$summary"
open=$(echo "$summary" | tr ' ' '\n' | awk -F= '$1 == "open" { print $2 }')
[ "$open" = 0 ] || unic_fail "$open connections still open at the stop"
unic_pass "pipelined, one byte per segment, bad lines, full store, 20000 GETs, time within 2 s"
