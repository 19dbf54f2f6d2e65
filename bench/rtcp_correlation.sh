#!/usr/bin/env bash
# bench/rtcp_correlation.sh - issue 5's determinism check at scale: RTCP made
# by ../shared/bench's add_rtcp.py (its .map is the expected Call-ID of every
# RTCP flow) on two pcaps:
#   rtp50    gen_sip_pcap.sh --rtp -n 50, then add_rtcp.py --xr --bye
#   sip20000 the 20,000-call SIP-only pcap of bench/run.sh, add_rtcp.py --xr
#            (60,000 RTCP packets synthesised from the SDP)
# trawl -> HEP/UDP -> hep_sink -w, then bench/rtcp_check.py: every RTCP packet
# exactly once with the right correlation id. RUNS times each (default 10).
#
#   bench/rtcp_correlation.sh [-r RUNS]      (TRAWL=path to use a built binary)
# Needs root the first time (sipp and tcpdump make the pcaps; cached in bench/work/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${TRAWL_SHARED:-$top/../shared}
runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    *) echo "usage: $0 [-r RUNS]" >&2; exit 2 ;;
  esac
done
work="$here/work"
mkdir -p "$work"
if [ ! -x "$work/kit/hep_sink" ]; then
  rm -rf "$work/kit"; cp -r "$shared/bench" "$work/kit"; chmod -R u+w "$work/kit"
  make -s -C "$work/kit" >/dev/null
fi
if [ ! -s "$work/rtp50_rtcp.pcap" ]; then
  "$work/kit/gen_sip_pcap.sh" --rtp -n 50 -o "$work/rtp50.pcap"
  "$work/kit/add_rtcp.py" --xr --bye "$work/rtp50.pcap" "$work/rtp50_rtcp.pcap"
fi
if [ ! -s "$work/sip20000_rtcp.pcap" ]; then
  [ -s "$work/sip20000.pcap" ] || "$work/kit/gen_sip_pcap.sh" -n 20000 -o "$work/sip20000.pcap"
  "$work/kit/add_rtcp.py" --xr "$work/sip20000.pcap" "$work/sip20000_rtcp.pcap"
fi
trawl=${TRAWL:-}
if [ -z "$trawl" ]; then
  cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DTRAWL_TESTS=OFF >/dev/null
  cmake --build "$top/build-bench" -j"$(nproc)" >/dev/null
  trawl="$top/build-bench/trawl"
fi
tmp=$(mktemp -d)
sink_pid=
cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
for name in rtp50 sip20000; do
  pcap="$work/${name}_rtcp.pcap" map="$work/${name}_rtcp.map"
  for run in $(seq 1 "$runs"); do
    rm -f "$tmp/port" "$tmp/out.jsonl"
    "$work/kit/hep_sink" -u 0 -P "$tmp/port" -w "$tmp/out.jsonl" -T 3 >"$tmp/sink.txt" 2>&1 &
    sink_pid=$!
    for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    "$trawl" -q -r "$pcap" --hep "udp:127.0.0.1:$(cat "$tmp/port")" || true
    wait "$sink_pid" || true
    sink_pid=
    if line=$("$here/rtcp_check.py" "$map" "$tmp/out.jsonl"); then
      echo "$name run $run: ok: ${line##*: }"
    else
      echo "$name run $run: FAIL"; echo "$line"; fails=$((fails + 1))
    fi
  done
done
echo "rtcp_correlation: $((2 * runs - fails)) of $((2 * runs)) runs exact"
[ "$fails" -eq 0 ]
