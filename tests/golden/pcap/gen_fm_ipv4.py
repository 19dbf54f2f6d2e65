#!/usr/bin/python3
"""gen_fm_ipv4.py - writes fm_ipv4.pcap for the flow metadata golden test
(docs/flowmeta.md): Ethernet IPv4 frames of every kind PCapper's line covers
and the ones it did not: TCP handshake and data, UDP unicast, broadcast and
multicast, ICMP echo, SCTP, OSPF (protocol 89), an IPv4 header with options,
a VLAN-tagged UDP datagram, then an ARP frame (not IP: no line) and a frame
cut inside its IPv4 header (undecodable: no line)."""
from fmlib import *
from goldenlib import write_pcap, LINKTYPE_ETHERNET
from scapy.layers.inet import IP, UDP, TCP, ICMP, IPOption_RR
from scapy.layers.sctp import SCTP, SCTPChunkData
from scapy.layers.l2 import ARP

l = [
    ether(raw(IP(src=H4A, dst=H4B, id=1) / TCP(sport=40000, dport=80, flags="S", seq=1000))),
    ether(raw(IP(src=H4B, dst=H4A, id=2) / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001)), MAC_B, MAC_A),
    ether(raw(IP(src=H4A, dst=H4B, id=3) / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / (b"G" * 100))),
    ether(raw(IP(src=H4A, dst=H4B, id=4) / UDP(sport=5000, dport=5001) / (b"u" * 64))),
    ether(raw(IP(src="0.0.0.0", dst="255.255.255.255", id=5) / UDP(sport=68, dport=67) / (b"\0" * 240)),
          dst=b"\xff" * 6),
    ether(raw(IP(src=H4A, dst="224.0.0.251", id=6, ttl=255) / UDP(sport=5353, dport=5353) / (b"\0" * 12)),
          dst=bytes.fromhex("01005e0000fb")),
    ether(raw(IP(src=H4A, dst=H4B, id=7) / ICMP(type=8, id=1, seq=1) / (b"p" * 56))),
    ether(raw(IP(src=H4A, dst=H4B, id=8) / SCTP(sport=2905, dport=2905, tag=1) /
              SCTPChunkData(tsn=1, stream_id=0, proto_id=3, data=b"m3ua" * 8))),
    ether(raw(IP(src=H4A, dst="224.0.0.5", id=9, proto=89, ttl=1) / (b"\x02\x01\x00\x2c" + b"\0" * 40)),
          dst=bytes.fromhex("01005e000005")),
    ether(raw(IP(src=H4A, dst=H4B, id=10, options=[IPOption_RR(routers=["0.0.0.0"])]) /
              UDP(sport=6000, dport=6001) / (b"o" * 20))),
    ether(raw(IP(src=H4A, dst=H4B, id=11) / UDP(sport=7000, dport=7001) / (b"v" * 30)), vlan=100),
    ether(raw(ARP(op=1, hwsrc="00:00:5e:00:53:01", psrc=H4A, pdst=H4B)), dst=b"\xff" * 6, ethertype=0x0806),
    ether(raw(IP(src=H4A, dst=H4B, id=13) / UDP(sport=8000, dport=8001) / b"x")[:12]),
]
write_pcap("fm_ipv4.pcap", LINKTYPE_ETHERNET, frames(l))
