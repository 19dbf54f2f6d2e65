#!/usr/bin/env bash
# test_sngrep.sh TRAWL -- sngrep, an independent HEP3 decoder, rebuilds the original SIP from trawl's HEP.
#
# sngrep -N -q -L udp:127.0.0.1:PORT -O out.pcap listens for HEP3 and writes one Ethernet/IP/UDP
# frame per HEP packet, built from the HEP addresses, ports and timestamp.  trawl replays
# tests/data/e2e_calls.pcap to it (--hep udp:127.0.0.1:PORT); tshark then reads both pcaps and every
# SIP message must match, sorted: frame time in us, address family, src/dst address and port,
# Call-ID, method/status, and the payload bytes.  Same for an IPv6 call made with scapy, except the
# addresses: sngrep 1.6.0 writes HEP with IPv6 chunks as IPv4 frames from 0.0.0.0 to 0.0.0.0 (checked
# with the reference encoder hep3_send.py), so for IPv6 the addresses are left to test_tshark_hep.sh
# and test_kamailio_*.sh.
# shellcheck source=lib.sh disable=SC2317  # helpers are called through e2e_wait_for
. "$(dirname "$0")/lib.sh"
e2e_init sngrep "$@"
e2e_need_cmd sngrep tshark jq

# Recv-Q of the UDP socket on 127.0.0.1:PORT is 0: sngrep has read every datagram sent so far
e2e_udp_drained() { [ "$(ss -H -lun "src 127.0.0.1:$1" | awk '{print $2; exit}')" = 0 ]; }

# sngrep_case LABEL PCAP KEY...: trawl PCAP -> sngrep -> compare KEYs with tshark's view of PCAP
sngrep_case() {
  local label="$1" pcap="$2" port n
  shift 2
  local keys=("$@")
  port="$(e2e_free_port udp)"
  e2e_bg "sngrep-$label" sngrep -N -q -L "udp:127.0.0.1:$port" -O "$WORK/sngrep-$label.pcap"
  e2e_wait_for 15 e2e_listening udp "$port" || e2e_die "sngrep did not listen on udp $port"

  e2e_py expect "$pcap" >"$WORK/$label-expect.json" || e2e_die "tshark could not read $pcap"
  n="$(jq length "$WORK/$label-expect.json")"
  e2e_trawl "trawl-$label" -r "$pcap" --hep "udp:127.0.0.1:$port" --hep-id 2001 --hep-node trawl-e2e
  e2e_eq "$label: trawl exits 0" 0 "$E2E_RC"
  e2e_wait_for 10 e2e_udp_drained "$port" || echo "note: sngrep still has unread datagrams"
  e2e_stop "sngrep-$label"       # SIGTERM: sngrep flushes and closes its pcap
  [ -s "$WORK/sngrep-$label.pcap" ] || { e2e_fail "$label: sngrep wrote a pcap"; return; }

  e2e_py expect "$WORK/sngrep-$label.pcap" >"$WORK/$label-sngrep.json" ||
    { e2e_fail "$label: tshark reads sngrep's pcap"; return; }
  e2e_eq "$label: sngrep decoded one SIP message per message of the pcap" \
    "$n" "$(jq length "$WORK/$label-sngrep.json")"
  e2e_py lines "$WORK/$label-expect.json" "${keys[@]}" >"$WORK/$label-expect.txt"
  e2e_py lines "$WORK/$label-sngrep.json" "${keys[@]}" >"$WORK/$label-sngrep.txt"
  e2e_same "$label: sngrep's pcap == input (${keys[*]})" \
    "$WORK/$label-expect.txt" "$WORK/$label-sngrep.txt"
}

sngrep_case calls "$CALLS_PCAP" ts_us family src sport dst dport call_id method payload_hex
if "$PY" -c 'import scapy.all' 2>/dev/null; then
  e2e_py ipv6pcap "$WORK/v6.pcap" >"$WORK/scapy.log" 2>&1 || e2e_die "could not write the IPv6 pcap"
  sngrep_case ipv6 "$WORK/v6.pcap" ts_us sport dport call_id method payload_hex
else
  echo "note: IPv6 part not run (python3-scapy missing)"
fi
e2e_done
