#!/usr/bin/python3
"""gen_bad_lengths.py - writes bad_lengths.pcap: Ethernet/IPv4/UDP frames
whose length fields lie, each carrying a complete OPTIONS whose Call-ID names
the case (bl-<case>-a84b4c76e66710@atlanta.example.com). Headers are built by
hand so the lying fields stay as written; IPv4 header checksums are correct
for the bytes written; UDP checksums are 0 (none, allowed over IPv4 by RFC 768).

 frame 0 bl-iptotbig    IPv4 total length = real + 200: larger than the frame
 frame 1 bl-iptotsmall  IPv4 total length = 10: smaller than the IPv4 header
 frame 2 bl-ihl4        IPv4 IHL = 4 (16 bytes): below the minimum of 5
 frame 3 bl-udplen0     UDP length 0
 frame 4 bl-udplen7     UDP length 7: smaller than the UDP header
 frame 5 bl-udplenbig   UDP length = real + 100: larger than the IP payload
 frame 6 bl-udpshort    UDP length covers the SIP message exactly but the IP
                        payload has 16 more bytes after it (junk "JUNKJUNK..."):
                        the datagram is the SIP message only
 frame 7 bl-ethpad      correct lengths, then 20 bytes of Ethernet trailer after
                        the IP packet: the datagram is the SIP message only
 frame 8 bl-ok          correct lengths (control)
Frames 6, 7 and 8 carry valid SIP and must be reported with the SIP length;
frames 0-5 must not yield a SIP message.
"""
import socket
import struct
from goldenlib import *

a, b = uac4(), uas4()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(payload, ident, total=None, ihl=5):
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, 0, 64, 17, 0,
                    socket.inet_aton(a.ip), socket.inet_aton(b.ip))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sip, length=None, junk=b""):
    length = 8 + len(sip) if length is None else length
    return struct.pack("!HHHH", a.port, b.port, length, 0) + sip + junk


frames = []
for case in ("iptotbig", "iptotsmall", "ihl4", "udplen0", "udplen7", "udplenbig",
             "udpshort", "ethpad", "ok"):
    sip = options(Dialog("bl-" + case, a, b))
    ident = 0x1000 + len(frames)
    u = udp(sip)
    trailer = b""
    if case == "iptotbig":
        l3 = ipv4(u, ident, total=20 + len(u) + 200)
    elif case == "iptotsmall":
        l3 = ipv4(u, ident, total=10)
    elif case == "ihl4":
        l3 = ipv4(u, ident, ihl=4)
    elif case == "udplen0":
        l3 = ipv4(udp(sip, 0), ident)
    elif case == "udplen7":
        l3 = ipv4(udp(sip, 7), ident)
    elif case == "udplenbig":
        l3 = ipv4(udp(sip, 8 + len(sip) + 100), ident)
    elif case == "udpshort":
        l3 = ipv4(udp(sip, junk=b"JUNKJUNKJUNKJUNK"), ident)
    elif case == "ethpad":
        l3 = ipv4(u, ident)
        trailer = bytes(range(0xA0, 0xB4))
    else:
        l3 = ipv4(u, ident)
    frames.append((ts(len(frames)), eth(a, b, l3) + trailer))
write_pcap("bad_lengths.pcap", LINKTYPE_ETHERNET, frames)
