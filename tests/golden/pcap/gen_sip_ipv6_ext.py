#!/usr/bin/python3
"""gen_sip_ipv6_ext.py - writes sip_ipv6_ext.pcap: a basic SIP call over
Ethernet/IPv6 where every packet carries two extension headers before UDP
(RFC 8200 section 4): Hop-by-Hop Options (next header 0, with a Router Alert
option, RFC 2711, and padding) then Destination Options (next header 60, with
a PadN option padding it to 16 bytes: length field 1). The reader must walk
the chain 0 -> 60 -> 17 to find UDP."""
from scapy.all import raw
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, RouterAlert, PadN
from goldenlib import *


def l3(s, r, payload):
    return raw(IPv6(src=s.ip, dst=r.ip, hlim=64) /
               IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) /
               IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 12)]) /
               UDP(sport=s.port, dport=r.port) / payload)


d = Dialog("ipv6ext", uac6(), uas6())
frames = [(ts(i), eth(s, r, l3(s, r, p))) for i, (s, r, p) in enumerate(call_flow(d))]
write_pcap("sip_ipv6_ext.pcap", LINKTYPE_ETHERNET, frames)
