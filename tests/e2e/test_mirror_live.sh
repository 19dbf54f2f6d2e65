#!/usr/bin/env bash
# test_mirror_live.sh TRAWL -- mirror outputs (issue 8) end to end with the real kernel VXLAN and
# GRE decoders and a ZMQ receiver.
#
# Set-up (names unique per run by PID, everything removed on exit):
#   * ns C (sipp uas, 10.207.8.2) -- veth -- ns A (sipp uac 10.207.8.1, trawl): the source traffic;
#   * ns A -- veth (underlay 10.208.8.1/.2) -- ns B, the probe;
#   * ns B has two kernel vxlan interfaces on UDP 4789, VNI 0x100001 and 0x200001 (VNI 1 with
#     packet-agent's direction 1 = in / 2 = out in the high 4 bits), and a raw IP protocol 47
#     socket (mirror.py rawgre) so that its kernel takes the GRE packets without answering
#     ICMP protocol unreachable (gretap needs ip_gre, not loadable in every container);
#   * trawl -i <A's source veth> --mirror-dir auto --mirror vxlan:B --mirror gre:B:77
#     --mirror zmq:tcp://127.0.0.1:PORT (a PULL receiver in ns A, mirror.py zmqpull).
# References are tcpdump captures: on A's source veth (the original frames), on B's vxlan
# interfaces (the kernel's decapsulation) and on B's underlay veth (GRE, decoded by tshark).
# Checks: sipp completed; kernel VXLAN: frames on the "out" VNI == original frames sent by A (source
# MAC = A's), "in" VNI == the others, byte for byte; GRE (tshark): key 0x2000004d/0x1000004d by the
# same rule, inner frames byte for byte, payload type 0x6558; ZMQ: every original frame byte for
# byte in packet-agent's batch format with key 1; trawl's summary counts; exit 0 on SIGTERM.
# Exit 77 (skipped) without root, iproute2, sipp, tcpdump, tshark or python3-zmq.
set -u
# shellcheck disable=SC2317
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init mirror_live "$@"
e2e_need_root "network namespaces, vxlan, GRE and AF_PACKET"
e2e_need_cmd ip sipp tcpdump tshark
"$PY" -c 'import zmq' 2>/dev/null || e2e_skip "python3-zmq not installed"
MPY="$(dirname "$0")/mirror.py"

CALLS="${TRAWL_MIRROR_CALLS:-10}"
tag="$$"
NS_A="trawl-mA-$tag" NS_B="trawl-mB-$tag" NS_C="trawl-mC-$tag"
S_A="tmsA$tag" S_C="tmsC$tag"       # source traffic A <-> C
U_A="tmuA$tag" U_B="tmuB$tag"       # underlay A <-> B (mirror traffic)
SA_IP=10.207.8.1 SC_IP=10.207.8.2
UA_IP=10.208.8.1 UB_IP=10.208.8.2
VNI_IN=$((0x100001)) VNI_OUT=$((0x200001))
KEY_IN=$((0x1000004d)) KEY_OUT=$((0x2000004d))

e2e_netns_trap "$NS_A" "$NS_B" "$NS_C"

ip netns add "$NS_A" || e2e_skip "cannot create network namespaces"
ip netns add "$NS_B" || e2e_die "cannot create $NS_B"
ip netns add "$NS_C" || e2e_die "cannot create $NS_C"
for ns in "$NS_A" "$NS_B" "$NS_C"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$S_A" netns "$NS_A" type veth peer name "$S_C" netns "$NS_C" || e2e_die "veth A-C"
ip link add "$U_A" netns "$NS_A" type veth peer name "$U_B" netns "$NS_B" || e2e_die "veth A-B"
ip -n "$NS_A" addr add "$SA_IP/24" dev "$S_A"
ip -n "$NS_C" addr add "$SC_IP/24" dev "$S_C"
ip -n "$NS_A" addr add "$UA_IP/24" dev "$U_A"
ip -n "$NS_B" addr add "$UB_IP/24" dev "$U_B"
for l in "$NS_A $S_A" "$NS_C $S_C" "$NS_A $U_A" "$NS_B $U_B"; do
  set -- $l; ip -n "$1" link set "$2" up
done
mac() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }
MAC_A="$(mac "$NS_A" "$S_A")"
ip -n "$NS_A" neigh replace "$SC_IP" lladdr "$(mac "$NS_C" "$S_C")" dev "$S_A" nud permanent
ip -n "$NS_C" neigh replace "$SA_IP" lladdr "$MAC_A" dev "$S_C" nud permanent
ip -n "$NS_A" neigh replace "$UB_IP" lladdr "$(mac "$NS_B" "$U_B")" dev "$U_A" nud permanent
ip -n "$NS_B" neigh replace "$UA_IP" lladdr "$(mac "$NS_A" "$U_A")" dev "$U_B" nud permanent
# the probe: kernel VXLAN, one interface per direction's VNI
for d in in out; do
  vni=$VNI_IN; [ $d = out ] && vni=$VNI_OUT
  ip -n "$NS_B" link add "tmvx$d$tag" type vxlan id "$vni" local "$UB_IP" dstport 4789 nolearning \
    dev "$U_B" || e2e_skip "cannot create a vxlan interface (kernel module vxlan?)"
  ip -n "$NS_B" link set "tmvx$d$tag" up
done
e2e_bg rawgre ip netns exec "$NS_B" "$PY" "$MPY" rawgre "$WORK/rawgre.ready"
e2e_wait_for 10 test -s "$WORK/rawgre.ready" || e2e_die "raw GRE socket in $NS_B did not open"

