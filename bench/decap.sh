#!/usr/bin/env bash
# bench/decap.sh - what decapsulation costs: trawl on the foundation benchmark's SIP messages as
# captured and re-wrapped in VXLAN, side by side in one run, alternating (plain, vxlan, ...).
#
#   bench/decap.sh [-r RUNS] [-n CALLS] [--pin S:K] [-k] [-- extra trawl args]
#
# Inputs (cached in bench/work/, gitignored):
#   sipN.pcap        N sipp calls over UDP (../shared/bench/gen_sip_pcap.sh; N=20000 -> 120,000 SIP
#                    messages; the same file bench/run.sh uses)
#   sipN_vxlan.pcap  every frame of it inside Ethernet / IPv4 / UDP 4789 / VXLAN VNI 42
#                    (bench/vxlan_wrap.py: 50 more bytes per frame)
# Both files are checked with tshark: the VXLAN file must hold exactly the plain file's number of
# SIP messages (the counts are cached next to the pcaps).
# Each run: a fresh hep_sink (shared kit, strict, -n EXPECTED) on a free UDP port of 127.0.0.1,
# then `trawl -q -r PCAP --hep udp:127.0.0.1:PORT` under GNU time -v.  msgs/s = valid HEP messages
# at the sink / trawl's wall time.  Printed: every run, the medians, the vxlan/plain throughput
# ratio (target >= 0.90) and trawl's peak RSS on each input.
# Exit 1 when a run lost messages (sink valid < expected) or trawl failed; nothing is asserted
# about time.  Needs root only to make the plain pcap (sipp + tcpdump).  TRAWL=path uses that
# binary instead of building build-bench (Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=5 calls=20000 pin='' keep=0 drain=2
usage() { echo "usage: $0 [-r RUNS] [-n CALLS] [--pin SEND_CPUS:SINK_CPUS] [-k] [-- trawl args]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) calls=$2; shift 2 ;;
    --pin) pin=$2; shift 2 ;;
    -k) keep=1; shift ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
extra=("$@")
die() { echo "decap.sh: $*" >&2; exit 1; }
timebin=$(type -P time || true)
[ -n "$timebin" ] || die "GNU time not found (apt-get install time)"
command -v tshark >/dev/null || die "tshark not found"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

work="$here/work"
mkdir -p "$work"
# Our own copy of the read-only kit (bench/run.sh rebuilds work/kit on every run).
kit="$work/decap-kit"
if [ ! -x "$kit/hep_sink" ] || [ "$shared/bench/hep_sink.c" -nt "$kit/hep_sink" ]; then
  rm -rf "$kit"; cp -r "$shared/bench" "$kit"; chmod -R u+w "$kit"
  make -s -C "$kit" >/dev/null || die "could not build the kit (gcc, libpcap-dev)"
fi

plain="$work/sip$calls.pcap"
vx="$work/sip${calls}_vxlan.pcap"
if [ ! -s "$plain" ]; then
  "$kit/gen_sip_pcap.sh" -n "$calls" -o "$plain"
fi
if [ ! -s "$vx" ] || [ "$plain" -nt "$vx" ] || [ "$here/vxlan_wrap.py" -nt "$vx" ]; then
  "$PY" "$here/vxlan_wrap.py" "$plain" "$vx"
fi

# sip_count PCAP: SIP messages as tshark sees them (every "sip" layer of every frame, TCP
# desegmentation on); cached in PCAP.sipcount
sip_count() {
  local p=$1
  if [ ! -s "$p.sipcount" ] || [ "$p" -nt "$p.sipcount" ]; then
    tshark -n -r "$p" -o tcp.desegment_tcp_streams:TRUE -o sip.desegment_headers:TRUE \
      -o sip.desegment_body:TRUE -Y sip -T fields -e sip.CSeq -E occurrence=a -E aggregator='|' \
      2>/dev/null | tr '|' '\n' | grep -c . >"$p.sipcount.tmp" || true
    mv "$p.sipcount.tmp" "$p.sipcount"
  fi
  cat "$p.sipcount"
}
n_plain=$(sip_count "$plain")
n_vx=$(sip_count "$vx")
n_floor=$("$kit/pcap_floor" -c "$plain")
[ "$n_plain" = "$n_floor" ] || die "tshark sees $n_plain SIP messages in $plain, pcap_floor $n_floor"
[ "$n_plain" = "$n_vx" ] || die "tshark sees $n_plain SIP messages in $plain but $n_vx in $vx"
expected=$n_plain
[ "$expected" -ge 100000 ] || echo "decap.sh: note: only $expected messages (use -n 17000 or more for >= 100,000)" >&2

if [ -n "${TRAWL:-}" ]; then
  trawl=$TRAWL
else
  cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$top/build-bench" -j"$(nproc)" --target trawl >/dev/null
  trawl="$top/build-bench/trawl"
fi
[ -x "$trawl" ] || die "trawl binary $trawl missing"

send_pin=() sink_pin=()
if [ -n "$pin" ]; then
  send_pin=(taskset -c "${pin%%:*}")
  sink_pin=(taskset -c "${pin#*:}")
