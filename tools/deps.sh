#!/usr/bin/env bash
# deps.sh [run|test] - installs the Debian 12 packages trawl needs, only those
# missing (idempotent). "run": build and run; "test": also the test suite's
# tools and third-party peers (Kamailio, sngrep, tshark, sipp, clang for fuzzing).
set -euo pipefail
what=${1:-run}
run_pkgs=(build-essential cmake pkg-config libpcap-dev libyaml-dev libmicrohttpd-dev liblua5.4-dev
          libzmq3-dev)
test_pkgs=(clang libclang-rt-14-dev libcmocka-dev tshark kamailio kamailio-sqlite-modules
           sqlite3 sip-tester sngrep python3 python3-scapy python3-zmq tcpdump tcpreplay iproute2 time
           prometheus)
pkgs=("${run_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "deps.sh: run as root to install: ${missing[*]}" >&2; exit 1; }
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture: keep the safe default (no)
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
