#!/usr/bin/python3
"""gen_sip_tcp_single.py - writes sip_tcp_single.pcap: one SIP INVITE
(Call-ID tcp1-..., Via SIP/2.0/TCP) carried whole in one TCP segment
(RFC 3261 section 18.3: Content-Length frames the message on a stream),
inside a complete connection 192.0.2.10:41000 -> 198.51.100.20:5060:

 frame 0 SYN (MSS 1460)   1 SYN/ACK   2 ACK
 frame 3 PSH/ACK with the INVITE   4 ACK
 frame 5 FIN/ACK   6 FIN/ACK   7 ACK
"""
from scapy.all import raw
from scapy.layers.inet import IP, TCP
from goldenlib import *

d = Dialog("tcp1", uac4(41000), uas4(5060), transport="TCP")
a, b = d.a, d.b
inv = invite(d)
ISN_A, ISN_B = 1000000, 2000000


def seg(s, r, flags, seq, ack, payload=b"", opts=()):
    return raw(IP(src=s.ip, dst=r.ip, id=0x1000 + len(frames), ttl=64, flags="DF") /
               TCP(sport=s.port, dport=r.port, flags=flags, seq=seq, ack=ack,
                   window=64240, options=list(opts)) / payload)


frames = []
for s, r, fl, seq, ack, pl, opts in [
        (a, b, "S", ISN_A, 0, b"", [("MSS", 1460)]),
        (b, a, "SA", ISN_B, ISN_A + 1, b"", [("MSS", 1460)]),
        (a, b, "A", ISN_A + 1, ISN_B + 1, b"", []),
        (a, b, "PA", ISN_A + 1, ISN_B + 1, inv, []),
        (b, a, "A", ISN_B + 1, ISN_A + 1 + len(inv), b"", []),
        (a, b, "FA", ISN_A + 1 + len(inv), ISN_B + 1, b"", []),
        (b, a, "FA", ISN_B + 1, ISN_A + 2 + len(inv), b"", []),
        (a, b, "A", ISN_A + 2 + len(inv), ISN_B + 2, b"", [])]:
    frames.append((ts(len(frames)), eth(s, r, seg(s, r, fl, seq, ack, pl, opts))))
write_pcap("sip_tcp_single.pcap", LINKTYPE_ETHERNET, frames)
