#!/usr/bin/env bash
# call_table_cap.sh TRAWL - the call table stays under its cap whatever the
# traffic (issue 5, "Memory"): 1,000,000 distinct INVITEs with SDP
# (invite_flood.py, streamed through `trawl -r -`, no file on disk) into two
# trawls at once: one with --max-calls 10000, one at the default cap (32768).
#
# What is exact (calls.c: a full table evicts its least recently ended call,
# else its least recently active one; the INVITEs span 100 s, below the 600 s
# idle timeout, and none ends, so nothing expires and every call that does
# not fit is evicted while still active):
#   calls.created = N, calls.now = CAP, calls.evicted = calls.evicted_active
#   = N - CAP, no calls.expired_idle, sip.messages = calls.sdp_bodies = N.
# What is bounded: trawl's peak RSS (GNU time %M) must stay under
#   baseline + CAP * 2 KiB + 8 MiB
# where baseline is the peak RSS of the same binary and options on a
# one-INVITE capture file (so a sanitizer build's own overhead is in it) and
# 2 KiB is 2.5 times the slot size track.h documents (820 B with 2 media
# lines). With --max-calls 10000 the peak must also be under 64 MiB outright.
# Nothing about time is asserted.
#   TRAWL_FLOOD_N=N overrides the number of INVITEs (default 1000000).
set -u
trawl=$1
here=$(cd "$(dirname "$0")" && pwd)
n=${TRAWL_FLOOD_N:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "FAIL: /usr/bin/time (GNU time) not found"; exit 1; }
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# measured OUT ARGS...: runs trawl ARGS (stdin inherited), summary to
# OUT.err, peak RSS in KiB to OUT.rss, exit to OUT.rc. GNU time, not a
# python wrapper: a child forked from python inherits python's RSS as its
# ru_maxrss floor (exec keeps the old high-water mark).
measured() {
  local out=$1; shift
  /usr/bin/time -f %M -o "$out.rss" timeout 300 "$trawl" "$@" 2>"$out.err"
  echo $? >"$out.rc"
}

# counter FILE NAME: a summary counter (absent = 0)
counter() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"; }

check() { # check LABEL GOT WANT
  if [ "$2" = "$3" ]; then ok; else bad "$1: $2, expected $3"; fi
}

caps=(10000 default)
argsof() { # argsof CAP: trawl's options for that cap
  if [ "$1" = default ]; then echo "--json /dev/null"; else echo "--json /dev/null --max-calls $1"; fi
}

# Baselines: one INVITE, same options.
python3 "$here/invite_flood.py" 1 "$work/one.pcap"
for cap in "${caps[@]}"; do
  # shellcheck disable=SC2046
  measured "$work/base$cap" -r "$work/one.pcap" $(argsof "$cap")
done

# The floods: one generator, both runs at once (tee into a FIFO), so the
# test takes the time of one run (about 30 s under ASan on 2 CPUs).
mkfifo "$work/fifo"
# shellcheck disable=SC2046
measured "$work/run${caps[1]}" -r - $(argsof "${caps[1]}") <"$work/fifo" &
second=$!
start=$(date +%s.%N)
# shellcheck disable=SC2046
python3 "$here/invite_flood.py" "$n" - | tee "$work/fifo" |
  measured "$work/run${caps[0]}" -r - $(argsof "${caps[0]}")
wait "$second"
secs=$(echo "$(date +%s.%N) - $start" | bc)

for cap in "${caps[@]}"; do
  slots=32768
  [ "$cap" = default ] || slots=$cap
  label="cap $cap"
  e=$work/run$cap.err
  rc=$(cat "$work/run$cap.rc")
  brc=$(cat "$work/base$cap.rc")
  if [ "$brc" -ne 0 ]; then bad "$label: baseline run: exit $brc"; sed -n 1,30p "$work/base$cap.err"; continue; fi
  if [ "$rc" -ne 0 ] || grep -q -E 'runtime error|AddressSanitizer|LeakSanitizer' "$e"; then
    bad "$label: exit $rc"; sed -n 1,30p "$e"; continue
  fi
  check "$label: sip.messages" "$(counter "$e" sip.messages)" "$n"
  check "$label: calls.sdp_bodies" "$(counter "$e" calls.sdp_bodies)" "$n"
  check "$label: calls.created" "$(counter "$e" calls.created)" "$n"
  want_now=$((n < slots ? n : slots))
  check "$label: calls.now" "$(counter "$e" calls.now)" "$want_now"
  check "$label: calls.evicted" "$(counter "$e" calls.evicted)" "$((n - want_now))"
  check "$label: calls.evicted_active" "$(counter "$e" calls.evicted_active)" "$((n - want_now))"
  check "$label: calls.expired_idle" "$(counter "$e" calls.expired_idle)" 0
  base=$(cat "$work/base$cap.rss") peak=$(cat "$work/run$cap.rss")
  bound=$((base + slots * 2 + 8192))
  printf '%s: %d INVITEs, calls.now %s, evicted %s; peak RSS %d KiB (baseline %d KiB, bound %d KiB)\n' \
    "$label" "$n" "$(counter "$e" calls.now)" "$(counter "$e" calls.evicted)" "$peak" "$base" "$bound"
  if [ "$peak" -lt "$bound" ]; then ok; else bad "$label: peak RSS $peak KiB >= $bound KiB"; fi
  if [ "$cap" = 10000 ]; then
    if [ "$peak" -lt $((64 * 1024)) ]; then ok; else bad "$label: peak RSS $peak KiB >= 64 MiB"; fi
  fi
done
printf 'both floods took %.1f s\n' "$secs"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
