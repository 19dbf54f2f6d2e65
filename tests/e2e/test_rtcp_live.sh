#!/usr/bin/env bash
# test_rtcp_live.sh TRAWL -- RTCP-to-call correlation on a live interface, 10 runs out of 10.
#
# Issue 5 asks that every RTCP packet of a call set is sent exactly once as HEP type 5 with its
# call's Call-ID as correlation id (chunk 0x0011), "offline and replayed live on a veth pair in a
# network namespace".  This is the live half:
#   * two network namespaces (names unique per run) joined by a veth pair, IPv6 off (no router
#     solicitations or MLD on the wire), no addresses on the veth ends (nothing but the replayed
#     frames crosses the pair); both namespaces are removed on exit;
#   * ns A: a hep_sink (../shared/bench, built here) on 127.0.0.1 (lo brought up there) and
#     trawl -i on A's veth end, sending HEP over UDP to the sink;
#   * ns B: tools/pcap_replay.py writes the frames of tests/data/rtcp_calls.pcap (8 SIPp calls
#     with RTP, RTCP SR/SDES/BYE and one XR VoIP-metrics block per call; tools/gen_rtcp_calls.sh)
#     onto B's end.  The frames were captured on lo (127.x addresses, zero MACs): the kernel of
#     ns A drops them, but trawl's promiscuous capture sees every one;
#   * once the sink holds as many HEP type 5 packets as the map lists (bounded wait) and a short
#     drain has passed (to catch duplicates), trawl is stopped with SIGTERM by PID;
#   * bench/rtcp_check.py compares the sink's packets with add_rtcp.py's map.  A live capture
#     stamps packets with the replay time, so the map's time windows are widened to "any time":
#     each RTCP flow of this pcap has its own 4-tuple (checked), so flows stay unambiguous.
# Every run's result is printed; the test fails if any run is not exact.
# Exit 77 (skipped) without root, iproute2, a C compiler (for hep_sink) or the shared kit.
set -u
# shellcheck disable=SC2317  # the functions below run through trap and e2e_wait_for
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init rtcp_live "$@"
e2e_need_root "network namespaces and AF_PACKET"
e2e_need_cmd ip cc

RUNS="${TRAWL_RTCP_RUNS:-10}"
PCAP="$E2E_REPO/tests/data/rtcp_calls.pcap"
MAP="$E2E_REPO/tests/data/rtcp_calls.map"
CHECK="$E2E_REPO/bench/rtcp_check.py"
REPLAY="$E2E_REPO/tools/pcap_replay.py"
[ -f "$SHARED/bench/hep_sink.c" ] || e2e_skip "hep_sink.c not found in $SHARED/bench"
{ [ -f "$PCAP" ] && [ -f "$MAP" ]; } || e2e_die "$PCAP or its map missing (tools/gen_rtcp_calls.sh makes them)"

tag="$$"
NS_A="trawl-rtcpA-$tag" NS_B="trawl-rtcpB-$tag"
VETH_A="trA$tag" VETH_B="trB$tag"

e2e_netns_trap "$NS_A" "$NS_B"

cc -O2 -o "$WORK/hep_sink" "$SHARED/bench/hep_sink.c" 2>"$WORK/cc.log" || e2e_skip "cannot build hep_sink"

# the map, matched by 4-tuple only (see above)
dups="$(grep -v '^#' "$MAP" | cut -f1-4 | sort | uniq -d)"
[ -z "$dups" ] || e2e_die "$MAP repeats a flow 4-tuple, time windows would be needed: $dups"
awk -F'\t' 'BEGIN { OFS = "\t" } /^#/ { print; next } { $9 = 0; $10 = 9999999999; print }' \
  "$MAP" >"$WORK/live.map"
want_rtcp="$(awk -F'\t' '!/^#/ { n += $7 } END { print n + 0 }' "$MAP")"
want_frames="$("$PY" - "$PCAP" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
n, o = 0, 24
while o + 16 <= len(d):
    o += 16 + struct.unpack(e + "I", d[o + 8:o + 12])[0]; n += 1
print(n)
PY
)"

ip netns add "$NS_A" || e2e_skip "cannot create network namespaces"
ip netns add "$NS_B" || e2e_die "cannot create namespace $NS_B"
ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" ||
  e2e_die "cannot create the veth pair"
for ns in "$NS_A" "$NS_B"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_A" link set lo up
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up

sink_type5() { grep -c '"type":5[,}]' "$WORK/sink.jsonl" 2>/dev/null; }
sink_has_all() { [ "$(sink_type5)" -ge "$want_rtcp" ]; }
trawl_ready() { grep -q 'running as nobody' "$WORK/trawl.log"; }

exact=0
for run in $(seq 1 "$RUNS"); do
  rm -f "$WORK/sink.jsonl" "$WORK/sink.port"
  e2e_bg sink ip netns exec "$NS_A" "$WORK/hep_sink" -u 0 -P "$WORK/sink.port" -w "$WORK/sink.jsonl"
  e2e_wait_for 5 test -s "$WORK/sink.port" || e2e_die "run $run: hep_sink did not start"
  port="$(cat "$WORK/sink.port")"
  e2e_bg trawl ip netns exec "$NS_A" "$TRAWL" -i "$VETH_A" --hep "udp:127.0.0.1:$port"
  e2e_wait_for 10 trawl_ready || e2e_die "run $run: trawl did not open $VETH_A"
  sleep "$(e2e_secs 0.2)"         # the ring is live a moment before the message

  replay="$(ip netns exec "$NS_B" "$PY" "$REPLAY" "$PCAP" "$VETH_B" 2>&1)" ||
    e2e_fail "run $run: pcap_replay failed" "$replay"
  sent="$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$replay")"
  e2e_wait_for 5 sink_has_all
  sleep "$(e2e_secs 0.3)"         # drain: a duplicate would arrive now

  pid="$(cat "$WORK/trawl.pid")"
  kill -TERM "$pid"
  e2e_wait_for 10 e2e_dead "$pid"
  wait "$pid"; trawl_rc=$?
  e2e_stop trawl
  e2e_stop sink
  e2e_no_sanitizer_report trawl
  cp "$WORK/trawl.log" "$WORK/trawl-run$run.log"

  check="$("$PY" "$CHECK" "$WORK/live.map" "$WORK/sink.jsonl" 2>&1)"; check_rc=$?
  captured="$(e2e_summary "$WORK/trawl.log" "iface:$VETH_A.packets")"
  drops="$(e2e_summary "$WORK/trawl.log" kernel_drops)"
  corr="$(e2e_summary "$WORK/trawl.log" rtcp.correlated)/$(e2e_summary "$WORK/trawl.log" rtcp.packets)"
  line="run $run: replayed $sent/$want_frames frames, trawl captured ${captured:-?} (kernel drops ${drops:-?}), rtcp correlated $corr, exit $trawl_rc; $(tail -n 1 <<<"$check")"
  if [ "$check_rc" = 0 ] && [ "$trawl_rc" = 0 ] && [ "$sent" = "$want_frames" ]; then
    exact=$((exact + 1)); e2e_ok "$line"
  else
    e2e_fail "$line" "$check"
    cp "$WORK/sink.jsonl" "$WORK/sink-run$run.jsonl" 2>/dev/null
  fi
done
e2e_eq "exact RTCP correlation in $RUNS runs out of $RUNS" "$RUNS" "$exact"
e2e_done
