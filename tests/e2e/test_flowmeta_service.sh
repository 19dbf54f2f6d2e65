#!/usr/bin/env bash
# test_flowmeta_service.sh TRAWL - the flow metadata service (docs/flowmeta.md,
# issue 9) live, on a veth pair between two network namespaces this test
# creates (and removes): ns "cap" (10.209.0.1, fd00:209::1) runs trawl -i on
# its veth, ns "peer" (10.209.0.2, fd00:209::2) sends UDP to it. Clients
# (trawl recollect) connect to 127.0.0.1 inside ns cap. Checks:
#   1. three clients connected at different times each receive exactly the
#      lines of the packets sent after they connected (sent in phases a
#      second apart), in order; the log file does not exist before the first
#      client, then holds exactly the first client's lines; after every client
#      left it does not grow; with a client again it grows by exactly the new
#      lines; SIGHUP after a rename starts a new file;
#   2. a client that connects and never reads does not slow capture or the
#      other client: a reading client gets every record of a flood that
#      overflows the stalled one, trawl reports the stalled client's loss,
#      and the kernel dropped nothing; a reader that, like PCapper's
#      recollect, takes one recv(28) per record never gets part of one
#      (segments are whole records: the MSS is clamped to 51 records);
#   3. --flowmeta-mode src, dst and spoof (and -f) select exactly the intended
#      packets: sent by cap's MAC, not sent by it, and claiming cap's IPv4 or
#      IPv6 address from another MAC (frames forged with scapy in ns peer);
#   4. `trawl pcapper -i IF -p PORT -f LOG -m dst` serves the same records;
#   5. --flowmeta-multicast publishes the records to a group that a socket in
#      ns peer joined, 28 bytes each, the same as the clients get;
#   6. a golden pcap served over [::1] and printed by recollect gives its
#      golden IPv4 lines byte for byte (the record and the line agree).
# Exit 77 (skipped) without root, ip netns or scapy.
set -u
trawl=$1
mult=${TRAWL_TIMEOUT_MULT:-1}
py=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null || { echo "skip: iproute2 missing"; exit 77; }
$py -c 'import scapy' 2>/dev/null || { echo "skip: python3-scapy missing"; exit 77; }
tag=f$$
ns_cap=trawl-fmcap-$tag ns_peer=trawl-fmpeer-$tag
if_cap=vfc-$tag if_peer=vfp-$tag
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$ns_cap" 2>/dev/null
  ip netns del "$ns_peer" 2>/dev/null
  if [ "${failed:-0}" != 0 ] || [ -n "${TRAWL_E2E_KEEP:-}" ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
pass=0 failed=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "PASS: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
secs() { awk -v n="$1" -v m="$mult" 'BEGIN { printf "%g\n", n * m }'; }
# stop PID: SIGTERM, wait for it; returns its exit status
stop() { kill -TERM "$1" 2>/dev/null; wait "$1"; }

ip netns add "$ns_cap" && ip netns add "$ns_peer" || { echo "skip: cannot create namespaces"; exit 77; }
# shellcheck source-path=SCRIPTDIR source=veth.sh
. "$(dirname "$0")/veth.sh"
veth_link "$ns_cap" "$if_cap" 10.209.0.1 "$ns_peer" "$if_peer" 10.209.0.2 fd00:209::1 fd00:209::2 ||
  { echo "skip: cannot create a veth pair"; exit 77; }
mac_cap=$MAC_A mac_peer=$MAC_B
incap() { ip netns exec "$ns_cap" "$@"; }
inpeer() { ip netns exec "$ns_peer" "$@"; }
# for commands started with &: exec, so that $! is the command itself (signals reach it)
bgcap() { exec ip netns exec "$ns_cap" "$@"; }
bgpeer() { exec ip netns exec "$ns_peer" "$@"; }

# send.py DST FIRST_SPORT COUNT [DPORT]: COUNT UDP datagrams, source ports FIRST.., one each
cat >"$work/send.py" <<'PY'
import socket, sys, time
dst, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dport = int(sys.argv[4]) if len(sys.argv) > 4 else 9
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
for i in range(n):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", first + i))
    s.sendto(b"flowmeta %d" % (first + i), (dst, dport))
    s.close()
PY
# flood.py DST COUNT: COUNT datagrams from one socket as fast as it can
cat >"$work/flood.py" <<'PY'
import socket, sys
dst, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 30000))
payload = b"f" * 64
for i in range(n):
    s.sendto(payload, (dst, 9))
PY
# stall.py PORT: connects, never reads, waits to be killed
cat >"$work/stall.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").write("connected\n")
while True:
    time.sleep(1)
