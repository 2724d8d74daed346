# Shared functions of the integration tests; sourced, never run. A test looks like:
#
#   #!/bin/bash
#   . "$(dirname "$0")/lib.sh"
#   unic_init "$1" ping            # platform (hosted|kvm) and test name; exit 77 if it cannot run
#   unic_netns                     # a fresh namespace $UNIC_NS with TAP $UNIC_TAP at $UNIC_HOST_IP
#   unic_start hello               # the service at $UNIC_SVC_IP; pid in $UNIC_PID
#   unic_wait_ready                # until it answers ping (bounded)
#   unic_ns ping -c 3 "$UNIC_SVC_IP"   # any command inside the namespace, with a time bound
#   unic_stop                      # SIGTERM, exit status in $UNIC_STATUS
#   unic_pass "what was shown"
#
# Everything a test creates (namespace, TAP, processes, temporary files) is removed by an EXIT
# trap, also when the test fails or is interrupted. Every wait is bounded in time. Addresses are
# 10.x.y.z and exist only inside the namespace; nothing is sent anywhere else.
#
# Environment: UNIC_HOSTED_BIN (default build/hosted/bin), UNIC_KVM_BIN (default build/kvm/bin),
# UNIC_SOURCE_DIR (default: two levels above this file), UNIC_KEEP=1 keeps the temporary
# directory (logs, captures) for inspection.

set -u

UNIC_SOURCE_DIR=${UNIC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
UNIC_HOSTED_BIN=${UNIC_HOSTED_BIN:-$UNIC_SOURCE_DIR/build/hosted/bin}
UNIC_KVM_BIN=${UNIC_KVM_BIN:-$UNIC_SOURCE_DIR/build/kvm/bin}
UNIC_QEMU_RUN=${UNIC_QEMU_RUN:-$UNIC_SOURCE_DIR/scripts/qemu-run}
UNIC_PLATFORM=""
UNIC_TEST=""
UNIC_NS=""
UNIC_TAP=unic0
UNIC_PID=""
UNIC_STATUS=""
UNIC_TMP=""
UNIC_LOG=""
UNIC_BG_PIDS=""

# Messages go to stderr, so that functions whose stdout is captured can still speak.
unic_log() {
    echo "[$UNIC_TEST.$UNIC_PLATFORM] $*" >&2
}

unic_skip() {
    unic_log "SKIP: $*"
    exit 77
}

# Fail the test: say why and show the end of the service's log. A service still running is
# asked to stop first (bounded 5 s), so the log ends with its statistics: a failure seen once
# in CI must be explainable from what it printed.
unic_fail() {
    local i
    unic_log "FAIL: $*"
    if [ -n "${UNIC_PID:-}" ] && unic_alive; then
        if [ "$UNIC_PLATFORM" = kvm ] && [ -S "${UNIC_QMP:-}" ]; then
            "$UNIC_QEMU_RUN" --powerdown "$UNIC_QMP" >/dev/null 2>&1
        else
            kill -TERM "$UNIC_PID" 2>/dev/null
        fi
        for ((i = 0; i < 50; i++)); do
            unic_alive || break
            sleep 0.1
        done
    fi
    if [ -n "$UNIC_LOG" ] && [ -s "$UNIC_LOG" ]; then
        unic_log "last lines of the service log ($UNIC_LOG):"
        tail -n 80 "$UNIC_LOG" | sed 's/^/    /'
    fi
    exit 1
}

unic_pass() {
    unic_log "PASS: $*"
}

# A figure worth reporting (loss, CPU time...): printed in one greppable form.
unic_figure() {
    unic_log "FIGURE: $*"
}

unic_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || unic_skip "needs $tool (see scripts/deps)"
    done
}

# unic_init PLATFORM TEST: check what the test needs; exit 77 when it cannot run here.
unic_init() {
    UNIC_PLATFORM=${1:-}
    UNIC_TEST=${2:-$(basename "$0" .sh)}
    case $UNIC_PLATFORM in
    hosted | kvm) ;;
    *)
        echo "usage: $0 hosted|kvm" >&2
        exit 2
        ;;
    esac
    [ "$(id -u)" -eq 0 ] || unic_skip "needs root (network namespaces)"
    unic_need ip ping timeout
    if [ "$UNIC_PLATFORM" = kvm ]; then
        [ -x "$UNIC_QEMU_RUN" ] || unic_skip "no $UNIC_QEMU_RUN yet"
        unic_need qemu-system-x86_64
    fi
    UNIC_TMP=$(mktemp -d "/tmp/unic-$UNIC_TEST-$UNIC_PLATFORM.XXXXXX")
    UNIC_LOG=$UNIC_TMP/service.log
    trap unic_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # A distinct 10.N.0.0/24 per run: not needed for isolation (each run has its own namespace)
    # but it keeps two runs' captures and logs apart when read side by side.
    local n=$(($$ % 250 + 1))
    UNIC_HOST_IP=10.$n.0.1
    UNIC_SVC_IP=10.$n.0.2
    UNIC_PREFIX=24
}

