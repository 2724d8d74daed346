#!/bin/bash
# ctest: serial
# kvm_boot: the kvm images boot under QEMU, answer ping, report faults, and carry only the code
# they use. Each QEMU runs in this test's own namespace, on its TAP.
#  - microvm (virtio-mmio): 20 pings with 0% loss; QEMU's CPU time over 10 s idle (figure);
#    and again after a guest that booted under a stream of pings;
#  - q35 (virtio-net-pci, modern, MSI-X): 20 pings with 0% loss;
#  - q35 with a legacy-only virtio-net-pci (INTx through the IOAPIC): 5 pings, 0% loss;
#  - each of the three ends by the power button (QMP system_powerdown): status 0, statistics;
#  - hello -- --crash (a service fault) and unic.crash=null (the platform's own NULL write):
#    the report names the page fault, prints registers, a backtrace and the addr2line command,
#    and QEMU ends through isa-debug-exit with status 3 (QEMU exit code 7);
#  - unic.crash=stack|canary|wx|nx: the guard page, the stack protector, W^X and NX each stop
#    a deliberate fault with the report and status 3; unic.crash=memmove faults inside a
#    backwards memmove (direction flag set) and the report still names hello.elf;
#  - kvm-selftest.elf: the freestanding libc subset checked in the kernel, status 0; and
#    plat_wait(now + 1 s) at most 1 ms late under KVM, 3 ms under TCG (best of up to 8; 10 ms on a host with more
#    runnable tasks than CPUs);
#  - a bad option: the one-line message and status 2; so is a kernel command line over 2047
#    bytes; a quoted service argument reaches the service whole (blanks, unic.crash= inside);
#  - nm: the UDP-only resolve image has no tcp_ symbol (skipped, with a message, without
#    resolve.elf).
# Builds nothing: uses $UNIC_KVM_BIN (default build/kvm/bin). UNIC_ACCEL=tcg|kvm picks the
# accelerator (default: scripts/qemu-run's choice). Usage: kvm_boot.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
if [ "${1:-}" = hosted ]; then
    echo "[kvm_boot.hosted] SKIP: a kvm-only test"
    exit 77
fi
unic_init "$1" kvm_boot
unic_need nm awk

hello=$(unic_service_binary hello)
if [ "${UNIC_ACCEL:-}" = kvm ] && [ -d /sys/module/kvm_pvm ]; then
    unic_skip "UNIC_ACCEL=kvm, but /dev/kvm is PVM here (kvm_pvm), which cannot run this guest: its emulator stops at the first SSE instruction (see src/platform/kvm/README.md)"
fi
unic_netns

# ping_ok COUNT INTERVAL WHAT: COUNT pings, all answered.
ping_ok() {
    local count=$1 interval=$2 what=$3 out rx
    out=$(unic_ns -t 60 ping -q -c "$count" -i "$interval" -W 2 "$UNIC_SVC_IP" 2>&1)
    rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
    unic_figure "$what: $count pings, ${rx:-0} replies ($(grep -o '[0-9.]*% packet loss' <<<"$out"))"
    [ "${rx:-0}" = "$count" ] || unic_fail "$what: expected $count replies: $out"
}

# run_exit WHAT EXPECTED_QEMU_CODE ARGS...: boot hello with ARGS, wait for the guest to end
# (bounded), check QEMU's exit code ((status << 1) | 1 from isa-debug-exit).
run_exit() {
    local what=$1 want=$2 code
    shift 2
    unic_boot "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "$@"
    unic_wait_exit 60 || unic_fail "$what: the guest did not end within 60 s"
    wait "$UNIC_PID"
    code=$?
    UNIC_PID=""
    unic_log "$what: QEMU exit code $code (guest status $((code >> 1)))"
    [ "$code" -eq "$want" ] || unic_fail "$what: QEMU exit code $code, expected $want"
}

# check_fault_report WHAT: the log holds the whole report.
check_fault_report() {
    local what=$1 pattern
    for pattern in 'CPU exception 14 (#PF page fault)' 'page fault at address 0x0 (NULL dereference)' \
        '^rip [0-9a-f]\{16\} rsp' '^backtrace:' '#1 0x' 'resolve with: addr2line .*hello.elf 0x'; do
        grep -q "$pattern" "$UNIC_LOG" || unic_fail "$what: no '$pattern' in the report"
    done
}

# boot_and_ping WHAT COUNT NIC_PATTERN [qemu-run options]: boot hello, COUNT pings with 0% loss,
# the NIC found by the expected driver. Leaves QEMU running.
boot_and_ping() {
    local what=$1 count=$2 nic=$3
    shift 3
    unic_boot "$@" "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX"
    unic_wait_ready
    ping_ok "$count" 0.1 "$what"
    grep -q "$nic" "$UNIC_LOG" || unic_fail "$what: no '$nic' NIC in the boot log"
}

