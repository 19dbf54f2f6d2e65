#!/usr/bin/env bash
# gen_e2e_tcp_calls.sh -- regenerate tests/data/e2e_tcp_calls.pcap, the SIP-over-TCP call set
# that tests/e2e/test_kamailio_sipp_tcp.sh replays.
#
# What it records: two sipp instances talking SIP over TCP (RFC 3261 §18.3: messages framed on the
# stream by Content-Length), `-t t1` (every call on one TCP connection), UAC 127.0.0.1:15180 ->
# UAS 127.0.0.1:15190, 12 calls at 10 calls/s, captured with tcpdump on lo.  Port 5060 is never used.
# Per call (11 SIP messages):
#
#   UAC                                           UAS
#   INVITE (2.9 kB, WebRTC-sized SDP) ------->               spans 2 segments (MSS 1448)
#                <--- 100 Trying + 183 Session Progress (SDP)   one write: 2 messages, 1 segment
#                <--- 200 OK (SDP)
#   ACK ------------------------------------->
#   INFO + INFO (DTMF 5, 6; RFC 6086) ------->               one write: 2 messages, 2 segments:
#                                                            the second INFO starts in the first
#                                                            segment and ends in the next
#                <--- 200 OK (INFO), 200 OK (INFO)
#   BYE ------------------------------------->               (100 ms later)
#                <--- 200 OK (BYE)
#
# sipp sets TCP_NODELAY and writes each <send> with one send(), so "several messages in one segment"
# comes from scenario sends that hold two messages (sipp writes the text as given; the second
# message's Content-Length is computed here, because sipp's [len] would count from the first blank
# line).  The last message of such a send must have a body: sipp ends a body with the last line's
# CRLF, so a body-less last message would lose its blank line.  Responses are matched by CSeq
# method, which is why the UAC's pair is INFO + INFO (ACK + INFO would make sipp reject the 200).
#
# Segmentation: the capture runs in a private network namespace (unshare -n) whose lo has MTU 1500
# (MSS 1448, as on Ethernet) and gso_max_segs 1, so TCP really cuts segments at the MSS instead of
# handing lo one 64 kB GSO packet.  Nothing is changed outside that namespace; it vanishes with the
# last process in it.
#
# Needs: root (unshare -n, tcpdump), sipp (Debian sip-tester), tcpdump, tshark (for the checks).
# Only the PIDs started here are signalled.
#
# usage: tools/gen_e2e_tcp_calls.sh [OUT.pcap]   (default: <repo>/tests/data/e2e_tcp_calls.pcap)
#   env: CALLS=12 UAC_PORT=15180 UAS_PORT=15190
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../tests/data/e2e_tcp_calls.pcap}"
OUT="$(realpath -m "$OUT")"
CALLS="${CALLS:-12}"
UAC_PORT="${UAC_PORT:-15180}"
UAS_PORT="${UAS_PORT:-15190}"

die() { echo "gen_e2e_tcp_calls.sh: $*" >&2; exit 1; }
for t in sipp tcpdump tshark unshare ip; do command -v "$t" >/dev/null || die "$t not installed"; done
[ "$(id -u)" = 0 ] || die "must run as root (unshare -n, tcpdump on lo)"

# Re-run inside a fresh network namespace (its own lo); everything below runs there.
if [ "${GEN_E2E_TCP_IN_NETNS:-}" != 1 ]; then
  exec unshare -n env GEN_E2E_TCP_IN_NETNS=1 CALLS="$CALLS" UAC_PORT="$UAC_PORT" UAS_PORT="$UAS_PORT" \
    "$HERE/gen_e2e_tcp_calls.sh" "$OUT"
fi
ip link set lo up mtu 1500
ip link set lo gso_max_segs 1

