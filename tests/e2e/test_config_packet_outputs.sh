#!/usr/bin/env bash
# test_config_packet_outputs.sh TRAWL -- the config file's packet outputs (docs/config.md,
# outputs of kind flowmeta, dump, mirror) produce what the equivalent command line produces.
# Offline, no root:
#   1. flowmeta: the PCapper lines of tests/golden/pcap/fm_frag.pcap from
#      `-c` (lines: "-", first_frag: true) are byte for byte those of
#      `-r ... --flowmeta-lines - --flowmeta-first-frag`, and the golden file fm_frag_first.out;
#   2. dump: a generated pcap (mirror.py genspread, 4 s at 50 frames/s) dumped with
#      `-c` (interval 1, files 2, format pcapng, slice 100) gives the same file names with the
#      same bytes as `--dump DIR --dump-interval 1 --dump-files 2 --dump-format pcapng --slice 100`;
#   3. --check-config accepts a file with all three packet kinds (mirror to GRE on 127.0.0.1);
#   4. a rule whose send: names a packet output is refused with exit 2 and FILE:LINE: KEY;
#   5. reload (SIGHUP) of a running config with a flowmeta server: unchanged, it stays open (its
#      port is not bound twice, the reload succeeds); with only the dump output changed, the
#      reload succeeds too. The input is a HEPipe UDP listener (live, no root needed).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init config_packet_outputs "$@"
GOLDEN="$E2E_REPO/tests/golden"
MPY="$(dirname "$0")/mirror.py"

# 1. flowmeta lines
cat >"$WORK/fm.yaml" <<EOF
inputs:
  pcap: { kind: file, path: "$GOLDEN/pcap/fm_frag.pcap" }
outputs:
  meta: { kind: flowmeta, lines: "-", first_frag: true }
EOF
e2e_trawl fm_cli -q -r "$GOLDEN/pcap/fm_frag.pcap" --flowmeta-lines - --flowmeta-first-frag
e2e_eq "1a. CLI exit 0" 0 "$E2E_RC"
e2e_trawl fm_cfg -q -c "$WORK/fm.yaml"
e2e_eq "1b. -c exit 0" 0 "$E2E_RC"
e2e_check "1c. some lines ($(wc -l <"$WORK/fm_cfg.out"))" test -s "$WORK/fm_cfg.out"
e2e_same "1d. -c lines = CLI lines" "$WORK/fm_cli.out" "$WORK/fm_cfg.out"
e2e_same "1e. -c lines = golden fm_frag_first.out" "$GOLDEN/expected/fm_frag_first.out" \
  "$WORK/fm_cfg.out"

# 2. pcap dump
"$PY" "$MPY" genspread "$WORK/in.pcap" 4 50 || e2e_die "cannot write the pcap"
mkdir -p "$WORK/dcli" "$WORK/dcfg"
cat >"$WORK/dump.yaml" <<EOF
inputs:
  pcap: { kind: file, path: "$WORK/in.pcap" }
outputs:
  files: { kind: dump, path: "$WORK/dcfg", interval: 1, files: 2, format: pcapng, slice: 100 }
EOF
e2e_trawl d_cli -q -r "$WORK/in.pcap" --dump "$WORK/dcli" --dump-interval 1 --dump-files 2 \
  --dump-format pcapng --slice 100
e2e_eq "2a. CLI exit 0" 0 "$E2E_RC"
e2e_trawl d_cfg -q -c "$WORK/dump.yaml"
e2e_eq "2b. -c exit 0" 0 "$E2E_RC"
(cd "$WORK/dcli" && ls) >"$WORK/dcli.ls"
(cd "$WORK/dcfg" && ls) >"$WORK/dcfg.ls"
e2e_eq "2c. 2 files kept" 2 "$(wc -l <"$WORK/dcfg.ls")"
e2e_check "2d. pcapng files" grep -q '\.pcapng$' "$WORK/dcfg.ls"
e2e_same "2e. same file names" "$WORK/dcli.ls" "$WORK/dcfg.ls"
e2e_check "2f. same bytes" diff -r "$WORK/dcli" "$WORK/dcfg"

# 3. all three kinds pass --check-config
cat >"$WORK/all.yaml" <<EOF
inputs:
  pcap: { kind: file, path: "$WORK/in.pcap" }
outputs:
  probe: { kind: mirror, target: "gre:127.0.0.1:7", slice: 128, mbps: 2.5 }
  files: { kind: dump, path: "$WORK/dcfg" }
  meta: { kind: flowmeta, lines: /dev/null }
EOF
e2e_trawl chk -c "$WORK/all.yaml" --check-config
e2e_eq "3a. --check-config exit 0" 0 "$E2E_RC"
e2e_eq "3b. prints OK" "$WORK/all.yaml: OK" "$(cat "$WORK/chk.out")"

# 4. rules do not route to packet outputs
cat >"$WORK/bad.yaml" <<EOF
inputs:
  pcap: { kind: file, path: "$WORK/in.pcap" }
outputs:
  files: { kind: dump, path: "$WORK/dcfg" }
rules:
  - action: { send: [files] }
EOF
e2e_trawl bad -c "$WORK/bad.yaml"
e2e_eq "4a. exit 2" 2 "$E2E_RC"
e2e_eq "4b. the error names file, line and key" \
  "trawl: $WORK/bad.yaml:6: rules[0].action.send: expected a message output (hep, json, csv), got \"files\", a dump output: packet outputs get every frame, rules do not apply to them" \
  "$(cat "$WORK/bad.log")"

# 5. reload keeps an unchanged flowmeta server
in_port=$(e2e_free_port udp); fm_port=$(e2e_free_port tcp)
mkdir -p "$WORK/rl"
cat >"$WORK/rl.yaml" <<EOF
inputs:
  logs: { kind: hepipe, path: "udp:127.0.0.1:$in_port" }
outputs:
  meta: { kind: flowmeta, listen: "127.0.0.1:$fm_port", lines: "$WORK/rl.lines" }
  files: { kind: dump, path: "$WORK/rl", files: 3 }
EOF
e2e_bg rl "$TRAWL" -c "$WORK/rl.yaml" --user root
e2e_check "5a. flowmeta listens" e2e_wait_for 10 e2e_listening tcp "$fm_port"
reloads() { [ "$(grep -c 'SIGHUP: .* reloaded' "$WORK/rl.log")" -ge "$1" ]; }
kill -HUP "$(cat "$WORK/rl.pid")"
e2e_check "5b. unchanged: reloaded" e2e_wait_for 10 reloads 1
sed -i 's/files: 3/files: 4/' "$WORK/rl.yaml"
kill -HUP "$(cat "$WORK/rl.pid")"
e2e_check "5c. dump changed: reloaded" e2e_wait_for 10 reloads 2
e2e_check "5d. flowmeta still listens" e2e_listening tcp "$fm_port"
e2e_stop rl
e2e_eq "5e. no reload refused" "" "$(grep 'reload refused' "$WORK/rl.log")"
e2e_eq "5f. summary reloads.ok" 2 "$(e2e_summary "$WORK/rl.log" reloads.ok)"
e2e_no_sanitizer_report rl
e2e_done
