#!/usr/bin/python3
"""gen_tcp_gap.py - writes tcp_gap.pcap: four SIP requests from the client
over TCP, 192.0.2.10:41060 -> 198.51.100.20:5060, where one segment in the
middle of request 2 was never captured (capture loss: the server's ACK
covers it). Specs: RFC 9293 section 3.4 (the hole is sequence space never
seen), RFC 3261 section 18.3 (without the lost bytes, request 2's
Content-Length is unknown, so framing must resynchronise on the next start
line).

Call-IDs (...-a84b4c76e66710@atlanta.example.com): tcpgap-1 OPTIONS,
tcpgap-2 INVITE with SDP (762 bytes), tcpgap-3 BYE, tcpgap-4 MESSAGE.

The INVITE is cut at bytes 350 and 600. Bytes 350-599 (250 bytes: the end
of the headers with Content-Type, Content-Length, the CRLFCRLF and the
first 76 bytes of the SDP) are missing. Frame 6 holds the INVITE's last
162 bytes (SDP lines only) and then the whole BYE.

 frame 0-2  handshake (client ISN 0x60000000, server ISN 0x10000000)
 frame 3   C->S  OPTIONS (tcpgap-1)
 frame 4   S->C  200 OK (OPTIONS)
 frame 5   C->S  INVITE bytes 0-349 (start line and most headers)
           -     INVITE bytes 350-599: not in the capture
 frame 6   C->S  INVITE bytes 600-end + BYE (tcpgap-3)
 frame 7   S->C  ACK of everything, the missing bytes included
 frame 8   C->S  MESSAGE (tcpgap-4, text body)
 frame 9   S->C  ACK
 frame 10  C->S  FIN   frame 11  S->C FIN   frame 12  C->S ACK

trawl must output, in order: OPTIONS tcpgap-1 (frame 3), 200 tcpgap-1
(frame 4), BYE tcpgap-3, MESSAGE tcpgap-4 (the last two only once the hole
is given up: at the latest at end of input, when they are delivered
flushed, stamped with the client direction's last segment, frame 12; BYE
is the first message after the resync, after_gap). The INVITE tcpgap-2 is
never output. Counted: gaps 1, gap_bytes 250, incomplete 1 (the INVITE's
first 350 bytes), resync_skipped 162 (the INVITE's tail before the BYE
start line), out_of_order 2 (frames 6 and 8 wait behind the hole; so does
the client's FIN, which therefore never closes the flow: no
flows_closed_fin).

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 3 messages, OPTIONS (4), 200 (5), MESSAGE
(9). Frame 7 (our 6) is a SIP "Continuation" with no start line: tshark
dissects it from its first byte and does not look for a start line inside
it, so the BYE tcpgap-3 is missed (trawl resynchronises and finds it).
With -o tcp.reassemble_out_of_order:TRUE: 2, OPTIONS and 200 only (it
waits for the hole to the end of the file, so the MESSAGE is lost too).
"""
from streamlib import *

a, b = uac4(41060), uas4(5060)
d1 = Dialog("tcpgap-1", a, b, transport="TCP")
d2 = Dialog("tcpgap-2", a, b, transport="TCP")
d3 = Dialog("tcpgap-3", a, b, transport="TCP")
d4 = Dialog("tcpgap-4", a, b, transport="TCP")
inv = invite(d2)
eoh = inv.index(b"\r\n\r\n")
assert 350 < inv.index(b"Content-Length") and eoh + 4 < 600 < len(inv)
frames = []
c = TcpConn(frames, a, b, 0x60000000, 0x10000000)
c.handshake()
c.send(a, options(d1))
c.send(b, response(d1, 200, "OK", 1, "OPTIONS", 1, contact=True))
base = c.nxt[a]
c.send(a, inv[:350])
c.nxt[a] = base + 600                 # bytes 350-599 are never captured
c.send(a, inv[600:] + bye(d3))
c.ack(b)
c.send(a, message_req(d4, "Call me back when you can."))
c.ack(b)
c.fin(a)
c.fin(b)
c.ack(a)
write_pcap("tcp_gap.pcap", LINKTYPE_ETHERNET, frames)
