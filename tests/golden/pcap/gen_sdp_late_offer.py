#!/usr/bin/python3
"""gen_sdp_late_offer.py - writes sdp_late_offer.pcap: offers that are not
where a simple tracker looks, and bodies that are cut. RFC 3261 section
13.2.1 / RFC 3264 (an INVITE without a body: the offer is in the 2xx, the
answer in the ACK), RFC 3261 18.3 (a UDP message ends at Content-Length; the
bytes after it are discarded), RFC 6035 section 4 (vq-rtcpxr PUBLISH, body
after its 4.7.1 example, CallID = the call's Call-ID). Calls
<seed>-a84b4c76e66710@atlanta.example.com, caller 192.0.2.10, callee
198.51.100.20, stranger 192.0.2.99 (in no SDP), collector 198.51.100.50.

 lateoffer:  INVITE with Content-Length: 0; 200 carries the offer
             (m=audio 3456); the ACK carries the answer (m=audio 49170).
 clshort:    INVITE whose Content-Length (143) stops 4 bytes into the line
             "a=rtcp:53020" (body ends "a=rtcp:53"; the rest, 10 bytes, is in
             the datagram after it); offer m=audio 49180; answer 3466.
             Only whole lines count: the caller's RTCP is 49180 + 1 (the
             a=rtcp value was cut), never port 53.
 snapcut:    INVITE captured with caplen cutting the SDP inside "m=audio
             49190" after "m=audio 49": the m= line is lost (no caller
             media known, never port 49); answer m=audio 3476.

 frame  packet                                     expected
 0-4    lateoffer INVITE(CL 0) 100 180 200(SDP) ACK(SDP)  5 SIP lines
 5-9    clshort INVITE 100 180 200 ACK             5 SIP lines (INVITE len = its
                                                   headers + 143 body bytes)
 10-14  snapcut INVITE 100 180 200 ACK             5 SIP lines; INVITE "truncated":true
 15     192.0.2.10:49171 -> 198.51.100.20:3457     rtcp, call_id lateoffer
 16     198.51.100.20:3457 -> 192.0.2.99:7001      rtcp, call_id lateoffer (offer in 200)
 17     192.0.2.10:49171 -> 192.0.2.99:7003        rtcp, call_id lateoffer (answer in ACK)
 18     192.0.2.10:49181 -> 192.0.2.99:7005        rtcp, call_id clshort (port + 1)
 19     192.0.2.10:53 -> 192.0.2.99:7007           rtcp, NO call_id (cut a=rtcp value)
 20     192.0.2.10:53020 -> 192.0.2.99:7009        rtcp, NO call_id (beyond Content-Length)
 21     198.51.100.20:3467 -> 192.0.2.99:7011      rtcp, call_id clshort (answer)
 22     192.0.2.10:49191 -> 198.51.100.20:3477     rtcp, call_id snapcut (callee's end)
 23     192.0.2.10:49191 -> 192.0.2.99:7013        rtcp, NO call_id (caller's m= cut)
 24     192.0.2.10:50 -> 192.0.2.99:7015           rtcp, NO call_id (not port 49 + 1)
 25     PUBLISH 192.0.2.10:5060 -> 198.51.100.50:5060, Call-ID vqpub-..., body
        vq-rtcpxr with "CallID: lateoffer-a84b4c76e66710@atlanta.example.com"
                                                   a "vq" line (len 809 = the report
                                                   text), call_id lateoffer-..., written
                                                   BEFORE the PUBLISH's own SIP line
                                                   (call_id vqpub-...):
                                                   report VQSessionReport, call_term,
                                                   local_addr 192.0.2.10:49170 ssrc
                                                   0a0a0a01, remote_addr 198.51.100.20
                                                   :3456 ssrc 0x0b0b0b01, local metrics
                                                   PT 0 PD PCMU NLR 5 JDR 2 RTD 200
                                                   ESD 140 IAJ 2 MOSLQ 4.2 MOSCQ 4.3
 26     200 to the PUBLISH                         SIP line
 27-32  BYE, 200 of lateoffer, clshort, snapcut    6 SIP lines
 Every RTCP packet: SR (ssrc 0x2A2A00nn) + SDES CNAME "alice@192.0.2.10",
 ntp 3976214404.0x20000000 (usec 125000), rtp_ts 640, 4 packets, 640 octets;
 nn = 01 lateoffer, 02 clshort, 03 snapcut (the callee's packets too).

Frames 18 and 19 check a Content-Length shorter than the datagram: the cut
last line "a=rtcp:53" is not used (src/track/calls.c, "A body cut short"), so
the RTCP port is the default 49181 and port 53 is no call's.
"""
from medialib import *  # noqa: F401,F403


def offer_sdp(user, ip, port, extra=()):
    return sdp_lines(user, 2890844526, ip, "IN IP4 " + ip,
                     [("audio %d RTP/AVP 0" % port, ["a=rtpmap:0 PCMU/8000"] + list(extra) +
                       ["a=sendrecv"])])


