#!/usr/bin/python3
"""gen_tun_nested.py - writes tun_nested.pcap: a basic SIP call through two
tunnels: IPv4 / UDP -> 4789 / VXLAN VNI 5000 / Ethernet tagged VLAN 30 /
IPv4 198.18.0.x / GRE key 99 / IPv4 / UDP 5060."""
from tunlib import *


def wrap(s, r, l3):
    mid = ip4(s, 47, gre(0x0800, l3, key=99), pair=MID4)
    frame = eth(s, r, mid, tags=[(ETH_VLAN, 30)])
    return outer_eth(s, udp4(s, 4789, vxlan(5000, frame)))


write_tun("tun_nested.pcap", "tunnest", wrap)