# The binary of service NAME for the current platform; skips when it was not built.
unic_service_binary() {
    local name=$1 bin
    if [ "$UNIC_PLATFORM" = hosted ]; then
        bin=$UNIC_HOSTED_BIN/$name
        [ -x "$bin" ] || unic_fail "$bin not built (cmake --build --preset hosted)"
    else
        bin=$UNIC_KVM_BIN/$name.elf
        [ -f "$bin" ] || unic_skip "$bin not built (cmake --preset kvm && cmake --build --preset kvm)"
    fi
    echo "$bin"
}

# unic_netns: a fresh namespace named after the test and this shell's pid, with the TAP.
unic_netns() {
    UNIC_NS=unic-$UNIC_TEST-$UNIC_PLATFORM-$$
    "$UNIC_SOURCE_DIR/scripts/netns" create "$UNIC_NS" "$UNIC_TAP" \
        "$UNIC_HOST_IP/$UNIC_PREFIX" || unic_fail "cannot create namespace $UNIC_NS"
}

# unic_netns6: IPv6 on the namespace's TAP (scripts/netns leaves it off so that the link stays
# quiet): Linux's link-local address and $UNIC_HOST_IP6/64 without duplicate address detection
# (usable at once), no router advertisements accepted. The service's addresses in this /64:
# $UNIC_SVC_IP6 (for --ip6); $UNIC_PREFIX6 is the prefix (fd00:N::). Call after unic_netns.
unic_netns6() {
    local n=$(($$ % 250 + 1))
    UNIC_PREFIX6=fd00:$n::
    UNIC_HOST_IP6=${UNIC_PREFIX6}1
    UNIC_SVC_IP6=${UNIC_PREFIX6}2
    ip netns exec "$UNIC_NS" sysctl -qw "net.ipv6.conf.$UNIC_TAP.accept_dad=0" \
        "net.ipv6.conf.$UNIC_TAP.accept_ra=0" "net.ipv6.conf.$UNIC_TAP.disable_ipv6=0" ||
        unic_fail "cannot enable IPv6 on $UNIC_TAP"
    ip -n "$UNIC_NS" addr add "$UNIC_HOST_IP6/64" dev "$UNIC_TAP" nodad ||
        unic_fail "cannot add $UNIC_HOST_IP6 to $UNIC_TAP"
}

# The link-local address (modified EUI-64, RFC 4291) of MAC $1 (aa:bb:cc:dd:ee:ff).
unic_eui64_ll() {
    local IFS=: m
    read -r -a m <<<"$1"
    printf 'fe80::%x:%x:%x:%x\n' $(((0x${m[0]} ^ 2) << 8 | 0x${m[1]})) $((0x${m[2]} << 8 | 0xff)) \
        $((0xfe << 8 | 0x${m[3]})) $((0x${m[4]} << 8 | 0x${m[5]}))
}

# unic_wait_ping6 ADDR [SECONDS]: until ADDR answers ping -6 (bounded; default 15 s, kvm 60 s).
unic_wait_ping6() {
    local addr=$1 limit=${2:-}
    if [ -z "$limit" ]; then
        limit=15
        [ "$UNIC_PLATFORM" = kvm ] && limit=60
    fi
    local end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        unic_alive || unic_fail "the service exited before answering (see log)"
        if unic_ns -t 5 ping -6 -c 1 -W 1 "$addr" >/dev/null 2>&1; then
            unic_log "$addr answers ping -6 after $((SECONDS - end + limit)) s"
            return 0
        fi
        sleep 0.2
    done
    unic_fail "no ping -6 answer from $addr within $limit s"
}

