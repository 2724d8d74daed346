#!/bin/bash
# Declared service options (unic.h: struct unic_service), the same on both platforms:
#  - a bad service option ends the program before any device is touched: status 2 and exactly
#    one line, "dns: unknown option '--bogus' (try --help)", the same text hosted and kvm
#    (hosted: even with --tap naming a TAP that does not exist, which is neither created nor
#    reported; kvm: no virtio-net device is set up, no "net:" line);
#  - a service value out of its declared range: the same, with the range;
#  - --help lists the OS options and the service's own (dns: --records, --port, --axfr-allow,
#    --max-conns), status 0;
#  - kvm: a hosted-only option (--tap, --pcap) is an error with status 2, not ignored;
#  - kv (the issue's own example, when built): the same for 'kv ... -- --bogus', and
#    'kv --help' lists --port and --max-keys.
# Usage: service_options.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" service_options
dns=$(unic_service_binary dns) || exit $?
unic_netns

# run ARGS...: dns with ARGS on this platform; output (console) in $UNIC_LOG with the CRs and
# the kvm platform's own boot lines ("kvm: ...", firmware noise) left out in $UNIC_TMP/lines;
# the program's exit status (kvm: the guest's) in $status.
prog=$dns
run() {
    if [ "$UNIC_PLATFORM" = hosted ]; then
        unic_ns -t 20 "$prog" "$@" >"$UNIC_LOG" 2>&1
        status=$?
    else
        unic_ns -t 120 "$UNIC_QEMU_RUN" --tap "$UNIC_TAP" "$prog" "$@" >"$UNIC_LOG" 2>&1
        status=$?
        [ $((status & 1)) = 1 ] && status=$((status >> 1))
    fi
    tr -d '\r' <"$UNIC_LOG" | grep -v '^kvm: \|^SeaBIOS\|^Booting\|^$\|^\x1b' >"$UNIC_TMP/lines"
}

# expect_error STATUS LINE ARGS...: dns ARGS ends with STATUS and prints exactly LINE.
expect_error() {
    local want=$1 line=$2
    shift 2
    run "$@"
    [ "$status" -eq "$want" ] || unic_fail "dns $*: status $status, expected $want: $(cat "$UNIC_TMP/lines")"
    [ "$(wc -l <"$UNIC_TMP/lines")" -eq 1 ] ||
        unic_fail "dns $*: $(wc -l <"$UNIC_TMP/lines") lines, expected 1: $(cat "$UNIC_TMP/lines")"
    [ "$(cat "$UNIC_TMP/lines")" = "$line" ] ||
        unic_fail "dns $*: '$(cat "$UNIC_TMP/lines")', expected '$line'"
    unic_log "$(basename "$prog") $* -> $status: $line"
}

if [ "$UNIC_PLATFORM" = hosted ]; then
    expect_error 2 "dns: unknown option '--bogus' (try --help)" \
        --tap nosuchtap --ip 10.9.0.2/24 -- --bogus
    ! ip -n "$UNIC_NS" link show nosuchtap >/dev/null 2>&1 || unic_fail "a TAP nosuchtap exists"
    expect_error 2 "dns: --port: '70000' is not a number in 1..65535" \
        --tap "$UNIC_TAP" --ip 10.9.0.2/24 -- --port 70000
else
    expect_error 2 "dns: unknown option '--bogus' (try --help)" --ip 10.9.0.2/24 -- --bogus
    grep -q "kvm: net0" "$UNIC_LOG" && unic_fail "the NIC was set up before the options were checked"
    expect_error 2 "dns: --port: '70000' is not a number in 1..65535" \
        --ip 10.9.0.2/24 -- --port 70000
    expect_error 2 "dns: --tap is a hosted option (on kvm QEMU attaches the NIC: scripts/qemu-run --tap)" \
        --ip 10.9.0.2/24 --tap tap0
    expect_error 2 "dns: --pcap is a hosted option (on kvm QEMU attaches the NIC: scripts/qemu-run --tap)" \
        --ip 10.9.0.2/24 --pcap x.pcap
    expect_error 2 "dns: --user is a hosted option (a kvm image has no users or system calls to sandbox)" \
        --ip 10.9.0.2/24 --user nobody
fi

run --help
[ "$status" -eq 0 ] || unic_fail "dns --help: status $status"
for want in "usage: dns \[options\]" "--tap IF" "--stats-interval S" "service options (dns" \
    "--records N .*(0..4000000, default 10000)" "--port N .*UDP and TCP port (1..65535, default 53)" \
    "--axfr-allow LIST" "--max-conns N .*(1..100000, default 256)"; do
    grep -q -- "$want" "$UNIC_TMP/lines" || unic_fail "dns --help does not show '$want'"
done
unic_log "dns --help: $(grep -c -- '^  --' "$UNIC_TMP/lines") option lines"

kv=$UNIC_HOSTED_BIN/kv
[ "$UNIC_PLATFORM" = kvm ] && kv=$UNIC_KVM_BIN/kv.elf
if [ -f "$kv" ]; then
    prog=$kv
    if [ "$UNIC_PLATFORM" = hosted ]; then
        expect_error 2 "kv: unknown option '--bogus' (try --help)" \
            --tap nosuchtap --ip 10.9.0.2/24 -- --bogus
    else
        expect_error 2 "kv: unknown option '--bogus' (try --help)" --ip 10.9.0.2/24 -- --bogus
    fi
    run --help
    [ "$status" -eq 0 ] || unic_fail "kv --help: status $status"
    for want in "service options (kv" "--port N .*(1..65535, default 6000)" "--max-keys N"; do
        grep -q -- "$want" "$UNIC_TMP/lines" || unic_fail "kv --help does not show '$want'"
    done
    unic_log "kv --help: $(grep -A3 'service options (kv' "$UNIC_TMP/lines" | tr '\n' '|')"
else
    unic_log "no $kv: kv not checked"
fi
unic_pass "bad service options: one line, status 2, before any device; --help lists the service's options"
