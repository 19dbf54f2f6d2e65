#!/usr/bin/python3
"""gen_sip_qinq.py - writes sip_qinq.pcap: a basic SIP call over IEEE 802.1ad
QinQ: outer S-tag TPID 0x88a8 VID 200, inner C-tag TPID 0x8100 VID 300."""
from goldenlib import *

d = Dialog("qinq", uac4(), uas4())
write_pcap("sip_qinq.pcap", LINKTYPE_ETHERNET,
           udp_frames(call_flow(d), lambda s, r, l3: eth(s, r, l3, tags=[(ETH_QINQ, 200), (ETH_VLAN, 300)])))
