#!/bin/sh
# gen_sipp_calls.sh - writes sipp_calls.pcap: 5 calls made by SIPp's built-in
# scenarios on loopback (UAC 127.0.0.1:15080 -> UAS 127.0.0.1:15090; never
# 5060), captured by tcpdump on lo with the filter "udp and port 15090".
# Each call: INVITE, 180, 200, ACK, BYE, 200 (SIPp's default uas sends no 100).
# Real timestamps and Call-IDs from the day it was made: unlike the
# gen_*.py captures this one is not reproducible byte for byte, which is why
# the pcap is checked in and the tests never run this script.
# Needs root (capture on lo), sipp and tcpdump. Stops only what it started.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/sipp_calls.pcap
work=$(mktemp -d)
uas_pid=''
tcpdump_pid=''

cleanup() {
    if [ -n "$uas_pid" ]; then kill "$uas_pid" 2>/dev/null || true; fi
    if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

for p in 15080 15090; do
    if ss -Huan "sport = :$p" | grep -q .; then
        echo "gen_sipp_calls.sh: UDP port $p is busy" >&2; exit 1
    fi
done

tcpdump -i lo -n -U -w "$work/cap.pcap" 'udp and port 15090' 2>"$work/tcpdump.log" &
tcpdump_pid=$!
sleep 1

cd "$work"
sipp -sn uas -i 127.0.0.1 -p 15090 -nostdin -timeout 60s \
     -trace_err -error_file "$work/uas_err.log" >"$work/uas.log" 2>&1 &
uas_pid=$!
sleep 1

sipp -sn uac -i 127.0.0.1 -p 15080 -m 5 -r 5 -l 5 -nostdin -timeout 30s \
     -trace_err -error_file "$work/uac_err.log" 127.0.0.1:15090 >"$work/uac.log" 2>&1 || {
    echo "gen_sipp_calls.sh: sipp uac failed:" >&2; cat "$work"/uac*.log >&2; exit 1; }

sleep 1
kill "$uas_pid"; wait "$uas_pid" 2>/dev/null || true; uas_pid=''
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true; tcpdump_pid=''
cp "$work/cap.pcap" "$out"
echo "wrote $out" >&2
