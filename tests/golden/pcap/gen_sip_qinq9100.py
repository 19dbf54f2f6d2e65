#!/usr/bin/python3
"""gen_sip_qinq9100.py - writes sip_qinq9100.pcap: a basic SIP call with the
pre-standard QinQ outer TPID 0x9100 (VID 210) over an 802.1Q inner tag (VID 310)."""
from goldenlib import *

d = Dialog("qinq9100", uac4(), uas4())
write_pcap("sip_qinq9100.pcap", LINKTYPE_ETHERNET,
           udp_frames(call_flow(d), lambda s, r, l3: eth(s, r, l3, tags=[(ETH_QINQ_9100, 210), (ETH_VLAN, 310)])))
