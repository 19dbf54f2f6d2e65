#!/usr/bin/env bash
# test_tshark_hep.sh TRAWL -- trawl's HEP3 on the wire, decoded by tshark + hep.lua, field by field.
#
# trawl's HEP output is captured on lo with tshark while small sinks listen on the destination ports
# (UDP: so the sender gets no ICMP port-unreachable; TCP: to accept the connection).  The capture is
# decoded with tshark and the shared hep.lua dissector (TCP PDUs re-framed by dissect_tcp_pdus).
# Cases, each compared against tshark's view of the input pcap:
#   full   --hep udp:P1 --hep tcp:P2 --hep-id 2001 --hep-key s3cr3t --hep-node trawl-e2e  (both carriers in one run)
#   plain  --hep udp:P3 --hep-id 7               (no auth key, no node name: chunks 0x0e/0x13 absent)
#   ipv6   --hep udp:P4 --hep-id 2001 --hep-key s3cr3t --hep-node trawl-e2e on a scapy-made IPv6 call
# For every PDU: it decodes, no hep.bad_length / malformed expert info, chunk lengths sum to the HEP
# length, the HEP lengths sum to the UDP payload (or to the TCP stream bytes), vendor 0, no chunk twice;
# chunks 0x01 0x02 0x03/0x05 0x04/0x06 0x07 0x08 0x09 0x0a 0x0b 0x0c 0x0f present (+0x0e, 0x13 when
# configured, absent otherwise); and the values family, ip proto 17, addresses, ports, ts sec*1e6+usec,
# proto type 1, capture id, auth key, node name and payload bytes equal the pcap's, one PDU per SIP
# message (sorted lists, so duplicates or losses show).
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init tshark_hep "$@"
e2e_need_cmd tshark jq
e2e_need_root "tshark capture on lo"

P1="$(e2e_free_port udp)"; P2="$(e2e_free_port tcp)"; P3="$(e2e_free_port udp)"; P4="$(e2e_free_port udp)"
e2e_bg sink-udp-full "$PY" "$E2E_LIB_DIR/e2e.py" sink udp "$P1" "$WORK/sink-udp-full.count"
e2e_bg sink-tcp-full "$PY" "$E2E_LIB_DIR/e2e.py" sink tcp "$P2" "$WORK/sink-tcp-full.count"
e2e_bg sink-udp-plain "$PY" "$E2E_LIB_DIR/e2e.py" sink udp "$P3" "$WORK/sink-udp-plain.count"
e2e_bg sink-udp-ipv6 "$PY" "$E2E_LIB_DIR/e2e.py" sink udp "$P4" "$WORK/sink-udp-ipv6.count"
for pp in "udp $P1" "tcp $P2" "udp $P3" "udp $P4"; do
  # shellcheck disable=SC2086
  e2e_wait_for 10 e2e_listening $pp || e2e_die "sink on $pp did not start"
done
e2e_capture capture "udp port $P1 or tcp port $P2 or udp port $P3 or udp port $P4" "$WORK/hep.pcap"

# sink_got NAME N: the UDP sink has received at least N datagrams
sink_got() { [ "$(cut -d' ' -f1 "$WORK/$1.count" 2>/dev/null || echo 0)" -ge "$2" ]; }

e2e_py expect "$CALLS_PCAP" >"$WORK/expect.json" || e2e_die "tshark could not read $CALLS_PCAP"
N="$(jq length "$WORK/expect.json")"
e2e_trawl trawl-full -r "$CALLS_PCAP" --hep "udp:127.0.0.1:$P1" --hep "tcp:127.0.0.1:$P2" \
  --hep-id 2001 --hep-key s3cr3t --hep-node trawl-e2e
e2e_eq "full: trawl exits 0" 0 "$E2E_RC"
e2e_trawl trawl-plain -r "$CALLS_PCAP" --hep "udp:127.0.0.1:$P3" --hep-id 7
e2e_eq "plain: trawl exits 0" 0 "$E2E_RC"
HAVE_V6=0
if "$PY" -c 'import scapy.all' 2>/dev/null; then
  HAVE_V6=1
  e2e_py ipv6pcap "$WORK/v6.pcap" >"$WORK/scapy.log" 2>&1 || e2e_die "could not write the IPv6 pcap"
  e2e_py expect "$WORK/v6.pcap" >"$WORK/expect6.json"
  N6="$(jq length "$WORK/expect6.json")"
  e2e_trawl trawl-ipv6 -r "$WORK/v6.pcap" --hep "udp:127.0.0.1:$P4" --hep-id 2001 --hep-key s3cr3t \
    --hep-node trawl-e2e
  e2e_eq "ipv6: trawl exits 0" 0 "$E2E_RC"