WORK="$(mktemp -d /tmp/gen-e2e-tcp-calls.XXXXXX)"
TCPDUMP_PID="" UAS_PID=""
cleanup() {
  for pid in $UAS_PID $TCPDUMP_PID; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
cd "$WORK"   # sipp writes its logs into the current directory

# ---------------------------------------------------------------- scenarios
# Bodies of the two-message sends: fixed text (no keywords), so their length is known here.
indent() { printf '      %s' "${1//$'\n'/$'\n'      }"; }   # scenario body lines
crlf_len() { local n=0 l; while IFS= read -r l; do n=$((n + ${#l} + 2)); done <<<"$1"; echo "$n"; }
SDP183="v=0
o=bob 2890844527 2890844527 IN IP4 127.0.0.1
s=trawl e2e
c=IN IP4 127.0.0.1
t=0 0
m=audio 16300 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendonly"
DTMF5="Signal=5
Duration=160"
DTMF6="Signal=6
Duration=160"
SDP183_LEN="$(crlf_len "$SDP183")"
DTMF5_LEN="$(crlf_len "$DTMF5")"
DTMF6_LEN="$(crlf_len "$DTMF6")"

cat >uac.xml <<EOF
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="trawl e2e TCP uac: large INVITE, ACK+INFO in one write">
  <send>
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port];transport=tcp SIP/2.0
      Via: SIP/2.0/TCP [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: "Alice" <sip:alice@[local_ip]:[local_port]>;tag=[pid]TcpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:alice@[local_ip]:[local_port];transport=tcp>
      Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY
      Supported: replaces, timer, 100rel
      User-Agent: trawl-e2e-tcp sipp
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=alice 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=trawl e2e
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      a=group:BUNDLE 0 1
      a=msid-semantic: WMS stream0
      m=audio [media_port] RTP/AVP 111 9 0 8 18 101 13 110 112 113 126 97 98 99
      a=rtpmap:111 opus/48000/2
      a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxaveragebitrate=64000
      a=rtpmap:9 G722/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
      a=rtpmap:18 G729/8000
      a=fmtp:18 annexb=no
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
      a=rtpmap:13 CN/8000
      a=rtpmap:110 telephone-event/48000
      a=rtpmap:112 AMR-WB/16000
      a=fmtp:112 mode-set=0,1,2;mode-change-period=2;octet-align=1
      a=rtpmap:113 AMR/8000
      a=fmtp:113 mode-set=0,2,5,7;octet-align=1
      a=rtpmap:126 iLBC/8000
      a=fmtp:126 mode=30
      a=rtpmap:97 speex/16000
      a=rtpmap:98 speex/8000
      a=rtpmap:99 EVS/16000
      a=ptime:20
      a=maxptime:150
      a=sendrecv
      a=rtcp:16201
      a=rtcp-mux
      a=ssrc:1001[call_number] cname:alice-[call_number]@trawl.invalid
      a=ssrc:1001[call_number] msid:stream0 audio0
      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31|1:1
      a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31|1:1
      a=ice-ufrag:Trw[call_number]
      a=ice-pwd:asd88fgpdd777uzjYhagZgtrawlE2E
      a=candidate:1 1 UDP 2130706431 [media_ip] 16200 typ host
      a=candidate:1 2 UDP 2130706430 [media_ip] 16201 typ host
      a=candidate:2 1 UDP 1694498815 192.0.2.44 41002 typ srflx raddr [media_ip] rport 16200
      a=candidate:2 2 UDP 1694498814 192.0.2.44 41003 typ srflx raddr [media_ip] rport 16201
      a=candidate:3 1 UDP 16777215 198.51.100.9 50100 typ relay raddr 192.0.2.44 rport 41002
      a=candidate:3 2 UDP 16777214 198.51.100.9 50101 typ relay raddr 192.0.2.44 rport 41003
      m=video [media_port+2] RTP/AVP 96 100 102 127 125 108
      a=rtpmap:96 VP8/90000
      a=rtcp-fb:96 nack
      a=rtcp-fb:96 nack pli
      a=rtcp-fb:96 ccm fir
      a=rtcp-fb:96 goog-remb
      a=rtpmap:100 VP9/90000
      a=rtcp-fb:100 nack pli
      a=rtpmap:102 H264/90000
      a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
      a=rtpmap:127 H264/90000
      a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
      a=rtpmap:125 H264/90000
      a=fmtp:125 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
      a=rtpmap:108 H264/90000
      a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
      a=sendrecv
      a=rtcp:16203
      a=ssrc:2001[call_number] cname:alice-[call_number]@trawl.invalid

    ]]>
  </send>

  <recv response="100" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>

  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port];transport=tcp SIP/2.0
      Via: SIP/2.0/TCP [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: "Alice" <sip:alice@[local_ip]:[local_port]>;tag=[pid]TcpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:alice@[local_ip]:[local_port];transport=tcp>
      Content-Length: 0

    ]]>
  </send>

  <!-- two DTMF digits in one write (RFC 6086 INFO): two messages, longer than one MSS together,
       so the second starts in the first segment and ends in the next -->
  <send>
    <![CDATA[

      INFO sip:[service]@[remote_ip]:[remote_port];transport=tcp SIP/2.0
      Via: SIP/2.0/TCP [local_ip]:[local_port];branch=[branch]-5
      Max-Forwards: 70
      Route: <sip:edge-proxy-1.trawl.invalid;transport=tcp;lr;ftag=[pid]TcpTag[call_number];did=a1b.c2d1>
      Route: <sip:core-proxy-2.trawl.invalid;transport=tcp;lr;r2=on;ftag=[pid]TcpTag[call_number];nat=yes>
      Route: <sip:sbc-3.trawl.invalid;transport=tcp;lr;ftag=[pid]TcpTag[call_number];vsf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA>
      From: "Alice" <sip:alice@[local_ip]:[local_port]>;tag=[pid]TcpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 INFO
      P-Asserted-Identity: "Alice Example" <sip:+15551230000@trawl.invalid;user=phone>
      User-Agent: trawl-e2e-tcp sipp
      Content-Type: application/dtmf-relay
      Content-Length: $DTMF5_LEN

$(indent "$DTMF5")
      INFO sip:[service]@[remote_ip]:[remote_port];transport=tcp SIP/2.0
      Via: SIP/2.0/TCP [local_ip]:[local_port];branch=[branch]-6
      Max-Forwards: 70
      Route: <sip:edge-proxy-1.trawl.invalid;transport=tcp;lr;ftag=[pid]TcpTag[call_number];did=a1b.c2d1>
      Route: <sip:core-proxy-2.trawl.invalid;transport=tcp;lr;r2=on;ftag=[pid]TcpTag[call_number];nat=yes>
      Route: <sip:sbc-3.trawl.invalid;transport=tcp;lr;ftag=[pid]TcpTag[call_number];vsf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA>
      From: "Alice" <sip:alice@[local_ip]:[local_port]>;tag=[pid]TcpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 INFO
      P-Asserted-Identity: "Alice Example" <sip:+15551230000@trawl.invalid;user=phone>
      User-Agent: trawl-e2e-tcp sipp
      Content-Type: application/dtmf-relay
      Content-Length: $DTMF6_LEN

$(indent "$DTMF6")

    ]]>
  </send>

  <recv response="200"/>
  <recv response="200"/>

  <pause milliseconds="100"/>

  <send>
    <![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port];transport=tcp SIP/2.0
      Via: SIP/2.0/TCP [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: "Alice" <sip:alice@[local_ip]:[local_port]>;tag=[pid]TcpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Reason: Q.850;cause=16;text="Normal call clearing"
      User-Agent: trawl-e2e-tcp sipp
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" crlf="true"/>
</scenario>
EOF

cat >uas.xml <<EOF
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="trawl e2e TCP uas: 100+183 in one write">
  <recv request="INVITE"/>

  <send>
    <![CDATA[

      SIP/2.0 100 Trying
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

      SIP/2.0 183 Session Progress
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]UasTag[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:bob@[local_ip]:[local_port];transport=tcp>
      Content-Type: application/sdp
      Content-Length: $SDP183_LEN

$(indent "$SDP183")

    ]]>
  </send>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]UasTag[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:bob@[local_ip]:[local_port];transport=tcp>
      Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO
      Supported: replaces, timer
      Server: trawl-e2e-tcp sipp
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bob 2890844527 2890844528 IN IP[local_ip_type] [local_ip]
      s=trawl e2e
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 111 0 101
      a=rtpmap:111 opus/48000/2
      a=fmtp:111 minptime=10;useinbandfec=1
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
      a=ptime:20
      a=sendrecv
      a=rtcp-mux
      a=ssrc:3001[call_number] cname:bob-[call_number]@trawl.invalid
      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31|1:1
      a=ice-ufrag:Bob[call_number]
      a=ice-pwd:bobpwd0123456789trawlE2Eabc
      a=candidate:1 1 UDP 2130706431 [media_ip] 16300 typ host
      m=video [media_port+2] RTP/AVP 96
      a=rtpmap:96 VP8/90000
      a=rtcp-fb:96 nack pli
      a=sendrecv
      a=rtcp-mux

    ]]>
  </send>

  <recv request="ACK"/>

  <!-- both INFOs arrive in one read: sipp takes them before it sends, so the first one's Via and
       CSeq are kept for its 200 -->
  <recv request="INFO">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="Via:" check_it="true" assign_to="via1"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="CSeq:" check_it="true" assign_to="cseq1"/>
    </action>
  </recv>
  <recv request="INFO"/>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      Via: [\$via1]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: [\$cseq1]
      Content-Length: 0

    ]]>
  </send>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>

  <recv request="BYE"/>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
