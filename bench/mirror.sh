#!/usr/bin/env bash
# bench/mirror.sh - mirror throughput (docs/mirror.md, issue 8): the highest rate a GRE or VXLAN
# mirror forwards without loss, and the mirror's peak RSS, for trawl and (when installed)
# packet-agent's pktminerg, same set-up, side by side.
#
#   bench/mirror.sh [-d SECS] [-r "RATE RATE ..."] [-t TRAWL_BINARY] [-p PKTMINERG_BINARY]
#                   [-s blast|tcpreplay] [-b BUFFER_MB|default] [-m gre|vxlan]
#                   [-P drop|stack] [-c] [-n RUNS]
#
# Set-up (three namespaces made here, removed on exit; nothing else is touched):
#   ns S: the sender on veth sS  ->  ns M: veth sM, captured by the mirror under test, which
#   sends GRE (key 1) or VXLAN (VNI 1) over veth uM  ->  ns P: veth uP, the probe.
# The sender: bench/mirror_blast.c (AF_PACKET + sendmmsg, paced, sleeping between its batches of
# 64, never spinning, so at a given rate it takes only the CPU it needs), or tcpreplay --pps with
# -s tcpreplay (tops out near 176k frames/s here). The frames: 20000 Ethernet/IPv4/UDP frames of
# 100..400 bytes, looped for SECS seconds (default 3) at each RATE (frames/s; "max": as fast as
# the sender goes). The rate reported is the rate the sender achieved, which may be below the one
# asked for: then the sender, not the mirror, is the limit.
# Lossless at a rate = P's veth received as many GRE/VXLAN packets as the sender sent frames
# (read from /sys/class/net/*/statistics in the namespaces; IPv6 off and static neighbours, so
# nothing else crosses). Rates stop at the first lossy one. Peak RSS is /usr/bin/time -v's
# "Maximum resident set size" of the mirror process over the whole rate sweep (it includes the
# capture ring, which the kernel maps whole at start, and the shared libraries' pages).
# The probe (-P): a real probe is another machine, whose receive path costs the mirror nothing.
# Here every namespace shares the same 2 cores, and a veth runs the receiver's stack in the
# sender's softirq, i.e. inside the mirror's sendmmsg. "drop" (default) keeps that mostly out of
# the measure: M's static neighbour entry for the probe names a MAC that is not uP's, so uP counts
# each frame (rx_packets, the number used) and its kernel discards it at once as addressed to
# another host (no IP, no socket). "stack" delivers to P's IP stack: a bound UDP socket (VXLAN) or
# a raw protocol 47 socket (GRE), neither ever read (their queues fill and the kernel drops; the
# sockets exist so that no ICMP unreachable comes back).
# Pinning (-c): the sender on CPU 0, the mirror (and its sendmmsg's softirq) on CPU 1, so neither
# waits for the other's time slice; without -c the scheduler places them.
# -b default: no --buffer-mb, trawl's own default for a mirror-only run (docs/mirror.md).
# -n RUNS: the whole sweep RUNS times (trawl and pktminerg alternating); the summary gives the
# median highest lossless rate and the largest peak RSS. On a shared machine one sweep is noisy:
# other work on the 2 cores can stall the mirror longer than its capture ring lasts.
# Prints one row per rate and mirror, the mirror's CPU time, then the summary: the highest
# lossless rate and peak RSS of each, side by side, and the ratio trawl/pktminerg (or, without
# pktminerg, against its ~100k frames/s reference on this machine).
# Target (issue 8): >= 5x pktminerg's lossless rate (~100k pps here) at < 20 MB RSS.
# Not a test: nothing asserted about time. Needs root, ip, python3, /usr/bin/time, cc (tcpreplay
# for -s tcpreplay).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
secs=3 rates="50000 100000 200000 300000 400000 500000 700000 1000000 max" trawl="" pkt=""
sender=blast bufmb=default kind=gre probe=drop pin=0 runs=1
while [ $# -gt 0 ]; do
  case "$1" in
    -d) secs=$2; shift 2 ;;
    -r) rates=$2; shift 2 ;;
    -t) trawl=$2; shift 2 ;;
    -p) pkt=$2; shift 2 ;;
    -s) sender=$2; shift 2 ;;
    -b) bufmb=$2; shift 2 ;;
    -m) kind=$2; shift 2 ;;
    -P) probe=$2; shift 2 ;;
    -c) pin=1; shift ;;
    -n) runs=$2; shift 2 ;;
    *) echo "usage: $0 [-d SECS] [-r RATES] [-t TRAWL] [-p PKTMINERG] [-s blast|tcpreplay] [-b MB|default] [-m gre|vxlan] [-P drop|stack] [-c] [-n RUNS]" >&2; exit 2 ;;
  esac
done
case "$probe" in drop | stack) ;; *) echo "mirror.sh: -P drop|stack" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "mirror.sh: needs root (namespaces, AF_PACKET, raw GRE)" >&2; exit 2; }
for c in ip python3 /usr/bin/time; do
  command -v "$c" >/dev/null || { echo "mirror.sh: $c not installed" >&2; exit 2; }
