#!/usr/bin/python3
"""gen_sip_raw6.py - writes sip_raw6.pcap: a basic SIP call as raw IPv6
packets (LINKTYPE_RAW 101, version nibble 6)."""
from goldenlib import *

d = Dialog("raw6", uac6(), uas6())
write_pcap("sip_raw6.pcap", LINKTYPE_RAW, udp_frames(call_flow(d), lambda s, r, l3: l3))
