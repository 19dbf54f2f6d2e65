#!/usr/bin/python3
"""gen_tun_geneve.py - writes tun_geneve.pcap: a basic SIP call in IPv4 / UDP
-> 6081 / GENEVE VNI 0x10203 with two options (class 0x0102 type 1, 4 bytes;
class 0xffff type 0x80, 8 bytes: opt len 5 words) / Ethernet / IPv4 / UDP.
The 180 and the BYE use protocol type 0x0800 (bare IPv4) instead of 0x6558."""
from tunlib import *

OPTS = geneve_option(0x0102, 1, b"\x01\x02\x03\x04") + \
    geneve_option(0xFFFF, 0x80, b"ABCDEFGH")
n = iter(range(100))


def wrap(s, r, l3):
    i = next(n)
    if i in (2, 5):
        return outer_eth(s, udp4(s, 6081, geneve(0x10203, ETH_IPV4, l3, OPTS)))
    return outer_eth(s, udp4(s, 6081, geneve(0x10203, 0x6558, inner_eth(s, r, l3), OPTS)))


write_tun("tun_geneve.pcap", "tungeneve", wrap)
