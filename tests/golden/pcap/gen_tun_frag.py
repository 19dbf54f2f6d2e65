#!/usr/bin/python3
"""gen_tun_frag.py - writes tun_frag.pcap: reassembly inside and outside
tunnels. Frames 0-3: an INVITE (tunfragin-...) whose inner IPv4 datagram is
in 4 fragments of 256 bytes or less, each fragment in its own VXLAN (VNI 77)
frame; completes on frame 3. Frames 4-6: an INVITE (tunfragout-...) in GRE
key 8 whose outer IPv4 packet is in 3 fragments; completes on frame 6.
Frame 7: the 200 to the first INVITE, unfragmented in VXLAN."""
from tunlib import *

frames = []
d = Dialog("tunfragin", uac4(), uas4())
a, b = d.a, d.b
dgram = udp_datagram(a, b, invite(d))
for i, (off, more, chunk) in enumerate(split(dgram, 256)):
    inner = ipv4_fragment(a, b, 0x7001, off, more, chunk)
    frames.append((ts(i), outer_eth(a, udp4(a, 4789, vxlan(77, inner_eth(a, b, inner))))))

d2 = Dialog("tunfragout", uac4(), uas4())
pkt = gre(0x0800, ip_udp(a, b, invite(d2), ip_id=0x7002), key=8)
src, dst = side(a, TUN4)
for i, (off, more, chunk) in enumerate(split(pkt, 272)):
    outer = raw(IP(src=src, dst=dst, id=0x7003, ttl=64, proto=47,
                   flags="MF" if more else 0, frag=off // 8) / chunk)
    frames.append((ts(len(frames)), outer_eth(a, outer)))

ok = ip_udp(b, a, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True), ip_id=0x7004)
frames.append((ts(len(frames)), outer_eth(b, udp4(b, 4789, vxlan(77, inner_eth(b, a, ok))))))
write_pcap("tun_frag.pcap", LINKTYPE_ETHERNET, frames)
