#!/usr/bin/env bash
# test_kamailio_rtcp.sh TRAWL -- trawl's RTCP (HEP type 5) lands in Kamailio sipcapture's
# rtcp_capture with the right correlation id, and its JSON bodies decode (issue 5, "End-to-end").
#
# Input: tests/data/rtcp_calls.pcap (8 SIPp calls with RTP, RTCP SR/SDES/BYE and one XR VoIP
# metrics block per call) and its map (add_rtcp.py: one line per RTCP flow with the Call-ID of the
# call whose SDP announced it); tools/gen_rtcp_calls.sh makes both.
#   trawl -r rtcp_calls.pcap --hep udp:127.0.0.1:PORT --hep-id 2005
# feeds Kamailio 5.6 sipcapture (shared kamailio-hep-collector.cfg), which stores HEP type 5 itself
# in rtcp_capture when the packet has a correlation id chunk (0x11).  Checks:
#   * every RTCP packet of the map (tshark reading the pcap, matched by the map's flow 4-tuples) is
#     exactly one rtcp_capture row: micro_ts, source/destination ip and port, and correlation_id ==
#     the map's Call-ID (sorted lines compared, so a loss, a duplicate or a wrong id shows);
#   * every row's msg is valid JSON;
#   * tshark + the shared hep.lua on a capture of the HEP traffic on lo (root) shows the same type 5
#     PDUs (same lines, correlation id chunk == Call-ID), each payload valid JSON (python json) with
#     the key set of docs/rtcp.md "JSON body of HEP type 5" (e2e.py rtcp_json_problems), and as
#     many bodies with voip_metrics as the map lists XR packets;
#   * trawl's summary: rtcp.uncorrelated 0.
# Kamailio's single worker can lose rows in back-to-back UDP bursts (peers README): a loss shows
# up here as missing rows and is reported, not hidden by retries.
# Exit 77: no Kamailio sqlite modules, sqlite3, tshark, jq, root (capture on lo), or shared kit.
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init kamailio_rtcp "$@"
e2e_need_cmd tshark jq
e2e_need_kamailio db_sqlite
e2e_need_root "tshark capture on lo"

PCAP="$E2E_REPO/tests/data/rtcp_calls.pcap"
MAP="$E2E_REPO/tests/data/rtcp_calls.map"
{ [ -f "$PCAP" ] && [ -f "$MAP" ]; } || e2e_die "$PCAP or its map missing (tools/gen_rtcp_calls.sh makes them)"
e2e_py rtcpexpect "$PCAP" "$MAP" >"$WORK/expect.txt" || e2e_die "tshark could not read $PCAP"
N="$(wc -l <"$WORK/expect.txt")"
N_XR="$(awk -F'\t' '!/^#/ { n += $8 } END { print n + 0 }' "$MAP")"

PORT="$(e2e_free_port udp)"
DB="$WORK/homer.sqlite"
e2e_kamailio collector udp "$PORT" "$DB"
e2e_kam_warmup udp "$PORT" "$DB" rtcp
e2e_capture capture "udp port $PORT" "$WORK/hep.pcap"

e2e_trawl trawl -r "$PCAP" --hep "udp:127.0.0.1:$PORT" --hep-id 2005
e2e_eq "trawl exits 0" 0 "$E2E_RC"
e2e_eq "trawl: rtcp.uncorrelated 0" 0 "$(e2e_summary "$WORK/trawl.log" rtcp.uncorrelated)"

# rtcp_rows_n: rows in rtcp_capture
rtcp_rows_n() { sqlite3 -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM rtcp_capture" 2>/dev/null || echo 0; }
rtcp_rows_settled() {   # at least N rows, or the count stopped moving for 2 s
  local n; n="$(rtcp_rows_n)"
  [ "$n" -ge "$N" ] && return 0
  [ "$n" = "${last_n:-x}" ] && last_same=$((last_same + 1)) || last_same=0
  last_n="$n"; [ "$last_same" -ge 20 ]
}
last_same=0
e2e_wait_for 20 rtcp_rows_settled
sleep "$(e2e_secs 1)"   # late duplicates would arrive now
e2e_stop capture

e2e_py rtcprows "$DB" >"$WORK/rows-all.txt" || e2e_die "could not read rtcp_capture"
grep -v '^json-errors ' "$WORK/rows-all.txt" >"$WORK/rows.txt"
e2e_eq "rtcp_capture: one row per RTCP packet ($N)" "$N" "$(wc -l <"$WORK/rows.txt")"
dups="$(uniq -d "$WORK/rows.txt")"
if [ -z "$dups" ]; then e2e_ok "rtcp_capture: no duplicate rows"; else e2e_fail "rtcp_capture: no duplicate rows" "$dups"; fi
e2e_same "rtcp_capture rows (micro_ts src dst correlation_id) == map + tshark" "$WORK/expect.txt" "$WORK/rows.txt"
e2e_eq "rtcp_capture: every msg is JSON" "json-errors 0" "$(grep '^json-errors ' "$WORK/rows-all.txt")"

e2e_py hep "$WORK/hep.pcap" "$PORT" >"$WORK/hep.json" || e2e_die "tshark + hep.lua failed"
problems="$(jq -r '.problems[]' "$WORK/hep.json")"
if [ -z "$problems" ]; then e2e_ok "every HEP PDU well framed (hep.lua)"
else e2e_fail "every HEP PDU well framed (hep.lua)" "$problems"; fi
e2e_py rtcphep "$WORK/hep.json" "$MAP" >"$WORK/hep-all.txt" 2>"$WORK/hep-json.log"
grep -Ev '^(json-errors|voip-metrics) ' "$WORK/hep-all.txt" >"$WORK/hep5.txt"
e2e_same "tshark+hep.lua: type 5 PDUs (ts src dst correlation id) == map + tshark" \
  "$WORK/expect.txt" "$WORK/hep5.txt"
if grep -q '^json-errors 0$' "$WORK/hep-all.txt"; then
  e2e_ok "tshark+hep.lua: every type 5 payload is JSON with the docs/rtcp.md keys"
else
  e2e_fail "tshark+hep.lua: every type 5 payload is JSON with the docs/rtcp.md keys" "$(head -20 "$WORK/hep-json.log")"
fi
e2e_eq "tshark+hep.lua: bodies with voip_metrics == XR packets of the map" \
  "voip-metrics $N_XR" "$(grep '^voip-metrics ' "$WORK/hep-all.txt")"
e2e_done
