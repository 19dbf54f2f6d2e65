#!/usr/bin/env bash
# bench/rules.sh - what rule evaluation costs (docs/rules.md): trawl on the foundation benchmark's
# SIP pcap (bench/run.sh's sipN.pcap) with a config of 20 rules against the same config without
# rules, side by side in one run, alternating (none, rules20, none, ...).
#
#   bench/rules.sh [-r RUNS] [-n CALLS] [--pin S:K] [-k]
#
# Both sides: trawl -q -c CONFIG, one file input, one HEP/UDP output to a fresh hep_sink of the
# shared kit (strict, -n EXPECTED) on a free port of 127.0.0.1. The 20-rule config (written to
# the work dir; printed with -k) is a realistic worst case: 19 rules that every message is
# tested against and none decides - header exact/prefix/contains/regex conditions (the header
# block is scanned), User-Agent regexes, source/destination CIDRs (IPv4 and IPv6), port ranges,
# status classes, sizes - two of them tag and continue, then a last rule sends everything to
# HEP, so the sink must still receive every message. msgs/s = valid HEP messages at the sink /
# trawl's wall time. Printed: every run, the medians and the rules20/none throughput ratio
# (target >= 0.80). Exit 1 when a run lost messages or trawl failed; nothing is asserted about
# time. TRAWL=path uses that binary instead of building build-bench (Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=5 calls=20000 pin='' keep=0 drain=2
usage() { echo "usage: $0 [-r RUNS] [-n CALLS] [--pin SEND_CPUS:SINK_CPUS] [-k]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) calls=$2; shift 2 ;;
    --pin) pin=$2; shift 2 ;;
    -k) keep=1; shift ;;
    *) usage ;;
  esac
done
name=$(basename "$0")
die() { echo "$name: $*" >&2; exit 1; }
timebin=$(type -P time || true)
[ -n "$timebin" ] || die "GNU time not found (apt-get install time)"

work="$here/work"
mkdir -p "$work"
kit="$work/rules-kit"
if [ ! -x "$kit/hep_sink" ] || [ "$shared/bench/hep_sink.c" -nt "$kit/hep_sink" ]; then
  rm -rf "$kit"; cp -r "$shared/bench" "$kit"; chmod -R u+w "$kit"
  make -s -C "$kit" >/dev/null || die "could not build the kit (gcc, libpcap-dev)"
fi
pcap="$work/sip$calls.pcap"
[ -s "$pcap" ] || "$kit/gen_sip_pcap.sh" -n "$calls" -o "$pcap"
expected=$("$kit/pcap_floor" -c "$pcap")

if [ -n "${TRAWL:-}" ]; then
  trawl=$TRAWL
else
  cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$top/build-bench" -j2 --target trawl >/dev/null
  trawl="$top/build-bench/trawl"
fi
[ -x "$trawl" ] || die "trawl binary $trawl missing"

send_pin=() sink_pin=()
if [ -n "$pin" ]; then send_pin=(taskset -c "${pin%%:*}"); sink_pin=(taskset -c "${pin#*:}"); fi
tmp=$(mktemp -d -t "$name.XXXXXX")
sink_pid=
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "$name: logs and configs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# config SIDE PORT: the YAML for one run
config() {
  cat <<EOF
inputs:
  pcap: { kind: file, path: "$pcap" }
outputs:
  homer: { kind: hep, target: "udp:127.0.0.1:$2" }
EOF
  [ "$1" = none ] && return
  cat <<'EOF'
local_networks: [10.0.0.0/8, "fd00::/8"]
rules:
  - { name: r01, match: { user_agent: { regex: "friendly-scanner|sipvicious|sipcli|VaxSIPUserAgent", nocase: true } }, action: { drop: true } }
  - { name: r02, match: { header: { X-Tenant: { regex: "^(acme|globex)-[a-z]+$" } } }, action: { send: [homer] } }
  - { name: r03, match: { src: [203.0.113.0/24, 198.51.100.0/24, "2001:db8::/32"] }, action: { drop: true } }
  - { name: r04, match: { dst: [192.0.2.0/24, "2001:db8:1::/48"], dport: 5080-5090 }, action: { send: [homer] } }
  - { name: r05, match: { header: { P-Asserted-Identity: { contains: "anonymous", nocase: true } } }, action: { drop: true } }
  - { name: r06, match: { header: { Subject: { prefix: "test-" } } }, action: { drop: true } }
  - { name: r07, match: { method: [MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH], header: { Event: { regex: "^(presence|dialog)" } } }, action: { drop: true } }
  - { name: r08, match: { status: [401, 407], header: { WWW-Authenticate: { contains: "stale=true" } } }, action: { drop: true } }
  - { name: r09, match: { header: { Via: { regex: "received=203\\.0\\.113\\.[0-9]+" } } }, action: { drop: true } }
  - { name: r10, match: { size: { min: 60000 } }, action: { drop: true } }
  - { name: r11, match: { header: { X-Debug: { exists: true } } }, action: { send: [homer], tag: { debug: "1" } } }
  - { name: r12, match: { user_agent: { prefix: "Asterisk PBX 1." } }, action: { send: [homer], tag: { legacy: "1" } } }
  - { name: r13, match: { src: 172.16.0.0/12, header: { Contact: { contains: ";transport=ws" } } }, action: { send: [homer] } }
  - { name: r14, match: { header: { Max-Forwards: "0" } }, action: { drop: true } }
  - { name: r15, match: { status: 6xx, header: { Reason: { regex: "cause=(1[6-9]|2[0-9])" } } }, action: { send: [homer] } }
  - { name: r16, match: { header: { Call-ID: { prefix: "ignore-" } } }, action: { drop: true } }
  - { name: r17, match: { header: { From: { contains: "sip:spam@" } } }, action: { drop: true } }
  - { name: r18, match: { port: [5062, 15060] , malformed: true }, action: { drop: true } }
  - { name: r19, match: { header: { Content-Type: { regex: "^multipart/(mixed|related)" } } }, action: { send: [homer] } }
  - { name: r20, match: { protocol: [sip, rtcp, vq, rtp_stats, hep, log] }, action: { send: [homer] } }
EOF
}

