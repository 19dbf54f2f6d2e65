#!/bin/sh
# run.sh - runs the golden tests listed in TESTLIST (tcpdump tests/TESTLIST style).
#
#   run.sh TRAWL_BINARY [NAME...]
#
# For each row "name input expected args..." runs, from this directory,
#   trawl -q -r <input> <args>
# and compares stdout byte for byte with expected/<expected>. Prints one
# PASS/FAIL/SKIP line per row, a unified diff (and trawl's stderr) for each
# failure, and the closing line "N passed, N failed, N skipped".
# Exit status: 0 if nothing failed, 1 if a row failed, 2 on usage errors.
#
# A row FAILS when trawl exits non-zero, when its stdout differs, or when its
# expected file is missing. A row is SKIPPED only when its input lies outside
# this directory (a path with '/', e.g. ../shared/pcaps/x.pcap resolved from
# the repository root) and that file is absent: a skipped row is not a pass.
# With NAME arguments only those rows run (an unknown name is an error).
#
# trawl must print capture times in UTC whatever the local zone is, so the
# tests run with a zone that is far from UTC and not a whole hour (UTC+5:45);
# LC_ALL=C keeps number formatting fixed. update.sh uses the same settings.
set -u

usage() { echo "usage: $0 TRAWL_BINARY [NAME...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
trawl=$1; shift
case "$trawl" in /*) ;; *) trawl=$(pwd)/$trawl ;; esac
[ -x "$trawl" ] || { echo "run.sh: $trawl is not an executable" >&2; exit 2; }

golden=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$golden/../.." && pwd)
cd "$golden" || exit 2
TZ=NPT-5:45; LC_ALL=C; export TZ LC_ALL
set -f # arguments come from TESTLIST: no globbing

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# Duplicate names would make update.sh and NAME selection ambiguous.
dups=$(awk '!/^[ \t]*(#|$)/ { print $1 }' TESTLIST | sort | uniq -d)
[ -z "$dups" ] || { echo "run.sh: duplicate names in TESTLIST: $dups" >&2; exit 2; }
for want in "$@"; do
    awk -v n="$want" '$1 == n { f = 1 } END { exit !f }' TESTLIST ||
        { echo "run.sh: no row named $want in TESTLIST" >&2; exit 2; }
done

passed=0 failed=0 skipped=0 failed_names=
while read -r name input expected args; do
    case "$name" in '' | '#'*) continue ;; esac
    if [ $# -gt 0 ]; then
        sel=0
        for want in "$@"; do [ "$want" = "$name" ] && sel=1; done
        [ $sel = 1 ] || continue
    fi
    case "$input" in
        */*) path=$repo/$input; external=1 ;;
        *)   path=pcap/$input; external=0 ;;
    esac
    if [ ! -e "$path" ]; then
        if [ $external = 1 ]; then
            echo "SKIP $name ($input absent)"; skipped=$((skipped + 1)); continue
        fi
        echo "FAIL $name (input $path missing)"
        failed=$((failed + 1)); failed_names="$failed_names $name"; continue
    fi
    if [ ! -f "expected/$expected" ]; then
        echo "FAIL $name (expected/$expected missing: run update.sh TRAWL $name)"
        failed=$((failed + 1)); failed_names="$failed_names $name"; continue
    fi
    # shellcheck disable=SC2086 # args are meant to be split
    "$trawl" -q -r "$path" $args >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ $rc -eq 0 ] && cmp -s "expected/$expected" "$tmp/out"; then
        echo "PASS $name"; passed=$((passed + 1)); continue
    fi
    echo "FAIL $name (exit $rc): trawl -q -r $path $args"
    diff -u --label "expected/$expected" --label "trawl output" "expected/$expected" "$tmp/out" | head -200
    if [ -s "$tmp/err" ]; then
        echo "--- stderr:"; head -50 "$tmp/err"
    fi
    failed=$((failed + 1)); failed_names="$failed_names $name"
done <TESTLIST

[ $failed -eq 0 ] || echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
