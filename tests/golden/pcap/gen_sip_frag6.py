#!/usr/bin/python3
"""gen_sip_frag6.py - writes sip_frag6.pcap: a basic SIP call over
Ethernet/IPv6 whose INVITE is sent as 3 fragments, each an IPv6 packet with a
Fragment extension header (RFC 8200 section 4.5, next header 44, identification
0x5eed0001), offsets 0, 264, 528 (264-byte fragments), in order. The rest of the call is plain IPv6."""
from goldenlib import *

d = Dialog("frag6", uac6(), uas6())
msgs = call_flow(d)
s, r, inv = msgs[0]
frags = split(udp_datagram(s, r, inv), 264)
assert len(frags) == 3, len(frags)
frames = [(ts(i), eth(s, r, ipv6_fragment(s, r, 0x5EED0001, off, more, chunk)))
          for i, (off, more, chunk) in enumerate(frags)]
frames += udp_frames(msgs[1:], eth_wrap, first=len(frames))
write_pcap("sip_frag6.pcap", LINKTYPE_ETHERNET, frames)