# stop_clean WHAT: the power button ends the guest with status 0 and its statistics printed.
stop_clean() {
    unic_stop 20
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "$1: guest status $UNIC_STATUS after the power button, expected 0"
    grep -q "^stats icmp:" "$UNIC_LOG" || unic_fail "$1: no statistics printed at shutdown"
}

# 1. microvm: ping, then idle, then the power button.
boot_and_ping microvm 20 "virtio-mmio" -M microvm
sleep 1
cpu0=$(unic_cpu_ms "$UNIC_PID")
sleep 10
unic_alive || unic_fail "microvm: QEMU died while idle"
idle=$(($(unic_cpu_ms "$UNIC_PID") - cpu0))
unic_figure "microvm idle 10 s: QEMU utime+stime=$idle ms"
[ "$idle" -lt 2000 ] || unic_fail "idle QEMU used $idle ms of CPU in 10 s: a busy loop?"
ping_ok 3 0.2 "microvm after idling"
stop_clean microvm

# 1b. Frames already arriving while the guest boots (its MAC is known, so pings go out at
# once): the NIC must keep receiving afterwards. (A line left high without a new edge, which
# the first plat_wait guards against, would not show here: QEMU's IOAPIC delivers again on
# every raise of an edge-triggered line, even one already high.)
unic_ns ip neigh replace "$UNIC_SVC_IP" lladdr 52:54:00:12:34:56 dev "$UNIC_TAP" nud permanent
unic_ns -t 30 ping -q -i 0.005 -c 400 "$UNIC_SVC_IP" >/dev/null 2>&1 &
flood=$!
unic_boot -M microvm "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX"
wait "$flood"
ping_ok 20 0.05 "microvm after pings during boot"
stop_clean "microvm after pings during boot"
unic_ns ip neigh del "$UNIC_SVC_IP" dev "$UNIC_TAP"

# 2. q35, modern virtio-net-pci with MSI-X; 3. q35 with a legacy device (INTx).
boot_and_ping q35 20 "virtio-pci (msi-x)" -M q35
stop_clean q35
boot_and_ping "q35 legacy" 5 "virtio-pci-legacy (intx)" -M q35 --legacy
stop_clean "q35 legacy"
# 3b. microvm without ACPI: the NIC is named on the command line (virtio_mmio.device=), one
# IOAPIC; no power button there, so SIGTERM ends QEMU.
boot_and_ping "microvm acpi=off" 5 "virtio-mmio" -M microvm,acpi=off
grep -q "virtio_mmio.device=" "$UNIC_LOG" || unic_fail "microvm acpi=off: no virtio_mmio.device= word"
UNIC_QMP=""
unic_stop
unic_pass "microvm, q35, q35-legacy, microvm acpi=off: ping with 0% loss, clean power-button shutdown"

# 4. Faults: in the service, and from the platform's kernel option.
run_exit "hello -- --crash" 7 -- --crash
check_fault_report "hello -- --crash"
grep -q "hello: crashing on purpose" "$UNIC_LOG" || unic_fail "no trace of the service in the log"
run_exit "unic.crash=null" 7 unic.crash=null
check_fault_report "unic.crash=null"
unic_pass "fault reports: exception, registers, backtrace, addr2line; exit status 3"

# 5. The protections, each by its own deliberate fault (src/platform/kvm/crash.c).
for kind in "stack:stack overflow into the guard page" "canary:fatal: stack smashing detected" \
    "wx:error code 0x3[[:space:]]*$" "nx:error code 0x11[[:space:]]*$" \
    "memmove:^resolve with: addr2line -f -i -p -e build/kvm/bin/hello.elf 0x"; do
    run_exit "unic.crash=${kind%%:*}" 7 "unic.crash=${kind%%:*}"
    grep -q "${kind#*:}" "$UNIC_LOG" || unic_fail "unic.crash=${kind%%:*}: no '${kind#*:}' in the report"
    grep -q "^resolve with: addr2line" "$UNIC_LOG" || unic_fail "unic.crash=${kind%%:*}: no backtrace"
done
unic_pass "guard page, stack protector, W^X (write to .text) and NX (jump into .data) all fault; a fault in a backwards memmove (direction flag set) still reports the right image"

