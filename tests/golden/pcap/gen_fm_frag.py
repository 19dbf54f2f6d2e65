#!/usr/bin/python3
"""gen_fm_frag.py - writes fm_frag.pcap for the flow metadata fragment
accounting (docs/flowmeta.md): by default a datagram is one line when it
completes, with its whole length; --flowmeta-first-frag gives PCapper's
line at the first fragment, with that fragment's length. Frames:
  A  IPv4 UDP 3000-byte payload in 3 fragments (1480 bytes), in order
  B  a plain UDP datagram
  C  IPv4 UDP 2000-byte payload in 2 fragments, the first one last
  D  IPv6 UDP 2500-byte payload in 3 fragments (Fragment header, RFC 8200 4.5)
  E  IPv4 UDP whose last fragment never comes (no line by default)
  F  IPv4 TCP segment in 2 fragments (ports from the first)"""
from fmlib import *
from goldenlib import write_pcap, LINKTYPE_ETHERNET
from scapy.layers.inet import IP, UDP, TCP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment


def v4_frags(src, dst, ident, l4, proto, size):
    return [ether(raw(IP(src=src, dst=dst, id=ident, proto=proto, flags="MF" if more else 0,
                         frag=off // 8) / chunk)) for off, more, chunk in split(l4, size)]


def udp4(sport, dport, n):
    return raw(IP(src=H4A, dst=H4B) / UDP(sport=sport, dport=dport) / (b"f" * n))[20:]


def udp6(sport, dport, n):
    return raw(IPv6(src=H6A, dst=H6B) / UDP(sport=sport, dport=dport) / (b"6" * n))[40:]


a = v4_frags(H4A, H4B, 0x0A01, udp4(5000, 5001, 3000), 17, 1480)
b = [ether(raw(IP(src=H4A, dst=H4B, id=0x0B01) / UDP(sport=5002, dport=5003) / (b"b" * 10)))]
c = v4_frags(H4A, H4B, 0x0C01, udp4(5004, 5005, 2000), 17, 1480)
c = c[1:] + c[:1]
d = [ether(raw(IPv6(src=H6A, dst=H6B) / IPv6ExtHdrFragment(nh=17, offset=off // 8, m=1 if more else 0, id=0xD001) / chunk))
     for off, more, chunk in split(udp6(5006, 5007, 2500), 1232)]
e = v4_frags(H4A, H4B, 0x0E01, udp4(5008, 5009, 3000), 17, 1480)[:2]
f = v4_frags(H4A, H4B, 0x0F01, raw(IP(src=H4A, dst=H4B) / TCP(sport=40000, dport=80, flags="PA") / (b"t" * 1600))[20:], 6, 1480)
write_pcap("fm_frag.pcap", LINKTYPE_ETHERNET, frames(a + b + c + d + e + f))
