#!/bin/bash
# kvm_no_sse: the kvm images carry no SSE, AVX, MMX or x87 instruction. The kernel keeps the
# FPU out of its own code (-mgeneral-regs-only): no FPU state to save around interrupts, and a
# hypervisor that emulates guest instructions (PVM) stops at the first SSE one. Every image in
# $UNIC_KVM_BIN (default build/kvm/bin) is disassembled; any instruction naming an
# xmm/ymm/zmm/mm/st register, an x87 one (its mnemonic starts with f) or ldmxcsr, stmxcsr,
# emms fails the test, listed with its address and function.
# Usage: kvm_no_sse.sh hosted|kvm (hosted: skipped). Needs no root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${UNIC_KVM_BIN:-$here/../../build/kvm/bin}
if [ "${1:-}" != kvm ]; then
    echo "[kvm_no_sse.${1:-}] SKIP: a kvm-only test"
    exit 77
fi
command -v objdump >/dev/null || { echo "[kvm_no_sse.kvm] SKIP: needs objdump"; exit 77; }
shopt -s nullglob
images=("$bin"/*.elf)
[ ${#images[@]} -gt 0 ] || { echo "[kvm_no_sse.kvm] SKIP: no image in $bin"; exit 77; }
status=0
for image in "${images[@]}"; do
    found=$(objdump -d --no-show-raw-insn "$image" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2 }
        /^ *[0-9a-f]+:\t/ {
            split($0, f, "\t")
            insn = f[2]
            split(insn, w, " ")
            if (insn ~ /%([xyz]mm|mm|st)/ || w[1] ~ /^f/ || w[1] ~ /^(ldmxcsr|stmxcsr|emms)$/)
                print "    " f[1] " " fn " " insn
        }')
    count=$(printf '%s' "$found" | grep -c .)
    echo "[kvm_no_sse.kvm] FIGURE: $(basename "$image"): $count SSE/x87 instructions"
    if [ "$count" -gt 0 ]; then
        printf '%s\n' "$found" | head -10
        status=1
    fi
done
[ $status = 0 ] && echo "[kvm_no_sse.kvm] PASS: ${#images[@]} images, no SSE/x87 instruction"
[ $status = 0 ] || echo "[kvm_no_sse.kvm] FAIL: SSE/x87 instructions in the images"
exit $status