def rtcp(nn):
    ssrc = 0x2A2A0000 + nn
    return sr(ssrc, 3976214404, 0x20000000, 640, 4, 640) + sdes([(ssrc, [(1, "alice@192.0.2.10")])])


def a(port):
    return ep4("192.0.2.10", port)


def b(port):
    return ep4("198.51.100.20", port, MAC_B)


def x(port):
    return ep4("192.0.2.99", port, MAC_B)


f = Frames()

# lateoffer: no body in the INVITE
d1 = Dialog("lateoffer", uac4(), uas4())
setup = call_setup(d1, b"", offer_sdp("bob", "198.51.100.20", 3456),
                   ack_body=offer_sdp("alice", "192.0.2.10", 49170))
f.sip(setup)

# clshort: Content-Length stops inside a=rtcp:53020
d2 = Dialog("clshort", uac4(), uas4())
body2 = offer_sdp("alice", "192.0.2.10", 49180, ["a=rtcp:53020"])
cut2 = body2.index(b"a=rtcp:53020") + len("a=rtcp:53")
assert cut2 == 143, cut2
f.sip(call_setup(d2, None, offer_sdp("bob", "198.51.100.20", 3466),
                 invite_msg=invite_with(d2, body2, clen=cut2)))

# snapcut: the capture cuts the INVITE inside "m=audio 49190"
d3 = Dialog("snapcut", uac4(), uas4())
body3 = offer_sdp("alice", "192.0.2.10", 49190)
inv3 = invite_with(d3, body3)
setup3 = call_setup(d3, None, offer_sdp("bob", "198.51.100.20", 3476), invite_msg=inv3)
f.udp(setup3[0][0], setup3[0][1], inv3, cut_to=14 + 20 + 8 + inv3.index(b"m=audio 49190") + 10)
f.sip(setup3[1:])

f.udp(a(49171), b(3457), rtcp(1))
f.udp(b(3457), x(7001), rtcp(1))
f.udp(a(49171), x(7003), rtcp(1))
f.udp(a(49181), x(7005), rtcp(2))
f.udp(a(53), x(7007), rtcp(2))
f.udp(a(53020), x(7009), rtcp(2))
f.udp(b(3467), x(7011), rtcp(2))
f.udp(a(49191), b(3477), rtcp(3))
f.udp(a(49191), x(7013), rtcp(3))
f.udp(a(50), x(7015), rtcp(3))

# vq-rtcpxr PUBLISH (RFC 6035 4.7.1 example, this call's identifiers)
vq = ("VQSessionReport: CallTerm\r\n"
      "CallID: %s\r\n"
      "LocalID: Alice <sip:alice@atlanta.example.com>\r\n"
      "RemoteID: Bob <sip:bob@biloxi.example.com>\r\n"
      "OrigID: Alice <sip:alice@atlanta.example.com>\r\n"
      "LocalGroup: example-phone-55671\r\n"
      "RemoteGroup: example-gateway-09871\r\n"
      "LocalAddr: IP=192.0.2.10 PORT=49170 SSRC=0a0a0a01\r\n"
      "LocalMAC: 00:00:5e:00:53:01\r\n"
      "RemoteAddr: IP=198.51.100.20 PORT=3456 SSRC=0x0b0b0b01\r\n"
      "RemoteMAC: 00:00:5e:00:53:02\r\n"
      "LocalMetrics:\r\n"
      "Timestamps: START=2026-01-01T00:00:01Z STOP=2026-01-01T00:00:08Z\r\n"
      "SessionDesc: PT=0 PD=PCMU SR=8000 FD=20 FO=20 FPP=1 PPS=50 PLC=3 SSUP=on\r\n"
      "JitterBuffer: JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
      "PacketLoss: NLR=5.0 JDR=2.0\r\n"
      "BurstGapLoss: BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
      "Delay: RTD=200 ESD=140 SOWD=200 IAJ=2\r\n"
      "QualityEst: MOSLQ=4.2 MOSCQ=4.3\r\n" % d1.call_id).encode()
coll = Party("198.51.100.50", 5060, "collector", "example.com", MAC_B, "Collector")
dp = Dialog("vqpub", uac4(), coll)
pub = message("PUBLISH sip:collector@example.com SIP/2.0", [
    dp.via(1), "Max-Forwards: 70", dp.to(False), dp.from_(), "Call-ID: %s" % dp.call_id,
    "CSeq: 1 PUBLISH", "Event: vq-rtcpxr", "Content-Type: application/vq-rtcpxr",
    "User-Agent: trawl-golden-uac/1.0"], vq)
f.udp(uac4(), coll, pub)
f.udp(coll, uac4(), response(dp, 200, "OK", 1, "PUBLISH", 1))
for d in (d1, d2, d3):
    f.sip(call_teardown(d))
write_pcap("sdp_late_offer.pcap", LINKTYPE_ETHERNET, f.frames)
