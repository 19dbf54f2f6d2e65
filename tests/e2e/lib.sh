# shellcheck shell=bash
# lib.sh -- shared helpers for trawl's end-to-end tests (sourced by tests/e2e/test_*.sh).
#
# A test is `tests/e2e/test_<name>.sh TRAWL_BINARY`; CMake registers each one with RUN_SERIAL and
# SKIP_RETURN_CODE 77.  Conventions every test follows through these helpers:
#   * third-party peers (Kamailio sipcapture, sngrep, tshark + the shared hep.lua) run on
#     127.0.0.1 only, on free ports picked at run time; expected values come from tshark reading
#     the input pcap, never from trawl;
#   * a fresh work dir (mktemp -d) holds every file, log and PID file; peers run in the background
#     and only the PIDs started here are ever signalled (EXIT trap);
#   * a missing peer is a skip (exit 77), never a pass;
#   * waits are polls with an upper bound scaled by TRAWL_TIMEOUT_MULT (sanitizer builds are
#     slower); nothing asserts on timing;
#   * on failure the work dir is kept and the peer logs are printed; TRAWL_E2E_KEEP=1 always keeps it;
#   * the last line of output is "N passed, N failed" (or "skipped: reason", exit 77).
# Environment: TRAWL_SHARED (default <repo>/../shared), TRAWL_TIMEOUT_MULT (default 1),
#              TRAWL_E2E_KEEP=1.

E2E_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_REPO="$(cd "$E2E_LIB_DIR/../.." && pwd)"
E2E_PASSED=0
E2E_FAILED=0
E2E_PIDS=()          # "name:pid" of everything started in the background
E2E_FINISHED=0
E2E_SKIPPED=""

