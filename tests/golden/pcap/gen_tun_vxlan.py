#!/usr/bin/python3
"""gen_tun_vxlan.py - writes tun_vxlan.pcap: a basic SIP call in IPv4 / UDP
49152 -> 4789 / VXLAN VNI 42 / Ethernet / IPv4 / UDP 5060."""
from tunlib import *

write_tun("tun_vxlan.pcap", "tunvxlan",
          lambda s, r, l3: outer_eth(s, udp4(s, 4789, vxlan(42, inner_eth(s, r, l3)))))
