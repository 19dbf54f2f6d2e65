#!/usr/bin/python3
"""gen_sip_sll.py - writes sip_sll.pcap: a basic SIP call over Linux cooked
capture v1 (LINKTYPE_LINUX_SLL 113), IPv4/UDP.

 SLL header (16 bytes, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
 +---------------+---------------+-------------------+---------------+
 | packet type 2 | ARPHRD type 2 | link addr len 2   | link addr 8   | protocol 2 |
 packet type 0 = sent to us, 4 = sent by us; here the capture host is the UAC.
"""
import struct
from goldenlib import *


def sll(s, r, l3):
    pkttype = 4 if s.mac == MAC_A else 0
    return struct.pack(">HHH", pkttype, 1, 6) + s.mac + b"\0\0" + struct.pack(">H", ethertype_of(l3)) + l3


d = Dialog("sll", uac4(), uas4())
write_pcap("sip_sll.pcap", LINKTYPE_LINUX_SLL, udp_frames(call_flow(d), sll))
