#!/usr/bin/python3
"""gen_sip_raw4.py - writes sip_raw4.pcap: a basic SIP call as raw IPv4
packets (LINKTYPE_RAW 101: the record starts with the IP header)."""
from goldenlib import *

d = Dialog("raw4", uac4(), uas4())
write_pcap("sip_raw4.pcap", LINKTYPE_RAW, udp_frames(call_flow(d), lambda s, r, l3: l3))
