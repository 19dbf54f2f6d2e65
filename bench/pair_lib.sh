# shellcheck shell=bash
# shellcheck disable=SC2154,SC2317  # name, kit, runs... come from the sourcing script; cleanup runs from a trap
# bench/pair_lib.sh - sourced by the side-by-side benchmarks (tcp_vs_udp.sh, decap.sh): trawl on
# two pcaps holding the same SIP messages, alternating runs, each into a fresh hep_sink (strict);
# prints every run, the medians, the throughput ratio OTHER/BASE against a target, and trawl's
# peak RSS on each input.
#
# The caller sets name (for messages), top, kit (a built copy of ../shared/bench), runs, pin,
# keep, drain, extra (array of trawl arguments) and timebin, then calls
#   pair_compare BASE_LABEL BASE_PCAP OTHER_LABEL OTHER_PCAP TARGET
# Both sides run `trawl -q -r PCAP --hep udp:127.0.0.1:PORT EXTRA...`, unless the caller defines
#   pair_args SIDE PCAP PORT SCRATCH
# which sets the array `args` to the side's trawl arguments instead (SCRATCH: a path prefix in
# the run's temporary directory, e.g. for a config file). The pcaps may be the same file.
# Exit 1 when a run lost messages or trawl failed; nothing is asserted about time.

die() { echo "$name: $*" >&2; exit 1; }

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
pair_compare() {
base_label=$1 base=$2 other_label=$3 other=$4 target=$5
n_base=$(sip_count "$base")
n_other=$(sip_count "$other")
n_floor=$("$kit/pcap_floor" -c "$base")
[ "$n_base" = "$n_floor" ] || die "tshark sees $n_base SIP messages in $base, pcap_floor $n_floor"
[ "$n_base" = "$n_other" ] || die "tshark sees $n_base SIP messages in $base but $n_other in $other"
expected=$n_base
[ "$expected" -ge 100000 ] || echo "$name: note: only $expected messages (use -n 17000 or more for >= 100,000)" >&2

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
tmp=$(mktemp -d -t "$name.XXXXXX")
sink_pid=
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "$name: logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kv() { local v; v=$(sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n1); echo "${v:-0}"; }

# run_one BASE_LABEL|OTHER_LABEL RUN: one sink + one trawl; appends a row to $tmp/rows
run_one() {
  local side=$1 i=$2 tag="$1.$2" pcap port rc=0 t0 t1 waited=0 rss wall s args
  pcap=$base; [ "$side" = "$other_label" ] && pcap=$other
  "${sink_pin[@]}" "$kit/hep_sink" -u 0 -P "$tmp/port.$tag" -n "$expected" -s \
    >"$tmp/sink.$tag" 2>"$tmp/sink_err.$tag" &
  sink_pid=$!
  for _ in $(seq 200); do [ -s "$tmp/port.$tag" ] && break; sleep 0.01; done
  [ -s "$tmp/port.$tag" ] || die "hep_sink did not start: $(cat "$tmp/sink_err.$tag")"
  port=$(cat "$tmp/port.$tag")
  args=(-r "$pcap" --hep "udp:127.0.0.1:$port" "${extra[@]}")
  if declare -F pair_args >/dev/null; then pair_args "$side" "$pcap" "$port" "$tmp/$tag"; fi
  t0=$(date +%s%N)
  "${send_pin[@]}" "$timebin" -v -o "$tmp/time.$tag" "$trawl" -q "${args[@]}" \
    >"$tmp/trawl.$tag" 2>&1 || rc=$?
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
  if [ "$rc" != 0 ]; then echo "$name: trawl ($side, run $i) exited $rc:" >&2; tail -n 5 "$tmp/trawl.$tag" >&2; fi
}

echo "trawl: $("$trawl" --version 2>&1 | head -n1); $(nproc) cores${pin:+; pinned $pin}"
echo "$base_label: $base ($expected SIP messages, $(stat -c %s "$base") bytes)"
echo "$other_label: $other ($n_other SIP messages, $(stat -c %s "$other") bytes; tshark)"
echo "HEP over UDP to the kit's hep_sink (strict); $runs runs each, alternating $base_label/$other_label"
: >"$tmp/rows"
for i in $(seq "$runs"); do
  for side in "$base_label" "$other_label"; do run_one "$side" "$i"; done
done

awk -v expected="$expected" -v base="$base_label" -v other="$other_label" -v target="$target" '
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
  order[1] = base; order[2] = other
  for (o = 1; o <= 2; o++) {
    s = order[o]
    for (k = 1; k <= n[s]; k++) { w[k] = W[s, k]; r[k] = R[s, k]; v[k] = V[s, k] }
    mw[s] = median(w, n[s]); mr[s] = median(r, n[s]); mv[s] = median(v, n[s])
    printf "%-6s %9.3f %20s %11.0f %12d%s\n", s, mw[s], mr[s] "/" expected, mv[s], peak[s],
           bad[s] ? "  (" bad[s] " bad run(s))" : ""
  }
  if (mv[base] > 0) {
    ratio = mv[other] / mv[base]
    printf "ratio %s/%s throughput (medians): %.2f   target >= %.2f: %s\n", other, base, ratio, target, ((ratio >= target) ? "met" : "NOT met")
    printf "peak RSS %s - %s: %+d kB\n", other, base, peak[other] - peak[base]
  }
  exit (bad[base] + bad[other]) ? 1 : 0
}' "$tmp/rows"
}
