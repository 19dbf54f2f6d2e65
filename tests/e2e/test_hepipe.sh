#!/usr/bin/env bash
# test_hepipe.sh TRAWL -- HEPipe log lines in, HEP logs (type 100) out, decoded by tshark + hep.lua.
#
# A file of log lines (good IPv4 and IPv6 lines, a payload holding ';', CRLF endings, one line of
# each malformed class) is fed to `trawl --hepipe -` (standard input: its end ends the run) with a
# HEP UDP output and a JSON output. trawl's HEP is captured on lo with tshark and decoded by the
# shared hep.lua dissector (hep_decode.py). Checks: one HEP PDU per good line and none for the bad
# ones; every PDU is HEP3 type 100 (LOG) with the line's correlation id (chunk 0x11), addresses,
# ports, time (ts_sec*1e6+ts_usec) and payload text; the summary counts each malformed class under
# its own reason; the JSON lines are "type":"log" with the same call_id and text; Kamailio
# sipcapture (when installed) stores each good line in logs_capture with the same fields. Then the same
# lines sent as UDP datagrams (several lines per datagram) to --hepipe udp:PORT and written to a
# FIFO given to --hepipe give the same JSON.
# shellcheck source=lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"
e2e_init hepipe "$@"
e2e_need_cmd tshark jq
e2e_need_root "tshark capture on lo"

P="$(e2e_free_port udp)"
e2e_bg sink "$PY" "$E2E_LIB_DIR/e2e.py" sink udp "$P" "$WORK/sink.count"
e2e_wait_for 10 e2e_listening udp "$P" || e2e_die "sink did not start"
e2e_capture capture "udp port $P" "$WORK/hep.pcap"

# good lines: corr_id;src;sport;dst;dport;ts;text as expected afterwards
cat >"$WORK/lines.txt" <<'LINES'
1700000000;123456;call-1@host;10.0.0.1;5060;10.0.0.2;5070;call routed to gw1
1700000001;5;call-2@host;2001:db8::1;5062;[2001:db8::2];5064;ipv6 leg answered
1700000002;999999;call-3@host;192.0.2.7;1;198.51.100.9;65535;a;b;;c = payload with semicolons
bad line without fields
1700000003;1000000;c;1.1.1.1;1;2.2.2.2;2;usec too big
1700000004;0;;1.1.1.1;1;2.2.2.2;2;no correlation id
1700000005;0;c;1.1.1;1;2.2.2.2;2;bad address
1700000006;0;c;1.1.1.1;70000;2.2.2.2;2;bad port
1700000007;0;c;1.1.1.1;1;::1;2;family mismatch
1700000008;0;c;1.1.1.1;1;2.2.2.2;2;

1700000009;42;call-4@host;10.0.0.3;5060;10.0.0.4;5060;crlf line
LINES
printf '1700000010;7;call-5@host;10.0.0.5;5080;10.0.0.6;5090;last line without newline' >>"$WORK/lines.txt"
sed -i 's/crlf line$/crlf line\r/' "$WORK/lines.txt"
GOOD=5

printf '%q ' "$TRAWL" --hepipe - --hep "udp:127.0.0.1:$P" --hep-id 2001 --json "$WORK/out.json" >"$WORK/trawl.cmd"
timeout -k 5 "$(e2e_secs 30)" "$TRAWL" --hepipe - --hep "udp:127.0.0.1:$P" --hep-id 2001 \
  --json "$WORK/out.json" --user root <"$WORK/lines.txt" >"$WORK/trawl.out" 2>"$WORK/trawl.log"
e2e_eq "trawl ends at the end of standard input, exit 0" 0 "$?"
e2e_no_sanitizer_report trawl
sink_got() { [ "$(cut -d' ' -f1 "$WORK/sink.count" 2>/dev/null || echo 0)" -ge "$1" ]; }
e2e_wait_for 10 sink_got "$GOOD"
sleep "$(e2e_secs 0.5)"
e2e_stop capture

S() { e2e_summary "$WORK/trawl.log" "hepipe:-.$1"; }
e2e_eq "summary: lines seen (5 good, 7 malformed, 1 empty)" 13 "$(S lines)"
e2e_eq "summary: lines sent" "$GOOD" "$(S packets)"
for r in too_few_fields bad_timestamp bad_correlation_id bad_address bad_port family_mismatch \
         empty_payload empty; do
  e2e_eq "summary: rejected.$r counted once" 1 "$(S "rejected.$r")"
done
e2e_eq "summary: rejected.too_long" 0 "$(S rejected.too_long)"

"$PY" "$PEERS/hep_decode.py" "$WORK/hep.pcap" --port "$P" --json >"$WORK/hep.json" 2>"$WORK/decode.log" ||
  e2e_die "tshark + hep.lua could not decode the capture"
e2e_eq "one HEP PDU per good line" "$GOOD" "$(jq length "$WORK/hep.json")"
# What tshark + hep.lua decoded, one line per PDU, against what the lines said
jq -r '.[] | [.version, .proto_type, .correlation_id, (.src_ip | ltrimstr("[") | rtrimstr("]")),
             .src_port, (.dst_ip | ltrimstr("[") | rtrimstr("]")), .dst_port,
             (.ts_sec * 1000000 + .ts_usec), .capture_id, .first_line] | map(tostring) | join("|")' \
  "$WORK/hep.json" | sort >"$WORK/got.txt"
