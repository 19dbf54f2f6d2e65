#!/usr/bin/python3
"""gen_sip_mpls.py - writes sip_mpls.pcap: a basic SIP call over an MPLS
label stack of two entries (RFC 3032 section 2.1), Ethernet type 0x8847.

 label stack entry (32 bits): | label 20 | TC 3 | S 1 | TTL 8 |
 outer label 16001 S=0, inner label 16002 S=1 (bottom of stack), then IPv4
 (no explicit IP-version hint: the reader looks at the first nibble).
"""
import struct
from goldenlib import *


def lse(label, bos, ttl=64):
    return struct.pack(">I", (label << 12) | (0 << 9) | (bos << 8) | ttl)


d = Dialog("mpls", uac4(), uas4())
write_pcap("sip_mpls.pcap", LINKTYPE_ETHERNET,
           udp_frames(call_flow(d), lambda s, r, l3: eth(s, r, lse(16001, 0) + lse(16002, 1) + l3,
                                                        ethertype=ETH_MPLS)))
