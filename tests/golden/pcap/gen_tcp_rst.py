#!/usr/bin/python3
"""gen_tcp_rst.py - writes tcp_rst.pcap: a TCP connection reset in the
middle of a SIP message, then a new connection on the same address/port
pair (port reuse, new SYN with an unrelated ISN) carrying two messages;
192.0.2.10:41080 <-> 198.51.100.20:5060. Specs: RFC 9293 section 3.5.3
(RST: the connection is gone, buffered data with it) and 3.4 (a new
incarnation of a connection starts at a new ISN), RFC 3261 section 18.3.

Call-IDs: tcprst-1-a84b4c76e66710@atlanta.example.com (the INVITE cut by
the reset), tcprst-2-a84b4c76e66710@atlanta.example.com (the retry).

 frame 0-2  connection 1 handshake (client ISN 0x2f000000, server 0x3a000000)
 frame 3   C->S  INVITE tcprst-1, bytes 0-299 only (inside the headers)
 frame 4   S->C  ACK
 frame 5   C->S  RST/ACK (the client aborts; the INVITE is never finished)
 frame 6-8  connection 2 handshake, same ports (client ISN 0x9e000000,
            server 0x4b000000)
 frame 9   C->S  INVITE tcprst-2 (whole)
 frame 10  S->C  100 Trying tcprst-2
 frame 11  C->S  ACK (no data)

trawl must output, in order: INVITE tcprst-2 (frame 9), 100 tcprst-2
(frame 10); nothing of tcprst-1. Counted: incomplete 1 (tcprst-1's 300
bytes, lost with the reset), flows_closed_rst 1, flows_created 2.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 2 messages, as trawl: INVITE tcprst-2
(10), 100 (11). It flags frame 7 "TCP Port numbers reused".
"""
from streamlib import *

a, b = uac4(41080), uas4(5060)
d1 = Dialog("tcprst-1", a, b, transport="TCP")
d2 = Dialog("tcprst-2", a, b, transport="TCP")
frames = []
c1 = TcpConn(frames, a, b, 0x2f000000, 0x3a000000)
c1.handshake()
c1.send(a, invite(d1)[:300])
c1.ack(b)
c1.rst(a)
c2 = TcpConn(frames, a, b, 0x9e000000, 0x4b000000)
c2.handshake()
c2.send(a, invite(d2))
c2.send(b, response(d2, 100, "Trying", 1, "INVITE", d2.cseq, tagged=False))
c2.ack(a)
write_pcap("tcp_rst.pcap", LINKTYPE_ETHERNET, frames)