# e2e_init NAME TRAWL_BINARY: sets TRAWL, SHARED, PEERS, WORK, CALLS_PCAP, PY, MULT.
e2e_init() {
  E2E_NAME="$1"; shift
  TRAWL="${1:-}"
  SHARED="${TRAWL_SHARED:-$E2E_REPO/../shared}"
  PEERS="$SHARED/peers"
  export E2E_PEERS="$PEERS"
  CALLS_PCAP="$E2E_REPO/tests/data/e2e_calls.pcap"
  MULT="${TRAWL_TIMEOUT_MULT:-1}"
  PY=/usr/bin/python3
  [ -x "$PY" ] || PY="$(command -v python3 || true)"
  if [ -z "$TRAWL" ]; then echo "usage: $0 TRAWL_BINARY" >&2; exit 2; fi
  case "$TRAWL" in /*) ;; *) TRAWL="$PWD/$TRAWL" ;; esac
  [ -x "$TRAWL" ] || { echo "FAIL: trawl binary $TRAWL is not executable"; echo "0 passed, 1 failed"; exit 1; }
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/trawl-e2e-$E2E_NAME.XXXXXX")"
  trap e2e_on_exit EXIT
  trap 'e2e_fail "interrupted"; exit 130' INT TERM
  echo "e2e $E2E_NAME: work dir $WORK"
  [ -n "$PY" ] || e2e_skip "python3 not installed"
  [ -f "$PEERS/hep.lua" ] || e2e_skip "shared peer kit not found at $PEERS (set TRAWL_SHARED)"
  [ -f "$CALLS_PCAP" ] || e2e_die "$CALLS_PCAP missing (tools/gen_e2e_calls.sh makes it)"
}

e2e_py() { "$PY" "$E2E_LIB_DIR/e2e.py" "$@"; }

# e2e_secs N: N seconds scaled by TRAWL_TIMEOUT_MULT
e2e_secs() { awk -v n="$1" -v m="$MULT" 'BEGIN { printf "%g\n", n * m }'; }

# ------------------------------------------------------------------ results
e2e_ok() { E2E_PASSED=$((E2E_PASSED + 1)); echo "PASS: $1"; }
e2e_fail() {
  E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL: $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 40 | sed 's/^/      /'
  return 0
}
# e2e_check NAME CMD...: pass when CMD succeeds
e2e_check() { local n="$1"; shift; if "$@"; then e2e_ok "$n"; else e2e_fail "$n"; fi; }
# e2e_same NAME EXPECTED_FILE GOT_FILE: pass when the files are identical, else show a diff
e2e_same() {
  if cmp -s "$2" "$3"; then
    e2e_ok "$1"
  else
    e2e_fail "$1 (expected $(wc -l <"$2") lines, got $(wc -l <"$3"); -expected +got:)" \
      "$(diff --old-line-format='-%L' --new-line-format='+%L' --unchanged-line-format='' "$2" "$3" |
        cut -c1-200)"
  fi
}
# e2e_eq NAME EXPECTED GOT
e2e_eq() {
  if [ "$2" = "$3" ]; then e2e_ok "$1"; else e2e_fail "$1" "expected: $2
got:      $3"; fi
}

e2e_skip() {
  E2E_SKIPPED="$1"
  exit 77
}
e2e_die() { e2e_fail "setup: $1"; exit 1; }

# e2e_need_cmd CMD...: skip unless every command is installed
e2e_need_cmd() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || e2e_skip "$c not installed"; done
}
e2e_need_root() { [ "$(id -u)" = 0 ] || e2e_skip "needs root (${1:-capture on lo})"; }
e2e_need_kamailio() {
  e2e_need_cmd kamailio sqlite3
  local m
  for m in sipcapture db_sqlite "$@"; do
    [ -f "/usr/lib/x86_64-linux-gnu/kamailio/modules/$m.so" ] ||
      e2e_skip "kamailio module $m not installed (kamailio-sqlite-modules)"
  done
}

# ------------------------------------------------------------------ processes
e2e_alive() {
  local st
  st="$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ')" || return 1
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

e2e_dead() { ! e2e_alive "$1"; }

# e2e_bg NAME CMD...: start CMD in the background, output in $WORK/NAME.log, PID in $WORK/NAME.pid
# CMD must be a program, not a shell function: a function would run in a subshell whose PID is
# not the program's, and stopping it would orphan the program.
e2e_bg() {
  local name="$1"; shift
  [ "$(type -t "$1")" = file ] || e2e_die "e2e_bg $name: '$1' is not a program"
  "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$WORK/$name.pid"
  E2E_PIDS+=("$name:$pid")
}

# e2e_stop NAME: SIGTERM the PID started under NAME, SIGKILL after a bounded wait, reap it
e2e_stop() {
  local name="$1" pid entry keep=()
  pid="$(cat "$WORK/$name.pid" 2>/dev/null)" || return 0
  if e2e_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    e2e_wait_for 10 e2e_dead "$pid"
    if e2e_alive "$pid"; then echo "note: $name (pid $pid) ignored SIGTERM, SIGKILL"; kill -KILL "$pid" 2>/dev/null; fi
  fi
  wait "$pid" 2>/dev/null
  for entry in "${E2E_PIDS[@]}"; do [ "$entry" = "$name:$pid" ] || keep+=("$entry"); done
  E2E_PIDS=("${keep[@]}")
  rm -f "$WORK/$name.pid"
}

e2e_stop_all() {
  local i
  for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do e2e_stop "${E2E_PIDS[$i]%%:*}"; done
}

# e2e_wait_for SECS CMD...: poll CMD every 0.1 s until it succeeds; false after SECS*MULT
e2e_wait_for() {
  local secs; secs="$(e2e_secs "$1")"; shift
  local end=$(($(date +%s%N) + ${secs%.*} * 1000000000 + 1000000000))
  while :; do
    "$@" && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# e2e_listening udp|tcp PORT: something listens on 127.0.0.1:PORT
e2e_listening() {
  local flag=-lun; [ "$1" = tcp ] && flag=-ltn
  ss -H $flag "src 127.0.0.1:$2" 2>/dev/null | grep -q .
}

# e2e_free_port udp|tcp|both
e2e_free_port() { e2e_py freeport "$1"; }

# ------------------------------------------------------------------ trawl
# e2e_trawl NAME ARGS...: run trawl in the foreground (bounded by timeout), stdout in
# $WORK/NAME.out, stderr in $WORK/NAME.log; exit code in E2E_RC (124 = killed by timeout).
e2e_trawl() {
  local name="$1"; shift
  printf '%q ' "$TRAWL" "$@" >"$WORK/$name.cmd"; echo >>"$WORK/$name.cmd"
  timeout -k 5 "$(e2e_secs 60)" "$TRAWL" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" </dev/null
  E2E_RC=$?
  echo "ran: $(cat "$WORK/$name.cmd")-> exit $E2E_RC"
  e2e_no_sanitizer_report "$name"
}

# e2e_no_sanitizer_report NAME: fail when ASan/UBSan/LSan printed a report into NAME.log
e2e_no_sanitizer_report() {
  if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$WORK/$1.log" 2>/dev/null; then
    e2e_fail "$1: sanitizer report on stderr" "$(grep -E -A5 'Sanitizer|runtime error' "$WORK/$1.log" | head -20)"
  fi
}

# e2e_summary LOG KEY: value of KEY in the last summary trawl printed into LOG ("" when absent),
# e.g. e2e_summary "$WORK/trawl.log" "hep tcp:127.0.0.1:9060.sent"
e2e_summary() {
  awk -v key="$2" '/^trawl: summary/ { delete v } /^  / { x = $NF; $NF = ""; sub(/^ +/, ""); sub(/ +$/, "");
    v[$0] = x } END { print (key in v) ? v[key] : "" }' "$1"
}

# ------------------------------------------------------------------ Kamailio sipcapture
# e2e_kamailio NAME udp|tcp PORT DB: start Kamailio sipcapture (the shared cfg) -> SQLite DB
e2e_kamailio() {
  local name="$1" proto="$2" port="$3" db="$4" cfg listen
  sqlite3 "$db" <"$PEERS/sipcapture-sqlite.sql" >/dev/null || e2e_die "schema load failed for $db"
  if [ "$proto" = udp ]; then
    cfg=kamailio-hep-collector.cfg; listen="HEP_LISTEN=udp:127.0.0.1:$port"
  else
    cfg=kamailio-hep-collector-tcp.cfg; listen="HEP_LISTEN_TCP=tcp:127.0.0.1:$port"
  fi
  e2e_listening "$proto" "$port" && e2e_die "$proto port $port is busy"
  # -DD: foreground but with worker processes; the main PID ($!) stops them all on SIGTERM
  e2e_bg "$name" env TZ=UTC kamailio -f "$PEERS/$cfg" -A "$listen" --substdef="!HOMER_DB!$db!g" \
    -DD -E -m 64 -M 8 -P "$WORK/$name.kpid"
  e2e_wait_for 15 e2e_listening "$proto" "$port" || e2e_die "$name did not listen on $proto $port"
}

# e2e_kam_count DB WHERE: rows in sip_capture matching WHERE
e2e_kam_count() {
  sqlite3 -cmd ".timeout 5000" "$1" "SELECT count(*) FROM sip_capture WHERE $2" 2>/dev/null || echo 0
}

# e2e_kam_warmup udp|tcp PORT DB TAG: send one HEP3 INVITE (reference encoder hep3_send.py) until
# Kamailio has stored it: proves the collector is up before trawl runs.
e2e_kam_warmup() {
  local proto="$1" port="$2" db="$3" cid="e2e-warmup-$4" i
  for i in 1 2 3 4 5; do
    "$PY" "$PEERS/hep3_send.py" -q --port "$port" --transport "$proto" --scenario invite \
      --call-id "$cid" --capture-id 9999 >>"$WORK/warmup.log" 2>&1
    if e2e_wait_for 3 e2e_kam_has "$db" "callid='$cid'"; then return 0; fi
  done
  e2e_die "Kamailio ($proto $port) never stored the warm-up INVITE"
}
e2e_kam_has() { [ "$(e2e_kam_count "$1" "$2")" -gt 0 ]; }

# e2e_kam_settle DB WHERE N: wait until at least N rows match and the count stopped moving
# (bounded); prints the final count.
e2e_kam_settle() {
  local db="$1" where="$2" want="$3" n prev=-1 stable=0
  local end=$(($(date +%s) + $(e2e_secs 20 | cut -d. -f1) + 1))
  while [ "$(date +%s)" -lt "$end" ]; do
    n="$(e2e_kam_count "$db" "$where")"
    if [ "$n" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    prev="$n"
    if [ "$n" -ge "$want" ] && [ "$stable" -ge 10 ]; then break; fi
    sleep 0.1
  done
  echo "$prev"
}

# e2e_kam_compare LABEL PCAP DB WHERE CAPID: after trawl sent PCAP with --hep-id CAPID, the
# sip_capture rows matching WHERE must be exactly tshark's SIP messages of PCAP, row by row:
# callid, method/status, addresses, ports, micro_ts, node "homer01:CAPID", family, proto UDP, msg.
e2e_kam_compare() {
  local label="$1" pcap="$2" db="$3" where="$4" capid="$5" n got dups
  local keys=(call_id method src sport dst dport ts_us node family ip_proto)
  e2e_py expect "$pcap" >"$WORK/$label-expect.json" || e2e_die "tshark could not read $pcap"
  n="$(jq length "$WORK/$label-expect.json")"
  [ "$n" -gt 0 ] || e2e_die "tshark found no SIP in $pcap"
  got="$(e2e_kam_settle "$db" "$where" "$n")"
  e2e_eq "$label: sip_capture holds one row per SIP message ($n)" "$n" "$got"
  e2e_py kamrows "$db" "$where" >"$WORK/$label-rows.json"
  e2e_py lines "$WORK/$label-expect.json" "${keys[@]}" --set "node=homer01:$capid" >"$WORK/$label-expect.txt"
  e2e_py lines "$WORK/$label-rows.json" "${keys[@]}" >"$WORK/$label-rows.txt"
  dups="$(uniq -d "$WORK/$label-rows.txt")"
  if [ -z "$dups" ]; then e2e_ok "$label: no duplicate rows"; else e2e_fail "$label: no duplicate rows" "$dups"; fi
  e2e_same "$label: rows (callid method src dst micro_ts node family proto) == tshark" \
    "$WORK/$label-expect.txt" "$WORK/$label-rows.txt"
  e2e_py lines "$WORK/$label-expect.json" call_id method payload_hex >"$WORK/$label-expect-msg.txt"
  e2e_py lines "$WORK/$label-rows.json" call_id method payload_hex >"$WORK/$label-rows-msg.txt"
  e2e_same "$label: rows: msg == SIP payload bytes of the pcap" "$WORK/$label-expect-msg.txt" \
    "$WORK/$label-rows-msg.txt"
}

# ------------------------------------------------------------------ other peers
# e2e_capture NAME FILTER OUT.pcap: tshark on lo (root) until e2e_stop NAME
e2e_capture() {
  e2e_bg "$1" tshark -q -n -i lo -F pcap -f "$2" -w "$3"
  e2e_wait_for 15 grep -q "Capturing on" "$WORK/$1.log" || e2e_die "tshark capture did not start"
  sleep "$(e2e_secs 0.5)"   # the filter is attached a moment after the message
}

# ------------------------------------------------------------------ exit
e2e_print_logs() {
  local f
  for f in "$WORK"/*.log "$WORK"/*.cmd; do
    [ -s "$f" ] || continue
    if [ "$(wc -l <"$f")" -le 60 ]; then
      echo "---- $f"; cat "$f"
    else
      echo "---- $f (first 10 and last 40 lines)"; head -n 10 "$f"; echo "[...]"; tail -n 40 "$f"
    fi
  done
}

# e2e_netns_trap NS...: the EXIT trap of a test that makes network namespaces: stop what it
# started (processes inside the namespaces first), delete the namespaces, then finish as
# e2e_on_exit does. Call it before creating the first namespace.
E2E_NETNS=()
e2e_netns_trap() {
  E2E_NETNS=("$@")
  trap e2e_netns_exit EXIT
}
e2e_netns_exit() {
  local rc=$? ns
  e2e_stop_all
  for ns in "${E2E_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  (exit "$rc")
  e2e_on_exit
}

e2e_on_exit() {
  local rc=$?
  [ "$E2E_FINISHED" = 1 ] && return
  E2E_FINISHED=1
  e2e_stop_all
  if [ -n "$E2E_SKIPPED" ]; then
    [ "${TRAWL_E2E_KEEP:-0}" = 1 ] || rm -rf "$WORK"
    echo "skipped: $E2E_SKIPPED"
    exit 77
  fi
  [ "$rc" != 0 ] && [ "$E2E_FAILED" = 0 ] && e2e_fail "script exited with status $rc"
  [ "$E2E_PASSED" = 0 ] && [ "$E2E_FAILED" = 0 ] && e2e_fail "no checks ran"
  if [ "$E2E_FAILED" != 0 ]; then
    e2e_print_logs
    echo "work dir kept: $WORK"
  elif [ "${TRAWL_E2E_KEEP:-0}" = 1 ]; then
    echo "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  echo "$E2E_PASSED passed, $E2E_FAILED failed"
  [ "$E2E_FAILED" = 0 ] && exit 0
  exit 1
}

# e2e_done: end of a test: stop peers, print logs on failure, summary line, exit status
e2e_done() { exit 0; }
