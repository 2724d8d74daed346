#!/bin/bash
# Counters on demand while a service runs (echo, which also prints its own "stats echo:" line):
#  - both platforms: --stats-interval 1 prints every counter ("stats loop:", "stats pool:",
#    "stats echo:", ..., one line per group; kvm also "stats kvm.net0:" and "stats kvm.heap:")
#    at least twice within the run, and the service keeps answering;
#  - hosted: SIGUSR1 prints them once more, at once, and the service keeps answering (ping and
#    a TCP echo), then stops with status 0 and the counters at exit.
# Usage: stats.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" stats
unic_need nc
unic_netns

# count GROUP: how many "stats GROUP:" lines the service printed so far.
count() {
    tr -d '\r' <"$UNIC_LOG" | grep -c "^stats $1:"
}

# wait_count GROUP N SECONDS: until at least N "stats GROUP:" lines, or fail.
wait_count() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(count "$1")" -ge "$2" ] && return 0
        unic_alive || unic_fail "the service exited"
        sleep 0.1
    done
    unic_fail "$(count "$1") 'stats $1:' lines after $3 s, expected $2"
}

still_serves() {
    unic_ns -t 20 ping -c 2 -i 0.2 -W 2 "$UNIC_SVC_IP" >/dev/null || unic_fail "no ping answer $1"
    local got
    got=$(unic_ns -t 20 sh -c "echo still here | nc -N -w 10 $UNIC_SVC_IP 7" 2>/dev/null)
    [ "$got" = "still here" ] || unic_fail "no TCP echo $1 (got '$got')"
}

unic_start echo --stats-interval 1
unic_wait_ready
still_serves "before the counters"
limit=5
[ "$UNIC_PLATFORM" = kvm ] && limit=30
before=$(count loop)
wait_count loop $((before + 2)) $limit
groups="pool echo ip4 tcp"
[ "$UNIC_PLATFORM" = kvm ] && groups="$groups kvm.net0 kvm.heap" # the platform's, with the rest
for group in $groups; do
    [ "$(count $group)" -ge 2 ] || unic_fail "no periodic 'stats $group:' line"
done
unic_log "--stats-interval 1: $(count loop) 'stats loop:' lines while running"
still_serves "after the periodic counters"

if [ "$UNIC_PLATFORM" = hosted ]; then
    # The interval keeps printing: stop it from muddying the count with a second service.
    unic_stop
    unic_start echo
    unic_wait_ready
    [ "$(count loop)" -eq 0 ] || unic_fail "counters printed without being asked"
    kill -USR1 "$UNIC_PID"
    wait_count loop 1 5
    for group in pool echo ip4 icmp; do
        [ "$(count $group)" -eq 1 ] || unic_fail "SIGUSR1: $(count $group) 'stats $group:' lines, expected 1"
    done
    unic_log "SIGUSR1: $(tr -d '\r' <"$UNIC_LOG" | grep -c '^stats ') stats lines"
    still_serves "after SIGUSR1"
    kill -USR1 "$UNIC_PID"
    wait_count loop 2 5
fi
unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS"
unic_pass "counters while running ($(count loop) 'stats loop:' lines in all), the service kept serving"
