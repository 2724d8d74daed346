#!/bin/bash
# The README's main job, `scripts/demo [kvm]`, end to end: it builds, starts hello, dns, echo and
# http in a namespace of its own and talks to them with ping, dig, nc and curl; it exits non-zero
# when a service does not come up or a client fails. Here its output must also show the answers.
# Usage: demo.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" demo
case "${UNIC_SANITIZE:-OFF}" in
ON | on | 1 | TRUE | true) unic_skip "the demo runs the plain hosted build (the hosted preset runs it)" ;;
esac
unic_need dig curl nc
args=()
[ "$UNIC_PLATFORM" = kvm ] && args=(kvm)
out=$UNIC_TMP/demo.out
timeout -k 5 600 "$UNIC_SOURCE_DIR/scripts/demo" "${args[@]}" >"$out" 2>&1 ||
    unic_fail "scripts/demo ${args[*]} failed: $(tail -20 "$out")"
grep -q " 0% packet loss" "$out" || unic_fail "no ping answered in the demo"
grep -q "^   10\.128\.16\.146$" "$out" || unic_fail "dig host4242.example. got no A record"
grep -q "status: NXDOMAIN" "$out" || unic_fail "no NXDOMAIN in the demo"
grep -q "^   hello, unic$" "$out" || unic_fail "TCP echo did not answer"
grep -q "^   1000000$" "$out" || unic_fail "curl /bytes/1000000 did not get 1000000 bytes"
grep -q "^   stats http: conn_accepted=2 conn_closed=2" "$out" || unic_fail "no http statistics at the stop"
unic_pass "scripts/demo ${args[*]}: ping, dig, nc and curl answered; statistics printed at the stop"
