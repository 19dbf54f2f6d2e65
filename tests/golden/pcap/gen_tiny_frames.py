#!/usr/bin/python3
"""gen_tiny_frames.py - writes tiny_frames.pcap: Ethernet records too short
to hold anything, between two good SIP messages (Call-ID tiny-...).

 frame 0 OPTIONS: complete
 frame 1 a record with caplen 0 and len 0
 frame 2 a record of 10 bytes (caplen = len = 10): shorter than the 14-byte
         Ethernet header
 frame 3 a 14-byte Ethernet header (type IPv4) and nothing after it
 frame 4 a record with caplen 0 but len 457: a frame whose bytes were all cut
 frame 5 an Ethernet/IPv4 header whose UDP header is cut after 4 bytes
         (caplen 38 of len 425)
 frame 6 200 OK to the OPTIONS: complete
"""
from goldenlib import *

d = Dialog("tiny", uac4(), uas4())
good = udp_frames(options_flow(d), eth_wrap)
full = good[0][1]
frames = [
    good[0],
    (ts(1), b""),
    (ts(2), full[:10]),
    (ts(3), full[:14]),
    (ts(4), b"", len(full)),
    (ts(5), good[1][1][:38], len(good[1][1])),
    (ts(6), good[1][1]),
]
write_pcap("tiny_frames.pcap", LINKTYPE_ETHERNET, frames)
