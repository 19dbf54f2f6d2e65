#!/bin/sh
# update.sh - regenerates golden expected files (tcpdump update-test.sh style).
#
#   update.sh TRAWL_BINARY NAME...     the named TESTLIST rows
#   update.sh TRAWL_BINARY --all       every row
#
# Runs each row exactly as run.sh does (same directory, time zone and locale)
# and writes trawl's stdout to expected/<expected>. A row whose trawl exits
# non-zero is not written (exit 1 at the end). A row whose input is outside
# this directory and absent is skipped with a message.
#
# An expected file is a claim about what is right: after updating, READ the
# diff (git diff tests/golden/expected) and check it against the pcap before
# committing it.
set -u

usage() { echo "usage: $0 TRAWL_BINARY NAME... | --all" >&2; exit 2; }
[ $# -ge 2 ] || usage
trawl=$1; shift
case "$trawl" in /*) ;; *) trawl=$(pwd)/$trawl ;; esac
[ -x "$trawl" ] || { echo "update.sh: $trawl is not an executable" >&2; exit 2; }

golden=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$golden/../.." && pwd)
cd "$golden" || exit 2
TZ=NPT-5:45; LC_ALL=C; export TZ LC_ALL
set -f

all=0
[ "$1" = "--all" ] && all=1
if [ $all = 0 ]; then
    for want in "$@"; do
        awk -v n="$want" '$1 == n { f = 1 } END { exit !f }' TESTLIST ||
            { echo "update.sh: no row named $want in TESTLIST" >&2; exit 2; }
    done
fi

mkdir -p expected
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0
while read -r name input expected args; do
    case "$name" in '' | '#'*) continue ;; esac
    if [ $all = 0 ]; then
        sel=0
        for want in "$@"; do [ "$want" = "$name" ] && sel=1; done
        [ $sel = 1 ] || continue
    fi
    case "$input" in
        */*) path=$repo/$input ;;
        *)   path=pcap/$input ;;
    esac
    if [ ! -e "$path" ]; then
        echo "skip $name: $path absent" >&2; continue
    fi
    # shellcheck disable=SC2086
    if ! "$trawl" -q -r "$path" $args >"$tmp/out" 2>"$tmp/err" </dev/null; then
        echo "update.sh: $name: trawl failed, expected/$expected not written:" >&2
        cat "$tmp/err" >&2; status=1; continue
    fi
    # Two rows may share an expected file (same output claimed for different
    # arguments): say so if this run disagrees with what an earlier row wrote.
    if [ -f "$tmp/written.$expected" ] && ! cmp -s "$tmp/out" "expected/$expected"; then
        echo "update.sh: $name: output differs from another row's expected/$expected" >&2
        status=1
    fi
    if [ -f "expected/$expected" ] && cmp -s "$tmp/out" "expected/$expected"; then
        echo "unchanged expected/$expected ($name)"
    else
        cp "$tmp/out" "expected/$expected"
        echo "wrote expected/$expected ($name, $(wc -l <"$tmp/out") lines)"
    fi
    : >"$tmp/written.$expected"
done <TESTLIST
exit $status
