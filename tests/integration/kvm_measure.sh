#!/bin/bash
# ctest: serial
# kvm_measure: figures of the kvm images, printed as FIGURE lines (nothing here is timed
# against a limit; only missing output fails):
#  - stripped image sizes (dns, hello, kvm-empty);
#  - QEMU launch -> first ping reply from hello (microvm), median of 5 boots, beside launch ->
#    exit of kvm-empty.elf (an image that only exits: the floor);
#  - in-guest time from the first instruction to unic_main, and to the event loop's first wait
#    (service_start done), as the kernel prints them;
#  - QEMU's CPU time over 10 s of an idle hello.
# The guest's MAC is put in the namespace's neighbour table first, so no ARP retry (1 s) hides
# in the launch-to-reply time. UNIC_ACCEL=tcg|kvm as for qemu-run. Usage: kvm_measure.sh kvm
. "$(dirname "$0")/lib.sh"
if [ "${1:-}" = hosted ]; then
    echo "[kvm_measure.hosted] SKIP: a kvm-only test"
    exit 77
fi
unic_init "$1" kvm_measure
unic_need strip awk sort

hello=$(unic_service_binary hello)
if [ "${UNIC_ACCEL:-}" = kvm ] && [ -d /sys/module/kvm_pvm ]; then
    unic_skip "UNIC_ACCEL=kvm, but /dev/kvm is PVM here (kvm_pvm), which cannot run this guest: its emulator stops at the first SSE instruction (see src/platform/kvm/README.md)"
fi
empty=$UNIC_KVM_BIN/kvm-empty.elf
[ -f "$empty" ] || unic_skip "$empty not built"
accel=$("$UNIC_QEMU_RUN" --print --no-net "$empty" | grep -o 'accel [a-z]*' | cut -d' ' -f2)
unic_log "accelerator: $accel"

for img in "$UNIC_KVM_BIN"/dns.elf "$hello" "$empty"; do
    [ -f "$img" ] || continue
    strip -o "$UNIC_TMP/stripped.elf" "$img"
    unic_figure "$(basename "$img") stripped: $(stat -c %s "$UNIC_TMP/stripped.elf") bytes (unstripped $(stat -c %s "$img"))"
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The floor: launch -> exit of an image that does nothing else.
for i in 1 2 3 4 5; do
    t0=$(now_ms)
    "$UNIC_QEMU_RUN" --no-net "$empty" >/dev/null 2>&1
    echo $(($(now_ms) - t0))
done >"$UNIC_TMP/empty.ms"
unic_figure "kvm-empty.elf launch->exit ($accel, microvm): median $(median <"$UNIC_TMP/empty.ms") ms of 5: $(tr '\n' ' ' <"$UNIC_TMP/empty.ms")"

unic_netns
unic_ns ip neigh replace "$UNIC_SVC_IP" lladdr 52:54:00:12:34:56 dev "$UNIC_TAP" nud permanent
for i in 1 2 3 4 5; do
    t0=$(now_ms)
    unic_boot "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX"
    # -D: each reply's arrival time; pings every 2 ms until the first answer (bounded).
    first=$(unic_ns -t 70 ping -D -n -i 0.002 -W 1 -w 60 -c 1 "$UNIC_SVC_IP" 2>/dev/null |
        grep -o -m1 '^\[[0-9.]*\] [0-9]* bytes from' | tr -d '[]' | cut -d' ' -f1)
    [ -n "$first" ] || unic_fail "no ping reply within 60 s"
    echo $((${first/./} / 1000 - t0)) >>"$UNIC_TMP/hello.ms"
    grep 'entry to unic_main' "$UNIC_LOG" | grep -o 'in [0-9]* us' | grep -o '[0-9]*' >>"$UNIC_TMP/main.us"
    grep 'entry to the event loop' "$UNIC_LOG" | grep -o 'in [0-9]* us' | grep -o '[0-9]*' >>"$UNIC_TMP/loop.us"
    unic_stop
done
unic_figure "hello launch->first ping reply ($accel, microvm): median $(median <"$UNIC_TMP/hello.ms") ms of 5: $(tr '\n' ' ' <"$UNIC_TMP/hello.ms")"
[ -s "$UNIC_TMP/main.us" ] && [ -s "$UNIC_TMP/loop.us" ] || unic_fail "the kernel did not print its boot times"
unic_figure "hello in-guest entry->unic_main: median $(median <"$UNIC_TMP/main.us") us of 5: $(tr '\n' ' ' <"$UNIC_TMP/main.us")"
unic_figure "hello in-guest entry->event loop (service started): median $(median <"$UNIC_TMP/loop.us") us of 5: $(tr '\n' ' ' <"$UNIC_TMP/loop.us")"

unic_boot "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX"
unic_wait_ready
sleep 1
cpu0=$(unic_cpu_ms "$UNIC_PID")
sleep 10
unic_alive || unic_fail "QEMU died while idle"
unic_figure "hello idle 10 s ($accel, microvm): QEMU utime+stime=$(($(unic_cpu_ms "$UNIC_PID") - cpu0)) ms"
unic_stop
unic_pass "figures above"
