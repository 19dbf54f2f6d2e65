#!/usr/bin/env bash
# test_live_netns.sh TRAWL - live capture on a veth pair between two network
# namespaces this test creates (and removes):
#   ns "cap" (10.203.0.1) runs trawl -i veth-cap; ns "peer" (10.203.0.2) sends
#   SIP over UDP to cap and runs a HEP sink that trawl sends to, so trawl's own
#   HEP leaves through the very interface it captures.
# Checks: every SIP message arrives once at the sink as HEP, trawl never
# captures its own HEP (decoded == SIP count), SIGUSR1 prints the summary
# while running, SIGTERM ends the run cleanly with exit 0, and a user filter
# (-f) is combined with the self-exclusion; started as root, trawl runs on as
# nobody once the interface is open.
# Exit 77 (skipped) without root or ip netns.
set -u
trawl=$1
mult=${TRAWL_TIMEOUT_MULT:-1}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null || { echo "skip: iproute2 missing"; exit 77; }
tag=t$$
ns_cap=trawl-cap-$tag ns_peer=trawl-peer-$tag
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$ns_cap" 2>/dev/null
  ip netns del "$ns_peer" 2>/dev/null
  if [ "${failed:-0}" != 0 ] || [ -n "${TRAWL_E2E_KEEP:-}" ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
pass=0 failed=0
check() { if eval "$2"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi; }

ip netns add "$ns_cap" && ip netns add "$ns_peer" || { echo "skip: cannot create namespaces"; exit 77; }
# shellcheck source-path=SCRIPTDIR source=veth.sh
. "$(dirname "$0")/veth.sh"
veth_link "$ns_cap" "veth-$tag" 10.203.0.1 "$ns_peer" "vpeer-$tag" 10.203.0.2 ||
  { echo "skip: cannot create a veth pair"; exit 77; }

# HEP sink in the peer namespace: counts HEP3 datagrams and SIP Call-IDs in them
cat >"$work/sink.py" <<'PY'
import socket, sys, signal
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("10.203.0.2", 9060))
out = open(sys.argv[1], "w")
def stop(*_):
    out.close(); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    d = s.recv(70000)
    if d[:4] != b"HEP3":
        out.write("notHEP\n"); out.flush(); continue
    i = d.find(b"Call-ID: ")
    cid = d[i + 9:d.find(b"\r\n", i)].decode() if i >= 0 else "-"
    out.write(cid + "\n"); out.flush()
PY
ip netns exec "$ns_peer" python3 "$work/sink.py" "$work/sink.out" &
pids+=($!)
sleep 0.5

ip netns exec "$ns_cap" "$trawl" -i "veth-$tag" -f "udp" --hep udp:10.203.0.2:9060 --json "$work/trawl.json" \
  >"$work/trawl.out" 2>"$work/trawl.err" &
trawl_pid=$!
pids+=($trawl_pid)
sleep $((1 * mult))

# 50 SIP OPTIONS over UDP from the peer to the capturing side
n=50
ip netns exec "$ns_peer" python3 - "$n" <<'PY'
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.203.0.2", 5062))
for i in range(n):
    msg = ("OPTIONS sip:ping@10.203.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.203.0.2:5062;branch=z9hG4bK-live-%d\r\n"
           "From: <sip:probe@10.203.0.2>;tag=f%d\r\nTo: <sip:ping@10.203.0.1>\r\n"
           "Call-ID: live-%d@10.203.0.2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") % (i, i, i)
    s.sendto(msg.encode(), ("10.203.0.1", 5060))
    time.sleep(0.002)
PY
sleep $((1 * mult))

kill -USR1 "$trawl_pid"
sleep 0.5
check "SIGUSR1 prints the summary while running" "grep -q 'trawl: summary' '$work/trawl.err' && kill -0 $trawl_pid"
kill -TERM "$trawl_pid"
wait "$trawl_pid"; rc=$?
check "SIGTERM ends with exit 0 (got $rc)" "[ $rc -eq 0 ]"
sleep 0.5

got=$(grep -c '^live-' "$work/sink.out" 2>/dev/null || echo 0)
uniq=$(grep '^live-' "$work/sink.out" | sort -u | wc -l)
check "sink received $n HEP messages (got $got)" "[ '$got' -eq $n ]"
check "no duplicates at the sink ($uniq distinct)" "[ '$uniq' -eq $n ]"
check "nothing but HEP at the sink" "! grep -q notHEP '$work/sink.out'"
check "JSON lines for every message" "[ \$(grep -c '\"method\":\"OPTIONS\"' '$work/trawl.json') -eq $n ]"
# the last summary (at exit): decoded counts only the SIP, never trawl's own HEP
decoded=$(awk '$1=="decoded"{v=$2} END{print v+0}' "$work/trawl.err")
sip=$(awk '$1=="sip.messages"{v=$2} END{print v+0}' "$work/trawl.err")
check "own HEP output not captured (decoded=$decoded sip=$sip)" "[ '$decoded' -eq $n ] && [ '$sip' -eq $n ]"
check "root dropped to nobody after opening the interface" "grep -q 'running as nobody' '$work/trawl.err'"
check "kernel drops reported" "grep -q '^  kernel_drops' '$work/trawl.err'"

if [ $failed -ne 0 ]; then echo "--- trawl stderr"; cat "$work/trawl.err"; fi
echo "$pass passed, $failed failed"
[ $failed -eq 0 ]
