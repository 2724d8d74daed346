#!/bin/bash
# kvm_devices: where the kvm image finds its devices and its entropy. In this test's own
# namespace, on its TAP, hello.elf under QEMU:
#  - microvm with ACPI (QEMU names no device on the kernel command line): the NIC found by
#    probing the slots answers ping; its slot's virtio_mmio.device=512@ADDR:GSI word, given by
#    hand, is then the only source: the NIC is found there and answers ping, and a word for an
#    empty slot leaves the image without a NIC (the slots are not probed when words are given);
#  - entropy (-cpu qemu64: no RDRAND/RDSEED): with virtio-rng (scripts/qemu-run adds it;
#    microvm and q35) the image says "entropy from virtio-rng" and answers ping; without it the
#    image stops with status 1 and says what to do; with --allow-weak-random it runs, warned.
# Usage: kvm_devices.sh hosted|kvm (hosted: skipped)
. "$(dirname "$0")/lib.sh"
if [ "${1:-}" = hosted ]; then
    echo "[kvm_devices.hosted] SKIP: a kvm-only test"
    exit 77
fi
unic_init "$1" kvm_devices
hello=$(unic_service_binary hello)
unic_netns

# boot_ping WHAT [qemu-run options] -- [kernel command line]: boots, answers ping, powered down.
boot_ping() {
    local what=$1 opts=()
    shift
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    unic_boot "${opts[@]}" "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "$@"
    unic_wait_ready 60
    unic_stop
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "$what: exit status $UNIC_STATUS"
    unic_log "$what: answered ping"
}

# boot_exit WHAT STATUS [qemu-run options] -- [kernel command line]: the guest ends by itself.
boot_exit() {
    local what=$1 want=$2 opts=() code
    shift 2
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    unic_boot "${opts[@]}" "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "$@"
    unic_wait_exit 60 || unic_fail "$what: the guest did not end within 60 s"
    wait "$UNIC_PID"
    code=$?
    UNIC_PID=""
    [ "$code" -eq $((want << 1 | 1)) ] || unic_fail "$what: QEMU exit code $code, expected status $want"
}

# 1. Devices from the command line only (the first boot probes the slots, and has no RDRAND).
boot_ping "microvm, slots probed, qemu64 + virtio-rng" -M microvm --cpu qemu64 --
grep -q "kvm: entropy from virtio-rng" "$UNIC_LOG" || unic_fail "microvm: no entropy from virtio-rng"
gsi=$(grep -o 'net0 virtio-mmio.* gsi [0-9]*' "$UNIC_LOG" | grep -o '[0-9]*$')
[ -n "$gsi" ] && [ "$gsi" -ge 24 ] || unic_fail "no net0 on a microvm slot of the second IOAPIC (gsi '$gsi')"
slot=$((gsi - 24))
addr=$(printf '0x%x' $((0xfeb00000 + slot * 512)))
boot_ping "microvm, virtio_mmio.device=512@$addr:$gsi only" -M microvm -- "virtio_mmio.device=512@$addr:$gsi"
grep -q "net0 virtio-mmio.* gsi $gsi" "$UNIC_LOG" || unic_fail "the named device is not net0 at gsi $gsi"
empty=$(printf '0x%x' $((0xfeb00000 + (slot == 0 ? 1 : 0) * 512)))
boot_exit "a word for an empty slot" 1 -M microvm -- "virtio_mmio.device=512@$empty:$((slot == 0 ? 25 : 24))"
grep -q "no virtio-net device found" "$UNIC_LOG" ||
    unic_fail "a word for an empty slot: the slots were probed anyway"

# 2. Entropy (microvm with virtio-rng: the first boot).
boot_ping "q35, qemu64 + virtio-rng-pci" -M q35 --cpu qemu64 --
grep -q "kvm: entropy from virtio-rng" "$UNIC_LOG" || unic_fail "q35: no entropy from virtio-rng"
boot_exit "qemu64, no virtio-rng" 1 -M microvm --cpu qemu64 --no-rng --
grep -q "hello: no entropy source (no RDRAND/RDSEED, no virtio-rng device)" "$UNIC_LOG" ||
    unic_fail "no entropy: not said"
boot_ping "qemu64, no virtio-rng, --allow-weak-random" -M microvm --cpu qemu64 --no-rng -- --allow-weak-random
grep -q "random numbers are weak (--allow-weak-random)" "$UNIC_LOG" || unic_fail "weak random: not said"

unic_pass "a NIC from virtio_mmio.device= only (gsi $gsi), none from a word for an empty slot; entropy from virtio-rng (mmio, pci) without RDRAND, an error without it unless --allow-weak-random"