PY
# strict.py PORT OUT HOST: reads as PCapper's recollect does, one recv(28) per
# readable select(), a short read being an error; writes "records N short S"
cat >"$work/strict.py" <<'PY'
import select, signal, socket, sys
s = socket.create_connection((sys.argv[3], int(sys.argv[1])))
n = short = 0
def done(*_):
    open(sys.argv[2], "w").write("records %d short %d\n" % (n, short)); sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    select.select([s], [], [])
    r = s.recv(28)
    if not r:
        done()
    if len(r) < 28:
        short += 1
        r += s.recv(28 - len(r), socket.MSG_WAITALL)
    n += 1
PY
# forge.py IFACE MAC_DST IP4_SRC IP6_SRC: frames claiming cap's addresses from peer's MAC
cat >"$work/forge.py" <<'PY'
import sys, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, UDP, sendp
iface, mac_dst, ip4, ip6 = sys.argv[1:5]
sendp(Ether(dst=mac_dst) / IP(src=ip4, dst="10.209.0.99") / UDP(sport=40003, dport=9) / b"spoof4",
      iface=iface, verbose=False)
sendp(Ether(dst=mac_dst) / IPv6(src=ip6, dst="fd00:209::99") / UDP(sport=40004, dport=9) / b"spoof6",
      iface=iface, verbose=False)
PY
# mcast_recv.py GROUP PORT IFADDR OUT: writes each datagram's 28-byte records as hex lines
cat >"$work/mcast_recv.py" <<'PY'
import socket, struct, sys, signal
group, port, ifaddr, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton(ifaddr))
f = open(out, "w", buffering=1)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
open(out + ".ready", "w").close()
while True:
    d = s.recv(65536)
    f.write("dgram %d\n" % len(d))
    for i in range(0, len(d) - len(d) % 28, 28):
        f.write(d[i:i + 28].hex() + "\n")
PY

# wait_for COND SECONDS: polls a shell condition
wait_for() {
  local t; t=$(secs "$2"); local end=$(( $(date +%s%N) + ${t%.*} * 1000000000 + 1000000000 ))
  while ! eval "$1"; do [ "$(date +%s%N)" -lt $end ] || return 1; sleep 0.1; done
}
port=17073
# sport_lines FILE: the sorted source ports of the UDP-to-port-9 lines
sports() {
  sed -E -n 's/^[0-9]+\.[0-9]{6}:(\[[^]]*\]|[0-9.]+):([0-9]+):(\[[^]]*\]|[0-9.]+):[0-9]+:[0-9]+:[0-9]+:([0-9]+)$/\2 \4/p' "$1" |
    awk '$2 != 61 { print $1 }' | sort -n | tr '\n' ' '
}
# want FIRST...: the source ports of the phases starting at each FIRST (5 each)
want() { for f in "$@"; do seq "$f" $((f + 4)); done | tr '\n' ' '; }

# ------------------------------------------------------------ 1. clients and log
log=$work/fm.log
bgcap "$trawl" -i "$if_cap" -f "udp and dst port 9" --flowmeta "127.0.0.1:$port" \
  --flowmeta-log "$log" --flowmeta-no-host --user root -q 2>"$work/t1.err" &
t1=$!; pids+=("$t1")
sleep "$(secs 1.5)"
phase() { inpeer $py "$work/send.py" 10.209.0.1 "$1" 5; sleep "$(secs 1)"; }
client() { bgcap "$trawl" recollect "127.0.0.1:$port" >"$work/$1.out" 2>"$work/$1.err" & }
phase 20000
check "log absent before any client" "[ ! -e '$log' ]"
client c1; c1=$!; pids+=("$c1"); sleep "$(secs 1)"
phase 20100
check "log created with the first client" "[ -s '$log' ]"
client c2; c2=$!; pids+=("$c2"); sleep "$(secs 1)"
phase 20200
client c3; c3=$!; pids+=("$c3"); sleep "$(secs 1)"
phase 20300
kill "$c1" "$c2" "$c3"; wait "$c1" "$c2" "$c3" 2>/dev/null
sleep "$(secs 1)"
check "client 1 got exactly phases 1-3" "[ \"\$(sports $work/c1.out)\" = \"$(want 20100 20200 20300)\" ]"
check "client 2 got exactly phases 2-3" "[ \"\$(sports $work/c2.out)\" = \"$(want 20200 20300)\" ]"
check "client 3 got exactly phase 3" "[ \"\$(sports $work/c3.out)\" = \"$(want 20300)\" ]"
check "later clients got the same lines as the first" "tail -n 10 $work/c1.out | cmp -s - $work/c2.out && tail -n 5 $work/c1.out | cmp -s - $work/c3.out"
check "lines are PCapper's form" "grep -Eqv '^[0-9]+\.[0-9]{6}:10\.209\.0\.2:[0-9]+:10\.209\.0\.1:9:[0-9]+:0:17$' $work/c1.out; [ \$? = 1 ]"
check "the log holds exactly the first client's lines" "cmp -s '$log' $work/c1.out"
size=$(stat -c %s "$log")
phase 20400
check "the log does not grow without clients" "[ \$(stat -c %s '$log') = $size ]"
client c4; c4=$!; pids+=("$c4"); sleep "$(secs 1)"
phase 20500
check "with a client again the log grows by exactly the new lines" "[ \"\$(sports $log)\" = \"$(want 20100 20200 20300 20500)\" ]"
mv "$log" "$log.1"
kill -HUP "$t1"; sleep "$(secs 0.5)"
phase 20600
check "SIGHUP reopens the log by name" "[ \"\$(sports $log)\" = \"$(want 20600)\" ] && [ \"\$(sports $log.1 | wc -w)\" = 20 ]"
stop "$t1"; rc=$?
check "trawl exits 0 (client 4 still connected)" "[ $rc = 0 ]"
wait "$c4"; rc=$?
check "recollect exits 0 when the server closes" "[ $rc = 0 ] && [ \"\$(sports $work/c4.out)\" = \"$(want 20500 20600)\" ]"

