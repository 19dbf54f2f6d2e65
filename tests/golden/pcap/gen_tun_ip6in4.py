#!/usr/bin/python3
"""gen_tun_ip6in4.py - writes tun_ip6in4.pcap: a basic SIP call over IPv6 in
IPv4 (RFC 4213 section 3.5, IP protocol 41)."""
from tunlib import *

write_tun("tun_ip6in4.pcap", "tun6in4", lambda s, r, l3: outer_eth(s, ip4(s, 41, l3)), v6=True)
