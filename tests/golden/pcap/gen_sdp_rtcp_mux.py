#!/usr/bin/python3
"""gen_sdp_rtcp_mux.py - writes sdp_rtcp_mux.pcap: "a=rtcp-mux" (RFC 5761
section 5.1.1): RTCP on the RTP port when BOTH offer and answer carry it; an
offer with it answered without it keeps RTCP on port + 1.

Call rtcpmux-...:     offer 192.0.2.10 m=audio 49170 a=rtcp-mux,
                      answer 198.51.100.20 m=audio 3456 a=rtcp-mux  -> muxed
Call muxrefused-...:  offer 192.0.2.10 m=audio 49180 a=rtcp-mux,
                      answer 198.51.100.20 m=audio 3466 (no a=rtcp-mux) -> not muxed
(Call-IDs <seed>-a84b4c76e66710@atlanta.example.com.) Stranger 192.0.2.99.

 frame  packet                                        expected
 0-4    rtcpmux INVITE 100 180 200 ACK                5 SIP lines
 5-9    muxrefused INVITE 100 180 200 ACK             5 SIP lines
 10     192.0.2.10:49170 -> 198.51.100.20:3456        rtcp, call_id rtcpmux
        SR+SDES (ssrc 0x0E0E0001)
 11     198.51.100.20:3456 -> 192.0.2.10:49170        rtcp, call_id rtcpmux
        RR+SDES (ssrc 0x0F0F0001, 1 block on 0x0E0E0001)
 12     192.0.2.10:49170 -> 192.0.2.99:7001 SR+SDES   rtcp, call_id rtcpmux (muxed port alone)
 13     192.0.2.10:49171 -> 192.0.2.99:7003 SR+SDES   rtcp, NO call_id (port + 1 of a muxed
                                                      line is no endpoint)
 14     192.0.2.10:49181 -> 198.51.100.20:3467        rtcp, call_id muxrefused
        SR+SDES (ssrc 0x0E0E0002)
 15     198.51.100.20:3467 -> 192.0.2.99:7005         rtcp, call_id muxrefused (port + 1
        RR+SDES (ssrc 0x0F0F0002)                     of the callee, alone)
 16-17  rtcpmux BYE, 200;  18-19 muxrefused BYE, 200  4 SIP lines
 SR: ntp 3976214402.0xC0000000 (usec 750000), rtp_ts 320, 2 packets, 320
 octets; RR block: frac 64, lost 3, ext seq 200, jitter 11, lsr 0, dlsr 0.
"""
from medialib import *  # noqa: F401,F403


def call(seed, a_port, b_port, b_mux):
    d = Dialog(seed, uac4(), uas4())
    offer = sdp_lines("alice", 2890844526, "192.0.2.10", "IN IP4 192.0.2.10",
                      [("audio %d RTP/AVP 0" % a_port, ["a=rtpmap:0 PCMU/8000", "a=rtcp-mux"])])
    answer = sdp_lines("bob", 2890844527, "198.51.100.20", "IN IP4 198.51.100.20",
                       [("audio %d RTP/AVP 0" % b_port,
                         ["a=rtpmap:0 PCMU/8000"] + (["a=rtcp-mux"] if b_mux else []))])
    return d, call_setup(d, offer, answer)


def sr_a(ssrc):
    return sr(ssrc, 3976214402, 0xC0000000, 320, 2, 320) + sdes([(ssrc, [(1, "alice@192.0.2.10")])])


def rr_b(ssrc, peer):
    return rr(ssrc, [block(peer, 64, 3, 200, 11, 0, 0)]) + sdes([(ssrc, [(1, "bob@198.51.100.20")])])


def a(port):
    return ep4("192.0.2.10", port)


def b(port):
    return ep4("198.51.100.20", port, MAC_B)


def x(port):
    return ep4("192.0.2.99", port, MAC_B)


d1, setup1 = call("rtcpmux", 49170, 3456, True)
d2, setup2 = call("muxrefused", 49180, 3466, False)
f = Frames()
f.sip(setup1)
f.sip(setup2)
f.udp(a(49170), b(3456), sr_a(0x0E0E0001))
f.udp(b(3456), a(49170), rr_b(0x0F0F0001, 0x0E0E0001))
f.udp(a(49170), x(7001), sr_a(0x0E0E0001))
f.udp(a(49171), x(7003), sr_a(0x0E0E0001))
f.udp(a(49181), b(3467), sr_a(0x0E0E0002))
f.udp(b(3467), x(7005), rr_b(0x0F0F0002, 0x0E0E0002))
f.sip(call_teardown(d1))
f.sip(call_teardown(d2))
write_pcap("sdp_rtcp_mux.pcap", LINKTYPE_ETHERNET, f.frames)
