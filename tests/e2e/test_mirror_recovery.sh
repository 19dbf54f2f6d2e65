#!/usr/bin/env bash
# test_mirror_recovery.sh TRAWL -- capture in another network namespace (--netns) and interface
# recovery (issue 8): an interface missing at start, taken down and up, deleted and created again.
#
# trawl runs in the test's own namespace with --netns NS -i X (X in NS), --dump DIR, and
# --iface-retry 1; X does not exist yet. Then, inside NS:
#   phase 1: the veth pair X/Y is created: trawl logs "capture resumed"; 50 datagrams sent from Y
#            (to a made-up neighbour) arrive on X;
#   phase 2: X goes down, then up again: capture resumes; 50 more datagrams;
#   phase 3: the pair is deleted and created again: capture resumes; 50 more datagrams.
# Checks: each phase's resume is logged; the summary counts iface_lost >= 3 and reopens >= 3;
# the dump holds all 150 datagrams (each unique), read by tshark; trawl exits 0 on SIGTERM.
# Phase 4: --netns PID (a process inside NS, as for a container) and -f "src host nic.Y" (the
# filter names an interface that exists only in NS): the 50 datagrams of that phase are dumped.
# Phase 5: trawl inside NS as the default user (nobody, CAP_NET_RAW kept): down/up, reopened.
# Phases 1-4 --user root: entering NS (--netns) needs CAP_SYS_ADMIN, not kept (docs/mirror.md).
set -u
# shellcheck disable=SC2317
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init mirror_recovery "$@"
e2e_need_root "network namespaces and AF_PACKET"
e2e_need_cmd ip tshark
MPY="$(dirname "$0")/mirror.py"

NS="trawl-mr-$$" X="tmrX$$" Y="tmrY$$"
e2e_netns_trap "$NS"
ip netns add "$NS" || e2e_skip "cannot create a namespace"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link set lo up

make_pair() {
  ip -n "$NS" link add "$X" type veth peer name "$Y" || e2e_die "cannot create the veth pair"
  ip -n "$NS" addr add 10.210.1.2/24 dev "$Y"
  ip -n "$NS" link set "$X" up
  ip -n "$NS" link set "$Y" up
  ip -n "$NS" neigh replace 10.210.1.9 lladdr 02:00:00:00:10:09 dev "$Y" nud permanent
}
send() { # send PHASE: 50 unique datagrams Y -> X
  ip netns exec "$NS" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"trawl-recovery phase %s datagram %d" % (sys.argv[1].encode(), i), ("10.210.1.9", 9))
    time.sleep(0.005)
' "$1"
}
resumed() { [ "$(grep -c 'capture resumed' "$WORK/trawl.log")" -ge "$1" ]; }
# the pair carries traffic only once both ends are operationally up (veth carrier)
pair_up() {
  [ "$(ip netns exec "$NS" cat "/sys/class/net/$X/operstate" 2>/dev/null)" = up ] &&
    [ "$(ip netns exec "$NS" cat "/sys/class/net/$Y/operstate" 2>/dev/null)" = up ]
}

mkdir -p "$WORK/dump"
e2e_bg trawl "$TRAWL" -v --netns "$NS" -i "$X" --iface-retry 1 --user root --dump "$WORK/dump"
e2e_wait_for 10 grep -q 'no such interface; checking again every 1 s' "$WORK/trawl.log"
e2e_eq "1. an interface missing at start is waited for (logged)" 0 "$?"

make_pair
e2e_wait_for 10 resumed 1
e2e_eq "2. phase 1: capture starts when the interface appears" 0 "$?"
e2e_wait_for 10 pair_up
sleep "$(e2e_secs 0.5)"
send 1
sleep "$(e2e_secs 0.5)"   # frames still in the ring when the interface goes are lost with it

ip -n "$NS" link set "$X" down
e2e_wait_for 10 grep -q 'capture paused' "$WORK/trawl.log"
e2e_eq "3. phase 2: the interface going down pauses capture (logged)" 0 "$?"
ip -n "$NS" link set "$X" up
e2e_wait_for 10 resumed 2
e2e_eq "4. phase 2: capture resumes when it is up again" 0 "$?"
e2e_wait_for 10 pair_up
sleep "$(e2e_secs 0.5)"
send 2
sleep "$(e2e_secs 0.5)"