kv() { local v; v=$(sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n1); echo "${v:-0}"; }

run_one() {
  local side=$1 i=$2 tag="$1.$2" port rc=0 t0 t1 waited=0 rss wall s
  "${sink_pin[@]}" "$kit/hep_sink" -u 0 -P "$tmp/port.$tag" -n "$expected" -s \
    >"$tmp/sink.$tag" 2>"$tmp/sink_err.$tag" &
  sink_pid=$!
  for _ in $(seq 200); do [ -s "$tmp/port.$tag" ] && break; sleep 0.01; done
  [ -s "$tmp/port.$tag" ] || die "hep_sink did not start: $(cat "$tmp/sink_err.$tag")"
  port=$(cat "$tmp/port.$tag")
  config "$side" "$port" >"$tmp/$tag.yaml"
  "$trawl" -c "$tmp/$tag.yaml" --check-config >/dev/null || die "config for $side refused"
  t0=$(date +%s%N)
  "${send_pin[@]}" "$timebin" -v -o "$tmp/time.$tag" "$trawl" -q -c "$tmp/$tag.yaml" \
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
  echo "$i $side $wall $(kv "$s" received) $(kv "$s" valid) $(kv "$s" invalid) ${rss:-0} $rc" >>"$tmp/rows"
  if [ "$rc" != 0 ]; then echo "$name: trawl ($side, run $i) exited $rc:" >&2; tail -n 5 "$tmp/trawl.$tag" >&2; fi
}

echo "trawl: $("$trawl" --version 2>&1 | head -n1); $(nproc) cores${pin:+; pinned $pin}"
echo "pcap: $pcap ($expected SIP messages); HEP/UDP to hep_sink (strict); $runs runs each, alternating none/rules20"
: >"$tmp/rows"
for i in $(seq "$runs"); do
  for side in none rules20; do run_one "$side" "$i"; done
done

awk -v expected="$expected" -v target=0.80 '
function median(arr, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
  return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
  run=$1; side=$2; wall=$3; recv=$4; valid=$5; inval=$6; rss=$7; rc=$8
  rate = wall > 0 ? valid / wall : 0
  rows[++nr] = sprintf("%-4s %-8s %8.3f %9d %9d %8d %10.0f %9d %4s%s", run, side, wall, recv, valid,
                       inval, rate, rss, rc, valid < expected ? "  LOSS" : "")
  k = ++n[side]; W[side, k] = wall; V[side, k] = rate
  if (rss > peak[side]) peak[side] = rss
  if (rc != 0 || valid < expected) bad[side]++
}
END {
  printf "%-4s %-8s %8s %9s %9s %8s %10s %9s %4s\n", "run", "rules", "wall_s", "recv", "valid", "invalid", "msgs/s", "rss_kB", "rc"
  for (i = 1; i <= nr; i++) print rows[i]
  printf "\n%-8s %9s %11s %12s\n", "median", "wall_s", "msgs/s", "peak_rss_kB"
  order[1] = "none"; order[2] = "rules20"
  for (o = 1; o <= 2; o++) {
    s = order[o]
    for (k = 1; k <= n[s]; k++) { w[k] = W[s, k]; v[k] = V[s, k] }
    mw[s] = median(w, n[s]); mv[s] = median(v, n[s])
    printf "%-8s %9.3f %11.0f %12d%s\n", s, mw[s], mv[s], peak[s], bad[s] ? "  (" bad[s] " bad run(s))" : ""
  }
  if (mv["none"] > 0) {
    ratio = mv["rules20"] / mv["none"]
    printf "ratio rules20/none throughput (medians): %.2f   target >= %.2f: %s\n", ratio, target, ((ratio >= target) ? "met" : "NOT met")
  }
  exit (bad["none"] + bad["rules20"]) ? 1 : 0
}' "$tmp/rows"
