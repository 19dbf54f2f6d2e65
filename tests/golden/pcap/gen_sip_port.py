#!/usr/bin/python3
"""gen_sip_port.py - writes sip_port_5080.pcap and sip_port_34567.pcap: a
basic SIP call over Ethernet/IPv4/UDP on ports that are not 5060.

sip_port_5080.pcap:  192.0.2.10:5080 <-> 198.51.100.20:5080 (a common
                     alternative SIP port, e.g. FreeSWITCH's external profile).
sip_port_34567.pcap: 192.0.2.10:40000 <-> 198.51.100.20:34567 (neither side
                     on a SIP port: only content inspection finds it).
"""
from goldenlib import *

d = Dialog("port5080", uac4(5080), uas4(5080))
write_pcap("sip_port_5080.pcap", LINKTYPE_ETHERNET, udp_frames(call_flow(d), eth_wrap))
d = Dialog("port34567", uac4(40000), uas4(34567))
write_pcap("sip_port_34567.pcap", LINKTYPE_ETHERNET, udp_frames(call_flow(d), eth_wrap))
