#!/usr/bin/python3
"""gen_sip_null.py - writes sip_null.pcap: BSD loopback encapsulation
(LINKTYPE_NULL 0, https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html).

The 4-byte header is the address family in the byte order of the host that
captured, which need not be the file's: readers must accept both (tcpdump's
print-null.c swaps a value with the low 16 bits zero). IPv6 has three values
depending on the BSD: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).

Frames 0-6: a basic IPv4 call, AF_INET = 2 little-endian.
Frames 7-8: OPTIONS/200 over IPv6, AF 24 and AF 28 little-endian.
Frames 9-10: OPTIONS/200 over IPv6, AF 30 little-endian.
Frame 11:   OPTIONS over IPv4 with AF_INET written big-endian (00 00 00 02).
"""
import struct
from goldenlib import *

d = Dialog("null", uac4(), uas4())
frames = udp_frames(call_flow(d), lambda s, r, l3: struct.pack("<I", 2) + l3)

d6a = Dialog("null6-a", uac6(), uas6())
d6b = Dialog("null6-b", uac6(), uas6())
fams = [24, 28, 30, 30]
msgs6 = options_flow(d6a) + options_flow(d6b)
for i, (s, r, p) in enumerate(msgs6):
    n = len(frames)
    frames.append((ts(n), struct.pack("<I", fams[i]) + ip_udp(s, r, p, ip_id=0x1000 + n)))

dbe = Dialog("null-be", uac4(), uas4())
n = len(frames)
frames.append((ts(n), struct.pack(">I", 2) + ip_udp(dbe.a, dbe.b, options(dbe), ip_id=0x1000 + n)))
write_pcap("sip_null.pcap", LINKTYPE_NULL, frames)