done
[ "$sender" = tcpreplay ] && ! command -v tcpreplay >/dev/null &&
  { echo "mirror.sh: tcpreplay not installed" >&2; exit 2; }
[ -z "$pkt" ] && pkt=$(command -v pktminerg || true)
# the sender: mirror_blast (AF_PACKET + sendmmsg, built here) unless -s tcpreplay
blast="$here/work/mirror_blast"
if [ "${sender:-blast}" != tcpreplay ]; then
  sender=blast
  [ "$blast" -nt "$here/mirror_blast.c" ] || cc -O2 -o "$blast" "$here/mirror_blast.c" ||
    { echo "mirror.sh: cannot build mirror_blast" >&2; exit 2; }
fi
work="$here/work"
mkdir -p "$work"
if [ -z "$trawl" ]; then
  b=${TRAWL_BENCH_BUILD:-$top/build-bench}
  cmake -S "$top" -B "$b" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$b" -j2 --target trawl >/dev/null
  trawl="$b/trawl"
fi
pcap="$work/mirror_frames.pcap"
[ -s "$pcap" ] || /usr/bin/python3 - "$pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    eth = bytes.fromhex("020000000b02" "020000000b01" "0800")
    for i in range(20000):
        plen = 100 + (i * 37) % 300 - 42
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28 + plen, i & 0xffff, 0, 64, 17, 0,
                         bytes([10, 211, 1, 1]), bytes([10, 211, 1, 2]))
        s = sum(struct.unpack(">10H", ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
        ip = ip[:10] + struct.pack(">H", ~s & 0xffff) + ip[12:]
        udp = struct.pack(">HHHH", 10000 + i % 1000, 5060, 8 + plen, 0)
        fr = eth + ip + udp + bytes(plen)
        f.write(struct.pack("<IIII", 1795417862 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
        f.write(fr)
PY

tag=$$
NS_S="tbS$tag" NS_M="tbM$tag" NS_P="tbP$tag"
cleanup() {
  [ -n "${mpid:-}" ] && kill -TERM "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
  [ -n "${gpid:-}" ] && kill -TERM "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
  ip netns del "$NS_S" 2>/dev/null; ip netns del "$NS_M" 2>/dev/null; ip netns del "$NS_P" 2>/dev/null
}
trap cleanup EXIT
for ns in "$NS_S" "$NS_M" "$NS_P"; do
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add sS netns "$NS_S" type veth peer name sM netns "$NS_M"
ip link add uM netns "$NS_M" type veth peer name uP netns "$NS_P"
ip -n "$NS_M" addr add 10.212.1.1/24 dev uM
ip -n "$NS_P" addr add 10.212.1.2/24 dev uP
ip -n "$NS_M" link set uM up; ip -n "$NS_P" link set uP up
probe_mac=$(ip -n "$NS_P" -br link show uP | awk '{print $3}')
[ "$probe" = drop ] && probe_mac=02:00:00:00:0b:99   # not uP's: discarded at L2 (see above)
ip -n "$NS_M" neigh replace 10.212.1.2 lladdr "$probe_mac" dev uM nud permanent
probe_ns=$NS_P probe_if=uP probe_stat=rx_packets
for l in "$NS_S sS" "$NS_M sM"; do set -- $l; ip -n "$1" link set "$2" up; done
if [ "$probe" = stack ]; then # sockets that never read: no ICMP back, the kernel drops
  if [ "$kind" = vxlan ]; then
    ip netns exec "$NS_P" /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.212.1.2", 4789)); time.sleep(86400)' &
  else
    ip netns exec "$NS_P" /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); time.sleep(86400)' &
  fi
  gpid=$!
fi
pin_s=() pin_m=()
[ "$pin" = 1 ] && { pin_s=(taskset -c 0); pin_m=(taskset -c 1); }
stat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# sweep NAME CMD...: run CMD (the mirror) under /usr/bin/time in ns M, replay each rate
sweep() {
  local name=$1; shift
  local timelog="$work/mirror_time_$name.$tag"
  ip netns exec "$NS_M" "${pin_m[@]}" /usr/bin/time -v "$@" >"$work/mirror_$name.log.$tag" 2>"$timelog" &
  mpid=$!
  sleep 2
  best=0
  for r in $rates; do
    local n=$(( ${r/max/0} * secs )) loops
    loops=$(( (n + 19999) / 20000 ))
    local rx0; rx0=$(stat "$probe_ns" "$probe_if" "$probe_stat")
    local out sent achieved
    if [ "$sender" = tcpreplay ]; then
      local speed="--pps=$r"
      [ "$r" = max ] && { speed="--topspeed"; n=$((1000000 * secs)); loops=$(( (n + 19999) / 20000 )); }
      out=$(ip netns exec "$NS_S" "${pin_s[@]}" tcpreplay -q -i sS $speed --preload-pcap --loop="$loops" "$pcap" 2>&1)
      sent=$(echo "$out" | awk '/Successful packets:/ { print $3 }')
      [ -n "$sent" ] || sent=$(echo "$out" | grep -oE 'Actual: [0-9]+ packets' | awk '{print $2}')
      achieved=$(echo "$out" | grep -oE '[0-9.]+ pps' | head -1 | awk '{print int($1)}')
    else
      [ "$r" = max ] && n=$((2000000 * secs))
      out=$(ip netns exec "$NS_S" "${pin_s[@]}" "$blast" sS "$pcap" "${r/max/0}" "$n")
      sent=$(echo "$out" | awk '{ print $2 }')
      achieved=$(echo "$out" | awk '{ print $4 }')
    fi
    sleep 1
    local got=$(( $(stat "$probe_ns" "$probe_if" "$probe_stat") - rx0 ))
    local loss=$(( sent - got ))
    printf '%-10s rate %8s pps (achieved %8s)  sent %9d  mirrored %9d  lost %7d\n' \
      "$name" "$r" "${achieved:-?}" "$sent" "$got" "$loss"
    # the rate that counts is what tcpreplay achieved (it may fall short of the asked one)
    if [ "$loss" -le 0 ]; then [ "${achieved:-0}" -gt "$best" ] && best=${achieved:-0}; else break; fi
  done
  # stop the mirror (the child of /usr/bin/time, which must live to print the RSS)
  local child; child=$(pgrep -P "$mpid" | head -1)
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  sleep 2
  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null   # pktminerg may ignore SIGTERM when idle
  wait "$mpid" 2>/dev/null; mpid=""
  rss=$(awk '/Maximum resident set size/ { print $NF }' "$timelog")
  awk -F': ' -v n="$name" '/User time|System time|Percent of CPU/ { printf "%s cpu: %s %s\n", n, $1, $2 }' \
    "$timelog" | sed 's/^\t*//'
  # trawl's own account of where frames went (kernel ring drops, send-queue drops)
  grep -E '^  (kernel_drops|iface:sM.packets|mirror .*\.(written|sent|queue_dropped|failed))' \
    "$timelog" 2>/dev/null | sed "s/^/$name summary:/"
  rm -f "$work/mirror_$name.log.$tag"
  printf '%-10s highest lossless rate %d pps, peak RSS %d KiB\n' "$name" "$best" "${rss:-0}"
  rm -f "$timelog"
}

echo "mirror.sh: $secs s per rate, frames of 100..400 bytes, $kind to a third namespace (probe $probe), sender $sender$([ "$pin" = 1 ] && echo ', pinned: sender CPU 0, mirror CPU 1'), trawl --buffer-mb $bufmb"
spec=gre:10.212.1.2:1; [ "$kind" = vxlan ] && spec=vxlan:10.212.1.2:4789:1
bopt=(--buffer-mb "$bufmb"); [ "$bufmb" = default ] && bopt=()
pargs=(-i sM -r 10.212.1.2); [ "$kind" = vxlan ] && pargs+=(-n 1)
# median of the listed numbers (the lower one of the middle two for an even count)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] + 0 }'; }
t_bests=() t_rsss=() p_bests=() p_rsss=()
for round in $(seq 1 "$runs"); do # the mirrors alternate, so both see the same background load
  [ "$runs" -gt 1 ] && echo "--- round $round of $runs"
  sweep trawl "$trawl" -i sM "${bopt[@]}" --mirror "$spec" --user root
  t_bests+=("$best") t_rsss+=("${rss:-0}")
  if [ -n "$pkt" ]; then
    sweep pktminerg "$pkt" "${pargs[@]}"
    p_bests+=("$best") p_rsss+=("${rss:-0}")
  fi
done
t_best=$(median "${t_bests[@]}") t_rss=$(printf '%s\n' "${t_rsss[@]}" | sort -n | tail -1)
echo "trawl      per round: lossless ${t_bests[*]} pps; peak RSS ${t_rsss[*]} KiB"
if [ -n "$pkt" ]; then
  p_best=$(median "${p_bests[@]}") p_rss=$(printf '%s\n' "${p_rsss[@]}" | sort -n | tail -1)
  echo "pktminerg  per round: lossless ${p_bests[*]} pps; peak RSS ${p_rsss[*]} KiB"
  awk -v t="$t_best" -v p="$p_best" -v tr="$t_rss" -v pr="$p_rss" -v n="$runs" 'BEGIN {
    printf "summary (median of %d): trawl %d pps lossless at %.1f MB peak RSS | pktminerg %d pps at %.1f MB | ratio %.1fx (target >= 5x), trawl RSS target < 20 MB\n",
      n, t, tr / 1024, p, pr / 1024, p ? t / p : 0 }'
else
  awk -v t="$t_best" -v tr="$t_rss" -v n="$runs" 'BEGIN {
    printf "summary (median of %d): trawl %d pps lossless at %.1f MB peak RSS (target < 20 MB) | pktminerg not installed (-p PATH): against its ~100k pps reference %.1fx (target >= 5x)\n",
      n, t, tr / 1024, t / 100000 }'
fi
