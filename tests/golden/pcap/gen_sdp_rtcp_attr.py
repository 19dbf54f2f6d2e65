#!/usr/bin/python3
"""gen_sdp_rtcp_attr.py - writes sdp_rtcp_attr.pcap: SDP "a=rtcp:" (RFC 3605
section 2.1) with and without an address: RTCP is on that port (and address),
not on the RTP port + 1 (RFC 3550 section 11 is only the default).

Call rtcpattr-a84b4c76e66710@atlanta.example.com, 192.0.2.10 <-> 198.51.100.20:
 offer  c=IN IP4 192.0.2.10,    m=audio 49170, a=rtcp:53020           (port only)
 answer c=IN IP4 198.51.100.20, m=audio 3456,  a=rtcp:53021 IN IP4 198.51.100.30
 So the RTCP endpoints are 192.0.2.10:53020 and 198.51.100.30:53021.
 The stranger 192.0.2.99 is in no SDP.

 frame  RTCP (SR+SDES from the caller ssrc 0x0C0C0001 / RR+SDES, 1 block,
        from the callee ssrc 0x0D0D0001)                   expected
 0-4    INVITE 100 180 200 ACK                             5 SIP lines
 5      192.0.2.10:53020 -> 198.51.100.30:53021  SR+SDES   call_id rtcpattr-...
 6      198.51.100.30:53021 -> 192.0.2.10:53020  RR+SDES   call_id rtcpattr-...
 7      192.0.2.10:53020 -> 192.0.2.99:7005      SR+SDES   call_id (a=rtcp port alone)
 8      192.0.2.99:7007 -> 198.51.100.30:53021   RR+SDES   call_id (a=rtcp address:port alone)
 9      192.0.2.10:49171 -> 192.0.2.99:7001      SR+SDES   NO call_id (RTP port + 1 of the
                                                           caller: replaced by a=rtcp)
 10     198.51.100.20:3457 -> 192.0.2.99:7003    RR+SDES   NO call_id (RTP address, port + 1
                                                           of the callee: replaced)
 11     198.51.100.30:3457 -> 192.0.2.99:7009    RR+SDES   NO call_id (a=rtcp address with
                                                           the port + 1: not an endpoint)
 12-13  BYE, 200                                           2 SIP lines
 All RTCP lines: SR ntp 3976214401.0x40000000 (usec 250000), rtp_ts 160,
 packets 1, octets 160; RR block on 0x0C0C0001: frac 0, lost 0, ext seq 100,
 jitter 3, lsr 0, dlsr 0. SDES CNAME alice@192.0.2.10 / bob@198.51.100.30.
"""
from medialib import *  # noqa: F401,F403

d = Dialog("rtcpattr", uac4(), uas4())
offer = sdp_lines("alice", 2890844526, "192.0.2.10", "IN IP4 192.0.2.10",
                  [("audio 49170 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000", "a=rtcp:53020"])])
answer = sdp_lines("bob", 2890844527, "198.51.100.20", "IN IP4 198.51.100.20",
                   [("audio 3456 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000",
                                              "a=rtcp:53021 IN IP4 198.51.100.30"])])
A = ep4("192.0.2.10", 53020)
B = ep4("198.51.100.30", 53021, MAC_B)


def x(port):
    return ep4("192.0.2.99", port, MAC_B)


sr_a = sr(0x0C0C0001, 3976214401, 0x40000000, 160, 1, 160) + \
    sdes([(0x0C0C0001, [(1, "alice@192.0.2.10")])])
rr_b = rr(0x0D0D0001, [block(0x0C0C0001, 0, 0, 100, 3, 0, 0)]) + \
    sdes([(0x0D0D0001, [(1, "bob@198.51.100.30")])])

f = Frames()
f.sip(call_setup(d, offer, answer))
f.udp(A, B, sr_a)
f.udp(B, A, rr_b)
f.udp(A, x(7005), sr_a)
f.udp(x(7007), B, rr_b)
f.udp(ep4("192.0.2.10", 49171), x(7001), sr_a)
f.udp(ep4("198.51.100.20", 3457, MAC_B), x(7003), rr_b)
f.udp(ep4("198.51.100.30", 3457, MAC_B), x(7009), rr_b)
f.sip(call_teardown(d))
write_pcap("sdp_rtcp_attr.pcap", LINKTYPE_ETHERNET, f.frames)
