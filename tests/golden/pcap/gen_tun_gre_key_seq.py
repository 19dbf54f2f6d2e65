#!/usr/bin/python3
"""gen_tun_gre_key_seq.py - writes tun_gre_key_seq.pcap: a basic SIP call in
IPv4 / GRE with the checksum, key (RFC 2890, key 0x00c0ffee) and sequence
number present; the inner packets are IPv6 (protocol 0x86dd)."""
from tunlib import *

seq = iter(range(1000, 2000))
write_tun("tun_gre_key_seq.pcap", "tungreks",
          lambda s, r, l3: outer_eth(s, ip4(s, 47, gre(0x86DD, l3, csum=True, key=0xC0FFEE,
                                                          seq=next(seq)))), v6=True)