# ------------------------------------------------------------ 2. a stalled client
n_flood=60000
bgcap "$trawl" -i "$if_cap" -f "udp and dst port 9" --flowmeta "0.0.0.0:$port" \
  --flowmeta-client-buf 65536 --flowmeta-no-host --user root --buffer-mb 64 2>"$work/t2.err" &
t2=$!; pids+=("$t2")
sleep "$(secs 1.5)"
bgcap $py "$work/stall.py" "$port" "$work/stall.ready" & st=$!; pids+=("$st")
client fast; fast=$!; pids+=("$fast")
# over the veth, one MSS per segment (no GSO), as on a real network
ip -n "$ns_cap" link set "$if_cap" gso_max_segs 1 2>/dev/null
bgpeer $py "$work/strict.py" "$port" "$work/strict.out" 10.209.0.1 & strict=$!; pids+=("$strict")
wait_for "[ -e $work/stall.ready ]" 5
sleep "$(secs 1)"
t_start=$(date +%s%N)
inpeer $py "$work/flood.py" 10.209.0.1 "$n_flood"
t_flood=$(( ($(date +%s%N) - t_start) / 1000000 ))
sleep "$(secs 2)"
kill "$st"; wait "$st" 2>/dev/null
sleep "$(secs 0.5)"
stop "$t2"
wait "$fast"
wait "$strict"
got_fast=$(awk -F: '$3 == 30000' "$work/fast.out" | wc -l)
written=$(awk '/flowmeta .*\.written/ { print $NF }' "$work/t2.err")
kdrops=$(awk '$1 == "kernel_drops" { print $2 }' "$work/t2.err")
echo "   flood: $n_flood datagrams in $t_flood ms; captured and described $written; reading client got $got_fast; kernel drops $kdrops"
check "the reading client got every described packet" "[ -n '$written' ] && [ '$got_fast' = '$written' ]"
check "capture kept up (no kernel drops, nearly all captured)" "[ '$kdrops' = 0 ] && [ \$(( $written * 100 / $n_flood )) -ge 99 ]"
echo "   PCapper-style reader (one recv(28) each): $(cat "$work/strict.out" 2>/dev/null)"
check "a PCapper-style reader never gets part of a record" "grep -q ' short 0$' $work/strict.out"
check "the stalled client's loss is reported" "grep -Eq 'client 127\.0\.0\.1:[0-9]+ (reads too slowly|left).*[1-9][0-9]* (of [0-9]+ records )?lost' $work/t2.err"

# ------------------------------------------------------------ 3. selection modes
mode_run() { # mode_run MODE: lines of what trawl selects, to $work/mode-MODE.lines
  bgcap "$trawl" -i "$if_cap" -f udp --flowmeta-mode "$1" --flowmeta-lines "$work/mode-$1.lines" \
    --user root -q 2>"$work/mode-$1.err" &
  local t=$!; pids+=("$t")
  sleep "$(secs 1.5)"
  incap $py "$work/send.py" 10.209.0.2 40001 1        # sent by cap
  inpeer $py "$work/send.py" 10.209.0.1 40002 1       # received by cap
  inpeer $py "$work/forge.py" "$if_peer" "$mac_cap" 10.209.0.1 fd00:209::1   # claims cap's addresses
  sleep "$(secs 1)"
  stop "$t"
}
for m in src dst spoof; do mode_run $m; done
check "mode src: only what cap's MAC sent" "[ \"\$(sports $work/mode-src.lines)\" = '40001 ' ]"
check "mode dst: everything else" "[ \"\$(sports $work/mode-dst.lines)\" = '40002 40003 40004 ' ]"
check "mode spoof: cap's IPv4 and IPv6 addresses from another MAC" "[ \"\$(sports $work/mode-spoof.lines)\" = '40003 40004 ' ]"
check "spoofed IPv6 line in brackets" "grep -q '^[0-9.]*:\[fd00:209::1\]:40004:\[fd00:209::99\]:9:' $work/mode-spoof.lines"
check "mode without -i is a usage error" "\"$trawl\" -r /dev/null --flowmeta-lines - --flowmeta-mode src 2>/dev/null; [ \$? = 2 ]"