EOF

# ---------------------------------------------------------------- capture
tcpdump -i lo -n -U -s 0 -w "$WORK/calls.pcap" \
  "tcp and host 127.0.0.1 and (port $UAC_PORT or port $UAS_PORT)" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
grep -q "listening on" "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; die "tcpdump did not start"; }

# UAS answers exactly CALLS calls, then exits by itself.
sipp -sf uas.xml -t t1 -i 127.0.0.1 -p "$UAS_PORT" -mp 16300 -m "$CALLS" -nostdin >"$WORK/uas.log" 2>&1 &
UAS_PID=$!
for _ in $(seq 1 50); do
  ss -ltn | awk '{print $4}' | grep -q "^127\.0\.0\.1:$UAS_PORT\$" && break; sleep 0.1
done
sipp -sf uac.xml -t t1 -i 127.0.0.1 -p "$UAC_PORT" -mp 16200 -m "$CALLS" -r 10 -timeout 60s \
  -timeout_error -nostdin "127.0.0.1:$UAS_PORT" >"$WORK/uac.log" 2>&1 ||
  { tail -30 "$WORK/uac.log" >&2; die "sipp uac failed; kept $WORK"; }
for _ in $(seq 1 50); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
wait "$UAS_PID" || { tail -30 "$WORK/uas.log" >&2; die "sipp uas failed; kept $WORK"; }
UAS_PID=""
sleep 0.5                                   # let the last packets reach the capture file
kill -TERM "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=""

