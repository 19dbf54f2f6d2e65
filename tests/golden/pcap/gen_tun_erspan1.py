#!/usr/bin/python3
"""gen_tun_erspan1.py - writes tun_erspan1.pcap: a basic SIP call mirrored by
ERSPAN type I: IPv4 / GRE 0x88be without sequence number / Ethernet (no
ERSPAN header) / IPv4 / UDP."""
from tunlib import *

write_tun("tun_erspan1.pcap", "tunerspan1",
          lambda s, r, l3: outer_eth(s, ip4(s, 47, gre(0x88BE, inner_eth(s, r, l3)))))