ip -n "$NS" link del "$X"
sleep "$(e2e_secs 1.5)"
make_pair
e2e_wait_for 10 resumed 3
e2e_eq "5. phase 3: capture resumes on the re-created interface" 0 "$?"
e2e_wait_for 10 pair_up
sleep "$(e2e_secs 0.5)"
send 3
sleep "$(e2e_secs 0.5)"

pid="$(cat "$WORK/trawl.pid")"
kill -TERM "$pid"; e2e_wait_for 10 e2e_dead "$pid"; wait "$pid"; trc=$?
e2e_stop trawl
e2e_no_sanitizer_report trawl
e2e_eq "6. trawl exits 0 on SIGTERM" 0 "$trc"
lost="$(e2e_summary "$WORK/trawl.log" "iface:$X.iface_lost")"
reopens="$(e2e_summary "$WORK/trawl.log" "iface:$X.reopens")"
e2e_check "7. summary: iface_lost ${lost:-absent} >= 3, reopens ${reopens:-absent} >= 3" \
  test "${lost:-0}" -ge 3 -a "${reopens:-0}" -ge 3
for f in "$WORK"/dump/*; do "$PY" "$MPY" frames "$f"; done >"$WORK/frames.txt"
marker="$(printf 'trawl-recovery' | od -An -tx1 | tr -d ' \n')"
got="$(grep "$marker" "$WORK/frames.txt" | sort -u | wc -l)"
e2e_eq "8. the dump holds all 150 datagrams of the 3 phases" 150 "$got"

# phase 4: the namespace named by a process in it (a container's PID), and a filter naming an
# interface of that namespace: "src host nic.Y" must become Y's address there (10.210.1.2)
e2e_bg holder ip netns exec "$NS" sleep 600
hpid="$(cat "$WORK/holder.pid")"
mkdir -p "$WORK/dump4"
e2e_bg trawl4 "$TRAWL" -v --netns "$hpid" -i "$X" -f "src host nic.$Y" --user root --dump "$WORK/dump4"
sleep "$(e2e_secs 1.5)"
send 4
sleep "$(e2e_secs 0.5)"
e2e_stop trawl4
e2e_stop holder
e2e_no_sanitizer_report trawl4
for f in "$WORK"/dump4/*; do "$PY" "$MPY" frames "$f"; done >"$WORK/frames4.txt"
got="$(grep -c "$marker" "$WORK/frames4.txt")"
e2e_eq "9. --netns PID with -f 'src host nic.Y': the 50 datagrams from Y's address" 50 "$got"

# phase 5: the default --user (nobody) keeps CAP_NET_RAW alone, which is enough to reopen the
# capture after the interface went down and up (trawl runs inside NS, so no setns is needed)
chmod 0711 "$WORK"
mkdir -p "$WORK/dump5" && chmod 0777 "$WORK/dump5"
e2e_bg trawl5 ip netns exec "$NS" "$TRAWL" -v -i "$X" --iface-retry 1 --dump "$WORK/dump5"
e2e_wait_for 10 grep -q 'running as nobody with CAP_NET_RAW only' "$WORK/trawl5.log"
e2e_eq "10. dropped to nobody, CAP_NET_RAW kept (logged)" 0 "$?"
ip -n "$NS" link set "$X" down
e2e_wait_for 10 grep -q 'capture paused' "$WORK/trawl5.log"
ip -n "$NS" link set "$X" up
e2e_wait_for 10 grep -q 'capture resumed' "$WORK/trawl5.log"
e2e_eq "11. as nobody, capture resumes after down/up" 0 "$?"
e2e_wait_for 10 pair_up
sleep "$(e2e_secs 0.5)"
send 5
sleep "$(e2e_secs 0.5)"
e2e_stop trawl5
e2e_no_sanitizer_report trawl5
for f in "$WORK"/dump5/*; do "$PY" "$MPY" frames "$f"; done >"$WORK/frames5.txt"
got="$(grep -c "$marker" "$WORK/frames5.txt")"
e2e_eq "12. as nobody, the 50 datagrams sent after the reopen are dumped" 50 "$got"
e2e_done
