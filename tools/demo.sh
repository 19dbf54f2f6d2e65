#!/usr/bin/env bash
# demo.sh - installs what is missing, builds trawl, and runs it on the bundled
# sample: every SIP message of a sipp-made call set as JSON lines on stdout,
# and as HEP v3 over UDP to a throwaway listener on 127.0.0.1; summary on stderr.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh" run
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAWL_TESTS=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
sample="$top/tests/data/e2e_calls.pcap"
# A local UDP listener so the HEP datagrams have somewhere to go: it binds a
# free port, writes it to a file, then counts what arrives.
portfile=$(mktemp)
trap 'rm -f "$portfile"' EXIT
python3 - "$portfile" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(3)
n = 0
try:
    while True:
        n += s.recv(70000)[:4] == b"HEP3"
except socket.timeout:
    pass
print("demo listener: received %d HEP3 packets" % n, file=sys.stderr)
PY
listener=$!
for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.05; done
port=$(cat "$portfile")
"$top/build/trawl" -r "$sample" --json - --hep "udp:127.0.0.1:$port" --hep-node demo
wait "$listener"
