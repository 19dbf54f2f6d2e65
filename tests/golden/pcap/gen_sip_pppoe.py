#!/usr/bin/python3
"""gen_sip_pppoe.py - writes sip_pppoe.pcap: a basic SIP call over a PPPoE
session (RFC 2516 section 4, Ethernet type 0x8864) carrying PPP (RFC 1661)
protocol 0x0021 (IPv4).

 PPPoE: | ver 4 | type 4 | code 8 (0x00 session data) | session id 16 | length 16 |
 PPP:   | protocol 16 |   (address/control fields are not sent in PPPoE)
 length counts the PPP protocol field and the IP packet.
"""
import struct
from goldenlib import *


def pppoe(s, r, l3):
    ppp = struct.pack(">H", 0x0021) + l3
    return eth(s, r, struct.pack(">BBHH", 0x11, 0x00, 0x2a17, len(ppp)) + ppp, ethertype=ETH_PPPOE_SESSION)


d = Dialog("pppoe", uac4(), uas4())
write_pcap("sip_pppoe.pcap", LINKTYPE_ETHERNET, udp_frames(call_flow(d), pppoe))
