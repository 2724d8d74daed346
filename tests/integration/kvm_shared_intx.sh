#!/bin/bash
# kvm_shared_intx: two legacy virtio-net-pci devices on q35 in PCI slots 3 and 7, which share
# one INTx line (PIRQD), each on its own TAP in this test's namespace. INTx is level-triggered
# and shared (PCI 3.0 2.2.6; virtio 1.x 4.1.4.5: reading ISR lowers it): the platform must
# acknowledge every NIC on the line whichever vector the line carries. Before, the line was
# edge-triggered and the last NIC routed owned its vector: NIC 0's interrupts arrived as NIC
# 1's, NIC 0 was never acknowledged, its line stayed high and it never received again.
#  - both NICs are found on the same line (boot log: "gsi N");
#  - while a stream of frames arrives at NIC 1 (which the stack does not serve: it uses NIC 0,
#    so both devices raise the line), 20 pings to NIC 0 all answered, and 5 more afterwards;
#  - the power button ends the guest with status 0.
# Usage: kvm_shared_intx.sh hosted|kvm (hosted: skipped).
. "$(dirname "$0")/lib.sh"
if [ "${1:-}" = hosted ]; then
    echo "[kvm_shared_intx.hosted] SKIP: a kvm-only test"
    exit 77
fi
unic_init "$1" kvm_shared_intx
if [ "${UNIC_ACCEL:-}" = kvm ] && [ -d /sys/module/kvm_pvm ]; then
    unic_skip "UNIC_ACCEL=kvm, but /dev/kvm is PVM here (see src/platform/kvm/README.md)"
fi
hello=$(unic_service_binary hello)
unic_netns
tap2=unic1
nic1_ip=${UNIC_HOST_IP%.0.1}.1.2
unic_ns ip tuntap add dev "$tap2" mode tap || unic_fail "cannot create $tap2"
unic_ns ip addr add "${UNIC_HOST_IP%.0.1}.1.1/24" dev "$tap2"
unic_ns ip link set "$tap2" up

UNIC_QMP=$UNIC_TMP/qmp.sock
ip netns exec "$UNIC_NS" "$UNIC_QEMU_RUN" -M q35 --legacy --qmp "$UNIC_QMP" \
    --tap "$UNIC_TAP" --nic-addr 3 --tap "$tap2" --nic-addr 7 \
    "$hello" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" >"$UNIC_LOG" 2>&1 &
UNIC_PID=$!
unic_log "started QEMU (pid $UNIC_PID) with two legacy NICs in slots 3 and 7"
unic_wait_ready

gsi0=$(sed -n 's/^kvm: net0 virtio-pci-legacy (intx) .* gsi \([0-9]*\).*$/\1/p' "$UNIC_LOG")
gsi1=$(sed -n 's/^kvm: net1 virtio-pci-legacy (intx) .* gsi \([0-9]*\).*$/\1/p' "$UNIC_LOG")
[ -n "$gsi0" ] && [ "$gsi0" = "$gsi1" ] ||
    unic_fail "the two legacy NICs are not on one INTx line (net0 gsi '$gsi0', net1 gsi '$gsi1')"
unic_figure "net0 and net1 share INTx line (gsi $gsi0)"

# ping_ok COUNT WHAT: COUNT pings to NIC 0, all answered.
ping_ok() {
    local out rx
    out=$(unic_ns -t 60 ping -q -c "$1" -i 0.1 -W 2 "$UNIC_SVC_IP" 2>&1)
    rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
    unic_figure "$2: $1 pings to net0, ${rx:-0} replies"
    [ "${rx:-0}" = "$1" ] || unic_fail "$2: expected $1 replies: $out"
}

# Frames for NIC 1 (its MAC is QEMU's second default one): nothing answers them.
unic_ns ip neigh replace "$nic1_ip" lladdr 52:54:00:12:34:57 dev "$tap2" nud permanent
unic_ns -t 30 ping -q -i 0.005 -c 1000 "$nic1_ip" >/dev/null 2>&1 &
stream=$!
ping_ok 20 "during a stream to net1"
wait "$stream"
ping_ok 5 "after the stream"

unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "guest status $UNIC_STATUS after the power button, expected 0"
grep -q "^stats kvm.net0: rx=[1-9]" "$UNIC_LOG" || unic_fail "no frames counted on net0"
unic_pass "two NICs on one INTx line (gsi $gsi0): net0 answered every ping while net1 received a stream"
