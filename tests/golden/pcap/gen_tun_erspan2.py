#!/usr/bin/python3
"""gen_tun_erspan2.py - writes tun_erspan2.pcap: a basic SIP call mirrored by
ERSPAN type II: IPv4 / GRE 0x88be with sequence number / ERSPAN II header
(session 100, vlan 10, index 0x12345) / Ethernet tagged VLAN 10 / IPv4 / UDP."""
from tunlib import *

seq = iter(range(1, 100))
write_tun("tun_erspan2.pcap", "tunerspan2",
          lambda s, r, l3: outer_eth(s, ip4(s, 47, gre(0x88BE, erspan2(
              100, 10, 0x12345, inner_eth(s, r, l3, tags=[(ETH_VLAN, 10)])), seq=next(seq)))))
