#!/usr/bin/env bash
# gen_e2e_calls.sh -- regenerate tests/data/e2e_calls.pcap, the SIP call set the e2e tests replay.
#
# What it records: sipp's built-in "uac" scenario calling its built-in "uas" scenario, 10 calls,
# both on 127.0.0.1 (UAC 127.0.0.1:15080 -> UAS 127.0.0.1:15090, SIP over UDP, RFC 3261 §13-§15:
# INVITE / 180 / 200 / ACK / BYE / 200 per call; sipp's uas sends no 100), captured on lo with
# tcpdump.  Port 5060 is never used.  RTP is not sent (the built-in scenarios only carry SDP).
#
# Needs: root (tcpdump on lo), sipp (Debian sip-tester), tcpdump, tshark (for the final check).
# Only the PIDs started here are signalled.  Nothing binds outside 127.0.0.1.
#
# usage: tools/gen_e2e_calls.sh [OUT.pcap]      (default: <repo>/tests/data/e2e_calls.pcap)
#   env: CALLS=10 UAC_PORT=15080 UAS_PORT=15090
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../tests/data/e2e_calls.pcap}"
CALLS="${CALLS:-10}"
UAC_PORT="${UAC_PORT:-15080}"
UAS_PORT="${UAS_PORT:-15090}"

die() { echo "gen_e2e_calls.sh: $*" >&2; exit 1; }
for t in sipp tcpdump tshark; do command -v "$t" >/dev/null || die "$t not installed"; done
[ "$(id -u)" = 0 ] || die "must run as root (tcpdump on lo)"
for p in "$UAC_PORT" "$UAS_PORT" 16000 16002 16100 16102; do
  ss -lun | awk '{print $4}' | grep -Eq "(^|:)$p\$" && die "udp port $p is busy"
done

WORK="$(mktemp -d /tmp/gen-e2e-calls.XXXXXX)"
TCPDUMP_PID="" UAS_PID=""
cleanup() {
  for pid in $UAS_PID $TCPDUMP_PID; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

cd "$WORK"   # sipp writes its logs into the current directory
tcpdump -i lo -n -U -s 0 -w "$WORK/calls.pcap" \
  "udp and host 127.0.0.1 and (port $UAC_PORT or port $UAS_PORT)" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
grep -q "listening on" "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; die "tcpdump did not start"; }

# UAS answers exactly CALLS calls, then exits by itself.
sipp -sn uas -i 127.0.0.1 -p "$UAS_PORT" -mp 16100 -m "$CALLS" -nostdin >"$WORK/uas.log" 2>&1 &
UAS_PID=$!
for _ in $(seq 1 50); do
  ss -lun | awk '{print $4}' | grep -q "^127\.0\.0\.1:$UAS_PORT\$" && break; sleep 0.1
done

# 5 calls per second, so the calls do not overlap much and the file reads like real traffic.
sipp -sn uac -i 127.0.0.1 -p "$UAC_PORT" -mp 16000 -m "$CALLS" -r 5 -timeout 60s -timeout_error \
  -nostdin "127.0.0.1:$UAS_PORT" >"$WORK/uac.log" 2>&1 || { tail -30 "$WORK/uac.log" >&2; die "sipp uac failed"; }
for _ in $(seq 1 50); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
sleep 0.5                                   # let the last packets reach the capture file
kill -TERM "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=""

n="$(tshark -n -r "$WORK/calls.pcap" -Y sip | wc -l)"
want=$((CALLS * 6))
[ "$n" = "$want" ] || die "expected $want SIP messages (6 per call, no retransmissions), got $n; kept $WORK"
mkdir -p "$(dirname "$OUT")"
cp "$WORK/calls.pcap" "$OUT"
echo "wrote $OUT: $n SIP messages in $CALLS calls ($(stat -c %s "$OUT") bytes)"
tshark -n -r "$OUT" -Y sip -T fields -e sip.Call-ID | sort | uniq -c
rm -rf "$WORK"
