#!/usr/bin/python3
"""gen_tun_gre.py - writes tun_gre.pcap: a basic SIP call, each message in
IPv4 / GRE (RFC 2784, no optional fields, protocol 0x0800) / IPv4 / UDP."""
from tunlib import *

write_tun("tun_gre.pcap", "tungre",
          lambda s, r, l3: outer_eth(s, ip4(s, 47, gre(0x0800, l3))))
