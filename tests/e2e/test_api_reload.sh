#!/usr/bin/env bash
# test_api_reload.sh TRAWL -- run-time filter changes and config reloads through the HTTP API while
# trawl captures live sipp traffic: nothing lost, nothing duplicated, exactly what the filters let
# through, no crash; /metrics parses with promtool.
#
# Two network namespaces this test creates (and removes), joined by a veth pair:
#   ns "cap"  (10.204.0.1): trawl -c CONFIG captures on the veth, sends HEP to a sink on its own
#             127.0.0.1 (so trawl's output never crosses the captured link), HTTP API on 127.0.0.1;
#             sipp UAS on 5060.
#   ns "peer" (10.204.0.2): sipp UAC calling the UAS at a steady rate (port 5060, always inside
#             every filter); a sender of SIP OPTIONS to port 5070 in numbered bursts; tcpdump on
#             the veth as the ground truth of what crossed the wire.
# The client then takes STEPS (default 200) steps, cycling through
#   1. PUT /inputs/lan/filter "udp port 5060 or udp port 5070"   (5070 let through)
#   2. POST /reload of config A, filter "udp port 5060"          (5070 not)
#   3. POST /reload of config B, filter "udp port 5060 or ..."   (5070 let through; every 20th
#      step by SIGHUP instead, waiting for reloads.ok to move)
#   4. PUT /inputs/lan/filter "udp port 5060"                    (5070 not)
# i.e. 100 filter changes and 100 reloads. After each step is acknowledged (HTTP 200), a burst of
# OPTIONS with Call-IDs naming the step goes to 5070; in a "let through" step the client waits until
# the sink has them before the next step, in a "not" step it waits 150 ms (the kernel filter drops
# them on arrival). Every 25 steps a broken config (400, the old one keeps running) and a bad BPF
# (400 with pcap's message) are tried and must change nothing.
# Checks, per Call-ID against the ground truth capture: every 5060 message (sipp) arrives exactly
# once; every 5070 message of a "let through" step exactly once, of a "not" step never. trawl's
# counters: reloads.ok/failed and filter_changes as done, kernel_drops 0; trawl alive to the end and
# exit 0; /metrics passes `promtool check metrics`; GET /stats names the last filter.
# Exit 77 (skipped) without root, ip netns, sipp, tcpdump, tshark, curl or promtool.
# shellcheck source=lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"
e2e_init api_reload "$@"
e2e_need_root "network namespaces"
e2e_need_cmd ip sipp tcpdump tshark curl promtool jq
STEPS="${TRAWL_API_STEPS:-200}"
BURST=2

tag=a$$
NS_CAP=trawl-apicap-$tag NS_PEER=trawl-apipeer-$tag
VCAP=vc-$tag VPEER=vp-$tag
API=127.0.0.1:18088 HEP_PORT=19060
e2e_netns_trap "$NS_CAP" "$NS_PEER"
if ! ip netns add "$NS_CAP" || ! ip netns add "$NS_PEER"; then e2e_skip "cannot create network namespaces"; fi
# shellcheck source-path=SCRIPTDIR source=veth.sh
. "$E2E_LIB_DIR/veth.sh"
veth_link "$NS_CAP" "$VCAP" 10.204.0.1 "$NS_PEER" "$VPEER" 10.204.0.2 ||
  e2e_die "cannot create the veth pair"
IN_CAP=(ip netns exec "$NS_CAP")
IN_PEER=(ip netns exec "$NS_PEER")

# --- HEP sink (ns cap, 127.0.0.1): one line per HEP message, the Call-ID of its SIP payload
cat >"$WORK/sink.py" <<'PY'
import re, signal, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
out = open(sys.argv[2], "w", buffering=1)
signal.signal(signal.SIGTERM, lambda *_: (out.close(), sys.exit(0)))
cid = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.I | re.M)
while True:
    d = s.recv(70000)
    if d[:4] != b"HEP3":
        out.write("notHEP\n"); continue
    off, payload = 6, b""
    while off + 6 <= len(d):
        _vendor, ctype, clen = struct.unpack("!HHH", d[off:off + 6])
        if clen < 6:
            break
        if ctype == 15:
            payload = d[off + 6:off + clen]
        off += clen
    m = cid.search(payload)
    out.write((m.group(1).decode(errors="replace") if m else "-") + "\n")