# ------------------------------------------------------------ 4. PCapper's command line
(cd "$work" && exec ip netns exec "$ns_cap" "$trawl" pcapper -i "$if_cap" -p 17075 -f pc.log -m dst -- -q --flowmeta-no-host \
  2>"$work/t4.err") &
t4=$!; pids+=("$t4")
sleep "$(secs 1.5)"
bgcap "$trawl" recollect -n 3 "127.0.0.1:17075" >"$work/pc.out" 2>&1 &
pc=$!; pids+=("$pc")
sleep "$(secs 1)"
inpeer $py "$work/send.py" 10.209.0.1 41000 3
wait "$pc"
check "pcapper front end: records for -m dst, log pcapper-style" "[ \"\$(sports $work/pc.out)\" = '41000 41001 41002 ' ] && cmp -s $work/pc.out $work/pc.log"
kill "$t4" 2>/dev/null; wait "$t4" 2>/dev/null
# tr_cli_pcapper's translation of bad flags
check "pcapper: bad mode is a usage error" "\"$trawl\" pcapper -i lo -m both 2>/dev/null; [ \$? = 2 ]"
check "pcapper: -r is refused" "\"$trawl\" pcapper -i lo -r eth0 2>/dev/null; [ \$? = 2 ]"

# ------------------------------------------------------------ 5. multicast
ip -n "$ns_cap" route add 239.0.0.0/8 dev "$if_cap"
bgpeer $py "$work/mcast_recv.py" 239.255.70.73 17074 10.209.0.2 "$work/mcast.out" & mr=$!; pids+=("$mr")
wait_for "[ -e $work/mcast.out.ready ]" 5
bgcap "$trawl" -i "$if_cap" -f "udp and dst port 9" --flowmeta "127.0.0.1:$port" \
  --flowmeta-multicast 239.255.70.73:17074 --flowmeta-no-host --user root -q 2>"$work/t5.err" &
t5=$!; pids+=("$t5")
sleep "$(secs 1.5)"
bgcap "$trawl" recollect -n 4 "127.0.0.1:$port" >"$work/m.out" 2>&1 & mc=$!; pids+=("$mc")
sleep "$(secs 1)"
inpeer $py "$work/send.py" 10.209.0.1 42000 4
wait "$mc"
sleep "$(secs 0.5)"
stop "$t5"
kill "$mr"; wait "$mr" 2>/dev/null
# the group's records, printed the way recollect prints them
$py - "$work/mcast.out" >"$work/mcast.lines" <<'PY'
import struct, sys, socket
for l in open(sys.argv[1]):
    if l.startswith("dgram"):
        continue
    b = bytes.fromhex(l.strip())
    sec, usec, sa, da, sp, dp, ln, fl, pr, _ = struct.unpack(">II4s4sHHHIBB", b)
    print("%u.%06u:%s:%u:%s:%u:%u:%u:%u" % (sec, usec, socket.inet_ntoa(sa), sp,
          socket.inet_ntoa(da), dp, ln, fl, pr))
PY
check "multicast group gets the same records as a client" "[ -s $work/m.out ] && cmp -s $work/m.out $work/mcast.lines"

# ------------------------------------------------------------ 6. binary = text
# A pcap through the server and recollect gives byte for byte the golden
# text lines of its IPv4 packets (IPv6 has no record); read from a FIFO so
# the client is connected before the first packet.
golden=$(cd "$(dirname "$0")/../golden" && pwd)
mkfifo "$work/in.fifo"
"$trawl" -r "$work/in.fifo" --flowmeta "[::1]:17076" --flowmeta-no-host -q 2>"$work/t6.err" & t6=$!; pids+=("$t6")
sleep "$(secs 0.5)"
"$trawl" recollect "[::1]:17076" >"$work/r6.out" 2>&1 & r6=$!; pids+=("$r6")
sleep "$(secs 0.5)"
cat "$golden/pcap/fm_mgen.pcap" >"$work/in.fifo"
wait "$t6"; wait "$r6"
check "recollect over IPv6 prints the golden IPv4 lines byte for byte" "grep -v '\[' '$golden/expected/fm_mgen.out' | cmp -s - '$work/r6.out'"

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
