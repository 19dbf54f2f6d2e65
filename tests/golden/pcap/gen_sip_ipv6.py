#!/usr/bin/python3
"""gen_sip_ipv6.py - writes sip_ipv6.pcap: a basic SIP call over Ethernet,
plain IPv6 (RFC 8200, no extension headers) / UDP 5060."""
from goldenlib import *

d = Dialog("ipv6", uac6(), uas6())
write_pcap("sip_ipv6.pcap", LINKTYPE_ETHERNET, udp_frames(call_flow(d), eth_wrap))
