#!/usr/bin/env bash
# bench/run.sh - the foundation benchmark: a 120,000-message SIP pcap made with
# ../shared/bench (20,000 sipp calls), trawl -> HEP/UDP -> the kit's hep_sink,
# side by side with the kit's naive floor sender (one sendto per message) in
# the same run, alternating. Prints the kit's table: throughput ratio
# trawl/floor, messages received by the sink, peak RSS.
#
#   bench/run.sh [-r RUNS] [-n CALLS] [--tcp] [-- extra trawl args]
# Needs root (tcpdump and sipp make the pcap; it is cached in bench/work/).
# Not a test: it asserts nothing about time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=5 calls=20000 tcp=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) calls=$2; shift 2 ;;
    --tcp) tcp=(--tcp); shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [-r RUNS] [-n CALLS] [--tcp] [-- trawl args]" >&2; exit 2 ;;
  esac
done
extra="$*"
work="$here/work"
mkdir -p "$work"
# The kit lives in a read-only folder: build it in our work dir.
rm -rf "$work/kit"; cp -r "$shared/bench" "$work/kit"; chmod -R u+w "$work/kit"
make -s -C "$work/kit" >/dev/null
pcap="$work/sip$calls.pcap"
if [ ! -s "$pcap" ]; then
  "$work/kit/gen_sip_pcap.sh" -n "$calls" -o "$pcap"
fi
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
cmake --build "$top/build-bench" -j"$(nproc)" >/dev/null
trawl="$top/build-bench/trawl"
proto=udp; [ ${#tcp[@]} -gt 0 ] && proto=tcp
echo "trawl: $("$trawl" --version); pcap: $pcap; $(nproc) cores"
"$work/kit/bench.sh" -r "$runs" "${tcp[@]}" "$pcap" -- \
  "$trawl -q -r \"\$PCAP\" --hep $proto:\$HEP_HOST:\$HEP_PORT $extra"