# unic_ns [-t SECONDS] CMD...: run CMD inside the namespace, killed after SECONDS (default 60).
unic_ns() {
    local limit=60
    if [ "$1" = -t ]; then
        limit=$2
        shift 2
    fi
    timeout -k 5 "$limit" ip netns exec "$UNIC_NS" "$@"
}

# unic_start NAME [unic options] [-- service args]: start the service on the TAP with
# --ip $UNIC_SVC_IP/24. Its output goes to $UNIC_LOG; its pid (the process itself, or QEMU)
# is $UNIC_PID.
unic_start() {
    local name=$1 bin
    shift
    bin=$(unic_service_binary "$name") || exit $?
    if [ "$UNIC_PLATFORM" = hosted ]; then
        # ip netns exec execs the command: $! is the service itself.
        ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "$@" \
            >"$UNIC_LOG" 2>&1 &
    else
        unic_start_kvm "$bin" "$@"
    fi
    UNIC_PID=$!
    unic_log "started $name (pid $UNIC_PID) at $UNIC_SVC_IP in $UNIC_NS"
}

# kvm: QEMU opens the TAP itself, inside the namespace. The interface of scripts/qemu-run:
#   qemu-run [--tap IF] [--timeout S] IMAGE.elf [kernel command line...]
# (it execs QEMU, so $! is QEMU's pid).
unic_start_kvm() {
    local bin=$1
    shift
    unic_boot "$bin" --ip "$UNIC_SVC_IP/$UNIC_PREFIX" "$@"
}

# unic_boot [qemu-run options] IMAGE [kernel command line...]: kvm: QEMU on the test's TAP, as
# given (unic_start adds --ip). A QMP socket lets unic_stop press the VM's power button: the
# guest then stops as a hosted service does on SIGTERM (service_stop, statistics printed)
# instead of being killed. Log in $UNIC_LOG, QEMU's pid in $UNIC_PID.
unic_boot() {
    UNIC_QMP=$UNIC_TMP/qmp.sock
    rm -f "$UNIC_QMP"
    ip netns exec "$UNIC_NS" "$UNIC_QEMU_RUN" --qmp "$UNIC_QMP" --tap "$UNIC_TAP" "$@" \
        >"$UNIC_LOG" 2>&1 &
    UNIC_PID=$!
}

