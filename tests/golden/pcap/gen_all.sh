#!/bin/sh
# gen_all.sh - rewrites every synthetic capture (gen_*.py, with Debian's
# /usr/bin/python3 and scapy) and fails if any file changed: the generators
# are deterministic, so a change means a generator was edited (check the
# pcap, then commit it with the expected files it affects) or broke.
# sipp_calls.pcap is not rewritten (gen_sipp_calls.sh needs root and makes
# a new capture each time).
set -eu
cd "$(dirname "$0")"
sums=$(mktemp)
trap 'rm -f "$sums"' EXIT
sha256sum ./*.pcap >"$sums"
for g in gen_*.py; do /usr/bin/python3 "$g"; done
if sha256sum -c --quiet "$sums"; then echo "gen_all.sh: all captures unchanged"; else
    echo "gen_all.sh: the captures above changed" >&2; exit 1; fi
