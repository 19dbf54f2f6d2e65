#!/usr/bin/env bash
# test_kamailio_tcp.sh TRAWL -- trawl's HEP3 over TCP lands in Kamailio sipcapture (SQLite).
#
# trawl -r tests/data/e2e_calls.pcap --hep tcp:127.0.0.1:PORT --hep-id 2001 --hep-node trawl-e2e
# feeds Kamailio 5.6 sipcapture over TCP (shared kamailio-hep-collector-tcp.cfg: tcp_accept_hep3,
# which splits the stream by the HEP3 length field).  Same row-by-row comparison as
# test_kamailio_udp.sh: every SIP message of the pcap is exactly one sip_capture row with tshark's
# callid, method/status, addresses, ports, micro_ts (us), node "homer01:2001", family, proto 1
# (the captured SIP was UDP; the HEP carrier does not matter) and msg == the payload bytes.
# Then the IPv6 call over the same TCP collector.
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init kamailio_tcp "$@"
e2e_need_cmd tshark jq
e2e_need_kamailio sqlops

PORT="$(e2e_free_port tcp)"
DB="$WORK/homer.sqlite"
e2e_kamailio collector-tcp tcp "$PORT" "$DB"
e2e_kam_warmup tcp "$PORT" "$DB" tcp

e2e_trawl trawl -r "$CALLS_PCAP" --hep "tcp:127.0.0.1:$PORT" --hep-id 2001 --hep-node trawl-e2e
e2e_eq "trawl exits 0" 0 "$E2E_RC"
e2e_kam_compare calls "$CALLS_PCAP" "$DB" "callid NOT LIKE 'e2e-%'" 2001

# IPv6: a 7-message call between 2001:db8::10 and 2001:db8::20 (addresses only inside the pcap)
if "$PY" -c 'import scapy.all' 2>/dev/null; then
  e2e_py ipv6pcap "$WORK/v6.pcap" >"$WORK/scapy.log" 2>&1 || e2e_die "could not write the IPv6 pcap"
  e2e_trawl trawl6 -r "$WORK/v6.pcap" --hep "tcp:127.0.0.1:$PORT" --hep-id 2002
  e2e_eq "trawl exits 0 (IPv6 pcap)" 0 "$E2E_RC"
  e2e_kam_compare ipv6 "$WORK/v6.pcap" "$DB" "callid LIKE 'e2e-v6-%'" 2002
else
  echo "note: IPv6 part not run (python3-scapy missing)"
fi
e2e_done