cat >"$WORK/want.txt" <<'WANT'
HEP3|100|call-1@host|10.0.0.1|5060|10.0.0.2|5070|1700000000123456|2001|call routed to gw1
HEP3|100|call-2@host|2001:db8::1|5062|2001:db8::2|5064|1700000001000005|2001|ipv6 leg answered
HEP3|100|call-3@host|192.0.2.7|1|198.51.100.9|65535|1700000002999999|2001|a;b;;c = payload with semicolons
HEP3|100|call-4@host|10.0.0.3|5060|10.0.0.4|5060|1700000009000042|2001|crlf line
HEP3|100|call-5@host|10.0.0.5|5080|10.0.0.6|5090|1700000010000007|2001|last line without newline
WANT
sort -o "$WORK/want.txt" "$WORK/want.txt"
e2e_same "HEP fields decoded by tshark == the lines (version, type, corr id, addresses, ports, time, capture id, text)" \
  "$WORK/want.txt" "$WORK/got.txt"

jq -r '[.type, .call_id, .src, (.sport|tostring), .dst, (.dport|tostring), (.ts_us|tostring), .log.data] | join("|")' \
  "$WORK/out.json" | sort >"$WORK/json.txt"
cut -d"|" -f3-8,10 "$WORK/want.txt" | sed 's/^/log|/' | sort >"$WORK/want-json.txt"
e2e_same "JSON lines: type log, call_id, addresses, ports, time, text" "$WORK/want-json.txt" "$WORK/json.txt"

# A real collector: Kamailio sipcapture stores HEP type 100 in logs_capture.
if command -v kamailio >/dev/null && command -v sqlite3 >/dev/null; then
  K="$(e2e_free_port udp)"
  e2e_kamailio kam udp "$K" "$WORK/homer.sqlite"
  e2e_kam_warmup udp "$K" "$WORK/homer.sqlite" hepipe
  timeout -k 5 "$(e2e_secs 30)" "$TRAWL" --hepipe - --hep "udp:127.0.0.1:$K" --hep-id 2001 --user root \
    <"$WORK/lines.txt" >"$WORK/trawl-kam.out" 2>"$WORK/trawl-kam.log"
  e2e_eq "Kamailio run: trawl exit 0" 0 "$?"
  kam_logs() { [ "$(sqlite3 -cmd ".timeout 5000" "$WORK/homer.sqlite" "SELECT count(*) FROM logs_capture")" -ge "$GOOD" ]; }
  e2e_wait_for 10 kam_logs
  sleep "$(e2e_secs 0.5)"
  sqlite3 -cmd ".timeout 5000" -separator '|' "$WORK/homer.sqlite" \
    "SELECT correlation_id, source_ip, source_port, destination_ip, destination_port, micro_ts,
            node, CAST(msg AS TEXT) FROM logs_capture" | sort >"$WORK/kam.txt"
  cut -d'|' -f3-9,10 "$WORK/want.txt" | awk -F'|' -v OFS='|' '{ print $1, $2, $3, $4, $5, $6, "homer01:" $7, $8 }' |
    sort >"$WORK/want-kam.txt"
  e2e_same "Kamailio logs_capture rows == the lines (corr id, addresses, ports, micro_ts, node, text)" \
    "$WORK/want-kam.txt" "$WORK/kam.txt"
  e2e_stop kam
else
  echo "note: Kamailio part not run (kamailio or sqlite3 missing)"
fi

# The same lines over UDP (several per datagram) and through a FIFO.
U="$(e2e_free_port udp)"
mkfifo "$WORK/fifo"
e2e_bg trawl-live "$TRAWL" --hepipe "udp:127.0.0.1:$U" --hepipe "$WORK/fifo" --json "$WORK/live.json" --user root
e2e_wait_for 10 e2e_listening udp "$U" || e2e_die "trawl did not bind udp $U"
"$PY" - "$U" "$WORK/lines.txt" <<'PY'
import socket, sys
data = open(sys.argv[2], "rb").read()
lines = data.split(b"\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(0, len(lines), 3):            # three lines per datagram
    s.sendto(b"\n".join(lines[i:i + 3]), ("127.0.0.1", int(sys.argv[1])))
PY
cat "$WORK/lines.txt" >"$WORK/fifo"; echo >"$WORK/fifo"  # a writer that comes and goes, twice
json_lines() { [ "$(wc -l <"$WORK/live.json")" -ge "$1" ]; }
kill -USR1 "$(cat "$WORK/trawl-live.pid")"
e2e_wait_for 10 json_lines $((2 * GOOD))
e2e_stop trawl-live
e2e_no_sanitizer_report trawl-live
jq -r '[.type, .call_id, .src, (.sport|tostring), .dst, (.dport|tostring), (.ts_us|tostring), .log.data] | join("|")' \
  "$WORK/live.json" | sort >"$WORK/live.txt"
sort "$WORK/want-json.txt" "$WORK/want-json.txt" >"$WORK/want-live.txt"
e2e_same "UDP (3 lines per datagram) and FIFO: each good line once per source" "$WORK/want-live.txt" "$WORK/live.txt"
e2e_done