# ---------------------------------------------------------------- checks (tshark, TCP desegmentation on)
P="$WORK/calls.pcap"
TS=(tshark -n -r "$P" -o tcp.desegment_tcp_streams:TRUE -o sip.desegment_headers:TRUE -o sip.desegment_body:TRUE)
# one line per SIP message: tshark puts every SIP PDU of a frame in its own "sip" layer
n="$("${TS[@]}" -Y sip -T fields -e sip.CSeq -E occurrence=a -E aggregator='|' | tr '|' '\n' | grep -c .)"
want=$((CALLS * 11))
[ "$n" = "$want" ] || die "expected $want SIP messages (11 per call), tshark sees $n; kept $WORK"
multi="$("${TS[@]}" -Y 'count(sip) > 1' | wc -l)"
spanning="$("${TS[@]}" -Y 'sip and tcp.reassembled.length' | wc -l)"
[ "$multi" -ge "$CALLS" ] || die "only $multi segments carry several SIP messages; kept $WORK"
[ "$spanning" -ge "$((CALLS * 2))" ] || die "only $spanning SIP messages span segments; kept $WORK"
bad="$("${TS[@]}" -Y '_ws.malformed or _ws.expert.severity >= warning' | wc -l)"
[ "$bad" = 0 ] || die "tshark reports $bad malformed / warning frames; kept $WORK"
mkdir -p "$(dirname "$OUT")"
cp "$P" "$OUT"
echo "wrote $OUT: $n SIP messages in $CALLS calls on one TCP connection, $multi segments with" \
  "several messages, $spanning messages over several segments ($(stat -c %s "$OUT") bytes)"
rm -rf "$WORK"