# ------------------------------------------------------------------ captures, receiver, trawl
ready() { grep -q 'listening on' "$WORK/$1.log"; }
e2e_bg src ip netns exec "$NS_A" tcpdump -n -U -i "$S_A" -s 0 -w "$WORK/src.pcap"
e2e_bg vxin ip netns exec "$NS_B" tcpdump -n -U -i "tmvxin$tag" -s 0 -w "$WORK/vxin.pcap"
e2e_bg vxout ip netns exec "$NS_B" tcpdump -n -U -i "tmvxout$tag" -s 0 -w "$WORK/vxout.pcap"
e2e_bg gre ip netns exec "$NS_B" tcpdump -n -U -i "$U_B" -s 0 -w "$WORK/gre.pcap" ip proto 47
for c in src vxin vxout gre; do e2e_wait_for 10 ready $c || e2e_die "tcpdump $c did not start"; done
ZPORT=5599
e2e_bg zmq ip netns exec "$NS_A" "$PY" "$MPY" zmqpull "$ZPORT" "$WORK/zmq.txt"
e2e_wait_for 10 test -s "$WORK/zmq.txt.ready" || e2e_die "zmq receiver did not start"

trawl_ready() { grep -q 'running as nobody' "$WORK/trawl.log"; }
e2e_bg trawl ip netns exec "$NS_A" "$TRAWL" -v -i "$S_A" --mirror-dir auto \
  --mirror "vxlan:$UB_IP" --mirror "gre:$UB_IP:77" --mirror "zmq:tcp://127.0.0.1:$ZPORT"
e2e_wait_for 10 trawl_ready || e2e_die "trawl did not start"
sleep "$(e2e_secs 0.5)"

sip_port_open() { ip netns exec "$NS_C" ss -H -lun "src $SC_IP:5060" 2>/dev/null | grep -q .; }
e2e_bg uas ip netns exec "$NS_C" sipp -sn uas -i "$SC_IP" -p 5060 -m "$CALLS" -nostdin \
  -timeout 60 -timeout_error
e2e_wait_for 10 sip_port_open || e2e_die "sipp uas did not listen"
timeout -k 5 "$(e2e_secs 60)" ip netns exec "$NS_A" sipp -sn uac "$SC_IP:5060" -i "$SA_IP" -p 5061 \
  -m "$CALLS" -r 10 -nostdin -timeout 50 -timeout_error >"$WORK/uac.log" 2>&1 </dev/null
e2e_eq "1. sipp uac completed $CALLS calls" 0 "$?"
e2e_stop uas

sleep "$(e2e_secs 1)"
pid="$(cat "$WORK/trawl.pid")"
kill -TERM "$pid"
e2e_wait_for 10 e2e_dead "$pid"
wait "$pid"; trawl_rc=$?
e2e_stop trawl
sleep "$(e2e_secs 0.5)"
for c in src vxin vxout gre zmq; do e2e_stop $c; done
e2e_no_sanitizer_report trawl
e2e_eq "2. trawl ends with exit 0 on SIGTERM" 0 "$trawl_rc"

# ------------------------------------------------------------------ checks
"$PY" "$MPY" frames "$WORK/src.pcap" >"$WORK/src.txt" || e2e_die "cannot read src.pcap"
"$PY" "$MPY" frames "$WORK/src.pcap" --src-mac "$MAC_A" >"$WORK/src-out.txt"
"$PY" "$MPY" frames "$WORK/src.pcap" --not-src-mac "$MAC_A" >"$WORK/src-in.txt"
n="$(wc -l <"$WORK/src.txt")"
e2e_check "3. the source capture holds the calls ($n frames, >= $((CALLS * 6)))" \
  test "$n" -ge $((CALLS * 6))
"$PY" "$MPY" frames "$WORK/vxout.pcap" >"$WORK/vxout.txt"
"$PY" "$MPY" frames "$WORK/vxin.pcap" >"$WORK/vxin.txt"
e2e_same "4. kernel VXLAN, VNI 0x200001 (out): every frame A sent, byte for byte" \
  "$WORK/src-out.txt" "$WORK/vxout.txt"
e2e_same "5. kernel VXLAN, VNI 0x100001 (in): every frame A received, byte for byte" \
  "$WORK/src-in.txt" "$WORK/vxin.txt"
"$PY" "$MPY" gre "$WORK/gre.pcap" >"$WORK/gre.txt" || e2e_die "cannot decode gre.pcap"
{ sed "s/^/$(printf %08x $KEY_OUT) /" "$WORK/src-out.txt"
  sed "s/^/$(printf %08x $KEY_IN) /" "$WORK/src-in.txt"; } | sort >"$WORK/gre-want.txt"
e2e_same "6. GRE (tshark): key 77 with the direction bits, type 0x6558, inner frames byte for byte" \
  "$WORK/gre-want.txt" "$WORK/gre.txt"
sed 's/^/00000001 /' "$WORK/src.txt" | sort >"$WORK/zmq-want.txt"
e2e_same "7. ZMQ receiver: every frame in packet-agent batches (key 1), byte for byte" \
  "$WORK/zmq-want.txt" "$WORK/zmq.txt"
for o in "vxlan:$UB_IP:4789:1" "gre:$UB_IP:77" "zmq:127.0.0.1:$ZPORT:1"; do
  w="$(e2e_summary "$WORK/trawl.log" "mirror $o.written")"
  e2e_eq "8. summary: mirror $o written = frames captured" "$n" "${w:-absent}"
done
e2e_done
