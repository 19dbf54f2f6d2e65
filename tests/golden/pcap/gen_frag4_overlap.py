#!/usr/bin/python3
"""gen_frag4_overlap.py - writes frag4_overlap.pcap: overlapping IPv4
fragments (RFC 791; RFC 1858 and RFC 5722 explain why conflicting overlaps
must not be reassembled).

Frames 0-3, IP id 0x2001, an INVITE (Call-ID ovl-...) in fragments
  A = [0,256) MF, B = [256,512) MF, C = [128,384) MF whose bytes DIFFER from
  A and B (letter case flipped), D = [512,753) last.
  C arrives before the datagram is complete, so a reader that drops datagrams
  with conflicting overlaps yields nothing for Call-ID ovl-... (counted drop);
  D alone then starts a datagram that never completes.
Frames 4-7, IP id 0x2002, an INVITE (Call-ID ovlsame-...) in fragments
  A, B, C' = [128,384) with the SAME bytes as A and B (a benign overlap), D:
  must reassemble to the INVITE.
Frame 8: an unfragmented OPTIONS (Call-ID ovlafter-...): must be reported.
"""
from goldenlib import *

frames = []


def add(s, r, ident, off, more, chunk):
    frames.append((ts(len(frames)), eth(s, r, ipv4_fragment(s, r, ident, off, more, chunk))))


for seed, ident, conflict in (("ovl", 0x2001, True), ("ovlsame", 0x2002, False)):
    d = Dialog(seed, uac4(), uas4())
    s, r = d.a, d.b
    dg = udp_datagram(s, r, invite(d))
    frags = split(dg, 256)
    assert len(frags) == 3
    mid = dg[128:384]
    if conflict:
        mid = mid.swapcase()
        assert mid != dg[128:384]
    add(s, r, ident, *frags[0])
    add(s, r, ident, *frags[1])
    add(s, r, ident, 128, True, mid)
    add(s, r, ident, *frags[2])

d = Dialog("ovlafter", uac4(), uas4())
frames += udp_frames([(d.a, d.b, options(d))], eth_wrap, first=len(frames))
write_pcap("frag4_overlap.pcap", LINKTYPE_ETHERNET, frames)
