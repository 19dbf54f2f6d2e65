#!/usr/bin/python3
"""gen_fm_ipv6.py - writes fm_ipv6.pcap for the flow metadata golden test
(docs/flowmeta.md, IPv6 addresses in brackets): Ethernet IPv6 UDP, TCP,
ICMPv6 echo, link-local UDP to the DHCPv6 multicast group ff02::1:2, UDP
behind a Hop-by-Hop Options header (length still 40 + payload length),
SCTP, and a v4-mapped-looking address pair to show RFC 5952 text."""
from fmlib import *
from goldenlib import write_pcap, LINKTYPE_ETHERNET
from scapy.layers.inet import UDP, TCP
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, IPv6ExtHdrHopByHop
from scapy.layers.sctp import SCTP, SCTPChunkData

l = [
    ether(raw(IPv6(src=H6A, dst=H6B) / UDP(sport=5000, dport=5001) / (b"u" * 64))),
    ether(raw(IPv6(src=H6A, dst=H6B) / TCP(sport=40000, dport=443, flags="S", seq=1))),
    ether(raw(IPv6(src=H6B, dst=H6A) / TCP(sport=443, dport=40000, flags="SA", seq=9, ack=2)), MAC_B, MAC_A),
    ether(raw(IPv6(src=H6A, dst=H6B) / ICMPv6EchoRequest(id=1, seq=1, data=b"p" * 56))),
    ether(raw(IPv6(src="fe80::200:5eff:fe00:5301", dst="ff02::1:2", hlim=1) / UDP(sport=546, dport=547) / (b"\x01" + b"\0" * 40)),
          dst=bytes.fromhex("333300010002")),
    ether(raw(IPv6(src=H6A, dst=H6B) / IPv6ExtHdrHopByHop() / UDP(sport=5002, dport=5003) / (b"h" * 10))),
    ether(raw(IPv6(src=H6A, dst=H6B) / SCTP(sport=2905, dport=2906, tag=1) / SCTPChunkData(tsn=1, data=b"d" * 16))),
    ether(raw(IPv6(src="::ffff:192.0.2.10", dst="2001:db8:0:0:1:0:0:1") / UDP(sport=1, dport=2) / b"z")),
]
write_pcap("fm_ipv6.pcap", LINKTYPE_ETHERNET, frames(l))
