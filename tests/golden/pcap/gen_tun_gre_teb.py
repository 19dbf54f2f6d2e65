#!/usr/bin/python3
"""gen_tun_gre_teb.py - writes tun_gre_teb.pcap: a basic SIP call in IPv6 /
GRE key 7 / transparent Ethernet bridging (0x6558) / Ethernet / IPv4 / UDP."""
from tunlib import *

write_tun("tun_gre_teb.pcap", "tungreteb",
          lambda s, r, l3: outer_eth(s, ip6(s, 47, gre(0x6558, inner_eth(s, r, l3), key=7))))
