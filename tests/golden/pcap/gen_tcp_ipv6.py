#!/usr/bin/python3
"""gen_tcp_ipv6.py - writes tcp_ipv6.pcap: a basic SIP call over TCP on
IPv6 (RFC 8200, no extension headers), [2001:db8::10]:41070 <->
[2001:db8:0:1::20]:5060, Call-ID tcpv6-a84b4c76e66710@atlanta.example.com,
with the INVITE split over two segments and the 100 and 180 sharing one
segment. Specs: RFC 3261 section 18.3, RFC 9293 section 3.4.

 frame 0-2  handshake (client ISN 0xfeedf00d, server ISN 0x0000beef)
 frame 3   C->S  INVITE bytes 0-399 (inside the headers)
 frame 4   S->C  ACK
 frame 5   C->S  INVITE bytes 400-end (rest of the headers, SDP)
 frame 6   S->C  ONE segment: 100 Trying + 180 Ringing
 frame 7   C->S  ACK (no data)
 frame 8   S->C  200 OK with SDP answer
 frame 9   C->S  ACK (the SIP request)
 frame 10  C->S  BYE
 frame 11  S->C  200 OK (BYE)
 frame 12  C->S  FIN   frame 13  S->C FIN   frame 14  C->S ACK

trawl must output 7 messages, in order: INVITE (frame 5), 100 (6), 180 (6),
200 INVITE (8), ACK (9), BYE (10), 200 BYE (11); family 6, transport tcp.
Counted: flows_closed_fin 1; nothing lost.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 7 messages, as trawl: INVITE (6),
100 and 180 (7), 200 (9), ACK (10), BYE (11), 200 (12).
"""
from streamlib import *

d = Dialog("tcpv6", uac6(41070), uas6(5060), transport="TCP")
a, b = d.a, d.b
inv = invite(d)
frames = []
c = TcpConn(frames, a, b, 0xfeedf00d, 0x0000beef)
c.handshake()
c.send(a, inv[:400])
c.ack(b)
c.send(a, inv[400:])
c.send(b, response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False) +
       response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True))
c.ack(a)
c.send(b, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True, body=sdp(b, 2890844527, 3456)))
c.send(a, ack(d))
c.send(a, bye(d))
c.send(b, response(d, 200, "OK", 3, "BYE", d.cseq + 1))
c.fin(a)
c.fin(b)
c.ack(a)
write_pcap("tcp_ipv6.pcap", LINKTYPE_ETHERNET, frames)
