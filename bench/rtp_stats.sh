#!/usr/bin/env bash
# bench/rtp_stats.sh - what RTP stream statistics cost (issue 5): trawl on an RTP-heavy capture
# with statistics on (the default) and off (--no-rtp-stats), alternating (on, off, on, off, ...).
#
#   bench/rtp_stats.sh [-r RUNS] [-k COPIES] [-- extra trawl args]
#
# Input (cached in bench/work/, gitignored):
#   rtp50.pcap          50 sipp calls with RTP both ways (../shared/bench/gen_sip_pcap.sh --rtp -n 50:
#                       300 SIP messages, 23,600 RTP packets; needs root, about 15 s)
#   rtp50xK.pcap        K copies of it one after the other, each with its own Call-IDs, SDP/RTP
#                       ports and SSRCs (bench/rtp_replicate.py); K=43 (default) -> 1,014,800 RTP
#                       packets in 2150 calls, 4300 streams
# Each run: `trawl -r PCAP --json /dev/null` under GNU time -v (summary kept, to check that the
# "on" runs report every stream and the "off" runs none).  packets/s = packets in the file /
# trawl's wall time; pkts/cpu_s = the same over trawl's user + system CPU time (steadier on a busy
# machine).  Printed: every run, the medians, the on/off throughput ratio and the peak
# RSS of each.  Exit 1 when trawl failed or the counts are wrong; nothing is asserted about time.
# TRAWL=path uses that binary instead of building build-bench (Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=5 copies=43
usage() { echo "usage: $0 [-r RUNS] [-k COPIES] [-- trawl args]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -k) copies=$2; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
extra=("$@")
die() { echo "rtp_stats.sh: $*" >&2; exit 1; }
timebin=$(type -P time || true)
[ -n "$timebin" ] || die "GNU time not found (apt-get install time)"

work="$here/work"
mkdir -p "$work"
small="$work/rtp50.pcap"
big="$work/rtp50x$copies.pcap"
if [ ! -s "$small" ]; then
  kit="$work/rtp_stats-kit"
  rm -rf "$kit"; cp -r "$shared/bench" "$kit"; chmod -R u+w "$kit"
  "$kit/gen_sip_pcap.sh" --rtp -n 50 -o "$small"
fi
if [ ! -s "$big" ] || [ "$small" -nt "$big" ] || [ "$here/rtp_replicate.py" -nt "$big" ]; then
  python3 "$here/rtp_replicate.py" "$small" "$big" -k "$copies"
fi

if [ -n "${TRAWL:-}" ]; then
  trawl=$TRAWL
else
  cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$top/build-bench" -j"$(nproc)" --target trawl >/dev/null
  trawl="$top/build-bench/trawl"
fi
[ -x "$trawl" ] || die "trawl binary $trawl missing"

tmp=$(mktemp -d -t rtp_stats.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
counter() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"; }

# One throwaway run: the counts every run must reproduce, and a warm page cache.
"$trawl" -r "$big" --json /dev/null "${extra[@]}" 2>"$tmp/warm" || die "trawl failed: $(tail -n 5 "$tmp/warm")"
packets=$(counter "$tmp/warm" packets)
rtp=$(counter "$tmp/warm" rtp.packets)
streams=$(counter "$tmp/warm" rtp.streams)
[ "$rtp" -ge 1000000 ] || echo "rtp_stats.sh: note: only $rtp RTP packets (use -k 43 or more for >= 1,000,000)" >&2

# run_one on|off RUN: appends "run side wall packets/s rss rtp_packets reports rc" to $tmp/rows
run_one() {
  local side=$1 i=$2 tag="$1.$2" rc=0 t0 t1 opt=()
  [ "$side" = off ] && opt=(--no-rtp-stats)
  t0=$(date +%s%N)
  "$timebin" -v -o "$tmp/time.$tag" "$trawl" -r "$big" --json /dev/null "${opt[@]}" "${extra[@]}" \
    2>"$tmp/err.$tag" || rc=$?
  t1=$(date +%s%N)
  local rss wall cpu
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "$tmp/time.$tag")
  cpu=$(awk -F': ' '/User time|System time/ { c += $2 } END { printf "%.3f", c }' "$tmp/time.$tag")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  echo "$i $side $wall $(counter "$tmp/err.$tag" packets) ${rss:-0} $(counter "$tmp/err.$tag" rtp.packets)" \
       "$(counter "$tmp/err.$tag" rtp.reports) $rc $cpu" >>"$tmp/rows"
  if [ "$rc" != 0 ]; then echo "rtp_stats.sh: trawl ($side, run $i) exited $rc:" >&2; tail -n 5 "$tmp/err.$tag" >&2; fi
}

echo "trawl: $("$trawl" --version 2>&1 | head -n1); $(nproc) cores"
echo "input: $big ($packets packets, $rtp RTP, $streams streams, $(stat -c %s "$big") bytes)"
echo "trawl -r PCAP --json /dev/null [--no-rtp-stats] ${extra[*]}; $runs runs each, alternating on/off"
: >"$tmp/rows"
for i in $(seq "$runs"); do
  for side in on off; do run_one "$side" "$i"; done
done

awk -v packets="$packets" -v streams="$streams" '
function median(arr, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
  return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
  run=$1; side=$2; wall=$3; pk=$4; rss=$5; rtp=$6; reports=$7; rc=$8; cpu=$9
  rate = wall > 0 ? pk / wall : 0
  crate = cpu > 0 ? pk / cpu : 0
  wrong = (pk != packets) || (side == "on" && reports != streams) || (side == "off" && reports != 0)
  rows[++nr] = sprintf("%-4s %-4s %8.3f %7.3f %9d %10.0f %11.0f %9d %8d %4s%s", run, side, wall, cpu, pk, rate,
                       crate, rss, reports, rc,
                       wrong ? "  WRONG COUNTS" : "")
  k = ++n[side]; W[side, k] = wall; V[side, k] = rate; C[side, k] = crate
  if (rss > peak[side]) peak[side] = rss
  if (rc != 0 || wrong) bad[side]++
}
END {
  printf "%-4s %-4s %8s %7s %9s %10s %11s %9s %8s %4s\n", "run", "stat", "wall_s", "cpu_s", "packets", "packets/s",
         "pkts/cpu_s", "rss_kB", "reports", "rc"
  for (i = 1; i <= nr; i++) print rows[i]
  printf "\n%-6s %9s %11s %11s %12s\n", "median", "wall_s", "packets/s", "pkts/cpu_s", "peak_rss_kB"
  split("on off", order, " ")
  for (o = 1; o <= 2; o++) {
    s = order[o]
    for (k = 1; k <= n[s]; k++) { w[k] = W[s, k]; v[k] = V[s, k]; c[k] = C[s, k] }
    mw[s] = median(w, n[s]); mv[s] = median(v, n[s]); mc[s] = median(c, n[s])
    printf "%-6s %9.3f %11.0f %11.0f %12d%s\n", s, mw[s], mv[s], mc[s], peak[s], bad[s] ? "  (" bad[s] " bad run(s))" : ""
  }
  if (mv["off"] > 0) {
    printf "ratio on/off throughput (medians): %.3f wall, %.3f CPU time\n", mv["on"] / mv["off"], mc["on"] / mc["off"]
    printf "peak RSS on - off: %+d kB\n", peak["on"] - peak["off"]
  }
  exit (bad["on"] + bad["off"]) ? 1 : 0
}' "$tmp/rows"