# 5b. The libc subset, checked inside the kernel (kvm-selftest.elf, src/platform/kvm/selftest.c).
selftest=$UNIC_KVM_BIN/kvm-selftest.elf
[ -f "$selftest" ] || unic_fail "$selftest not built"
timeout 120 "$UNIC_QEMU_RUN" --no-net "$selftest" >"$UNIC_TMP/selftest.log" 2>&1
status=$?
grep "selftest: FAIL" "$UNIC_TMP/selftest.log" | head -5 | while read -r l; do unic_log "$l"; done
[ "$status" -eq 0 ] || unic_fail "kvm-selftest.elf: status $status"
grep -q "selftest libc: [0-9]* checks, 0 failures" "$UNIC_TMP/selftest.log" || unic_fail "no selftest result"
unic_pass "$(grep -o 'selftest libc: [0-9]* checks, 0 failures' "$UNIC_TMP/selftest.log")"
# plat_wait(now + 1 s), best of up to 8: within 1 ms on an idle host (3 ms under TCG, below). A miscalibrated APIC timer
# is late by the same share of every wait (2-4% before: 22-39 ms); a busy host adds random
# delay, so with more runnable tasks than CPUs the limit is 10 ms and the figure says why.
late_us=$(sed -n 's/.*selftest timer: best \([0-9]*\) us late.*/\1/p' "$UNIC_TMP/selftest.log")
[ -n "$late_us" ] || unic_fail "kvm-selftest.elf: no plat_wait lateness reported"
# Under TCG (every run here: /dev/kvm is PVM) QEMU's own timer delivery adds about 1-2 ms to
# a 1 s wait on an idle host (1586 us measured with the rate calibrated to 1,000,542 ticks/ms,
# QEMU's being 1,000,000), so the limit there is 3 ms: still an order of magnitude under the
# miscalibration it guards against. Under KVM the 1 ms of issue 17 applies.
load=$(cut -d' ' -f1 /proc/loadavg)
limit_us=3000
if [ "${UNIC_ACCEL:-}" = kvm ] || { [ -z "${UNIC_ACCEL:-}" ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; }; then
    limit_us=1000
fi
awk -v l="$load" -v c="$(nproc)" 'BEGIN { exit !(l >= c) }' && limit_us=10000
unic_figure "plat_wait(now + 1 s): best $late_us us late (limit $limit_us us; host load $load on $(nproc) CPUs; $(grep -o 'lapic timer [0-9]* ticks/ms[^)]*)' "$UNIC_TMP/selftest.log" || echo 'lapic timer: tsc-deadline'))"
[ "$late_us" -le "$limit_us" ] || unic_fail "plat_wait(now + 1 s) returned $late_us us late (limit $limit_us us)"

# 6. A bad option: one line, status 2.
run_exit "bad option" 5 --no-such-option
grep -q "unknown option '--no-such-option'" "$UNIC_LOG" || unic_fail "no message for a bad option"

# 6b. The kernel command line: a line over 2047 bytes (here 2,100 blanks before an option) is
# refused with one message and status 2, not cut; a quoted service argument keeps its blanks
# and is not taken for a platform word (unic.crash=nx there would fault, status 3).
run_exit "over-long command line" 5 "$(printf '%2100s' '')" --no-such-option
grep -q "^hello: the kernel command line is longer than 2047 bytes" "$UNIC_LOG" ||
    unic_fail "over-long command line: no message"
run_exit "quoted service argument" 5 -- "'a   unic.crash=nx   b'"
grep -q "argument 'a   unic.crash=nx   b'" "$UNIC_LOG" ||
    unic_fail "quoted service argument: hello did not get 'a   unic.crash=nx   b' whole"
unic_pass "kernel command line: over-long refused (status 2), quoted argument kept whole"

# 7. Zero overhead: a UDP-only service carries no TCP code. resolve (a DNS client over UDP); not
# dns, which serves TCP too since DNS over TCP.
svc=$UNIC_KVM_BIN/resolve.elf
if [ -f "$svc" ]; then
    tcp=$(nm "$svc" | awk '$3 ~ /^tcp_/' | wc -l)
    unic_figure "resolve.elf: $tcp tcp_ symbols; hello.elf: $(nm "$hello" | awk '$3 ~ /^tcp_/' | wc -l)"
    [ "$tcp" -eq 0 ] || unic_fail "resolve.elf (UDP only) has $tcp tcp_ symbols: $(nm "$svc" | awk '$3 ~ /^tcp_/ {print $3}' | head -5 | tr '\n' ' ')"
    udp=$(nm "$svc" | awk '$3 ~ /^udp_/' | wc -l)
    [ "$udp" -gt 0 ] || unic_fail "resolve.elf has no udp_ symbols either: is nm reading the right file?"
else
    unic_log "no $svc yet: the nm check of a UDP-only service is skipped"
fi

unic_pass "kvm boot, ping, shutdown, faults, options and zero overhead (idle CPU $idle ms/10 s)"
