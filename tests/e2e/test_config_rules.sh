#!/usr/bin/env bash
# test_config_rules.sh TRAWL -- the config file and rules end to end (docs/config.md, docs/rules.md),
# no root and no peers needed:
#   1. offline: a golden pcap through `trawl -c` with rules: INVITEs to a JSON file (tagged),
#      2xx responses to a CSV file, everything else dropped by the default; the summary counts
#      each rule; the CSV is RFC 4180 with its header;
#   2. --check-config: OK / exit 0 for the example config, "FILE:LINE: KEY: expected" / exit 2
#      for a broken one; -c with a model option (-r) is a usage error;
#   3. live + SIGHUP: a HEPipe UDP input on 127.0.0.1 -> JSON, rules tag every log line "v1";
#      after SIGHUP the new rules (a Lua verdict that drops lines containing "secret" and tags
#      the others "v2") apply to lines sent afterwards; a Lua error counts and never stops capture.
# shellcheck source=lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"
e2e_init config_rules "$@"
e2e_need_cmd jq ss
PCAP="$E2E_REPO/tests/golden/pcap/sip_eth.pcap"
[ -s "$PCAP" ] || e2e_die "missing $PCAP"

# ---- 1. offline routing
cat >"$WORK/offline.yaml" <<EOF
inputs:
  golden: { kind: file, path: "$PCAP" }
outputs:
  audit: { kind: json, path: "$WORK/invites.json" }
  table: { kind: csv, path: "$WORK/ok.csv" }
rules:
  - name: invites
    match: { method: INVITE, input: golden }
    action: { send: [audit], tag: { kind: "setup,1" } }
  - name: ok
    match: { status: 2xx }
    action: { send: [table] }
EOF
e2e_trawl offline -c "$WORK/offline.yaml"
e2e_eq "offline: exit 0" 0 "$E2E_RC"
e2e_eq "offline: one INVITE in JSON" 1 "$(wc -l <"$WORK/invites.json")"
e2e_eq "offline: the INVITE is tagged" '{"kind":"setup,1"}' "$(jq -c .tags "$WORK/invites.json")"
e2e_eq "offline: CSV header + two 200 OK rows" 3 "$(wc -l <"$WORK/ok.csv")"
e2e_eq "offline: CSV header" "ts,ts_us,type" "$(head -n1 "$WORK/ok.csv" | cut -d, -f1-3)"
e2e_eq "offline: CSV rows are 200s" "200 200" "$(tail -n +2 "$WORK/ok.csv" | "$PY" -c '
import csv, sys
print(" ".join(r[13] for r in csv.reader(sys.stdin)))')"
e2e_eq "offline: rule invites matched" 1 "$(e2e_summary "$WORK/offline.log" rule.invites.matched)"
e2e_eq "offline: rule ok matched" 2 "$(e2e_summary "$WORK/offline.log" rule.ok.matched)"
e2e_eq "offline: unmatched (default drop)" 4 "$(e2e_summary "$WORK/offline.log" rules.unmatched)"

# ---- 2. --check-config and CLI exclusivity
e2e_trawl check_ok -c "$E2E_REPO/etc/trawl.yaml" --check-config
e2e_eq "check: example config exit 0" 0 "$E2E_RC"
e2e_check "check: says OK" grep -q ': OK$' "$WORK/check_ok.out"
printf 'inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: hep, target: "udp:127.0.0.1:9", capture_id: lots }\n' \
  >"$WORK/bad.yaml"
e2e_trawl check_bad -c "$WORK/bad.yaml" --check-config
e2e_eq "check: broken config exit 2" 2 "$E2E_RC"
e2e_eq "check: error names file, line, key" \
  "trawl: $WORK/bad.yaml:4: outputs.o.capture_id: expected an integer 0..4294967295, got \"lots\"" \
  "$(cat "$WORK/check_bad.log")"
e2e_trawl mixed -c "$WORK/offline.yaml" -r "$PCAP"
e2e_eq "-c with -r: usage error" 2 "$E2E_RC"

# ---- 3. live, then SIGHUP with new rules and a Lua verdict
P="$(e2e_free_port udp)"
cat >"$WORK/verdict.lua" <<'EOF'
function verdict(m)
  if m.payload:find("secret", 1, true) then return "drop" end
  if m.payload:find("boom", 1, true) then error("boom") end
  return "default", { v = "v2", kind = m.kind }
end
EOF
live_conf() {
  cat <<EOF
inputs:
  logs: { kind: hepipe, path: "udp:127.0.0.1:$P" }
outputs:
  j: { kind: json, path: "$WORK/live.json" }
EOF
  if [ "$1" = v1 ]; then
    printf 'rules:\n  - { match: { protocol: log }, action: { send: [j], tag: { v: v1 } } }\n'
  else
    printf 'rules:\n  - name: lua\n    match: { protocol: log, input: logs }\n'
    printf '    action: { send: [j], lua: { script: verdict.lua } }\n'
  fi
}
live_conf v1 >"$WORK/live.yaml"
e2e_bg trawl "$TRAWL" -c "$WORK/live.yaml" --user root
e2e_wait_for 10 e2e_listening udp "$P" || e2e_die "HEPipe input did not listen on $P"
send() { "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i, text in enumerate(sys.argv[2:]):
    s.sendto(("1700000000;%d;cid-%d;10.0.0.1;5060;10.0.0.2;5060;%s\n" % (i, i, text)).encode(),
             ("127.0.0.1", int(sys.argv[1])))' "$P" "$@"; }
lines() { [ "$(wc -l <"$WORK/live.json" 2>/dev/null || echo 0)" -ge "$1" ]; }
send "first line" "second line"
e2e_wait_for 10 lines 2
e2e_eq "live v1: tagged v1" "v1 v1" "$(jq -r .tags.v "$WORK/live.json" | xargs)"

live_conf v2 >"$WORK/live.yaml"
kill -HUP "$(cat "$WORK/trawl.pid")"
reloaded() { grep -q "reload" "$WORK/trawl.log"; }
e2e_wait_for 10 reloaded || true
sleep 0.5
send "after reload" "a secret line" "boom" "last line"
e2e_wait_for 10 lines 5
sleep 0.5
e2e_eq "live v2: Lua tags, secret dropped, error falls back to the rule's send" \
  "v1 v1 v2 null v2" "$(jq -r '.tags.v // "null"' "$WORK/live.json" | xargs)"
e2e_eq "live v2: Lua sees the kind" "log" "$(jq -r 'select(.tags.v == "v2") | .tags.kind' "$WORK/live.json" | sort -u)"
e2e_check "trawl still running" e2e_alive "$(cat "$WORK/trawl.pid")"
e2e_stop trawl
e2e_eq "live: lua errors counted" 1 "$(e2e_summary "$WORK/trawl.log" rule.lua.lua_errors)"
e2e_eq "live: lua drops counted" 1 "$(e2e_summary "$WORK/trawl.log" rule.lua.dropped)"
e2e_no_sanitizer_report trawl
e2e_done