# True while process $1 exists and is neither a zombie nor dead. A stat that reads empty (a
# process in the middle of exiting, seen under load) counts as gone.
unic_alive() {
    local pid=${1:-$UNIC_PID} state
    [ -n "$pid" ] || return 1
    state=$(sed "s/.*) //" "/proc/$pid/stat" 2>/dev/null | cut -d" " -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# unic_wait_ready [SECONDS]: until the service answers ping, or fail (also if it died).
unic_wait_ready() {
    local limit=${1:-}
    if [ -z "$limit" ]; then
        limit=10
        [ "$UNIC_PLATFORM" = kvm ] && limit=60
    fi
    local end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        unic_alive || unic_fail "the service exited before answering (see log)"
        if unic_ns -t 5 ping -c 1 -W 1 "$UNIC_SVC_IP" >/dev/null 2>&1; then
            unic_log "service answers ping after $((SECONDS - end + limit)) s"
            return 0
        fi
        sleep 0.2
    done
    unic_fail "no ping answer from $UNIC_SVC_IP within $limit s"
}

# unic_wait_exit SECONDS: true once the service (or QEMU) has ended, false after SECONDS.
unic_wait_exit() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        unic_alive || return 0
        sleep 0.1
    done
    ! unic_alive
}

# unic_stop [SECONDS]: SIGTERM (kvm: the power button, when there is a QMP socket; a test that
# wants SIGTERM for QEMU empties UNIC_QMP first), wait (default bound 10 s, kvm 30 s) for a
# clean exit; exit status in $UNIC_STATUS (kvm: the guest's own status when it ended through
# isa-debug-exit). Fails when the process does not end in time.
unic_stop() {
    local limit=${1:-} i
    if [ -z "$limit" ]; then
        limit=10
        [ "$UNIC_PLATFORM" = kvm ] && limit=30 # QEMU may take a while to tear down under load
    fi
    [ -n "$UNIC_PID" ] || return 0
    if [ "$UNIC_PLATFORM" = kvm ] && [ -S "${UNIC_QMP:-}" ] && unic_alive; then
        "$UNIC_QEMU_RUN" --powerdown "$UNIC_QMP" >/dev/null 2>&1 ||
            unic_fail "QMP power button failed ($UNIC_QMP)"
    else
        kill -TERM "$UNIC_PID" 2>/dev/null
    fi
    for ((i = 0; i < limit * 10; i++)); do
        unic_alive || break
        sleep 0.1
    done
    if unic_alive; then
        kill -KILL "$UNIC_PID" 2>/dev/null
        wait "$UNIC_PID" 2>/dev/null
        UNIC_PID=""
        unic_fail "the service did not stop within $limit s of SIGTERM"
    fi
    wait "$UNIC_PID" 2>/dev/null
    UNIC_STATUS=$?
    UNIC_PID=""
    # isa-debug-exit: QEMU's code is (guest status << 1) | 1; report the guest's own status.
    if [ "$UNIC_PLATFORM" = kvm ] && [ $((UNIC_STATUS & 1)) = 1 ]; then
        UNIC_STATUS=$((UNIC_STATUS >> 1))
    fi
}

# unic_bg CMD...: a helper process (tcpdump...) killed by the cleanup; pid in $UNIC_BG_PID.
unic_bg() {
    "$@" &
    UNIC_BG_PID=$!
    UNIC_BG_PIDS="$UNIC_BG_PIDS $UNIC_BG_PID"
}

# unic_capture FILE: tcpdump on the host side of the TAP, writing FILE until unic_capture_stop.
# Returns once tcpdump is listening (bounded), so no frame sent afterwards is missed.
unic_capture() {
    local file=$1 i
    unic_need tcpdump
    unic_bg ip netns exec "$UNIC_NS" tcpdump -i "$UNIC_TAP" --immediate-mode -U -s 0 -w "$file" \
        2>"$file.log"
    UNIC_CAPTURE_PID=$UNIC_BG_PID
    for ((i = 0; i < 50; i++)); do
        grep -q "listening on" "$file.log" 2>/dev/null && return 0
        sleep 0.1
    done
    unic_fail "tcpdump did not start: $(cat "$file.log")"
}

# tcpdump drops what is still in its kernel ring when interrupted: give it time to drain.
unic_capture_stop() {
    sleep 0.5
    kill -INT "$UNIC_CAPTURE_PID" 2>/dev/null
    wait "$UNIC_CAPTURE_PID" 2>/dev/null
}

# CPU time (utime + stime, all threads) of process $1 in milliseconds, from /proc/PID/stat.
unic_cpu_ms() {
    local ticks hz
    hz=$(getconf CLK_TCK)
    ticks=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
    echo $((ticks * 1000 / hz))
}

# Time on CPU of process $1 in microseconds, summed over its threads from schedstat (exact,
# where utime/stime count whole clock ticks); empty when the kernel has no schedstat.
unic_cpu_us() {
    local sum=0 ns f
    for f in /proc/"$1"/task/*/schedstat; do
        [ -r "$f" ] || return 0
        read -r ns _ <"$f"
        sum=$((sum + ns / 1000))
    done
    echo $sum
}

# Voluntary context switches of process $1 (wake-ups from sleep), all threads.
unic_wakeups() {
    local sum=0 n f
    for f in /proc/"$1"/task/*/status; do
        n=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "$f")
        sum=$((sum + n))
    done
    echo $sum
}

unic_cleanup() {
    local status=$?
    local pid i
    trap - EXIT INT TERM
    if [ -n "$UNIC_PID" ] && unic_alive "$UNIC_PID"; then
        kill -TERM "$UNIC_PID" 2>/dev/null
        for ((i = 0; i < 30; i++)); do
            unic_alive "$UNIC_PID" || break
            sleep 0.1
        done
        kill -KILL "$UNIC_PID" 2>/dev/null
        wait "$UNIC_PID" 2>/dev/null
    fi
    for pid in $UNIC_BG_PIDS; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if [ -n "$UNIC_NS" ]; then
        "$UNIC_SOURCE_DIR/scripts/netns" delete "$UNIC_NS" 2>/dev/null ||
            unic_log "warning: could not delete namespace $UNIC_NS"
    fi
    if [ -n "$UNIC_TMP" ]; then
        if [ "${UNIC_KEEP:-0}" = 1 ] || { [ $status -ne 0 ] && [ $status -ne 77 ]; }; then
            unic_log "logs kept in $UNIC_TMP"
        else
            rm -rf "$UNIC_TMP"
        fi
    fi
    exit $status
}
