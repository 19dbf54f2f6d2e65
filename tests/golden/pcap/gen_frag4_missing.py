#!/usr/bin/python3
"""gen_frag4_missing.py - writes frag4_missing.pcap: an IPv4 INVITE (Call-ID
missing-...) cut in 3 fragments of which only the first ([0,256) MF) and the
last ([512,753)) were captured; the middle one never arrives. The datagram
must never be reported; it stays incomplete until the end of the file (a
counted drop). Frame 2 is an unfragmented OPTIONS (Call-ID missingafter-...)
that must be reported."""
from goldenlib import *

d = Dialog("missing", uac4(), uas4())
s, r = d.a, d.b
frags = split(udp_datagram(s, r, invite(d)), 256)
assert len(frags) == 3
frames = [(ts(i), eth(s, r, ipv4_fragment(s, r, 0x3001, *frags[k]))) for i, k in enumerate((0, 2))]
d2 = Dialog("missingafter", uac4(), uas4())
frames += udp_frames([(d2.a, d2.b, options(d2))], eth_wrap, first=len(frames))
write_pcap("frag4_missing.pcap", LINKTYPE_ETHERNET, frames)
