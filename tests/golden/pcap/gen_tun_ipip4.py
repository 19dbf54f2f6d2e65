#!/usr/bin/python3
"""gen_tun_ipip4.py - writes tun_ipip4.pcap: a basic SIP call in IPv4 in IPv4
(RFC 2003, IP protocol 4)."""
from tunlib import *

write_tun("tun_ipip4.pcap", "tunipip4", lambda s, r, l3: outer_eth(s, ip4(s, 4, l3)))
