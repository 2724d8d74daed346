#!/bin/bash
# ctest: heavy
# valgrind memcheck of one whole scenario (issue 6): the dns service, under memcheck, answers
# ping (also fragmented) and dig queries (found, missing, other zone), then is stopped with
# SIGTERM. memcheck must report no errors: no invalid access, no uninitialised byte passed to
# write() (i.e. sent on the TAP: the service sends with writev, not io_uring, here), and no
# definite or indirect leak. The sandbox is on as in every test: under valgrind the process drops
# root but loads no seccomp filter (valgrind's own calls come from the same process;
# docs/sandbox.md), checked here. --vgdb=no: valgrind's gdb FIFOs in /tmp are made as root, and
# the process, become nobody, could not remove them.
# Usage: valgrind.sh hosted|kvm (kvm: skipped, memcheck runs on Linux processes only).
. "$(dirname "$0")/lib.sh"
unic_init "$1" valgrind
[ "$UNIC_PLATFORM" = hosted ] || unic_skip "memcheck applies to the hosted platform"
# memcheck and ASan both replace malloc and cannot share a process; the plain hosted preset runs
# this scenario under memcheck, the asan preset runs the same traffic under ASan in other tests.
case "${UNIC_SANITIZE:-OFF}" in
ON | on | 1 | TRUE | true) unic_skip "binary built with ASan (memcheck runs in the hosted preset)" ;;
esac
unic_need valgrind dig
bin=$(unic_service_binary dns) || exit $?

unic_netns
# Frames go out by write() here, not through io_uring (UNIC_HOSTED_URING=0): memcheck checks the
# bytes a write() passes, while those of an io_uring submission are read by the kernel unseen.
# (The ring's own path runs under ASan in the asan preset's tests.)
ip netns exec "$UNIC_NS" env UNIC_HOSTED_URING=0 valgrind --quiet --vgdb=no --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --track-origins=yes "$bin" --tap "$UNIC_TAP" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" \
    -- --records 1000 >"$UNIC_LOG" 2>&1 &
UNIC_PID=$!
unic_wait_ready 60
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$UNIC_PID/status")
[ -n "$uid" ] && [ "$uid" != 0 ] || unic_fail "under valgrind the service still runs as uid '$uid'"
grep -q "sandbox: under valgrind: privileges dropped, no seccomp filter" "$UNIC_LOG" ||
    unic_fail "no line saying the seccomp filter is off under valgrind"

out=$(unic_ns -t 30 ping -q -c 5 -i 0.1 -W 2 "$UNIC_SVC_IP" 2>&1)
grep -q " 0% packet loss" <<<"$out" || unic_fail "ping under memcheck: $out"
out=$(unic_ns -t 30 ping -q -c 2 -i 0.3 -W 5 -s 4000 "$UNIC_SVC_IP" 2>&1)
grep -q " 0% packet loss" <<<"$out" || unic_fail "fragmented ping under memcheck: $out"
addr=$(unic_ns -t 20 dig +short +tries=2 +time=5 "@$UNIC_SVC_IP" host42.example. A)
[ -n "$addr" ] || unic_fail "dig host42.example. got no answer under memcheck"
status=$(unic_ns -t 20 dig +tries=2 +time=5 "@$UNIC_SVC_IP" nosuch.example. A | grep -o 'status: [A-Z]*')
[ "$status" = "status: NXDOMAIN" ] || unic_fail "missing name: $status"
status=$(unic_ns -t 20 dig +tries=2 +time=5 "@$UNIC_SVC_IP" a.other.org. A | grep -o 'status: [A-Z]*')
[ "$status" = "status: REFUSED" ] || unic_fail "other zone: $status"

unic_stop 60
[ "$UNIC_STATUS" != 99 ] || unic_fail "memcheck found errors (see the log)"
[ "$UNIC_STATUS" = 0 ] || unic_fail "service exited with status $UNIC_STATUS"
grep -q "definitely lost: [1-9]" "$UNIC_LOG" && unic_fail "memcheck: leaks"
unic_pass "memcheck clean: ping, fragmented ping, dig (answer, NXDOMAIN, REFUSED), SIGTERM exit 0"
