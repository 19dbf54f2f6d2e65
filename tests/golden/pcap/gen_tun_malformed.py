#!/usr/bin/python3
"""gen_tun_malformed.py - writes tun_malformed.pcap: broken tunnel headers
between two good tunnelled messages. Frame 0 is an OPTIONS in VXLAN (VNI 1)
and the last frame its 200 in GRE: the only two JSON lines. In between, each
must be counted (decode.<tunnel>.<reason>) and yield nothing:
  1 VXLAN without the I flag             vxlan.malformed
  2 VXLAN header of 4 bytes              vxlan.truncated
  3 GRE version 1 (PPTP)                 gre.unsupported
  4 GRE with the RFC 1701 routing bit    gre.malformed
  5 GRE with K and S but 4 bytes left    gre.truncated
  6 GENEVE option longer than opt len    geneve.malformed
  7 GENEVE opt len past the datagram     geneve.truncated
  8 GENEVE version 1                     geneve.unsupported
  9 ERSPAN II with version 2             erspan2.malformed
 10 ERSPAN III, O set, subheader cut     erspan3.truncated
 11 ERSPAN III frame type 5              erspan3.unsupported
 12 five IP-in-IP levels                 ipip.too_deep
"""
from tunlib import *

d = Dialog("tunbad", uac4(), uas4())
a, b = d.a, d.b
opt, ok = options_flow(d)[0], options_flow(d)[1]
l3 = ip_udp(a, b, opt[2], ip_id=0x2000)
frame = inner_eth(a, b, l3)
bad = [
    udp4(a, 4789, struct.pack(">II", 0, 1 << 8) + frame),
    udp4(a, 4789, b"\x08\x00\x00\x00"),
    ip4(a, 47, struct.pack(">HH", 0x3001, 0x880B) + b"\0" * 8 + l3),
    ip4(a, 47, struct.pack(">HH", 0x4000, 0x0800) + l3),
    ip4(a, 47, struct.pack(">HHI", 0x3000, 0x0800, 5)),
    udp4(a, 6081, geneve(9, 0x6558, frame, struct.pack(">HBB", 1, 1, 3) + b"\0" * 4)),
    udp4(a, 6081, struct.pack(">BBHI", 0x3F, 0, 0x6558, 9 << 8) + b"\0" * 16),
    udp4(a, 6081, struct.pack(">BBHI", 0x40, 0, 0x6558, 9 << 8) + frame),
    ip4(a, 47, gre(0x88BE, struct.pack(">HHI", 0x2000, 1, 0) + frame, seq=1)),
    ip4(a, 47, gre(0x22EB, struct.pack(">HHIHH", 0x2000, 2, 0, 0, 1) + b"\0\0\0", seq=2)),
    ip4(a, 47, gre(0x22EB, erspan3(3, 0, 0, frame, ft=5), seq=3)),
]
nest = l3
for _ in range(5):
    nest = ip4(a, 4, nest)
bad.append(nest)

frames = [(ts(0), outer_eth(a, udp4(a, 4789, vxlan(1, frame))))]
frames += [(ts(1 + i), outer_eth(a, x)) for i, x in enumerate(bad)]
frames.append((ts(1 + len(bad)), outer_eth(b, ip4(b, 47, gre(0x0800, ip_udp(b, a, ok[2], ip_id=0x2001))))))
write_pcap("tun_malformed.pcap", LINKTYPE_ETHERNET, frames)