PY
e2e_bg sink "${IN_CAP[@]}" "$PY" "$WORK/sink.py" "$HEP_PORT" "$WORK/sink.out"

# --- configs: A lets 5060 through, B 5060 and 5070; BAD does not load
mkconf() {
  cat >"$1.tmp" <<EOF
inputs:
  lan:
    kind: iface
    interface: $VCAP
    filter: "$2"
    buffer_mb: 16
outputs:
  sink:
    kind: hep
    target: "udp:127.0.0.1:$HEP_PORT"
control:
  http: "$API"
EOF
  mv "$1.tmp" "$1"   # atomic: a SIGHUP never reads half a file
}
F_BOTH="udp port 5060 or udp port 5070"
F_5060="udp port 5060"
mkconf "$WORK/a.yaml" "$F_5060"
mkconf "$WORK/b.yaml" "$F_BOTH"
cp "$WORK/a.yaml" "$WORK/trawl.yaml"

# --- ground truth on the peer's side of the link
e2e_bg truth "${IN_PEER[@]}" tcpdump -n -i "$VPEER" -B 16384 -w "$WORK/truth.pcap" \
  "udp port 5060 or udp port 5070"
e2e_wait_for 10 grep -q "listening on" "$WORK/truth.log" || e2e_die "tcpdump did not start"

e2e_bg trawl "${IN_CAP[@]}" "$TRAWL" -c "$WORK/trawl.yaml" --user root
api() { "${IN_CAP[@]}" curl -s -m 20 -o "$WORK/api.body" -w '%{http_code}' "$@"; }
api_up() { [ "$(api "http://$API/stats")" = 200 ]; }
e2e_wait_for 15 api_up || e2e_die "trawl's HTTP API did not come up"
TRAWL_PID="$(cat "$WORK/trawl.pid")"

# --- traffic: sipp UAS in cap, UAC in peer at 20 calls/s; the 5070 burst sender in peer
e2e_bg uas "${IN_CAP[@]}" sipp -sn uas -i 10.204.0.1 -p 5060 -nostdin -bind_local -trace_err \
  -error_file "$WORK/uas.err"
sleep 0.5
e2e_bg uac "${IN_PEER[@]}" sipp -sn uac 10.204.0.1:5060 -i 10.204.0.2 -p 5062 -r 20 -d 200 \
  -nostdin -bind_local -trace_err -error_file "$WORK/uac.err"
mkfifo "$WORK/burst.fifo"
cat >"$WORK/burst.py" <<'PY'
import socket, sys
n = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.204.0.2", 5072))
for line in open(sys.argv[1]):
    step = line.strip()
    for k in range(n):
        msg = ("OPTIONS sip:probe@10.204.0.1:5070 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 10.204.0.2:5072;branch=z9hG4bK-p%s-%d\r\n"
               "From: <sip:client@10.204.0.2>;tag=p%s\r\nTo: <sip:probe@10.204.0.1>\r\n"
               "Call-ID: p5070-%s-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") % (step, k, step, step, k)
        s.sendto(msg.encode(), ("10.204.0.1", 5070))
PY
"${IN_PEER[@]}" "$PY" "$WORK/burst.py" "$WORK/burst.fifo" "$BURST" >"$WORK/burst.log" 2>&1 &
BURST_PID=$!
exec 7>"$WORK/burst.fifo"
sleep 1

stat_of() { api "http://$API/stats" >/dev/null && jq -r --arg k "$1" '.counters[$k] // 0' "$WORK/api.body"; }
sink_has_step() { [ "$(grep -c "^p5070-$1-" "$WORK/sink.out")" -ge "$BURST" ]; }
bad_http=0 puts=0 reloads=0 failed_reloads=0 huped=0
: >"$WORK/phases"
for ((i = 1; i <= STEPS; i++)); do
  case $((i % 4)) in
    1) code="$(api -X PUT --data-binary "$F_BOTH" "http://$API/inputs/lan/filter")"; inc=1; puts=$((puts + 1)) ;;
    2) cp "$WORK/a.yaml" "$WORK/trawl.yaml"; code="$(api -X POST "http://$API/reload")"; inc=0
       reloads=$((reloads + 1)) ;;
    3) cp "$WORK/b.yaml" "$WORK/trawl.yaml"; inc=1; reloads=$((reloads + 1))
       if [ $((i % 20)) = 3 ]; then
         before="$(stat_of reloads.ok)"
         kill -HUP "$TRAWL_PID"
         hup_done() { [ "$(stat_of reloads.ok)" -gt "$before" ]; }
         if e2e_wait_for 10 hup_done; then code=200; huped=$((huped + 1)); else code=hup-timeout; fi
       else
         code="$(api -X POST "http://$API/reload")"
       fi ;;
    0) code="$(api -X PUT --data-binary "$F_5060" "http://$API/inputs/lan/filter")"; inc=0; puts=$((puts + 1)) ;;
  esac
  if [ "$code" != 200 ]; then
    bad_http=$((bad_http + 1)); echo "step $i: HTTP $code: $(cat "$WORK/api.body")"
  fi
  echo "$i $inc" >>"$WORK/phases"
  echo "$i" >&7
  if [ "$inc" = 1 ]; then
    e2e_wait_for 5 sink_has_step "$i" || echo "step $i: burst not at the sink within 5 s"
  else
    sleep 0.15
  fi
  if [ $((i % 25)) = 0 ]; then   # must change nothing: the phase above stays in force
    printf 'inputs: [broken\n' >"$WORK/trawl.yaml"
    c1="$(api -X POST "http://$API/reload")"; b1="$(cat "$WORK/api.body")"
    c2="$(api -X PUT --data-binary "udp port 5060 or or" "http://$API/inputs/lan/filter")"; b2="$(cat "$WORK/api.body")"
    failed_reloads=$((failed_reloads + 1))
    if [ "$c1" != 400 ] || [ "$c2" != 400 ]; then
      bad_http=$((bad_http + 1)); echo "step $i: broken config -> $c1 ($b1), bad BPF -> $c2 ($b2)"
    fi
    echo "step $i: refused as expected: $b1 | $b2" >>"$WORK/refusals.log"
    cp "$WORK/b.yaml" "$WORK/trawl.yaml"
  fi