else
  echo "note: IPv6 part not run (python3-scapy missing)"
fi
# wait (bounded) until the sinks have everything, then stop the capture so the file is complete
e2e_wait_for 10 sink_got sink-udp-full "$N"
e2e_wait_for 10 sink_got sink-udp-plain "$N"
[ "$HAVE_V6" = 1 ] && e2e_wait_for 10 sink_got sink-udp-ipv6 "$N6"
sleep "$(e2e_secs 0.5)"
e2e_stop capture

e2e_py hep "$WORK/hep.pcap" "$P1" "$P2" "$P3" "$P4" >"$WORK/hep.json" || e2e_die "tshark + hep.lua failed"
problems="$(jq -r '.problems[]' "$WORK/hep.json")"
if [ -z "$problems" ]; then e2e_ok "every PDU well framed (no bad_length, chunk/datagram/stream sums agree)"
else e2e_fail "every PDU well framed (no bad_length, chunk/datagram/stream sums agree)" "$problems"; fi

KEYS=(family ip_proto src sport dst dport ts_us proto_type capture_id auth_key node_name payload_hex)
REQ4='[1,2,3,4,7,8,9,10,11,12,15]'
REQ4_FULL='[1,2,3,4,7,8,9,10,11,12,14,15,19]'
REQ6_FULL='[1,2,5,6,7,8,9,10,11,12,14,15,19]'

# hep_case LABEL EXPECT_JSON CARRIER_PORT N REQUIRED_CHUNKS FORBIDDEN_CHUNKS --set K=V...
hep_case() {
  local label="$1" expect="$2" port="$3" n="$4" req="$5" forbid="$6" got bad extra
  shift 6
  got="$(jq --argjson p "$port" '[.pdus[] | select(.carrier_dport == $p)] | length' "$WORK/hep.json")"
  e2e_eq "$label: one HEP PDU per SIP message ($n)" "$n" "$got"
  bad="$(jq -r --argjson p "$port" --argjson req "$req" --argjson forbid "$forbid" '
      .pdus[] | select(.carrier_dport == $p) |
      ([($req - .chunks)[] | "missing chunk \(.)"] +
       [.chunks[] | select(. as $c | $forbid | any(. == $c)) | "unexpected chunk \(.)"] +
       (if .vendors != [0] then ["vendor ids \(.vendors)"] else [] end)) as $errs |
      select($errs | length > 0) | "frame \(.frame): \($errs | join(", "))"' "$WORK/hep.json" 2>&1)"
  if [ -z "$bad" ]; then e2e_ok "$label: chunks present: $req, absent: $forbid, vendor 0"
  else e2e_fail "$label: chunks present: $req, absent: $forbid, vendor 0" "$bad"; fi
  extra="$(jq -r --argjson p "$port" --argjson req "$req" \
    '[.pdus[] | select(.carrier_dport == $p) | (.chunks - $req)[]] | unique | map(tostring) | join(",")' "$WORK/hep.json")"
  [ -n "$extra" ] && echo "note: $label: trawl also sends chunk types $extra"
  e2e_py lines "$expect" "${KEYS[@]}" "$@" >"$WORK/$label-expect.txt"
  e2e_py lines "$WORK/hep.json" "${KEYS[@]}" --where "carrier_dport=$port" >"$WORK/$label-got.txt"
  e2e_same "$label: PDU values == pcap (${KEYS[*]})" "$WORK/$label-expect.txt" "$WORK/$label-got.txt"
}

hep_case udp-full "$WORK/expect.json" "$P1" "$N" "$REQ4_FULL" '[5,6]' \
  --set proto_type=1 --set capture_id=2001 --set auth_key=s3cr3t --set node_name=trawl-e2e
hep_case tcp-full "$WORK/expect.json" "$P2" "$N" "$REQ4_FULL" '[5,6]' \
  --set proto_type=1 --set capture_id=2001 --set auth_key=s3cr3t --set node_name=trawl-e2e
hep_case udp-plain "$WORK/expect.json" "$P3" "$N" "$REQ4" '[5,6,14,19]' \
  --set proto_type=1 --set capture_id=7
if [ "$HAVE_V6" = 1 ]; then
  hep_case ipv6 "$WORK/expect6.json" "$P4" "$N6" "$REQ6_FULL" '[3,4]' \
    --set proto_type=1 --set capture_id=2001 --set auth_key=s3cr3t --set node_name=trawl-e2e
fi
e2e_done
