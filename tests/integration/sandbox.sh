#!/bin/bash
# The hosted sandbox (docs/sandbox.md), with the services started as root as every test does:
#  - echo (with --pcap and --stats-interval 1), dns, http and kv each run as nobody with no
#    capability, no supplementary group, no_new_privs and a seccomp filter (/proc/PID/status:
#    Uid not 0, CapEff/CapPrm/CapBnd 0, Groups empty, NoNewPrivs 1, Seccomp 2) while they answer
#    their clients, print their counters on SIGUSR1 and stop cleanly on SIGTERM (status 0);
#    the capture, opened before the sandbox, is written all along;
#  - --sandbox-selftest execve / open (socket in an ASan build): the forbidden call kills the
#    process (SIGSYS, status 159) with one line naming the call;
#  - --user root keeps root (with a warning) under the filter; --no-sandbox is today's process
#    (root, Seccomp 0); a bad --user is a status-2 error before anything opens.
# Usage: sandbox.sh hosted|kvm (kvm: skipped, the sandbox is the hosted process's).
. "$(dirname "$0")/lib.sh"
unic_init "$1" sandbox
[ "$UNIC_PLATFORM" = hosted ] || unic_skip "the sandbox is the hosted platform's (kvm: a VM)"
unic_need nc dig curl

# status_field NAME: the value of NAME in the service's /proc status (tabs squeezed).
status_field() {
    awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$UNIC_PID/status"
}

# check_sandboxed LABEL: every /proc promise of the sandbox, on the running service.
check_sandboxed() {
    local label=$1 uid id c
    uid=$(status_field Uid)
    [ -n "$uid" ] || unic_fail "$label: no /proc/$UNIC_PID/status"
    for id in $uid $(status_field Gid); do
        [ "$id" != 0 ] || unic_fail "$label: Uid/Gid '$uid' / '$(status_field Gid)': still root"
    done
    for c in CapInh CapPrm CapEff CapBnd CapAmb; do
        [ "$(status_field $c)" = 0000000000000000 ] ||
            unic_fail "$label: $c $(status_field $c), expected none"
    done
    [ -z "$(status_field Groups)" ] || unic_fail "$label: Groups '$(status_field Groups)'"
    [ "$(status_field NoNewPrivs)" = 1 ] || unic_fail "$label: NoNewPrivs $(status_field NoNewPrivs)"
    [ "$(status_field Seccomp)" = 2 ] || unic_fail "$label: Seccomp $(status_field Seccomp), expected 2"
}

# usr1_and_stop LABEL: counters on SIGUSR1 while running, then a clean SIGTERM stop.
usr1_and_stop() {
    local label=$1 i before
    before=$(grep -c "^stats loop:" "$UNIC_LOG")
    kill -USR1 "$UNIC_PID"
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c "^stats loop:" "$UNIC_LOG")" -gt "$before" ] && break
        sleep 0.1
    done
    [ "$(grep -c "^stats loop:" "$UNIC_LOG")" -gt "$before" ] ||
        unic_fail "$label: no counters on SIGUSR1"
    unic_alive || unic_fail "$label: died after SIGUSR1"
    unic_stop
    [ "$UNIC_STATUS" = 0 ] || unic_fail "$label: exit status $UNIC_STATUS after SIGTERM"
    grep -q "sandbox: forbidden" "$UNIC_LOG" && unic_fail "$label: a forbidden call"
    return 0
}

unic_netns

# echo, with a capture and counters every second, both written from inside the sandbox.
cap=$UNIC_TMP/echo.pcap
unic_start echo --pcap "$cap" --stats-interval 1
unic_wait_ready
check_sandboxed echo
got=$(unic_ns -t 20 sh -c "printf 'sandboxed\n' | nc -N -w 5 $UNIC_SVC_IP 7")
[ "$got" = sandboxed ] || unic_fail "echo answered '$got'"
check_sandboxed "echo after a client"
usr1_and_stop echo
[ "$(stat -c %s "$cap")" -gt 1000 ] || unic_fail "capture $cap too small: $(stat -c %s "$cap")"
unic_log "echo: $(stat -c %s "$cap") bytes captured"

unic_start dns -- --records 100
unic_wait_ready
check_sandboxed dns
addr=$(unic_ns -t 20 dig +short +tries=2 +time=3 "@$UNIC_SVC_IP" host42.example. A)
[ -n "$addr" ] || unic_fail "dns: no answer"
usr1_and_stop dns

unic_start http
unic_wait_ready
check_sandboxed http
code=$(unic_ns -t 20 curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$UNIC_SVC_IP/bytes/200000")
[ "$code" = 200 ] || unic_fail "http: GET /bytes/200000 gave '$code'"
usr1_and_stop http

unic_start kv
unic_wait_ready
check_sandboxed kv
got=$(unic_ns -t 20 sh -c "printf 'SET k v\nGET k\n' | nc -N -w 5 $UNIC_SVC_IP 6000" | tr '\n' ' ')
[ "$got" = "OK v " ] || unic_fail "kv answered '$got'"
usr1_and_stop kv

# A forbidden call: the process is killed by SIGSYS and says which call it was. An ASan build
# allows openat (its error reports read the binary, docs/sandbox.md): socket there instead.
calls="execve:execve open:openat"
case "${UNIC_SANITIZE:-OFF}" in
ON | on | 1 | TRUE | true) calls="execve:execve socket:socket" ;;
esac
for call in $calls; do
    unic_start hello --sandbox-selftest "${call%%:*}"
    unic_wait_exit 20 || unic_fail "--sandbox-selftest ${call%%:*}: still running"
    wait "$UNIC_PID"
    status=$?
    UNIC_PID=""
    [ "$status" = 159 ] || unic_fail "--sandbox-selftest ${call%%:*}: status $status, expected 159 (SIGSYS)"
    grep -q "^hello: sandbox: forbidden system call ${call#*:} (" "$UNIC_LOG" ||
        unic_fail "--sandbox-selftest ${call%%:*}: no message naming ${call#*:}"
    grep -q "sandbox escaped" "$UNIC_LOG" && unic_fail "the execve ran"
done

# --user root: root under the filter, said once; --no-sandbox: as before the sandbox.
unic_start hello --user root
unic_wait_ready
[ "$(status_field Uid | cut -d" " -f1)" = 0 ] && [ "$(status_field Seccomp)" = 2 ] ||
    unic_fail "--user root: Uid $(status_field Uid), Seccomp $(status_field Seccomp)"
grep -q "still root (--user root)" "$UNIC_LOG" || unic_fail "--user root: no warning"
usr1_and_stop "--user root"
unic_start hello --no-sandbox
unic_wait_ready
[ "$(status_field Uid | cut -d" " -f1)" = 0 ] && [ "$(status_field Seccomp)" = 0 ] &&
    [ "$(status_field NoNewPrivs)" = 0 ] ||
    unic_fail "--no-sandbox: Uid $(status_field Uid), Seccomp $(status_field Seccomp)"
usr1_and_stop "--no-sandbox"
out=$(ip netns exec "$UNIC_NS" "$(unic_service_binary hello)" --tap "$UNIC_TAP" \
    --user no-such-user-here 2>&1)
status=$?
[ "$status" = 2 ] && [ "$out" = "hello: --user no-such-user-here: no such user" ] ||
    unic_fail "bad --user: status $status, '$out'"

unic_pass "echo (--pcap, --stats-interval), dns, http, kv answered as nobody with no capability," \
    "NoNewPrivs 1 and Seccomp 2, SIGUSR1 and SIGTERM worked; execve/open killed with the" \
    "call named; --user root and --no-sandbox"
