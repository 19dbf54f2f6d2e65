#!/usr/bin/env bash
# test_hep_relay.sh TRAWL -- trawl as a HEP relay between third-party HEP peers.
#
#   Kamailio siptrace (shared kamailio-hep-sender.cfg: a real HEP v3 source, capture id 4242,
#   auth key "hepsecret")
#     -> trawl A  --hep-listen udp+tcp --hep-listen-key hepsecret --hep-restamp --hep-id 3003
#     -> Kamailio sipcapture (shared kamailio-hep-collector.cfg) -> SQLite
#   hep3_send.py (v3) and hep12_send.py (v1/v2, built by hand per hep.md)
#     -> trawl B  --hep-listen udp (no key, no re-stamp: relayed as they came) -> same collector
#
# Checks: every SIP message Kamailio mirrored (request in, reply out, per OPTIONS/INVITE) is one
# sip_capture row with node homer01:3003 (re-stamped capture id) and the right ports; the hlog()
# message (HEP type 100) lands in logs_capture, also re-stamped; HEP3 over TCP into A is stored;
# a wrong auth key and a key-less v1 are refused and counted by A and never stored; through B the
# sender's capture id stays (v3: homer01:777, v2: homer01:1337, v1: homer01:0) and the v1/v2
# addresses, ports and v2 time arrive; trawl's JSON shows the relayed SIP with its fields.
# shellcheck source=lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"
e2e_init hep_relay "$@"
e2e_need_cmd jq
e2e_need_kamailio db_sqlite siptrace
[ -f "$PEERS/kamailio-hep-sender.cfg" ] || e2e_skip "kamailio-hep-sender.cfg missing"

CPORT="$(e2e_free_port udp)"
DB="$WORK/homer.sqlite"
e2e_kamailio collector udp "$CPORT" "$DB"
e2e_kam_warmup udp "$CPORT" "$DB" udp

APORT="$(e2e_free_port both)"
BPORT="$(e2e_free_port udp)"
e2e_bg trawlA "$TRAWL" --user root --hep-listen "udp:127.0.0.1:$APORT" --hep-listen "tcp:127.0.0.1:$APORT" \
  --hep-listen-key hepsecret --hep-restamp --hep-id 3003 --hep "udp:127.0.0.1:$CPORT" \
  --json "$WORK/a.json"
e2e_bg trawlB "$TRAWL" --user root --hep-listen "udp:$BPORT" --hep "udp:127.0.0.1:$CPORT" \
  --json "$WORK/b.json"
e2e_wait_for 10 e2e_listening udp "$APORT" || e2e_die "trawl A does not listen on udp $APORT"
e2e_wait_for 10 e2e_listening tcp "$APORT" || e2e_die "trawl A does not listen on tcp $APORT"
e2e_wait_for 10 e2e_listening udp "$BPORT" || e2e_die "trawl B does not listen on udp $BPORT"

SPORT="$(e2e_free_port udp)"
e2e_bg sender env TZ=UTC kamailio -f "$PEERS/kamailio-hep-sender.cfg" -A "SIP_LISTEN=udp:127.0.0.1:$SPORT" \
  -A "HEP_DST=\"sip:127.0.0.1:$APORT\"" -DD -E -m 64 -M 8 -P "$WORK/sender.kpid"
e2e_wait_for 15 e2e_listening udp "$SPORT" || e2e_die "Kamailio sender did not listen on udp $SPORT"

# ---------------------------------------------------------------- Kamailio siptrace -> A (re-stamp)
N=5
for i in $(seq 1 $N); do
  "$PY" "$PEERS/sip_options.py" --port "$SPORT" --call-id "relay-opt-$i" >>"$WORK/sipclient.log" 2>&1 ||
    e2e_fail "sip_options.py: no reply from the Kamailio sender ($i)"
  sleep 0.02
done
"$PY" "$PEERS/sip_options.py" --port "$SPORT" --method INVITE --call-id relay-inv-1 >>"$WORK/sipclient.log" 2>&1 ||
  e2e_fail "sip_options.py INVITE: no reply from the Kamailio sender"

want=$((2 * N + 2))
got="$(e2e_kam_settle "$DB" "callid LIKE 'relay-opt-%' OR callid = 'relay-inv-1'" "$want")"
e2e_eq "siptrace -> trawl -> sipcapture: one row per mirrored SIP message ($want)" "$want" "$got"
e2e_eq "every relayed row carries the re-stamped capture id (node homer01:3003)" "$want" \
  "$(e2e_kam_count "$DB" "(callid LIKE 'relay-opt-%' OR callid = 'relay-inv-1') AND node = 'homer01:3003'")"
e2e_eq "requests went to the sender's SIP port, replies came from it" "$want" \
  "$(e2e_kam_count "$DB" "(callid LIKE 'relay-opt-%' OR callid = 'relay-inv-1') AND
     ((method IN ('OPTIONS','INVITE') AND destination_port = $SPORT AND destination_ip = '127.0.0.1') OR
      (method = '200' AND source_port = $SPORT AND source_ip = '127.0.0.1'))")"
