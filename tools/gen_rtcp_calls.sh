#!/usr/bin/env bash
# gen_rtcp_calls.sh -- regenerate tests/data/rtcp_calls.pcap + rtcp_calls.map, the SIP + RTP +
# RTCP call set that tests/e2e/test_rtcp_live.sh replays on a veth pair.
#
# What it records (all with the shared bench kit, ../shared/bench):
#   1. gen_sip_pcap.sh --rtp -n CALLS: two real SIPp instances on 127.X.Y.1 / 127.X.Y.2, captured
#      on lo (link type Ethernet): INVITE / 180 / 200 / ACK / BYE / 200 per call, SDP offer and
#      answer (RFC 3264), and RTP both ways from each side's SDP port (g711a, 236 packets, 7 s);
#   2. add_rtcp.py --xr --bye: RTCP compound packets (RFC 3550 §6: SR + SDES CNAME, a closing
#      RTCP BYE) on each side's RTP port + 1, one RTCP XR VoIP-metrics block (RFC 3611 §4.7) per
#      call, and the sidecar map: one line per RTCP flow with its Call-ID and packet counts, the
#      expected answer for bench/rtcp_check.py.
# The addresses, the run token in the Call-IDs and the SSRCs change with each regeneration; the
# map always matches its pcap, so regenerate both together.
#
# Needs: root (tcpdump, SIPp's raw RTP socket), sipp (sip-tester), tcpdump, tshark, python3-scapy.
#
# usage: tools/gen_rtcp_calls.sh [OUT.pcap]    (default: <repo>/tests/data/rtcp_calls.pcap;
#                                               the map is written next to it as OUT.map)
#   env: CALLS=8  TRAWL_SHARED=<repo>/../shared
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(realpath -m "${1:-$HERE/../tests/data/rtcp_calls.pcap}")"
CALLS="${CALLS:-8}"
BENCH="${TRAWL_SHARED:-$HERE/../../shared}/bench"

die() { echo "gen_rtcp_calls.sh: $*" >&2; exit 1; }
[ -x "$BENCH/gen_sip_pcap.sh" ] || die "bench kit not found at $BENCH (set TRAWL_SHARED)"
[ "$(id -u)" = 0 ] || die "must run as root (tcpdump on lo, SIPp raw RTP socket)"

WORK="$(mktemp -d /tmp/gen-rtcp-calls.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

"$BENCH/gen_sip_pcap.sh" --rtp -n "$CALLS" -o "$WORK/rtp.pcap"
/usr/bin/python3 "$BENCH/add_rtcp.py" --xr --bye "$WORK/rtp.pcap" "$WORK/rtcp.pcap" \
  --map "$WORK/rtcp.map"
# every RTCP flow must be one 4-tuple: the live test cannot use the map's time windows (a live
# capture stamps packets with the replay time), so it matches flows by address and port only
dups="$(grep -v '^#' "$WORK/rtcp.map" | cut -f1-4 | sort | uniq -d)"
[ -z "$dups" ] || die "RTCP flows repeat a 4-tuple: $dups"

mkdir -p "$(dirname "$OUT")"
cp "$WORK/rtcp.pcap" "$OUT"
cp "$WORK/rtcp.map" "${OUT%.pcap}.map"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes) and ${OUT%.pcap}.map:" \
  "$(grep -vc '^#' "${OUT%.pcap}.map") RTCP flows," \
  "$(awk -F'\t' '!/^#/ { n += $7 } END { print n }' "${OUT%.pcap}.map") RTCP packets"
