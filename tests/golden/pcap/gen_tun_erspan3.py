#!/usr/bin/python3
"""gen_tun_erspan3.py - writes tun_erspan3.pcap: a basic SIP call mirrored by
ERSPAN type III: IPv4 / GRE 0x22eb with sequence number / ERSPAN III header
(session 513, frame type 0 Ethernet) / Ethernet / IPv4 / UDP. Frames 1, 3, 5
also carry the 8-byte platform-specific subheader (O flag, platform id 3)."""
from tunlib import *

n = iter(range(100))


def wrap(s, r, l3):
    i = next(n)
    plat = (3, 0x0123456789) if i % 2 else None
    return outer_eth(s, ip4(s, 47, gre(0x22EB, erspan3(513, 0, 0x5000 + i, inner_eth(s, r, l3),
                                                       platform=plat), seq=i + 1)))


write_tun("tun_erspan3.pcap", "tunerspan3", wrap)
