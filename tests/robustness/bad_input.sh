#!/usr/bin/env bash
# bad_input.sh TRAWL - bad input never crashes and is never silently wrong.
#  1. every capture in ../shared/pcaps (real files from other projects, some
#     corrupt or fuzzed): exit 0 or 1 (never a signal, never a sanitizer
#     report), and a file that libpcap cannot fully read says so on stderr;
#  2. damaged copies of a good capture: cut at many offsets, garbage, empty,
#     a huge caplen in a record header: same rules, and what was before the
#     damage is still delivered;
#  3. unreachable or refusing collectors: trawl ends on its own, exit 1, and
#     counts the failure.
set -u
trawl=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run NAME ARGS...: runs trawl, checks it did not die by a signal or a sanitizer
run() {
  local name=$1; shift
  timeout 60 "$trawl" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  if [ $rc -ge 124 ] || grep -q -E 'runtime error|AddressSanitizer|LeakSanitizer' "$work/err"; then
    bad "$name: exit $rc"; sed -n '1,20p' "$work/err"; return 1
  fi
  return 0
}

# 1. the shared captures
if [ -d "$shared/pcaps" ]; then
  for f in "$shared"/pcaps/*.pcap "$shared"/pcaps/*.pcapng "$shared"/pcaps/*.cap; do
    [ -f "$f" ] || continue
    n=$(basename "$f")
    run "$n" -r "$f" --json - || continue
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then bad "$n: exit $rc"; continue; fi
    if [ $rc -eq 1 ] && ! grep -q "^trawl: " "$work/err"; then bad "$n: exit 1 without a message"; continue; fi
    # every JSON line must be a JSON object
    if ! python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$work/out"; then
      bad "$n: invalid JSON"; continue
    fi
    ok
  done
else
  echo "SKIP: $shared/pcaps not found"; skip=$((skip + 1))
fi

# 2. damaged copies of a good capture
good="$top/tests/data/e2e_calls.pcap"
full=$("$trawl" -q -r "$good" --json - | wc -l)
[ "$full" -gt 0 ] && ok || bad "sample yields no SIP"
size=$(stat -c %s "$good")
prev=0
for cut in 0 1 10 23 24 25 40 100 500 1000 2000 $((size / 3)) $((size / 2)) $((size - 1)); do
  head -c "$cut" "$good" >"$work/cut.pcap"
  run "cut at $cut" -r "$work/cut.pcap" --json - || continue
  got=$(wc -l <"$work/out")
  if [ $cut -lt 24 ] && [ $rc -ne 1 ]; then bad "cut at $cut: exit $rc, expected 1 (no pcap header)"; continue; fi
  if [ $cut -ge 24 ] && [ $cut -lt "$size" ] && [ $rc -ne 0 ] && [ $rc -ne 1 ]; then bad "cut at $cut: exit $rc"; continue; fi
  if [ "$got" -lt "$prev" ]; then bad "cut at $cut: $got messages, fewer than a shorter cut gave ($prev)"; continue; fi
  prev=$got
  ok
done
head -c 4096 /dev/urandom >"$work/garbage.pcap"
run garbage -r "$work/garbage.pcap" && { [ $rc -eq 1 ] && grep -q "cannot read" "$work/err" && ok || bad "garbage: exit $rc"; }
: >"$work/empty.pcap"
run empty -r "$work/empty.pcap" && { [ $rc -eq 1 ] && ok || bad "empty file: exit $rc"; }
# a record header claiming a 4 MB packet after the first record
python3 - "$good" "$work/hugecap.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
cap = struct.unpack('<I', d[24+8:24+12])[0]
first = 24 + 16 + cap
bad = d[first:first+8] + struct.pack('<II', 4 << 20, 4 << 20)
open(sys.argv[2], 'wb').write(d[:first] + bad + d[first+16:])
PY
run hugecap -r "$work/hugecap.pcap" --json - && {
  if [ $rc -eq 1 ] && [ "$(wc -l <"$work/out")" -ge 1 ] && grep -qi "caplen\|capture length\|snaplen\|truncated" "$work/err"; then ok
  else bad "huge caplen: exit $rc, $(wc -l <"$work/out") messages"; sed -n 1,5p "$work/err"; fi; }
run missing -r "$work/does-not-exist.pcap" && { [ $rc -eq 1 ] && grep -q "does-not-exist" "$work/err" && ok || bad "missing file: exit $rc"; }
run usage --bogus-option && { [ $rc -eq 2 ] && ok || bad "unknown option: exit $rc, expected 2"; }
run badhep -r "$good" --hep udp:127.0.0.1:0 && { [ $rc -eq 2 ] && ok || bad "port 0: exit $rc, expected 2"; }
run badhep2 -r "$good" --hep http:127.0.0.1:9060 && { [ $rc -eq 2 ] && grep -q "expected udp:HOST:PORT" "$work/err" && ok || bad "bad scheme: exit $rc"; }

# 3. collectors that are not there: a free UDP port (ICMP unreachable) and a refusing TCP port
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run "udp collector down" -r "$good" --hep "udp:127.0.0.1:$port" && {
  if [ $rc -eq 1 ] && grep -q "refused" "$work/err"; then ok; else bad "udp collector down: exit $rc"; sed -n 1,40p "$work/err"; fi; }
run "tcp collector refusing" -r "$good" --hep "tcp:127.0.0.1:$port" --drain-timeout 500 && {
  if [ $rc -eq 1 ] && grep -q "unsent_at_exit *$full" "$work/err"; then ok; else bad "tcp collector refusing: exit $rc"; sed -n 1,40p "$work/err"; fi; }

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
