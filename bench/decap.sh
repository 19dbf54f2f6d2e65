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
pair_compare plain "$plain" vxlan "$vx" 0.90