done
exec 7>&-
e2e_eq "every API step answered 200 (and every broken config / bad BPF 400)" 0 "$bad_http"
grep -q "yaml\|expected" "$WORK/refusals.log" && grep -q "syntax error\|parse" "$WORK/refusals.log"
e2e_eq "the refusals carry the loader's and pcap's messages" 0 "$?"
e2e_eq "steps done by SIGHUP" $((STEPS / 20)) "$huped"

# --- the other endpoints' errors, while it runs
e2e_eq "unknown input: 404" 404 "$(api -X PUT --data-binary x "http://$API/inputs/nope/filter")"
e2e_eq "GET on the reload path: 405" 405 "$(api "http://$API/reload")"
e2e_eq "unknown path: 404" 404 "$(api "http://$API/nothing")"
e2e_eq "GET /stats names the filter in force" "$F_5060" \
  "$(api "http://$API/stats" >/dev/null; jq -r '.inputs[] | select(.config_name == "lan") | .filter' "$WORK/api.body")"
e2e_eq "GET /metrics: 200" 200 "$(api "http://$API/metrics")"
cp "$WORK/api.body" "$WORK/metrics.txt"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.log" 2>&1
e2e_eq "promtool check metrics accepts /metrics" 0 "$?"
grep -q '^trawl_input_packets_total{input="lan"} [1-9]' "$WORK/metrics.txt"
e2e_eq "/metrics has per-input packets with the config's name" 0 "$?"
grep -q '^trawl_input_kernel_drops_total{input="lan"} ' "$WORK/metrics.txt" &&
  grep -q '^trawl_output_sent_total{output="sink"} ' "$WORK/metrics.txt" &&
  grep -q '^trawl_reloads_ok_total ' "$WORK/metrics.txt"
