#!/usr/bin/python3
"""gen_sip_frag4.py - writes sip_frag4.pcap and sip_frag4_reorder.pcap: a
basic SIP call over Ethernet/IPv4 whose INVITE (745 bytes of SIP, a 753-byte
UDP datagram) is sent as 3 IPv4 fragments (RFC 791) of 256, 256 and 241
bytes (offsets 0, 256, 512). The other six messages are not fragmented.

sip_frag4.pcap:          fragments in order (frames 0, 1, 2).
sip_frag4_reorder.pcap:  fragments arrive last, first, middle (offsets 512, 0,
                         256): the datagram completes on frame 2 in both files.
"""
from goldenlib import *


def build(seed, order):
    d = Dialog(seed, uac4(), uas4())
    msgs = call_flow(d)
    s, r, inv = msgs[0]
    frags = split(udp_datagram(s, r, inv), 256)
    assert len(frags) == 3
    frames = []
    for k in order:
        off, more, chunk = frags[k]
        frames.append((ts(len(frames)), eth(s, r, ipv4_fragment(s, r, 0x4a21, off, more, chunk))))
    frames += udp_frames(msgs[1:], eth_wrap, first=len(frames))
    return frames


write_pcap("sip_frag4.pcap", LINKTYPE_ETHERNET, build("frag4", [0, 1, 2]))
write_pcap("sip_frag4_reorder.pcap", LINKTYPE_ETHERNET, build("frag4r", [2, 0, 1]))
