#!/usr/bin/python3
"""gen_fm_mgen.py - writes fm_mgen.pcap for the MGEN flow id of the flow
metadata lines (docs/flowmeta.md "MGEN flow id"). Messages are made by the
project's own generator (mgenlib.py). Frames, UDP 192.0.2.10:5000 ->
198.51.100.20:5001 unless said:
   0 minimal 28-byte message, flow 1          -> 1
   1 64 bytes, zero padded, flow 7            -> 7
   2 host address, GPS and payload, flow 42   -> 42
   3 CHECKSUM flag with CRC, flow 3           -> 3
   4 over IPv6 with an IPv6 dstAddr, flow 4000000000 -> 4000000000
   5 1024 bytes, flow 100                     -> 100
   6 sent through NAT: dstAddr 10.0.0.2 is not the packet's -> 9, but 0
     with --flowmeta-mgen-dst (PCapper's own test)
   7 4000 bytes in 3 IPv4 fragments, flow 77  -> 77 at completion
 Look-alikes, all -> 0:
   8 version 4 (DARPA layout)     9 messageSize 64 in a 65-byte payload
  10 RTP PCMU                    11 DNS query       12 SIP OPTIONS
  13 unknown flag bit 0x80       14 txTimeMicroseconds 1000000
  15 dstAddrType 3 (simulator)   16 right size and version, the rest noise
  17 a valid MGEN message carried over TCP (only UDP is probed)
  18 passes PCapper's check (dstPort, type 1, length 4, dstAddr at their
     offsets) but nothing else: PCapper would report flow 0x41414141"""
import hashlib
import struct

from fmlib import *
from goldenlib import write_pcap, LINKTYPE_ETHERNET
from mgenlib import message
from scapy.layers.inet import IP, UDP, TCP
from scapy.layers.inet6 import IPv6


def udp(payload, sport=5000, dport=5001):
    return ether(raw(IP(src=H4A, dst=H4B, id=len(payload)) / UDP(sport=sport, dport=dport) / payload))


def noise(n):
    out, h = b"", b"fm_mgen"
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return out[:n]


big = raw(IP(src=H4A, dst=H4B) / UDP(sport=5000, dport=5001) / message(4000, 77, 8, H4B, 5001))[20:]
frags = [ether(raw(IP(src=H4A, dst=H4B, id=0x7707, proto=17, flags="MF" if more else 0, frag=off // 8) / chunk))
         for off, more, chunk in split(big, 1480)]

l = [
    udp(message(28, 1, 1, H4B, 5001)),
    udp(message(64, 7, 2, H4B, 5001)),
    udp(message(128, 42, 3, H4B, 5001, host=H4A, host_port=5000, payload=b"hello mgen")),
    udp(message(100, 3, 4, H4B, 5001, payload=b"x" * 8, checksum=True)),
    ether(raw(IPv6(src=H6A, dst=H6B) / UDP(sport=5000, dport=5001) / message(80, 4000000000, 5, H6B, 5001))),
    udp(message(1024, 100, 6, H4B, 5001)),
    udp(message(64, 9, 7, "10.0.0.2", 5001)),
] + frags + [
    udp(message(64, 8, 1, H4B, 5001, version=4)),
    udp(message(64, 9, 1, H4B, 5001) + b"\0"),
    udp(struct.pack(">BBHII", 0x80, 0, 1, 160, 0x12345678) + b"\xff" * 160, 16384, 16386),
    udp(bytes.fromhex("001d01000001000000000000076578616d706c6503636f6d0000010001"), 53000, 53),
    udp(b"OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: a@b\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n", 5060, 5060),
    udp(message(64, 13, 1, H4B, 5001, flags=0x80)),
    udp(message(64, 14, 1, H4B, 5001, tx_usec=1000000)),
    udp(message(64, 15, 1, H4B, 5001)[:22] + b"\x03\x04" + message(64, 15, 1, H4B, 5001)[24:]),
    udp(struct.pack(">HBB", 96, 2, 0) + noise(92)),
    ether(raw(IP(src=H4A, dst=H4B) / TCP(sport=5000, dport=5001, flags="PA") / message(64, 17, 1, H4B, 5001))),
    udp(b"AAAA" + b"AAAA" + b"A" * 12 + struct.pack(">HBB", 5001, 1, 4) + bytes([198, 51, 100, 20]) + b"A" * 20),
]
write_pcap("fm_mgen.pcap", LINKTYPE_ETHERNET, frames(l))
