#!/usr/bin/python3
"""gen_tun_4in6.py - writes tun_4in6.pcap: a basic SIP call over IPv4 in IPv6
(RFC 2473, next header 4)."""
from tunlib import *

write_tun("tun_4in6.pcap", "tun4in6", lambda s, r, l3: outer_eth(s, ip6(s, 4, l3)))
