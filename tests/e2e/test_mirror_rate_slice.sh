#!/usr/bin/env bash
# test_mirror_rate_slice.sh TRAWL -- the mirror's rate limit and slicing (issue 8), on 127.0.0.1.
#
# A generated pcap (mirror.py genrate) holds 5 s of 1000-byte Ethernet/IPv4/UDP frames at 2000
# frames/s: 16 Mbit/s of frames. trawl reads it and mirrors into VXLAN to a UDP receiver
# (mirror.py udpsink) on 127.0.0.1:
#   run 1: --mbps 4: the receiver's bytes (VXLAN header + frame) over the 5 s are within 5% of
#          4 Mbit/s x 5 s (plus the burst: 50 ms, at least 65600 bytes), the rest is counted as dropped.rate, and
#          written + dropped.rate = frames read;
#   run 2: ,slice=128 (per-output option): every datagram is 8 + 128 bytes, all frames sent, the
#          summary counts them as sliced; run 3: --slice 100 as the global option.
# The limiter runs on packet time, so reading a file is the same as capturing live traffic.
# Exit 77 (skipped) without python3.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init mirror_rate_slice "$@"
MPY="$(dirname "$0")/mirror.py"

SECS=5 PPS=2000 SIZE=1000 MBPS=4
"$PY" "$MPY" genrate "$WORK/in.pcap" $SECS $PPS $SIZE || e2e_die "cannot write the pcap"
N=$((SECS * PPS))

# run NAME ARGS...: a fresh receiver, trawl reads in.pcap, the receiver stops
run() {
  local name="$1"; shift
  local port; port="$(e2e_free_port udp)"
  rm -f "$WORK/$name.txt.ready"
  e2e_bg "sink-$name" "$PY" "$MPY" udpsink "$port" "$WORK/$name.txt"
  e2e_wait_for 10 test -s "$WORK/$name.txt.ready" || e2e_die "udpsink did not start"
  e2e_trawl "$name" -r "$WORK/in.pcap" --mirror "vxlan:127.0.0.1:$port$1" "${@:2}"
  sleep "$(e2e_secs 0.5)"
  e2e_stop "sink-$name"
  OUT="vxlan:127.0.0.1:$port:1"
}

run rate "" --mbps $MBPS
e2e_eq "1. run 1 exits 0" 0 "$E2E_RC"
got="$(awk '{ s += $1 } END { print s + 0 }' "$WORK/rate.txt")"
burst=$((MBPS * 1000000 / 8 / 20)); [ $burst -lt 65600 ] && burst=65600   # docs/mirror.md
want=$((MBPS * 1000000 / 8 * SECS + burst))
e2e_check "2. bytes received ($got) within 5% of $MBPS Mbit/s over ${SECS} s ($want)" \
  awk -v g="$got" -v w="$want" 'BEGIN { exit !(g >= w * 0.95 && g <= w * 1.05) }'
written="$(e2e_summary "$WORK/rate.log" "mirror $OUT.written")"
dropped="$(e2e_summary "$WORK/rate.log" "mirror $OUT.dropped.rate")"
e2e_check "3. drops counted: written ${written:-?} + dropped.rate ${dropped:-?} = $N frames" \
  test "$((${written:-0} + ${dropped:-0}))" = "$N" -a "${dropped:-0}" -gt 0
e2e_eq "4. every written frame reached the receiver" "${written:-?}" "$(wc -l <"$WORK/rate.txt")"

run slice ",slice=128"
e2e_eq "5. run 2 exits 0" 0 "$E2E_RC"
e2e_eq "6. per-output slice=128: all $N frames arrive" "$N" "$(wc -l <"$WORK/slice.txt")"
e2e_eq "7. every datagram is 8 + 128 bytes" "136" "$(awk '{ print $1 }' "$WORK/slice.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')"
e2e_eq "8. the summary counts them as sliced" "$N" "$(e2e_summary "$WORK/slice.log" "mirror $OUT.sliced")"

run gslice "" --slice 100
e2e_eq "9. global --slice 100: every datagram is 8 + 100 bytes" "108" \
  "$(awk '{ print $1 }' "$WORK/gslice.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')"
e2e_done
