#!/bin/bash
# The hosted entry point's command line and device errors: each failure is exactly one line on
# stderr, "hello: <message>", with exit status 2 for bad options and 1 for a device that cannot
# be opened; --help prints the usage; a TAP that does not exist is an error, and with --tap-create
# it is created (root) and is gone again after the process ends; a TAP that is down drops frames until it is up; a TAP deleted
# under the service ends it with status 1. Runs in a namespace of its own (TAPs are made there).
# Hosted only (kvm: skipped). Usage: hosted_cli.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" hosted_cli
[ "$UNIC_PLATFORM" = hosted ] || unic_skip "the hosted platform's command line"
hello=$(unic_service_binary hello) || exit $?
unic_netns

# expect STATUS PATTERN ARGS...: hello ARGS (inside the namespace) exits with STATUS and prints
# one line on stderr matching PATTERN.
expect() {
    local want=$1 pattern=$2 status lines
    shift 2
    unic_ns -t 10 "$hello" "$@" >"$UNIC_TMP/out" 2>"$UNIC_TMP/err"
    status=$?
    lines=$(wc -l <"$UNIC_TMP/err")
    [ "$status" -eq "$want" ] ||
        unic_fail "hello $*: exit status $status, expected $want: $(cat "$UNIC_TMP/err")"
    [ "$lines" -eq 1 ] || unic_fail "hello $*: $lines lines on stderr, expected 1: $(cat "$UNIC_TMP/err")"
    grep -Eq "^hello: $pattern" "$UNIC_TMP/err" ||
        unic_fail "hello $*: message '$(cat "$UNIC_TMP/err")' does not match '$pattern'"
    unic_log "hello $* -> $status: $(cat "$UNIC_TMP/err")"
}

expect 2 "unknown option" --bogus
expect 2 "no network device" --ip 10.1.0.2/24
expect 2 "--tap and --replay" --tap "$UNIC_TAP" --replay "$UNIC_TMP/none.pcap"
expect 1 "lo exists but is not a TAP" --tap lo
expect 1 "cannot replay" --replay "$UNIC_TMP/none.pcap"
expect 1 "cannot write capture" --tap "$UNIC_TAP" --pcap /nonexistent/dir/x.pcap
expect 1 "bad TAP name" --tap a_name_longer_than_15_chars
expect 1 "TAP nosuch0 does not exist .*--tap-create" --tap nosuch0 --ip 10.1.0.2/24
ip -n "$UNIC_NS" link show nosuch0 >/dev/null 2>&1 && unic_fail "a TAP nosuch0 was created without --tap-create"
expect 2 "--tap-create needs --tap" --tap-create --replay "$UNIC_TMP/none.pcap"

# A TAP that belongs to root, opened by an unprivileged user.
ip -n "$UNIC_NS" tuntap add mode tap user root name rootonly
if command -v setpriv >/dev/null; then
    unic_ns -t 10 setpriv --reuid=nobody --regid=nogroup --clear-groups "$hello" --tap rootonly \
        >"$UNIC_TMP/out" 2>"$UNIC_TMP/err"
    status=$?
    [ $status -eq 1 ] && [ "$(wc -l <"$UNIC_TMP/err")" -eq 1 ] ||
        unic_fail "unprivileged open of a root TAP: status $status: $(cat "$UNIC_TMP/err")"
    unic_log "unprivileged --tap rootonly -> 1: $(cat "$UNIC_TMP/err")"
fi

# The TAP is busy while another service holds it.
unic_start hello
unic_wait_ready
expect 1 "TAP $UNIC_TAP is already in use" --tap "$UNIC_TAP" --ip "$UNIC_SVC_IP/24"
# A bad service argument (after --) is the service's own error: status 2.
unic_stop
unic_ns -t 10 "$hello" --tap "$UNIC_TAP" --ip "$UNIC_SVC_IP/24" -- --bogus >/dev/null 2>&1
status=$?
[ $status -eq 2 ] || unic_fail "hello -- --bogus: exit status $status, expected 2"

# --help: the usage on stdout, status 0.
unic_ns -t 10 "$hello" --help >"$UNIC_TMP/out" 2>&1 || unic_fail "--help: exit status $?"
grep -q -- "--tap IF" "$UNIC_TMP/out" || unic_fail "--help does not list --tap"

# With --tap-create a missing TAP is created (we are root), brought up, and removed when the
# process ends.
ip netns exec "$UNIC_NS" "$hello" --tap made0 --tap-create --ip 10.1.0.2/24 >"$UNIC_TMP/made.log" 2>&1 &
UNIC_PID=$!
for ((i = 0; i < 50; i++)); do
    ip -n "$UNIC_NS" link show made0 >/dev/null 2>&1 && break
    sleep 0.1
done
ip -n "$UNIC_NS" link show made0 | grep -q '[<,]UP[,>]' || unic_fail "TAP made0 was not created up"
unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "hello on a created TAP: exit status $UNIC_STATUS"
! ip -n "$UNIC_NS" link show made0 >/dev/null 2>&1 || unic_fail "the created TAP outlived the process"
# A TAP that is down: sends fail (EIO, said once), the service stays up, and answers once the
# link is brought up.
ip -n "$UNIC_NS" addr add 10.2.0.1/24 dev rootonly
ip netns exec "$UNIC_NS" "$hello" --tap rootonly --ip 10.2.0.2/24 >"$UNIC_TMP/down.log" 2>&1 &
UNIC_PID=$!
sleep 0.5
unic_alive || unic_fail "hello on a down TAP exited: $(cat "$UNIC_TMP/down.log")"
grep -q "TAP rootonly is down" "$UNIC_TMP/down.log" || unic_fail "no word about the down TAP"
ip -n "$UNIC_NS" link set rootonly up
unic_ns -t 20 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || unic_fail "no answer once the TAP is up"
# The interface deleted under the service: it says so and ends with status 1, no spinning.
ip -n "$UNIC_NS" link del rootonly
for ((i = 0; i < 50; i++)); do
    unic_alive || break
    sleep 0.1
done
unic_alive && unic_fail "hello still runs after its TAP was deleted"
wait "$UNIC_PID"
status=$?
UNIC_PID=""
[ $status -eq 1 ] || unic_fail "TAP deleted: exit status $status, expected 1: $(cat "$UNIC_TMP/down.log")"
unic_log "TAP deleted -> 1: $(grep 'unic: hosted' "$UNIC_TMP/down.log" | tail -n 1)"
unic_pass "one-line errors with status 2/1, --help, missing TAP refused, --tap-create'd TAP created and removed, TAP down/up/deleted"