e2e_eq "/metrics has kernel drops, output counters, reload counters" 0 "$?"

# --- stop the traffic, let everything drain, then stop the capture and trawl
e2e_stop uac
sleep 1
e2e_stop uas
kill "$BURST_PID" 2>/dev/null; wait "$BURST_PID" 2>/dev/null
sleep 1
e2e_check "trawl still running after $STEPS steps" e2e_alive "$TRAWL_PID"
e2e_stop truth
kill -TERM "$TRAWL_PID"
e2e_wait_for 15 e2e_dead "$TRAWL_PID"
wait "$TRAWL_PID" 2>/dev/null
e2e_eq "trawl exits 0 after SIGTERM" 0 "$?"
e2e_no_sanitizer_report trawl
grep -q "^trawl: summary" "$WORK/trawl.log"
e2e_eq "trawl printed its summary at exit (SIGTERM)" 0 "$?"
e2e_stop sink

e2e_eq "summary: reloads.ok" $((reloads)) "$(e2e_summary "$WORK/trawl.log" reloads.ok)"
e2e_eq "summary: reloads.failed" "$failed_reloads" "$(e2e_summary "$WORK/trawl.log" reloads.failed)"
e2e_eq "summary: filter_changes" "$puts" "$(e2e_summary "$WORK/trawl.log" filter_changes)"
e2e_eq "summary: kernel_drops" 0 "$(e2e_summary "$WORK/trawl.log" kernel_drops)"
grep -q "^0 packets dropped by kernel" "$WORK/truth.log"
e2e_eq "ground truth capture dropped nothing" 0 "$?"

# --- per Call-ID: ground truth x phases vs the sink
tshark -n -r "$WORK/truth.pcap" -d udp.port==5070,sip -Y sip -T fields -e sip.Call-ID >"$WORK/truth.cids" 2>"$WORK/tshark.log" ||
  e2e_die "tshark could not read the ground truth"
"$PY" - "$WORK/truth.cids" "$WORK/phases" "$WORK/sink.out" >"$WORK/compare.txt" <<'PY'
import collections, sys
truth = collections.Counter(l.strip() for l in open(sys.argv[1]) if l.strip())
phase = dict(l.split() for l in open(sys.argv[2]))
got = collections.Counter(l.strip() for l in open(sys.argv[3]) if l.strip())
want = collections.Counter()
n5060 = n_in = n_out = 0
for cid, n in truth.items():
    if cid.startswith("p5070-"):
        step = cid.split("-")[1]
        if phase.get(step) == "1":
            want[cid] = n; n_in += n
        else:
            n_out += n
    else:
        want[cid] = n; n5060 += n
lost = sum(max(0, want[c] - got[c]) for c in want)
dup = sum(max(0, got[c] - want[c]) for c in got if c in want)
leaked = sum(got[c] for c in got if c not in want)
print("5060_msgs %d\n5070_let_through %d\n5070_filtered %d\nlost %d\nduplicated %d\nleaked %d"
      % (n5060, n_in, n_out, lost, dup, leaked))
for c in sorted(set(want) | set(got)):
    if want[c] != got[c]:
        print("mismatch %s want %d got %d" % (c, want[c], got[c]))
PY
val() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/compare.txt"; }
echo "result: $(head -6 "$WORK/compare.txt" | tr '\n' ' ')"
e2e_check "sipp traffic on 5060 seen ($(val 5060_msgs) messages, > 1000)" [ "$(val 5060_msgs)" -gt 1000 ]
e2e_eq "5070 let through: every step's burst on the wire" $((STEPS * BURST / 2)) "$(val 5070_let_through)"
e2e_eq "5070 filtered: every step's burst on the wire" $((STEPS * BURST / 2)) "$(val 5070_filtered)"
e2e_eq "nothing lost (per Call-ID, sink vs ground truth)" 0 "$(val lost)"
e2e_eq "nothing duplicated" 0 "$(val duplicated)"
e2e_eq "nothing the filter in force refused reached the sink" 0 "$(val leaked)"
grep -q notHEP "$WORK/sink.out"
e2e_eq "nothing but HEP at the sink" 1 "$?"
e2e_done
