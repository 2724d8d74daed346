#!/bin/bash
# ECN (RFC 3168) against the real Linux stack, with examples/echo, in a namespace of its own.
# Linux there asks for ECN (net.ipv4.tcp_ecn = 1); the service agrees (its default) and its
# NIC wrapper marks 2% of the ECN-capable packets each way Congestion Experienced, as an AQM
# router would (--ce 0.02). Over IPv4 and IPv6, N MB through echo (port 7):
#  - what comes back is intact (sha256) and nothing was lost, so nothing is retransmitted;
#  - the connection agreed on ECN (stats tcp: ecn_conns);
#  - Linux's marked data reached the service (rx_ecn_ce) and its echo reached Linux, which
#    counted the CE-marked segments it delivered (TcpExtTCPDeliveredCE);
#  - the service's marked data reached Linux (IpExtInCEPkts, Ip6InCEPkts), Linux echoed it and
#    the service reduced its window (ecn_reductions) and said so (CWR);
#  - with Linux not asking (tcp_ecn = 0): no ECN at all.
# Usage: ecn.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" ecn
unic_need nc sha256sum head awk nstat sysctl
if [ "$UNIC_PLATFORM" = kvm ]; then
    [ -f "$UNIC_KVM_BIN/echo.elf" ] || unic_skip "no $UNIC_KVM_BIN/echo.elf"
fi
MB=${ECN_MB:-4}
data=$UNIC_TMP/data
head -c $((MB * 1024 * 1024)) /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)

unic_netns
unic_netns6
SVC6=$UNIC_SVC_IP6

# tcp_stat NAME: the service's counter from its last "stats tcp:" line (absent: 0).
tcp_stat() {
    grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1 | tr ' ' '\n' |
        awk -F= -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# linux_stat NAME: the namespace's counter (nstat, absolute, history untouched).
linux_stat() {
    unic_ns -t 5 nstat -asz "$1" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# echo_through ADDR FAMILY-FLAG: N MB through echo, intact.
echo_through() {
    local got
    got=$(unic_ns -t 240 sh -c "nc $2 -N $1 7 <'$data' | sha256sum" | cut -d' ' -f1)
    [ "$got" = "$want" ] || unic_fail "echo via $1 returned sha256 $got, sent $want"
}

stop() {
    sleep 1
    unic_stop 30
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS"
    unic_figure "$1: $(grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1)"
}

unic_ns -t 5 sysctl -qw net.ipv4.tcp_ecn=1 || unic_fail "cannot set net.ipv4.tcp_ecn in $UNIC_NS"
unic_start echo --ip6 "$SVC6/64" --ce 0.02 --seed 5
unic_wait_ready
unic_wait_ping6 "$SVC6"
delivered_ce0=$(linux_stat TcpExtTCPDeliveredCE)
echo_through "$UNIC_SVC_IP" -4
echo_through "$SVC6" -6
delivered_ce=$(($(linux_stat TcpExtTCPDeliveredCE) - delivered_ce0))
in_ce4=$(linux_stat IpExtInCEPkts) in_ce6=$(linux_stat Ip6InCEPkts)
stop "Linux asking for ECN, 2% marked"
conns=$(tcp_stat ecn_conns) rx_ce=$(tcp_stat rx_ecn_ce) reductions=$(tcp_stat ecn_reductions)
rtx=$(tcp_stat tx_retransmits)
unic_figure "unic: ecn_conns=$conns rx_ecn_ce=$rx_ce ecn_reductions=$reductions tx_retransmits=$rtx; Linux: TCPDeliveredCE=$delivered_ce InCEPkts=$in_ce4 (IPv4) $in_ce6 (IPv6)"
[ "$conns" -ge 2 ] || unic_fail "ECN agreed on $conns connections, want both"
[ "$rx_ce" -gt 0 ] && [ "$delivered_ce" -gt 0 ] ||
    unic_fail "Linux's CE marks not echoed back to it (rx_ecn_ce=$rx_ce, TCPDeliveredCE=$delivered_ce)"
[ "$in_ce4" -gt 0 ] && [ "$in_ce6" -gt 0 ] && [ "$reductions" -gt 0 ] ||
    unic_fail "our CE marks not answered (InCEPkts $in_ce4 / $in_ce6, ecn_reductions=$reductions)"
[ "$rtx" = 0 ] || unic_fail "$rtx retransmissions with no loss on the link"
unic_pass "ECN agreed with Linux over IPv4 and IPv6; marks echoed and answered both ways, nothing resent"

unic_ns -t 5 sysctl -qw net.ipv4.tcp_ecn=0
unic_start echo --ce 0.02 --seed 5
unic_wait_ready
echo_through "$UNIC_SVC_IP" -4
stop "Linux not asking"
[ "$(tcp_stat ecn_conns)" = 0 ] && [ "$(tcp_stat rx_ecn_ce)" = 0 ] ||
    unic_fail "ECN without Linux asking: $(grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1)"
unic_pass "no ECN when Linux does not ask"
