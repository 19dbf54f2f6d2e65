#!/usr/bin/python3
"""gen_sip_eth.py - writes sip_eth.pcap: one basic SIP call (RFC 3665 3.1:
INVITE/100/180/200/ACK/BYE/200) over Ethernet II (LINKTYPE_ETHERNET 1),
IPv4/UDP 5060 <-> 5060. Run with /usr/bin/python3 (Debian's scapy)."""
from goldenlib import *

d = Dialog("eth", uac4(), uas4())
write_pcap("sip_eth.pcap", LINKTYPE_ETHERNET, udp_frames(call_flow(d), eth_wrap))
