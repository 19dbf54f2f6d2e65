#!/bin/sh
# tshark_check.sh - compares trawl's SIP messages with tshark's, pcap by pcap.
#
#   tshark_check.sh TRAWL_BINARY
#
# For every pcap in pcap/ and the shared third-party SIP captures trawl is
# meant to read (UDP, SCTP, PPPoE, TCP with one message per segment), counts
# SIP messages and collects the set of Call-IDs twice:
#   trawl:  trawl -q -r X --json -            one JSON line per message, "call_id"
#   tshark: tshark -n -r X -Y sip -T fields -e sip.Request-Line -e sip.Status-Line
#           -e sip.Call-ID -E occurrence=a   one line per frame; a frame holding
#           several messages lists several start lines and Call-IDs, so the count
#           is the number of start lines, not of frames.
# Messages without a Call-ID count but add nothing to the set.
# A pcap PASSES when count and set agree, or when they differ exactly as a row
# of the KNOWN table below says (each row gives the reason). A KNOWN row that
# no longer matches what is seen FAILS too, so the table stays true.
# Prints one line per pcap and "N passed, N failed"; exit 1 if any failed,
# 77 (skip) if tshark or python3 is absent. tshark runs with an empty
# configuration directory so personal preferences cannot change its view.
set -u
[ $# -eq 1 ] || { echo "usage: $0 TRAWL_BINARY" >&2; exit 2; }
trawl=$1
case "$trawl" in /*) ;; *) trawl=$(pwd)/$trawl ;; esac
[ -x "$trawl" ] || { echo "tshark_check.sh: $trawl is not an executable" >&2; exit 2; }
command -v tshark >/dev/null 2>&1 || { echo "tshark_check.sh: tshark not found: skipped" >&2; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "tshark_check.sh: python3 not found: skipped" >&2; exit 77; }

golden=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$golden/../.." && pwd)
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/wsconf"
WIRESHARK_CONFIG_DIR=$tmp/wsconf; TZ=UTC; LC_ALL=C
export WIRESHARK_CONFIG_DIR TZ LC_ALL

# Shared captures (../shared/pcaps relative to the repository root) with SIP
# that trawl decodes in this issue. Left out on purpose: SIP split over TCP
# segments (suricata-verify-sip-tcp, -sip-body-large, heplify-sip_ipv4_tcp_retrans:
# TCP reassembly is another issue), TLS, HEP-in-UDP, and files libpcap cannot
# open. The tunnel captures (last rows) mostly carry no SIP: they check that
# decapsulating them finds none where tshark finds none.
SHARED="
suricata-verify-public-cloudshark-sip-s0.pcap
suricata-verify-sip_header_multi_val.pcap
pcapplusplus-sip_reqs.pcap
pcapplusplus-sip_resp.pcap
pcapplusplus-sip_non_default_port.pcap
pcapplusplus-sip_not_sdp.pcap
zeek-sip-invalid-content-length.pcap
zeek-sip-junk-before-request.pcap
sipnab-DTMFsipinfo.pcap
sipnab-metasploit-sip-invite-spoof.pcap
sipnab-b2bua-asterisk.pcapng
sipnab-rtp-protocol.pcap
sipnab-SIP_DTMF2.cap
sipnab-Asterisk_ZFONE_XLITE.pcap
ndpi-sip_hello.pcapng
ndpi-http_on_sip_port.pcap
ndpi-FAX-Call-t38-CA-TDM-SIP-FB-1.pcap
suricata-verify-sip-tcp-pattern-matching.pcap
heplify-sip_sctp.pcap
pcapplusplus-ip6_fragments.pcap
sipnab-c07-sip-r2.converted.pcap
ndpi-gre.pcapng
tcpdump-vxlan.pcap
tcpdump-geneve.pcap
zeek-geneve-truncated.pcapng
zeek-erspanI.pcap
zeek-erspanII.pcap
zeek-erspanIII.pcap
zeek-gre-erspan3-dot1q.pcap
tcpdump-erspan-type-iii-pb-1.pcap
arkime-gre-erspan-vxlan.pcap
zeek-vxlan-encapsulated-http.pcap
zeek-4in4.pcap
zeek-6in4.pcap
zeek-gre-sample.pcap
"

# KNOWN differences, one per line:
#   file | trawl count - tshark count | Call-IDs only tshark shows | Call-IDs only trawl shows | why
# (Call-ID lists are blank-separated; "-" for none.)
cat >"$tmp/known" <<'EOF'
frag4_overlap.pcap | -1 | ovl-a84b4c76E66710@ATLANTA.EXAMPLE.COM | - | tshark reassembles IPv4 fragments whose overlapping bytes conflict (later data wins) and shows a corrupted INVITE; trawl drops such a datagram and counts it (RFC 5722 policy, applied to IPv4 too)
sip_malformed.pcap | +1 | - | malf-badstatus-a84b4c76e66710@atlanta.example.com | "SIP/2.0 2OO OK" starts like a status line: trawl reports it as a malformed message (bad_start_line), tshark as plain data
sip_snaplen_cut.pcap | 0 | - | snaphdr-a84b4c76e66710@atlanta.example.com snapbody-a84b4c76e66710@atlanta.example.com | in an INVITE cut by the snapshot length tshark stops at the start line ("Packet size limited during capture"); trawl reports the header lines that were captured whole (never the cut last one)
heplify-sip_sctp.pcap | -1 | - | - | the INVITE is one SCTP user message split over two DATA chunks (B then E flags, frames 1-2): tshark reassembles it, trawl does not reassemble SCTP and counts the chunks as sctp.unsupported (src/decode/sctp.c); SCTP reassembly is another issue
bad_lengths.pcap | -2 | bl-iptotbig-a84b4c76e66710@atlanta.example.com bl-udplenbig-a84b4c76e66710@atlanta.example.com | - | tshark dissects SIP from an IPv4 packet whose total length exceeds the frame and from a UDP datagram whose length exceeds the IP payload (expert errors only); trawl drops both as truncated
tcp_3seg_ooo.pcap | +1 | - | - | tshark 4.0 does not reassemble out-of-order TCP segments by default (tcp.reassemble_out_of_order FALSE): it shows segment 3 as a Continuation and never the INVITE; trawl holds segment 3 and completes the INVITE when segment 2 fills the hole
tcp_retrans.pcap | +2 | - | - | frame 9 is a retransmission that starts 90 bytes before the next expected byte and carries new data (rest of the 180 + the 200); tshark marks it out-of-order and drops it, trawl trims the repeated bytes and keeps the new ones
tcp_5in1.pcap | +12 | - | tcp5in1-peer-a84b4c76e66710@atlanta.example.com tcp5in1-call-a84b4c76e66710@atlanta.example.com tcp5in1-msg-a84b4c76e66710@atlanta.example.com tcp5in1-old-a84b4c76e66710@atlanta.example.com tcp5in1-opt-a84b4c76e66710@atlanta.example.com | port 5061 is SIP over TLS to tshark, which shows the plain text as TLS continuation data; trawl parses 5061 as SIP (a capture behind a TLS terminator). (Even with -d tcp.port==5061,sip tshark misses the 4 responses of a segment that starts with a CRLF keep-alive)
tcp_gap.pcap | +1 | - | tcpgap-3-a84b4c76e66710@atlanta.example.com | after a segment lost by the capture tshark shows the next segment (INVITE tail + BYE) as a Continuation; trawl resynchronises on the BYE start line
tun_malformed.pcap | -4 | - | - | tshark decodes 4 tunnel headers trawl counts as bad: VXLAN without the I flag (RFC 7348 section 5 says the VNI is valid only with it; vxlan.malformed), a GENEVE option longer than Opt Len and a GENEVE version 1 header (RFC 8926 section 3.4 says drop; geneve.malformed, geneve.unsupported), and 5 nested IP-in-IP levels (trawl records at most 4 tunnels: ipip.too_deep)
ndpi-gre.pcapng | -1 | AI1737AB5491ADC392@192.168.103.40 | - | the SIP 200 OK is inside enhanced GRE version 1 (PPTP, RFC 2637 section 4.1): trawl decodes GRE version 0 only (RFC 2784/2890) and counts it as gre.unsupported
ws_midstream.pcap | +3 | - | wsmid-a84b4c76e66710@atlanta.example.com | WebSocket picked up after its Upgrade: tshark does not know the stream is WebSocket (needs -d tcp.port==10443,websocket -o websocket.text_type:"As SIP"); trawl resynchronises on a frame whose payload starts with a SIP start line
EOF

files=
for f in "$golden"/pcap/*.pcap "$golden"/pcap/*.pcapng; do
    [ -e "$f" ] && files="$files $f"
done
for f in $SHARED; do files="$files $repo/../shared/pcaps/$f"; done

for f in $files; do
    b=$(basename "$f")
    if [ ! -e "$f" ]; then echo "SKIP $b (absent)"; continue; fi
    if ! "$trawl" -q -r "$f" --json - >"$tmp/$b.trawl" 2>"$tmp/$b.trawl.err" </dev/null; then
        echo "TRAWL-ERROR" >"$tmp/$b.trawl"
    fi
    tshark -n -r "$f" -Y sip -T fields -E separator=/t -E occurrence=a -E "aggregator=$(printf '\036')" \
        -e sip.Request-Line -e sip.Status-Line -e sip.Call-ID >"$tmp/$b.tshark" 2>/dev/null </dev/null
    echo "$f" >>"$tmp/list"
done
[ -f "$tmp/list" ] || { echo "0 passed, 0 failed"; exit 0; }

python3 - "$tmp" <<'EOF'
import json, os, sys

tmp = sys.argv[1]
known = {}
for line in open(os.path.join(tmp, "known")):
    if not line.strip() or line.startswith("#"):
        continue
    f, adj, only_ts, only_tr, why = [x.strip() for x in line.split("|", 4)]
    known[f] = (int(adj), set(only_ts.split()) - {"-"}, set(only_tr.split()) - {"-"}, why)

def trawl_view(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    if text.startswith("TRAWL-ERROR"):
        return None, None
    n, ids = 0, set()
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            obj = {"call_id": "<bad JSON line>"}
        if "type" in obj:
            continue  # RTCP, RTP statistics, vq reports: not SIP messages
        n += 1
        cid = obj.get("call_id")
        if cid:
            ids.add(cid)
    return n, ids

def tshark_view(path):
    n, ids = 0, set()
    for line in open(path, encoding="utf-8", errors="replace"):
        cols = line.rstrip("\n").split("\t")
        cols += [""] * (3 - len(cols))
        for col in cols[:2]:
            n += len([x for x in col.split("\x1e") if x])
        ids |= {x for x in cols[2].split("\x1e") if x}
    return n, ids

passed = failed = 0
for f in open(os.path.join(tmp, "list")).read().split():
    b = os.path.basename(f)
    tn, tids = trawl_view(os.path.join(tmp, b + ".trawl"))
    sn, sids = tshark_view(os.path.join(tmp, b + ".tshark"))
    if tn is None:
        print("FAIL %s: trawl exited non-zero: %s" % (b, open(os.path.join(tmp, b + ".trawl.err")).read().strip()[:300]))
        failed += 1
        continue
    adj, only_ts, only_tr, why = known.get(b, (0, set(), set(), None))
    ok = tn == sn + adj and tids == (sids - only_ts) | only_tr and only_ts <= sids and not (only_tr & sids)
    if ok:
        passed += 1
        print("PASS %s (trawl %d, tshark %d%s)" % (b, tn, sn, "; known: " + why if why else ""))
        continue
    failed += 1
    print("FAIL %s: trawl %d messages, tshark %d%s" % (b, tn, sn, " (KNOWN row expects trawl = tshark %+d)" % adj if why else ""))
    for label, s in (("only trawl", tids - sids), ("only tshark", sids - tids)):
        if s:
            print("    Call-IDs %s: %s" % (label, " ".join(sorted(s))))
    if why:
        print("    known difference no longer matches: %s" % why)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
