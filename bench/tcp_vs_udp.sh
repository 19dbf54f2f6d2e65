#!/usr/bin/env bash
# bench/tcp_vs_udp.sh - what TCP reassembly costs: trawl on the same SIP messages over UDP and
# over TCP, side by side in one run, alternating (udp, tcp, udp, tcp, ...).
#
#   bench/tcp_vs_udp.sh [-r RUNS] [-n CALLS] [--seed N] [--pin S:K] [-k] [-- extra trawl args]
#
# Inputs (cached in bench/work/, gitignored):
#   sipN.pcap      N sipp calls over UDP (../shared/bench/gen_sip_pcap.sh; N=20000 -> 120,000 SIP
#                  messages; the same file bench/run.sh uses)
#   sipN_tcp.pcap  the same messages over TCP (bench/udp_to_tcp.py: one connection per call,
#                  handshake, pure ACKs, FIN; some segments with two messages, some cut inside a
#                  message, some INVITEs over two segments)
# Both files are checked with tshark (TCP desegmentation on): the TCP file must hold exactly the
# UDP file's number of SIP messages (the counts are cached next to the pcaps).
# Each run: a fresh hep_sink (shared kit, strict, -n EXPECTED) on a free UDP port of 127.0.0.1,
# then `trawl -q -r PCAP --hep udp:127.0.0.1:PORT` under GNU time -v.  msgs/s = valid HEP messages
# at the sink / trawl's wall time.  Printed: every run, the medians, the TCP/UDP throughput ratio
# (target >= 0.70) and trawl's peak RSS on each input.
# Exit 1 when a run lost messages (sink valid < expected) or trawl failed; nothing is asserted
# about time.  Needs root only to make the UDP pcap (sipp + tcpdump).  TRAWL=path uses that binary
# instead of building build-bench (Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=5 calls=20000 seed=1 pin='' keep=0 drain=2
usage() { echo "usage: $0 [-r RUNS] [-n CALLS] [--seed N] [--pin SEND_CPUS:SINK_CPUS] [-k] [-- trawl args]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) calls=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --pin) pin=$2; shift 2 ;;
    -k) keep=1; shift ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
extra=("$@")
name=$(basename "$0")
# shellcheck source-path=SCRIPTDIR source=pair_lib.sh
. "$here/pair_lib.sh"
timebin=$(type -P time || true)
[ -n "$timebin" ] || die "GNU time not found (apt-get install time)"
command -v tshark >/dev/null || die "tshark not found"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

work="$here/work"
mkdir -p "$work"
# Our own copy of the read-only kit (bench/run.sh rebuilds work/kit on every run).
kit="$work/tcp_vs_udp-kit"
if [ ! -x "$kit/hep_sink" ] || [ "$shared/bench/hep_sink.c" -nt "$kit/hep_sink" ]; then
  rm -rf "$kit"; cp -r "$shared/bench" "$kit"; chmod -R u+w "$kit"
  make -s -C "$kit" >/dev/null || die "could not build the kit (gcc, libpcap-dev)"
fi

udp="$work/sip$calls.pcap"
tcp="$work/sip${calls}_tcp.pcap"
if [ ! -s "$udp" ]; then
  "$kit/gen_sip_pcap.sh" -n "$calls" -o "$udp"
fi
if [ ! -s "$tcp" ] || [ "$udp" -nt "$tcp" ] || [ "$here/udp_to_tcp.py" -nt "$tcp" ] ||
   [ "$(cat "$tcp.seed" 2>/dev/null)" != "$seed" ]; then
  "$PY" "$here/udp_to_tcp.py" --seed "$seed" "$udp" "$tcp"
  echo "$seed" >"$tcp.seed"
fi
pair_compare udp "$udp" tcp "$tcp" 0.70
