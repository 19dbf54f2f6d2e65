#!/usr/bin/python3
"""gen_tcp_5in1.py - writes tcp_5in1.pcap: SIP over TCP between two proxies
(a trunk: both sides send requests and responses on one connection, RFC
5923 style reuse), 192.0.2.10:41040 <-> 198.51.100.20:5061, with five
messages in one segment, four in another, and RFC 5626 section 3.5.1
keep-alives (CRLFCRLF ping, CRLF pong) between messages. Specs: RFC 3261
section 18.3 (Content-Length frames each message; the compact form "l:",
section 7.3.3) and 7.5 (CRLFs before a start line are ignored).

Port 5061 carries plain text here: a capture taken behind a TLS terminator
(an SBC's decrypted mirror), which is also why the Vias say TLS.

Call-IDs (all ...-a84b4c76e66710@atlanta.example.com): tcp5in1-peer (the
server's OPTIONS), tcp5in1-call (INVITE, answered 100 then 486),
tcp5in1-msg (MESSAGE, every header compact: v: t: f: i: c: l:, 16-byte
text body), tcp5in1-old (BYE of a call set up before the capture),
tcp5in1-opt (the client's OPTIONS).

 frame 0-2  handshake (client ISN 1234567, server ISN 0x89abcdef)
 frame 3   C->S  CRLFCRLF (ping)
 frame 4   S->C  CRLF (pong)
 frame 5   S->C  OPTIONS (tcp5in1-peer)
 frame 6   C->S  ACK
 frame 7   C->S  ONE segment, 5 messages: 200 OK (peer OPTIONS), INVITE
                 (SDP body), MESSAGE (compact, l: 16), BYE (old), OPTIONS (opt)
 frame 8   S->C  ACK
 frame 9   S->C  ONE segment: CRLF, then 100 Trying (call), 200 OK (MESSAGE),
                 200 OK (BYE), 200 OK (OPTIONS)
 frame 10  C->S  CRLFCRLF (ping)   frame 11  S->C  CRLF (pong)
 frame 12  S->C  486 Busy Here (call)
 frame 13  C->S  ACK (call, non-2xx ACK: the INVITE's branch)
 frame 14  C->S  FIN   frame 15  S->C FIN   frame 16  C->S ACK

trawl must output 12 messages, in order: OPTIONS peer (frame 5); from
frame 7: 200 OPTIONS peer, INVITE call, MESSAGE msg, BYE old, OPTIONS opt;
from frame 9: 100 call, 200 MESSAGE msg, 200 BYE old, 200 OPTIONS opt;
486 call (12), ACK call (13). Counted: keepalive_bytes 14 (4+2+2+4+2),
flows_closed_fin 1; nothing lost, no resync.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 0 messages. 5061 is tshark's SIP-over-TLS
port, so the plain text is shown as "SSL Continuation Data". With
-d tcp.port==5061,sip: 8 messages, OPTIONS peer (6), the five of frame 8,
486 (13), ACK (14); the four responses of frame 10 (our frame 9) are
missing: tshark does not dissect a segment that starts with a CRLF before
the start line (RFC 3261 section 7.5 says to ignore such CRLFs). trawl
outputs all 12.
"""
from streamlib import *

a, b = uac4(41040), uas4(5061)
peer = Dialog("tcp5in1-peer", b, a, transport="TLS")
call = Dialog("tcp5in1-call", a, b, transport="TLS")
msg = Dialog("tcp5in1-msg", a, b, transport="TLS")
old = Dialog("tcp5in1-old", a, b, transport="TLS")
opt = Dialog("tcp5in1-opt", a, b, transport="TLS")

five = (response(peer, 200, "OK", 1, "OPTIONS", 1, contact=True) + invite(call) +
        message_req(msg, "Meeting at 10:00", compact=True) + bye(old) + options(opt))
four = (b"\r\n" + response(call, 100, "Trying", 1, "INVITE", call.cseq, tagged=False) +
        response(msg, 200, "OK", 1, "MESSAGE", 1) + response(old, 200, "OK", 3, "BYE", old.cseq + 1) +
        response(opt, 200, "OK", 1, "OPTIONS", 1, contact=True))
assert b"\r\nl: 16\r\n" in five
frames = []
c = TcpConn(frames, a, b, 1234567, 0x89abcdef)
c.handshake()
c.send(a, b"\r\n\r\n")
c.send(b, b"\r\n")
c.send(b, options(peer))
c.ack(a)
c.send(a, five)
c.ack(b)
c.send(b, four)
c.send(a, b"\r\n\r\n")
c.send(b, b"\r\n")
c.send(b, response(call, 486, "Busy Here", 1, "INVITE", call.cseq))
c.send(a, ack(call, n=1))
c.fin(a)
c.fin(b)
c.ack(a)
write_pcap("tcp_5in1.pcap", LINKTYPE_ETHERNET, frames)
