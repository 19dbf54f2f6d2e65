#!/usr/bin/python3
"""gen_sdp_ipv6.py - writes sdp_ipv6.pcap: a call over IPv6 whose SDP uses
"c=IN IP6" (RFC 8866 5.7), RTCP on the RTP port + 1 (RFC 3550 section 11).
The offer has a session-level c=, the answer only a media-level one.

 frame  what                                              expected output
 0-4    INVITE (c=IN IP6 2001:db8::10 at session level,   5 SIP lines,
        m=audio 49170), 100, 180, 200 (m=audio 3456,      Call-ID
        then c=IN IP6 2001:db8:0:1::20 inside the m=      ipv6sdp-a84b4c76e66710
        section, no session c=), ACK                      @atlanta.example.com
 5      RTCP [2001:db8::10]:49171 -> [2001:db8:0:1::20]:3457   rtcp, call_id ipv6sdp-...
        SR ssrc 0x0A0A0001 (ntp 3976214400.0x80000000 =       type 200, usec 500000,
        .500000, rtp_ts 8000, 50 packets, 8000 octets) +      report_count 0,
        SDES CNAME "alice@[2001:db8::10]"                     sdes_ssrc 168427521
 6      RTCP [2001:db8:0:1::20]:3457 -> [2001:db8::10]:49171   rtcp, call_id ipv6sdp-...
        RR ssrc 0x0B0B0001, 1 block on 0x0A0A0001 (frac 0,    type 201, report_count 1,
        lost 0, ext seq 1049, jitter 7, lsr 0x80008000,       sender_information all 0
        dlsr 65536) + SDES CNAME "bob@[2001:db8:0:1::20]"
 7      RTCP [2001:db8::10]:49173 -> [2001:db8::99]:7001:     rtcp WITHOUT call_id
        same SR+SDES from a port no SDP announced (port+3)    (strictly valid RTCP on
        to a host no SDP named                                an unknown endpoint)
 8-9    BYE, 200                                          2 SIP lines
"""
from medialib import *  # noqa: F401,F403

d = Dialog("ipv6sdp", uac6(), uas6())
offer = sdp_lines("alice", 2890844526, "2001:db8::10", "IN IP6 2001:db8::10",
                  [("audio 49170 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000", "a=sendrecv"])])
answer = sdp_lines("bob", 2890844527, "2001:db8:0:1::20", None,
                   [("audio 3456 RTP/AVP 0", ["c=IN IP6 2001:db8:0:1::20",
                                              "a=rtpmap:0 PCMU/8000", "a=sendrecv"])])
a_rtcp, b_rtcp = ep4("2001:db8::10", 49171), ep4("2001:db8:0:1::20", 3457, MAC_B)
a_odd, stranger = ep4("2001:db8::10", 49173), ep4("2001:db8::99", 7001, MAC_B)

sr_a = sr(0x0A0A0001, 3976214400, 0x80000000, 8000, 50, 8000) + \
    sdes([(0x0A0A0001, [(1, "alice@[2001:db8::10]")])])
rr_b = rr(0x0B0B0001, [block(0x0A0A0001, 0, 0, 1049, 7, 0x80008000, 65536)]) + \
    sdes([(0x0B0B0001, [(1, "bob@[2001:db8:0:1::20]")])])

f = Frames()
f.sip(call_setup(d, offer, answer))
f.udp(a_rtcp, b_rtcp, sr_a)
f.udp(b_rtcp, a_rtcp, rr_b)
f.udp(a_odd, stranger, sr_a)
f.sip(call_teardown(d))
write_pcap("sdp_ipv6.pcap", LINKTYPE_ETHERNET, f.frames)
