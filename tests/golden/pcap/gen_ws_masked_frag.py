#!/usr/bin/python3
"""gen_ws_masked_frag.py - writes ws_masked_frag.pcap: SIP over WebSocket
(RFC 7118) on TCP port 8080, 192.0.2.10:41090 <-> 198.51.100.20:8080, from
the TCP handshake and the HTTP Upgrade to the close handshake, with masked
client frames, a message fragmented around a control frame, a binary
message, and frames cut across TCP segments at awkward places. Specs: RFC
6455 sections 4.1/4.2.2 (handshake), 5.2 (framing; every SIP message here
is over 125 bytes, so each data frame uses the 16-bit extended length),
5.3 (masking), 5.4 (fragmentation; control frames in between), 5.5
(close, ping, pong); RFC 7118 section 5 (one SIP message per WebSocket
message, text or binary; Via SIP/2.0/WS).

Call-IDs: wsfrag-reg-a84b4c76e66710@atlanta.example.com (REGISTER),
wsfrag-call-a84b4c76e66710@atlanta.example.com (INVITE).
WS frames (C->S masked, each with its own fixed key; S->C unmasked):
  W1  C text         REGISTER (548 bytes)
  W2  S text         200 OK (REGISTER)
  W3  C text FIN=0   INVITE bytes 0-199        \\
  W4  C cont FIN=0   INVITE bytes 200-499       } one INVITE (785 bytes)
  W5  C ping         "keepalive" (9 bytes)      } (control frame in between)
  W6  C cont FIN=1   INVITE bytes 500-end      /
  W7  S pong         "keepalive"
  W8  S text         100 Trying
  W9  S binary       200 OK (INVITE) with SDP
  W10 C text         ACK
  W11 C close 1000   W12 S close 1000

 frame 0-2  TCP handshake (client ISN 0x51a00000, server ISN 0x0fe00000)
 frame 3   C->S  GET / HTTP/1.1, Upgrade: websocket, Sec-WebSocket-Protocol: sip
 frame 4   S->C  HTTP/1.1 101 Switching Protocols (Sec-WebSocket-Accept matches)
 frame 5   C->S  ACK
 frame 6   C->S  W1 byte 0 only: cut inside the 2-byte frame header
 frame 7   C->S  W1 rest                          -> REGISTER complete
 frame 8   S->C  W2                               -> 200 REGISTER
 frame 9   C->S  W3 bytes 0-2: cut inside the 16-bit extended length
 frame 10  C->S  W3 rest + W4 bytes 0-5: cut inside W4's mask key
 frame 11  S->C  ACK
 frame 12  C->S  W4 rest + W5 (ping) + W6 bytes 0-19
 frame 13  C->S  W6 rest                          -> INVITE complete
 frame 14  S->C  W7 (pong) + W8 in one segment    -> 100
 frame 15  S->C  W9 bytes 0-299
 frame 16  S->C  W9 rest                          -> 200 INVITE
 frame 17  C->S  W10                              -> ACK
 frame 18  C->S  W11 (close)   frame 19  S->C  W12 (close)
 frame 20  S->C  FIN (the server closes TCP first, RFC 6455 7.1.1)
 frame 21  C->S  FIN   frame 22  S->C  ACK

trawl must output 6 messages, in order, each once, transport tcp with the
websocket mark (reasm.h: websocket, data unmasked): REGISTER wsfrag-reg
(frame 7), 200 REGISTER (8), INVITE wsfrag-call (13), 100 (14), 200 INVITE
(16, from the binary frame), ACK (17); nothing for the GET, the 101 or the
control frames. Counted: ws_upgrades 2 (both directions), ws_messages 6,
ws_control_frames 4 (ping, pong, 2 close), no ws_errors, nothing lost,
flows_closed_fin 1.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences, with
-o tcp.desegment_tcp_streams:TRUE and with -d tcp.port==8080,http (8080 is
already an HTTP port to tshark, which follows the Upgrade and picks SIP from
Sec-WebSocket-Protocol): 6 messages, as trawl: REGISTER (8), 200 (9),
INVITE (14), 100 (15), 200 (17), ACK (18).
"""
from streamlib import *

a = WsParty(uac4(41090), "df7jal23ls0d.invalid")
b = WsParty(uas4(8080), None)
reg = WsDialog("wsfrag-reg", a, b, transport="WS")
call = WsDialog("wsfrag-call", a, b, transport="WS")
key = ws_key(bytes(range(0x41, 0x51)))
K = [bytes.fromhex(h) for h in ("37fa213d", "5a1c9e07", "c3b2a1f4", "7e3d19a8", "2b9fe461",
                                 "a5c7d3e9", "19f0b8c6")]
regm, invm = register(reg), invite(call)
w1 = ws_frame(regm, WS_TEXT, mask=K[0])
w2 = ws_frame(register_ok(reg), WS_TEXT)
w3 = ws_frame(invm[:200], WS_TEXT, fin=False, mask=K[1])
w4 = ws_frame(invm[200:500], WS_CONT, fin=False, mask=K[2])
w5 = ws_frame(b"keepalive", WS_PING, mask=K[3])
w6 = ws_frame(invm[500:], WS_CONT, fin=True, mask=K[4])
w7 = ws_frame(b"keepalive", WS_PONG)
w8 = ws_frame(response(call, 100, "Trying", 1, "INVITE", call.cseq, tagged=False), WS_TEXT)
w9 = ws_frame(response(call, 200, "OK", 1, "INVITE", call.cseq, contact=True,
                       body=sdp(b, 2890844527, 3456)), WS_BINARY)
w10 = ws_frame(ack(call), WS_TEXT, mask=K[5])
w11 = ws_frame(ws_close_payload(1000), WS_CLOSE, mask=K[6])
w12 = ws_frame(ws_close_payload(1000), WS_CLOSE)
for w in (w1, w2, w3, w4, w6, w8, w9, w10):
    assert w[1] & 0x7f == 126  # 16-bit extended length

frames = []
c = TcpConn(frames, a, b, 0x51a00000, 0x0fe00000)
c.handshake()
c.send(a, ws_upgrade_request("proxy.atlanta.example.com:8080", key))
c.send(b, ws_upgrade_response(key))
c.ack(a)
c.send(a, w1[:1])
c.send(a, w1[1:])
c.send(b, w2)
c.send(a, w3[:3])
c.send(a, w3[3:] + w4[:6])
c.ack(b)
c.send(a, w4[6:] + w5 + w6[:20])
c.send(a, w6[20:])
c.send(b, w7 + w8)
c.send(b, w9[:300])
c.send(b, w9[300:])
c.send(a, w10)
c.send(a, w11)
c.send(b, w12)
c.fin(b)
c.fin(a)
c.ack(b)
write_pcap("ws_masked_frag.pcap", LINKTYPE_ETHERNET, frames)
