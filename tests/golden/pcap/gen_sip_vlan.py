#!/usr/bin/python3
"""gen_sip_vlan.py - writes sip_vlan.pcap: a basic SIP call over Ethernet with
one IEEE 802.1Q tag (TPID 0x8100, PCP 5, VID 100)."""
from goldenlib import *

d = Dialog("vlan", uac4(), uas4())
write_pcap("sip_vlan.pcap", LINKTYPE_ETHERNET,
           udp_frames(call_flow(d), lambda s, r, l3: eth(s, r, l3, tags=[(ETH_VLAN, (5 << 13) | 100)])))
