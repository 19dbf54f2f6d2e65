#!/usr/bin/env bash
# test_reload_pipeline.sh TRAWL -- POST /reload adds, keeps and removes inputs and outputs, and a
# config that loads but cannot be opened is rolled back. No root needed: HEPipe UDP inputs and
# JSON outputs on 127.0.0.1.
#   A: in1 (hepipe udp:P1) -> j1 (out1.json)
#   B: in1, in2 (udp:P2) -> j1, j2 (out2.json)        in1 and j1 kept: a sender streaming lines to
#                                                     P1 across the reload loses none, out1.json is
#                                                     not reopened (its earlier lines are still there)
#   C: B + j3 at /nonexistent/dir/x.json               loads, fails to open: 400, B keeps running,
#                                                     the new outputs opened for it are closed again
#   D: in2 -> j2                                      in1 closed (P1 free again), j1 closed
# Also: the reload counters, GET /stats lists the inputs in force, 409 for PUT filter on a HEPipe
# input, and a config that does not parse leaves everything as it was.
# shellcheck source=lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"
e2e_init reload_pipeline "$@"
e2e_need_cmd curl jq ss

P1="$(e2e_free_port udp)"; P2="$(e2e_free_port udp)"; PA="$(e2e_free_port tcp)"
conf() { # conf NAME INPUTS OUTPUTS (as YAML blocks)
  printf 'inputs:\n%b\noutputs:\n%b\ncontrol:\n  http: "127.0.0.1:%s"\n' "$2" "$3" "$PA" >"$WORK/$1.yaml"
}
IN1="  in1:\n    kind: hepipe\n    path: \"udp:127.0.0.1:$P1\""
IN2="  in2:\n    kind: hepipe\n    path: \"udp:127.0.0.1:$P2\""
J1="  j1:\n    kind: json\n    path: \"$WORK/out1.json\""
J2="  j2:\n    kind: json\n    path: \"$WORK/out2.json\""
J3="  j3:\n    kind: json\n    path: \"/nonexistent/dir/x.json\""
conf A "$IN1" "$J1"
conf B "$IN1\n$IN2" "$J1\n$J2"
conf C "$IN1\n$IN2" "$J1\n$J2\n$J3"
conf D "$IN2" "$J2"
cp "$WORK/A.yaml" "$WORK/trawl.yaml"

e2e_bg trawl "$TRAWL" -c "$WORK/trawl.yaml" --user root  # root: the work dir is private
api() { curl -s -m 20 -o "$WORK/api.body" -w '%{http_code}' "$@"; }
api_up() { [ "$(api "http://127.0.0.1:$PA/stats")" = 200 ]; }
e2e_wait_for 15 api_up || e2e_die "the HTTP API did not come up"
inputs_now() { api "http://127.0.0.1:$PA/stats" >/dev/null; jq -r '[.inputs[].config_name] | join(",")' "$WORK/api.body"; }
reload_with() { cp "$WORK/$1.yaml" "$WORK/trawl.yaml"; api -X POST "http://127.0.0.1:$PA/reload"; }
lines_in() { [ "$(wc -l <"$2" 2>/dev/null || echo 0)" -ge "$1" ]; }

# a sender: N lines to PORT, 1 ms apart, correlation ids TAG-0..N-1
cat >"$WORK/send.py" <<'PY'
import socket, sys, time
port, n, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(("1700000000;%d;%s-%d;10.0.0.1;5060;10.0.0.2;5060;line %d\n" % (i, tag, i, i)).encode(),
             ("127.0.0.1", port))
    time.sleep(0.001)
PY
"$PY" "$WORK/send.py" "$P1" 10 a1
e2e_wait_for 10 lines_in 10 "$WORK/out1.json"
e2e_eq "A: inputs in force" "in1" "$(inputs_now)"

# A -> B while 2000 lines stream into in1
"$PY" "$WORK/send.py" "$P1" 2000 s1 &
SENDER=$!
sleep 0.5
e2e_eq "A -> B: 200" 200 "$(reload_with B)"
wait "$SENDER"
e2e_eq "B: inputs in force" "in1,in2" "$(inputs_now)"
"$PY" "$WORK/send.py" "$P2" 10 b2
e2e_wait_for 10 lines_in 2020 "$WORK/out1.json"
e2e_wait_for 10 lines_in 10 "$WORK/out2.json"
e2e_eq "kept in1: every streamed line once in out1 (distinct, total; none lost or doubled)" "2000 2000" \
  "$(jq -r '.call_id' "$WORK/out1.json" | grep -c '^s1-' ) $(jq -r '.call_id' "$WORK/out1.json" | grep '^s1-' | sort -u | wc -l)"
e2e_eq "kept j1: out1.json not reopened (A's lines still there)" 10 "$(grep -c '"a1-' "$WORK/out1.json")"
e2e_eq "new in2 -> both outputs" "10 10" "$(grep -c '"b2-' "$WORK/out1.json") $(grep -c '"b2-' "$WORK/out2.json")"

# B -> C: fails at open, rolled back
code="$(reload_with C)"
e2e_eq "C (output cannot open): 400" 400 "$code"
grep -q "/nonexistent/dir/x.json" "$WORK/api.body"
e2e_eq "C: the answer names what failed" 0 "$?"
e2e_eq "C: inputs unchanged" "in1,in2" "$(inputs_now)"
"$PY" "$WORK/send.py" "$P2" 5 c2
e2e_wait_for 10 lines_in 15 "$WORK/out2.json"
e2e_eq "C: B still runs (j2 got lines after the refusal)" 5 "$(grep -c '"c2-' "$WORK/out2.json")"
printf 'inputs: {\n' >"$WORK/trawl.yaml"
e2e_eq "unparsable config: 400" 400 "$(api -X POST "http://127.0.0.1:$PA/reload")"
e2e_eq "PUT filter on a HEPipe input: 409" 409 \
  "$(api -X PUT --data-binary 'udp' "http://127.0.0.1:$PA/inputs/in1/filter")"

# B -> D: in1 and j1 removed
e2e_eq "B -> D: 200" 200 "$(reload_with D)"
e2e_eq "D: inputs in force" "in2" "$(inputs_now)"
ss -H -lun "src 127.0.0.1:$P1" | grep -q .
e2e_eq "D: in1 closed (udp $P1 no longer bound)" 1 "$?"
before="$(wc -l <"$WORK/out1.json")"
"$PY" "$WORK/send.py" "$P2" 5 d2
e2e_wait_for 10 lines_in 20 "$WORK/out2.json"
e2e_eq "D: j2 gets in2's lines" 5 "$(grep -c '"d2-' "$WORK/out2.json")"
sleep 0.3
e2e_eq "D: j1 closed (gets nothing more)" "$before" "$(wc -l <"$WORK/out1.json")"
api "http://127.0.0.1:$PA/stats" >/dev/null
e2e_eq "counters: reloads ok / failed" "2 2" \
  "$(jq -r '"\(.counters["reloads.ok"]) \(.counters["reloads.failed"])"' "$WORK/api.body")"
e2e_stop trawl
e2e_no_sanitizer_report trawl
e2e_eq "summary at exit: reloads.ok" 2 "$(e2e_summary "$WORK/trawl.log" reloads.ok)"
e2e_done
