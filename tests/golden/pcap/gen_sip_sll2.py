#!/usr/bin/python3
"""gen_sip_sll2.py - writes sip_sll2.pcap: a basic SIP call over Linux cooked
capture v2 (LINKTYPE_LINUX_SLL2 276), IPv6/UDP.

 SLL2 header (20 bytes, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
 | protocol 2 | reserved 2 | interface index 4 | ARPHRD 2 | pkt type 1 | addr len 1 | addr 8 |
"""
import struct
from goldenlib import *


def sll2(s, r, l3):
    pkttype = 4 if s.mac == MAC_A else 0
    return (struct.pack(">HHIHBB", ethertype_of(l3), 0, 2, 1, pkttype, 6)
            + s.mac + b"\0\0" + l3)


d = Dialog("sll2", uac6(), uas6())
write_pcap("sip_sll2.pcap", LINKTYPE_LINUX_SLL2, udp_frames(call_flow(d), sll2))