fi
tmp=$(mktemp -d -t decap.XXXXXX)
sink_pid=
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "decap.sh: logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kv() { local v; v=$(sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n1); echo "${v:-0}"; }

# run_one plain|vxlan RUN: one sink + one trawl; appends a row to $tmp/rows
run_one() {
  local side=$1 i=$2 tag="$1.$2" pcap port rc=0 t0 t1 waited=0 rss wall s
  pcap=$plain; [ "$side" = vxlan ] && pcap=$vx
  "${sink_pin[@]}" "$kit/hep_sink" -u 0 -P "$tmp/port.$tag" -n "$expected" -s \
    >"$tmp/sink.$tag" 2>"$tmp/sink_err.$tag" &
  sink_pid=$!
  for _ in $(seq 200); do [ -s "$tmp/port.$tag" ] && break; sleep 0.01; done
  [ -s "$tmp/port.$tag" ] || die "hep_sink did not start: $(cat "$tmp/sink_err.$tag")"
  port=$(cat "$tmp/port.$tag")
  t0=$(date +%s%N)
  "${send_pin[@]}" "$timebin" -v -o "$tmp/time.$tag" "$trawl" -q -r "$pcap" \
    --hep "udp:127.0.0.1:$port" "${extra[@]}" >"$tmp/trawl.$tag" 2>&1 || rc=$?
  t1=$(date +%s%N)
  while kill -0 "$sink_pid" 2>/dev/null && [ "$waited" -lt $((drain * 20)) ]; do
    sleep 0.05; waited=$((waited + 1))
  done
  kill -TERM "$sink_pid" 2>/dev/null || true
  wait "$sink_pid" 2>/dev/null || true
  sink_pid=
  s="$tmp/sink.$tag"
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "$tmp/time.$tag")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  echo "$i $side $wall $(kv "$s" received) $(kv "$s" valid) $(kv "$s" invalid) $(kv "$s" kernel_drops) ${rss:-0} $rc" >>"$tmp/rows"
  if [ "$rc" != 0 ]; then echo "decap.sh: trawl ($side, run $i) exited $rc:" >&2; tail -n 5 "$tmp/trawl.$tag" >&2; fi
}

echo "trawl: $("$trawl" --version 2>&1 | head -n1); $(nproc) cores${pin:+; pinned $pin}"
echo "plain: $plain ($expected SIP messages, $(stat -c %s "$plain") bytes)"
echo "vxlan: $vx ($n_vx SIP messages, $(stat -c %s "$vx") bytes; tshark)"
echo "HEP over UDP to the kit's hep_sink (strict); $runs runs each, alternating plain/vxlan"
: >"$tmp/rows"
for i in $(seq "$runs"); do
  for side in plain vxlan; do run_one "$side" "$i"; done
done

awk -v expected="$expected" '
function median(arr, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
  return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
  run=$1; side=$2; wall=$3; recv=$4; valid=$5; inval=$6; drops=$7; rss=$8; rc=$9
  rate = wall > 0 ? valid / wall : 0
  rows[++nr] = sprintf("%-4s %-6s %8.3f %9d %9d %8d %7d %10.0f %9d %4s%s", run, side, wall, recv, valid,
                       inval, drops, rate, rss, rc, valid < expected ? "  LOSS" : "")
  k = ++n[side]; W[side, k] = wall; R[side, k] = valid; V[side, k] = rate
  if (rss > peak[side]) peak[side] = rss
  if (rc != 0 || valid < expected) bad[side]++
}
END {
  printf "%-4s %-6s %8s %9s %9s %8s %7s %10s %9s %4s\n", "run", "input", "wall_s", "recv", "valid", "invalid", "drops", "msgs/s", "rss_kB", "rc"
  for (i = 1; i <= nr; i++) print rows[i]
  printf "\n%-6s %9s %20s %11s %12s\n", "median", "wall_s", "valid/expected", "msgs/s", "peak_rss_kB"
  split("plain vxlan", order, " ")
  for (o = 1; o <= 2; o++) {
    s = order[o]
    for (k = 1; k <= n[s]; k++) { w[k] = W[s, k]; r[k] = R[s, k]; v[k] = V[s, k] }
    mw[s] = median(w, n[s]); mr[s] = median(r, n[s]); mv[s] = median(v, n[s])
    printf "%-6s %9.3f %20s %11.0f %12d%s\n", s, mw[s], mr[s] "/" expected, mv[s], peak[s],
           bad[s] ? "  (" bad[s] " bad run(s))" : ""
  }
  if (mv["plain"] > 0) {
    ratio = mv["vxlan"] / mv["plain"]
    printf "ratio vxlan/plain throughput (medians): %.2f   target >= 0.90: %s\n", ratio, ((ratio >= 0.9) ? "met" : "NOT met")
    printf "peak RSS vxlan - plain: %+d kB\n", peak["vxlan"] - peak["plain"]
  }
  exit (bad["plain"] + bad["vxlan"]) ? 1 : 0
}' "$tmp/rows"
