#!/usr/bin/env bash
# test_kamailio_sipp_tcp.sh TRAWL -- SIP over TCP, cut out of the streams by trawl, lands in
# Kamailio sipcapture (SQLite) exactly once per message.
#
# Input: tests/data/e2e_tcp_calls.pcap (tools/gen_e2e_tcp_calls.sh): real sipp over TCP (-t t1, one
# connection, 127.0.0.1:15180 <-> 127.0.0.1:15190), 12 calls of 11 messages, segments cut at
# MSS 1448: every INVITE (2.9 kB) spans two segments, every 100 Trying + 183 Session Progress
# share one segment, every pair of DTMF INFOs is one write whose second INFO starts after the first
# in one segment and ends in the next (RFC 3261 §18.3 framing by Content-Length).
# Expected values come from tshark with TCP desegmentation on (e2e.py expect -> expect_stream):
# one record per SIP message, timestamped by the segment that completes it, its bytes cut from
# tshark's follow-stream data.
#
#   trawl -r e2e_tcp_calls.pcap --hep tcp:127.0.0.1:PORT --hep-id 2003 --json FILE
# feeds Kamailio 5.6 sipcapture over TCP (shared kamailio-hep-collector-tcp.cfg).  Checks:
#   1  the pcap still exercises reassembly (tshark: 132 messages, >= 12 frames holding several,
#      >= 24 messages spanning segments)
#   2  trawl exits 0 and its summary counts every SIP message
#   3  trawl's JSON: one line per message, transport "tcp", call_id, method/status, addresses,
#      ports, ts_us and len == tshark's
#   4  sip_capture: one row per message, no duplicates, and row by row == tshark: callid,
#      method/status, source/destination ip and port, micro_ts, node "homer01:2003", family 2,
#      proto 2 (Kamailio's PROTO_TCP, read as IP protocol 6), msg == the message's bytes
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init kamailio_sipp_tcp "$@"
e2e_need_cmd tshark jq
e2e_need_kamailio sqlops
TCP_PCAP="$E2E_REPO/tests/data/e2e_tcp_calls.pcap"
[ -f "$TCP_PCAP" ] || e2e_die "$TCP_PCAP missing (tools/gen_e2e_tcp_calls.sh makes it)"

# ---------------------------------------------------------------- 1: the input is what we think
e2e_py expect "$TCP_PCAP" >"$WORK/tcp-expect.json" || e2e_die "tshark could not read $TCP_PCAP"
N="$(jq length "$WORK/tcp-expect.json")"
e2e_eq "1 pcap: tshark (TCP desegmentation on) sees 132 SIP messages" 132 "$N"
TS=(tshark -n -r "$TCP_PCAP" -o tcp.desegment_tcp_streams:TRUE -o sip.desegment_headers:TRUE
    -o sip.desegment_body:TRUE)
multi="$("${TS[@]}" -Y 'count(sip) > 1' 2>/dev/null | wc -l)"
spanning="$("${TS[@]}" -Y 'sip and tcp.reassembled.length' 2>/dev/null | wc -l)"
if [ "$multi" -ge 12 ] && [ "$spanning" -ge 24 ]; then
  e2e_ok "1 pcap: $multi frames carry several SIP messages, $spanning messages span segments"
else
  e2e_fail "1 pcap: reassembly is exercised (want >= 12 frames with several messages, got $multi;" \
    ">= 24 messages over several segments, got $spanning): regenerate with tools/gen_e2e_tcp_calls.sh"
fi
n_tcp="$(jq '[.[] | select(.ip_proto == 6)] | length' "$WORK/tcp-expect.json")"
e2e_eq "1 pcap: every SIP message is on TCP" "$N" "$n_tcp"

# ---------------------------------------------------------------- Kamailio over TCP
PORT="$(e2e_free_port tcp)"
DB="$WORK/homer.sqlite"
e2e_kamailio collector-tcp tcp "$PORT" "$DB"
e2e_kam_warmup tcp "$PORT" "$DB" sipp-tcp

# ---------------------------------------------------------------- 2: trawl
e2e_trawl trawl -r "$TCP_PCAP" --hep "tcp:127.0.0.1:$PORT" --hep-id 2003 --hep-node trawl-e2e \
  --json "$WORK/trawl.json"
e2e_eq "2 trawl exits 0" 0 "$E2E_RC"
e2e_eq "2 trawl summary: sip.messages == tshark's count" "$N" "$(e2e_summary "$WORK/trawl.log" sip.messages)"

# ---------------------------------------------------------------- 3: trawl's JSON lines
jq -r '.[] | [.call_id, .method, .src, .sport, .dst, .dport, .ts_us, (.payload_hex | length / 2)] | @tsv' \
  "$WORK/tcp-expect.json" | sort >"$WORK/json-expect.txt"
jq -r '[.call_id // "-", (.method // (.status | tostring)), .src, .sport, .dst, .dport, .ts_us, .len] |
  @tsv' "$WORK/trawl.json" 2>"$WORK/jq.log" | sort >"$WORK/json-got.txt"
e2e_same "3 json: one line per SIP message: call_id method src sport dst dport ts_us len == tshark" \
  "$WORK/json-expect.txt" "$WORK/json-got.txt"
not_tcp="$(jq -r 'select(.transport != "tcp") | "\(.ts_us) \(.transport) \(.call_id)"' "$WORK/trawl.json" 2>&1)"
if [ -z "$not_tcp" ]; then e2e_ok "3 json: transport is \"tcp\" on every line"
else e2e_fail "3 json: transport is \"tcp\" on every line" "$not_tcp"; fi

# ---------------------------------------------------------------- 4: Kamailio rows
e2e_kam_compare 4_kamailio "$TCP_PCAP" "$DB" "callid NOT LIKE 'e2e-%'" 2003
e2e_done
