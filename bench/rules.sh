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
# trawl's wall time. Printed (bench/pair_lib.sh): every run, the medians and the rules20/none
# throughput ratio (target >= 0.80). Exit 1 when a run lost messages or trawl failed; nothing is asserted about
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
# shellcheck source-path=SCRIPTDIR source=pair_lib.sh
. "$here/pair_lib.sh"
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

# pair_args SIDE PCAP PORT SCRATCH (pair_lib.sh): each side reads its own config.
pair_args() {
  config "$1" "$3" >"$4.yaml"
  "$trawl" -c "$4.yaml" --check-config >/dev/null || die "config for $1 refused"
  args=(-c "$4.yaml")
}
extra=()
pair_compare none "$pcap" rules20 "$pcap" 0.80
