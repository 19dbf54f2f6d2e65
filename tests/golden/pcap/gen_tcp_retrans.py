#!/usr/bin/python3
"""gen_tcp_retrans.py - writes tcp_retrans.pcap: a basic call over TCP
(192.0.2.10:41030 <-> 198.51.100.20:5060, Call-ID
tcpretx-a84b4c76e66710@atlanta.example.com) with three kinds of
retransmission. Specs: RFC 9293 section 3.10.7.4 (a segment's bytes before
the next expected sequence number are trimmed; first copy wins), 3.6 (FIN).

 frame 0-2  handshake (client ISN 0x7a3b0000, server ISN 0x1c2d0000)
 frame 3   C->S  INVITE (SDP, whole)
 frame 4   C->S  the same segment again: exact retransmission (same seq, bytes)
 frame 5   S->C  ACK
 frame 6   S->C  100 Trying
 frame 7   S->C  180 Ringing, its first 150 bytes
 frame 8   S->C  repacketized retransmission: starts at byte 60 of the 180
                 (90 bytes already seen in frame 7), then the rest of the 180
                 and the whole 200 OK with SDP (new bytes)
 frame 9   C->S  ACK
 frame 10  C->S  ACK (the SIP request)
 frame 11  C->S  BYE
 frame 12  S->C  200 OK (BYE)
 frame 13  C->S  FIN   frame 14  S->C FIN   frame 15  C->S ACK
 frame 16  S->C  frame 12 again, after both FINs (the server's retransmission
                 timer fired: it never saw the client's ACK)
 frame 17  C->S  duplicate ACK

trawl must output every message exactly once, in order: INVITE (frame 3),
100 (6), 180 (8), 200 INVITE (8), ACK (10), BYE (11), 200 BYE (12).
Counted: retransmissions 2 (frames 4 and 16; frame 16 arrives for a closed
direction but only repeats bytes before its FIN, so it is a retransmission,
not after_close), overlap_bytes 90 (frame 8), flows_closed_fin 1; nothing lost.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 5 messages, INVITE (4), 100 (7), ACK (11),
BYE (12), 200 BYE (13): the 180 and the 200 INVITE are missing. tshark
labels frame 9 "TCP Out-Of-Order" because it starts before the next
expected sequence number, and without out-of-order reassembly it neither
trims the 90 repeated bytes nor adds the new ones to the 150 bytes pending
from frame 8. With -o tcp.reassemble_out_of_order:TRUE: all 7, the 180 and
the 200 INVITE both at frame 9, as trawl. Frames 5 and 17 (the exact
retransmissions) are never shown as SIP.
"""
from streamlib import *

d = Dialog("tcpretx", uac4(41030), uas4(5060), transport="TCP")
a, b = d.a, d.b
r180 = response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True)
r200 = response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True, body=sdp(b, 2890844527, 3456))
frames = []
c = TcpConn(frames, a, b, 0x7a3b0000, 0x1c2d0000)
c.handshake()
seq_inv = c.nxt[a]
inv = invite(d)
c.send(a, inv)
c.send_at(a, seq_inv, inv)                       # exact retransmission
c.ack(b)
c.send(b, response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False))
seq_180 = c.nxt[b]
c.send(b, r180[:150])
c.send_at(b, seq_180 + 60, r180[60:] + r200)     # 90 old bytes, then new ones
c.nxt[b] = seq_180 + len(r180) + len(r200)
c.ack(a)
c.send(a, ack(d))
c.send(a, bye(d))
seq_200bye = c.nxt[b]
r200bye = response(d, 200, "OK", 3, "BYE", d.cseq + 1)
c.send(b, r200bye)
c.fin(a)
c.fin(b)
c.ack(a)
c.send_at(b, seq_200bye, r200bye)                # retransmission after FIN
c.ack(a)
write_pcap("tcp_retrans.pcap", LINKTYPE_ETHERNET, frames)
