#!/usr/bin/env bash
# test_mirror_dump.sh TRAWL -- pcap dump rotation (issue 8: --dump DIR --dump-interval
# --dump-size --dump-files --dump-format).
#
# Offline part (no root): a generated pcap (mirror.py genspread) of 10 s at 200 frames/s, each
# frame unique, 60..1500 bytes:
#   1. --dump-interval 1: 10 files named by their start time, every one read by tshark, and
#      together exactly the input's frames (none lost or doubled across rotations);
#   2. --dump-interval 1 --dump-files 3: only the 3 newest files are left (7 removed, counted),
#      holding exactly the input's last 3 s;
#   3. --dump-size 1 (MiB): no file above 1 MiB, together the input's frames;
#   4. --dump-format pcapng --dump-interval 2: 5 pcapng files, tshark reads them, same frames.
# Live part (root): trawl -i on a veth in a namespace, 300 UDP datagrams over 3 s, --dump-interval 1, stopped
# by SIGTERM after ~3 s: every file (the last one included) is read by tshark and together they
# are the frames tcpdump captured on the same interface.
set -u
# shellcheck disable=SC2317
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init mirror_dump "$@"
e2e_need_cmd tshark
MPY="$(dirname "$0")/mirror.py"

"$PY" "$MPY" genspread "$WORK/in.pcap" 10 200 || e2e_die "cannot write the pcap"
"$PY" "$MPY" frames "$WORK/in.pcap" >"$WORK/in.txt" || e2e_die "tshark cannot read in.pcap"

# frames_of DIR: every frame of every file in DIR (each must be read by tshark)
frames_of() {
  local f bad=0
  for f in "$1"/*; do "$PY" "$MPY" frames "$f" || bad=1; done | sort
  return $bad
}

mkdir -p "$WORK/d1" "$WORK/d2" "$WORK/d3" "$WORK/d4"
e2e_trawl t1 -r "$WORK/in.pcap" --dump "$WORK/d1" --dump-interval 1
e2e_eq "1a. exit 0" 0 "$E2E_RC"
e2e_eq "1b. 10 files of 1 s" 10 "$(ls "$WORK/d1" | wc -l)"
e2e_check "1c. named by start time (trawl-20261123T080000.000000Z.pcap first)" \
  test -f "$WORK/d1/trawl-20261123T080000.000000Z.pcap"
frames_of "$WORK/d1" >"$WORK/d1.txt"; rc=$?
e2e_eq "1d. tshark reads every file" 0 "$rc"
e2e_same "1e. together exactly the input's frames" "$WORK/in.txt" "$WORK/d1.txt"

e2e_trawl t2 -r "$WORK/in.pcap" --dump "$WORK/d2" --dump-interval 1 --dump-files 3
e2e_eq "2a. 3 files left" 3 "$(ls "$WORK/d2" | wc -l)"
e2e_eq "2b. 7 removed, counted" 7 "$(e2e_summary "$WORK/t2.log" "dump $WORK/d2.files_removed")"
frames_of "$WORK/d2" >"$WORK/d2.txt"
tail -n 600 "$WORK/in.pcap" >/dev/null
"$PY" - "$WORK/in.pcap" >"$WORK/last3.txt" <<'PY'
import struct, sys
sys.path.insert(0, __import__("os").path.dirname(sys.argv[0]) or ".")
data = open(sys.argv[1], "rb").read()
off, out = 24, []
while off + 16 <= len(data):
    sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    if sec >= 1795420800 + 7:
        out.append(data[off + 16:off + 16 + incl].hex())
    off += 16 + incl
print("\n".join(sorted(out)))
PY
e2e_same "2c. the newest 3 files hold exactly the input's last 3 s" "$WORK/last3.txt" "$WORK/d2.txt"

e2e_trawl t3 -r "$WORK/in.pcap" --dump "$WORK/d3" --dump-size 1
big="$(find "$WORK/d3" -type f -size +1048576c | wc -l)"
e2e_check "3a. several files, none above 1 MiB ($(ls "$WORK/d3" | wc -l) files)" \
  test "$big" = 0 -a "$(ls "$WORK/d3" | wc -l)" -ge 2
frames_of "$WORK/d3" >"$WORK/d3.txt"
e2e_same "3b. together exactly the input's frames" "$WORK/in.txt" "$WORK/d3.txt"

e2e_trawl t4 -r "$WORK/in.pcap" --dump "$WORK/d4" --dump-interval 2 --dump-format pcapng
e2e_eq "4a. 5 pcapng files" 5 "$(ls "$WORK/d4"/*.pcapng | wc -l)"
frames_of "$WORK/d4" >"$WORK/d4.txt"; rc=$?
e2e_eq "4b. tshark reads every pcapng file" 0 "$rc"
e2e_same "4c. together exactly the input's frames" "$WORK/in.txt" "$WORK/d4.txt"

# ------------------------------------------------------------------ live, SIGTERM
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v tcpdump >/dev/null; then
  echo "note: live part skipped (needs root, ip, tcpdump)"
  e2e_done
fi
NS="trawl-md-$$" VA="tmdA$$" VB="tmdB$$"
e2e_netns_trap "$NS"
ip netns add "$NS" || e2e_die "cannot create a namespace"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link set lo up
ip -n "$NS" link add "$VA" type veth peer name "$VB"
ip -n "$NS" addr add 10.209.1.1/24 dev "$VA"
ip -n "$NS" link set "$VA" up
ip -n "$NS" link set "$VB" up
# datagrams leave through VA to a made-up neighbour and arrive on VB: 300 frames to dump
ip -n "$NS" neigh replace 10.209.1.2 lladdr 02:00:00:00:09:02 dev "$VA" nud permanent
mkdir -p "$WORK/live"
# --immediate-mode: without it the frames in tcpdump's last, unfinished ring block (1 s
# timeout) are lost when it is stopped, and the reference misses the tail
e2e_bg ref ip netns exec "$NS" tcpdump --immediate-mode -n -U -i "$VB" -s 0 -w "$WORK/ref.pcap"
e2e_wait_for 10 grep -q 'listening on' "$WORK/ref.log" || e2e_die "tcpdump did not start"
# --user root: the work dir is private to root (after a drop to nobody, trawl could not
# create files there; docs/mirror.md)
e2e_bg trawl ip netns exec "$NS" "$TRAWL" -v -i "$VB" --dump "$WORK/live" --dump-interval 1 --user root
sleep "$(e2e_secs 1.5)"     # no readiness line with --user root: give the ring a moment
sleep "$(e2e_secs 0.5)"
ip netns exec "$NS" "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    s.sendto(b"trawl dump test %d" % i, ("10.209.1.2", 9))
    time.sleep(0.01)
' || e2e_die "cannot send the test traffic"
sleep "$(e2e_secs 0.5)"
pid="$(cat "$WORK/trawl.pid")"
kill -TERM "$pid"; e2e_wait_for 10 e2e_dead "$pid"; wait "$pid"; trc=$?
e2e_stop trawl
e2e_stop ref
e2e_eq "5a. live trawl exits 0 on SIGTERM" 0 "$trc"
frames_of "$WORK/live" >"$WORK/live.txt"; rc=$?
e2e_eq "5b. tshark reads every file written live, the last one too ($(ls "$WORK/live" | wc -l) files)" 0 "$rc"
"$PY" "$MPY" frames "$WORK/ref.pcap" >"$WORK/ref.txt"
e2e_same "5c. together the frames tcpdump saw ($(wc -l <"$WORK/ref.txt"))" "$WORK/ref.txt" "$WORK/live.txt"
e2e_done