logs() { sqlite3 -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM logs_capture WHERE $1" 2>/dev/null || echo 0; }
e2e_wait_for 5 test "$(logs "correlation_id = 'relay-inv-1-corr'")" -ge 1
e2e_eq "hlog() (HEP type 100) relayed into logs_capture, re-stamped" 1 \
  "$(logs "correlation_id = 'relay-inv-1-corr' AND node = 'homer01:3003'")"

# HEP3 over TCP into A (right key), and the refusals: wrong key (v3), no key at all (v1)
"$PY" "$PEERS/hep3_send.py" -q --port "$APORT" --transport tcp --scenario call --call-id relay-tcp-1 \
  --auth-key hepsecret --capture-id 55 --ts 1700000100.5 >>"$WORK/senders.log" 2>&1
"$PY" "$PEERS/hep3_send.py" -q --port "$APORT" --scenario invite --call-id relay-badkey-1 \
  --auth-key wrongsecret >>"$WORK/senders.log" 2>&1
"$PY" "$E2E_LIB_DIR/hep12_send.py" 1 "$APORT" relay-nokey-v1 >>"$WORK/senders.log" 2>&1
got="$(e2e_kam_settle "$DB" "callid = 'relay-tcp-1'" 7)"
e2e_eq "HEP3 over TCP into trawl: all 7 messages stored, re-stamped" 7 \
  "$(e2e_kam_count "$DB" "callid = 'relay-tcp-1' AND node = 'homer01:3003' AND micro_ts >= 1700000100500000")"

# ---------------------------------------------------------------- B: relayed as they came
"$PY" "$PEERS/hep3_send.py" -q --port "$BPORT" --scenario call --call-id relay-v3-1 --capture-id 777 \
  --ts 1700000200.25 >>"$WORK/senders.log" 2>&1
"$PY" "$E2E_LIB_DIR/hep12_send.py" 2 "$BPORT" relay-v2-1 --capture-id 1337 --ts 1700000300.125 >>"$WORK/senders.log" 2>&1
"$PY" "$E2E_LIB_DIR/hep12_send.py" 1 "$BPORT" relay-v1-1 >>"$WORK/senders.log" 2>&1
got="$(e2e_kam_settle "$DB" "callid = 'relay-v3-1'" 7)"
e2e_eq "v3 relayed unchanged: 7 rows with the sender's capture id (homer01:777)" 7 \
  "$(e2e_kam_count "$DB" "callid = 'relay-v3-1' AND node = 'homer01:777'")"
e2e_eq "v2 relayed as v3: INVITE and 200 with its capture id, little-endian time and addresses" 2 \
  "$(e2e_kam_count "$DB" "callid = 'relay-v2-1' AND node = 'homer01:1337' AND micro_ts IN (1700000300125000, 1700000300126000)
     AND source_port = 5060 AND destination_port = 5060 AND family = 2 AND
     ((method = 'INVITE' AND source_ip = '192.0.2.10' AND destination_ip = '198.51.100.20') OR
      (method = '200' AND source_ip = '198.51.100.20' AND destination_ip = '192.0.2.10'))")"
e2e_eq "v1 relayed as v3 (no time in v1: arrival time; capture id 0)" 2 \
  "$(e2e_kam_count "$DB" "callid = 'relay-v1-1' AND node = 'homer01:0' AND micro_ts > 1700000000000000")"
e2e_eq "refused messages never reach the collector" 0 \
  "$(e2e_kam_count "$DB" "callid IN ('relay-badkey-1', 'relay-nokey-v1')")"

# ---------------------------------------------------------------- summaries and JSON
e2e_stop sender
e2e_stop trawlA
e2e_stop trawlB
e2e_no_sanitizer_report trawlA
e2e_no_sanitizer_report trawlB
A="hep-in:udp:127.0.0.1:$APORT"
e2e_eq "A counts the wrong key" 1 "$(e2e_summary "$WORK/trawlA.log" "$A.rejected.auth_wrong")"
e2e_eq "A counts the key-less v1 (INVITE and 200)" 2 "$(e2e_summary "$WORK/trawlA.log" "$A.rejected.auth_missing")"
e2e_eq "A took every siptrace message over UDP (SIP + hlog)" $((want + 1)) \
  "$(e2e_summary "$WORK/trawlA.log" "$A.v3")"
e2e_eq "A took 7 frames over TCP" 7 "$(e2e_summary "$WORK/trawlA.log" "hep-in:tcp:127.0.0.1:$APORT.v3")"
e2e_eq "A lost nothing on the way out" 0 "$(e2e_summary "$WORK/trawlA.log" "hep udp:127.0.0.1:$CPORT.failed")"
e2e_eq "B counts one v1 and one v2 message pair" "2 2" \
  "$(e2e_summary "$WORK/trawlB.log" "hep-in:udp:127.0.0.1:$BPORT.v1") $(e2e_summary "$WORK/trawlB.log" "hep-in:udp:127.0.0.1:$BPORT.v2")"
e2e_eq "A's JSON: relayed OPTIONS with method, call_id and the sender's port" "$N" \
  "$(jq -c "select(.method == \"OPTIONS\" and (.call_id | startswith(\"relay-opt-\")) and .dport == $SPORT)" "$WORK/a.json" | wc -l)"
e2e_eq "A's JSON: the hlog() message as a HEP event of type 100" 1 \
  "$(jq -c 'select(.type == "hep" and .hep.proto_type == 100 and .call_id == "relay-inv-1-corr")' "$WORK/a.json" | wc -l)"
e2e_eq "B's JSON: the v2 INVITE with its own time and addresses" 1 \
  "$(jq -c 'select(.call_id == "relay-v2-1" and .method == "INVITE" and .ts_us == 1700000300125000 and .src == "192.0.2.10" and .dst == "198.51.100.20")' "$WORK/b.json" | wc -l)"
e2e_done
