#!/usr/bin/python3
"""gen_tcp_3seg_ooo.py - writes tcp_3seg_ooo.pcap: an INVITE with an SDP
offer over TCP, cut into 3 segments that arrive out of order (1, 3, 2), in
a complete connection 192.0.2.10:41020 <-> 198.51.100.20:5060, Call-ID
tcpooo-a84b4c76e66710@atlanta.example.com. Specs: RFC 9293 section 3.10.7.4
(segments beyond the next expected sequence number are held until the hole
is filled), RFC 3261 section 18.3.

The INVITE (756 bytes) is cut at byte 300 (inside the headers) and byte 600
(inside the SDP body): segment 1 = bytes 0-299, segment 2 = 300-599 (the end
of the headers, CRLFCRLF and the start of the body), segment 3 = 600-755.

 frame 0-2  handshake (client ISN 3000000000, server ISN 700000)
 frame 3   C->S  INVITE segment 1
 frame 4   S->C  ACK 301
 frame 5   C->S  INVITE segment 3 (ahead of the hole)
 frame 6   S->C  duplicate ACK 301
 frame 7   C->S  INVITE segment 2: fills the hole, completes the INVITE
 frame 8   S->C  ACK (all)
 frame 9   S->C  SIP/2.0 200 OK with SDP answer
 frame 10  C->S  ACK (no data)
 frame 11  C->S  FIN   frame 12  S->C FIN   frame 13  C->S ACK

trawl must output, in order: INVITE (time of frame 7, the segment that
filled the hole, by the timestamp rule of reasm.h), 200 (frame 9).
Counted: out_of_order 1 (frame 5), flows_closed_fin 1; nothing lost.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 1 message, the 200 (frame 10); frame 6
(segment 3) shows as a SIP "Continuation" without start line and the INVITE
is never shown: tcp.reassemble_out_of_order is FALSE by default in 4.0, so
tshark does not hold segment 3 for later. With
-o tcp.reassemble_out_of_order:TRUE: 2, INVITE at frame 8 (our frame 7,
the same frame trawl stamps it with) and 200 at frame 10, as trawl.
"""
from streamlib import *

d = Dialog("tcpooo", uac4(41020), uas4(5060), transport="TCP")
a, b = d.a, d.b
inv = invite(d)
segs = chunks(inv, [300, 300])
assert len(segs) == 3 and b"\r\n\r\n" in segs[1][1]
frames = []
c = TcpConn(frames, a, b, 3000000000, 700000)
c.handshake()
base = c.nxt[a]
c.send_at(a, base + segs[0][0], segs[0][1])
c.ack(b, ack=base + 300)
c.send_at(a, base + segs[2][0], segs[2][1])
c.ack(b, ack=base + 300)
c.send_at(a, base + segs[1][0], segs[1][1])
c.nxt[a] = base + len(inv)
c.ack(b)
c.send(b, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True, body=sdp(b, 2890844527, 3456)))
c.ack(a)
c.fin(a)
c.fin(b)
c.ack(a)
write_pcap("tcp_3seg_ooo.pcap", LINKTYPE_ETHERNET, frames)
