#!/usr/bin/python3
"""gen_sdp_multi_m.py - writes sdp_multi_m.pcap: SDP with several media
lines (RFC 8866 5.14; RFC 3264 section 6: answer lines pair with offer lines
by index; port 0 disables a stream, 8.2), a media-level c= overriding the
session one (5.7), RTCP of each line on its port + 1 (RFC 3550 section 11).

Call multim-a84b4c76e66710@atlanta.example.com:
 offer  c=IN IP4 192.0.2.10 (session)
        m=audio 49170 RTP/AVP 0
        m=video 49172 RTP/AVP 96, c=IN IP4 192.0.2.11 (media level)
        m=image 0 udptl t38 (disabled)
 answer c=IN IP4 198.51.100.20
        m=audio 3456 RTP/AVP 0;  m=video 3458 RTP/AVP 96;  m=image 0 udptl t38
 Stranger 192.0.2.99 is in no SDP.

 frame  packet                                           expected
 0-4    INVITE 100 180 200 ACK                           5 SIP lines
 5      audio 192.0.2.10:49171 -> 198.51.100.20:3457     rtcp, call_id multim
        SR+SDES ssrc 0x1A1A0001
 6      audio 198.51.100.20:3457 -> 192.0.2.10:49171     rtcp, call_id multim
        RR+SDES ssrc 0x1B1B0001 (block on 0x1A1A0001)
 7      video 192.0.2.11:49173 -> 198.51.100.20:3459     rtcp, call_id multim
        SR+SDES ssrc 0x1A1A0002
 8      video 198.51.100.20:3459 -> 192.0.2.11:49173     rtcp, call_id multim
        RR+SDES ssrc 0x1B1B0002 (block on 0x1A1A0002)
 9      video 192.0.2.11:49173 -> 192.0.2.99:7001        rtcp, call_id multim (caller's
        SR+SDES ssrc 0x1A1A0002                          video RTCP alone)
 10     192.0.2.10:49173 -> 192.0.2.99:7003              rtcp, NO call_id (the video port
        SR+SDES ssrc 0x1A1A0002                          + 1 on the session address: video
                                                         has its own c=)
 11     192.0.2.10:1 -> 192.0.2.99:7005 SR+SDES          rtcp, NO call_id (port 0 + 1 of
        ssrc 0x1A1A0003                                  the disabled image line)
 12-13  BYE, 200                                         2 SIP lines
 SR: ntp 3976214403.0 (usec 0), rtp_ts 480, 3 packets, 480 octets; RR
 block: frac 0, lost -1 (0xFFFFFF: a duplicate, packets_lost -1), ext seq
 300, jitter 5, lsr 0, dlsr 0.
"""
from medialib import *  # noqa: F401,F403

d = Dialog("multim", uac4(), uas4())
offer = sdp_lines("alice", 2890844526, "192.0.2.10", "IN IP4 192.0.2.10", [
    ("audio 49170 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000"]),
    ("video 49172 RTP/AVP 96", ["c=IN IP4 192.0.2.11", "a=rtpmap:96 H264/90000"]),
    ("image 0 udptl t38", [])])
answer = sdp_lines("bob", 2890844527, "198.51.100.20", "IN IP4 198.51.100.20", [
    ("audio 3456 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000"]),
    ("video 3458 RTP/AVP 96", ["a=rtpmap:96 H264/90000"]),
    ("image 0 udptl t38", [])])


def sr_a(ssrc):
    return sr(ssrc, 3976214403, 0, 480, 3, 480) + sdes([(ssrc, [(1, "alice@192.0.2.10")])])


def rr_b(ssrc, peer):
    return rr(ssrc, [block(peer, 0, -1, 300, 5, 0, 0)]) + sdes([(ssrc, [(1, "bob@198.51.100.20")])])


def b(port):
    return ep4("198.51.100.20", port, MAC_B)


def x(port):
    return ep4("192.0.2.99", port, MAC_B)


f = Frames()
f.sip(call_setup(d, offer, answer))
f.udp(ep4("192.0.2.10", 49171), b(3457), sr_a(0x1A1A0001))
f.udp(b(3457), ep4("192.0.2.10", 49171), rr_b(0x1B1B0001, 0x1A1A0001))
f.udp(ep4("192.0.2.11", 49173), b(3459), sr_a(0x1A1A0002))
f.udp(b(3459), ep4("192.0.2.11", 49173), rr_b(0x1B1B0002, 0x1A1A0002))
f.udp(ep4("192.0.2.11", 49173), x(7001), sr_a(0x1A1A0002))
f.udp(ep4("192.0.2.10", 49173), x(7003), sr_a(0x1A1A0002))
f.udp(ep4("192.0.2.10", 1), x(7005), sr_a(0x1A1A0003))
f.sip(call_teardown(d))
write_pcap("sdp_multi_m.pcap", LINKTYPE_ETHERNET, f.frames)
