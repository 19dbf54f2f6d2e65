#!/usr/bin/env bash
# test_kamailio_udp.sh TRAWL -- trawl's HEP3 over UDP lands in Kamailio sipcapture (SQLite).
#
# trawl -r tests/data/e2e_calls.pcap --hep udp:127.0.0.1:PORT --hep-id 2001 --hep-node trawl-e2e
# feeds Kamailio 5.6 sipcapture (shared kamailio-hep-collector.cfg).  Every SIP message of the pcap
# must be exactly one sip_capture row, compared row by row (sorted) against tshark's view of the pcap:
#   callid, method (requests) / status code (replies), source_ip/port, destination_ip/port,
#   micro_ts == pcap timestamp in us, node == "homer01:2001" (capture_node ":" HEP capture id),
#   family 2 (AF_INET), proto 1 (UDP), msg == the UDP payload bytes; no duplicates.
# Then an IPv6 call (generated with scapy): family 10 and the IPv6 addresses.
# Kamailio's single worker can lose rows in back-to-back UDP bursts (peers README): a loss shows up
# here as missing rows and is reported, not hidden by retries.
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init kamailio_udp "$@"
e2e_need_cmd tshark jq
e2e_need_kamailio db_sqlite

PORT="$(e2e_free_port udp)"
DB="$WORK/homer.sqlite"
e2e_kamailio collector udp "$PORT" "$DB"
e2e_kam_warmup udp "$PORT" "$DB" udp

e2e_trawl trawl -r "$CALLS_PCAP" --hep "udp:127.0.0.1:$PORT" --hep-id 2001 --hep-node trawl-e2e
e2e_eq "trawl exits 0" 0 "$E2E_RC"
e2e_kam_compare calls "$CALLS_PCAP" "$DB" "callid NOT LIKE 'e2e-%'" 2001

# IPv6: a 7-message call between 2001:db8::10 and 2001:db8::20 (addresses only inside the pcap)
if "$PY" -c 'import scapy.all' 2>/dev/null; then
  e2e_py ipv6pcap "$WORK/v6.pcap" >"$WORK/scapy.log" 2>&1 || e2e_die "could not write the IPv6 pcap"
  e2e_trawl trawl6 -r "$WORK/v6.pcap" --hep "udp:127.0.0.1:$PORT" --hep-id 2002
  e2e_eq "trawl exits 0 (IPv6 pcap)" 0 "$E2E_RC"
  e2e_kam_compare ipv6 "$WORK/v6.pcap" "$DB" "callid LIKE 'e2e-v6-%'" 2002
else
  echo "note: IPv6 part not run (python3-scapy missing)"
fi
e2e_done
