#!/usr/bin/env bash
# bench/flowmeta.sh - flow metadata throughput (docs/flowmeta.md, issue 9):
# lines per second served to 1 and to 10 connected TCP clients, side by side
# with writing the same lines to /dev/null (--flowmeta-lines /dev/null), in
# the same run, alternating, best of RUNS each.
#
#   bench/flowmeta.sh [-r RUNS] [-n PACKETS] [-t TRAWL_BINARY]
#
# Input: a pcap of PACKETS small UDP datagrams (Ethernet/IPv4/UDP, 64-byte
# payloads, 256 flows), made once into bench/work/fm_udp_N.pcap. trawl reads
# it from a FIFO so the clients can connect before the first packet; each
# client is a plain reader (bash /dev/tcp into wc -c) on 127.0.0.1, so the
# clients' own cost is small. The per-client buffer is made big enough
# (--flowmeta-client-buf) that nothing is lost: the time is what it takes
# for every client to have received every record (trawl exits after its
# drain). Each row checks the bytes each client got (PACKETS x 28).
# Without -t a Release build is made in ${TRAWL_BENCH_BUILD:-build-bench}.
# Not a test: it asserts nothing about time. Uses only 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=3 n=500000 trawl=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -t) trawl=$2; shift 2 ;;
    *) echo "usage: $0 [-r RUNS] [-n PACKETS] [-t TRAWL_BINARY]" >&2; exit 2 ;;
  esac
done
work="$here/work"
mkdir -p "$work"
if [ -z "$trawl" ]; then
  b=${TRAWL_BENCH_BUILD:-$top/build-bench}
  cmake -S "$top" -B "$b" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$b" -j2 --target trawl >/dev/null
  trawl="$b/trawl"
fi
pcap="$work/fm_udp_$n.pcap"
if [ ! -s "$pcap" ]; then
  python3 - "$pcap" "$n" <<'PY'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack(">10H", b))
    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    payload = b"m" * 64
    eth = bytes.fromhex("00005e005302" "00005e005301" "0800")
    frames = []
    for flow in range(256):
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 64, flow, 0, 64, 17, 0,
                         bytes([192, 0, 2, 10]), bytes([198, 51, 100, flow]))
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
        udp = struct.pack(">HHHH", 10000 + flow, 5001, 8 + 64, 0)
        frames.append(eth + ip + udp + payload)
    t0 = 1795417862
    for i in range(n):
        fr = frames[i & 255]
        f.write(struct.pack("<IIII", t0 + i // 1000000, i % 1000000, len(fr), len(fr)))
        f.write(fr)
PY
fi
port=$((47000 + $$ % 1000))
echo "trawl: $("$trawl" --version); pcap: $pcap ($n packets); $(nproc) cores; best of $runs"

now() { date +%s%N; }
# devnull: lines to /dev/null; prints elapsed ns
run_devnull() {
  local t0; t0=$(now)
  "$trawl" -q -r "$pcap" --flowmeta-lines /dev/null
  echo $(( $(now) - t0 ))
}
# clients K: K readers connected before the first packet; prints elapsed ns
run_clients() {
  local k=$1 fifo="$work/fm.fifo" pids=() i t0
  rm -f "$fifo"; mkfifo "$fifo"
  "$trawl" -q -r "$fifo" --flowmeta "127.0.0.1:$port" --flowmeta-no-host \
    --flowmeta-client-buf $(( n * 28 + 65536 )) 2>"$work/fm.err" &
  local tp=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  for i in $(seq "$k"); do
    bash -c "wc -c </dev/tcp/127.0.0.1/$port >$work/fm.c$i" &
    pids+=($!)
  done
  sleep 0.5
  t0=$(now)
  cat "$pcap" >"$fifo"
  wait "$tp"
  local el=$(( $(now) - t0 ))
  wait "${pids[@]}"
  rm -f "$fifo"
  for i in $(seq "$k"); do
    local got; got=$(cat "$work/fm.c$i")
    [ "$got" = $(( n * 28 )) ] || echo "   warning: client $i got $got bytes, expected $(( n * 28 ))" >&2
  done
  echo "$el"
}
best_dn="" best_1="" best_10=""
min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }
for r in $(seq "$runs"); do
  best_dn=$(min "$best_dn" "$(run_devnull)")
  best_1=$(min "$best_1" "$(run_clients 1)")
  best_10=$(min "$best_10" "$(run_clients 10)")
done
rate() { awk -v n="$n" -v ns="$1" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
printf "%-28s %12s %14s %8s\n" "sink" "seconds" "lines/s" "ratio"
printf "%-28s %12.3f %14s %8s\n" "--flowmeta-lines /dev/null" "$(awk -v x="$best_dn" 'BEGIN{print x/1e9}')" "$(rate "$best_dn")" "1.00"
printf "%-28s %12.3f %14s %8s\n" "1 TCP client" "$(awk -v x="$best_1" 'BEGIN{print x/1e9}')" "$(rate "$best_1")" "$(ratio "$best_1" "$best_dn")"
printf "%-28s %12.3f %14s %8s\n" "10 TCP clients" "$(awk -v x="$best_10" 'BEGIN{print x/1e9}')" "$(rate "$best_10")" "$(ratio "$best_10" "$best_dn")"
echo "(ratio = rate / rate of /dev/null; lines/s per client, every client gets every line)"
