#!/usr/bin/python3
"""gen_ws_midstream.py - writes ws_midstream.pcap: SIP over WebSocket
(RFC 7118) on TCP port 10443, 192.0.2.10:41100 <-> 198.51.100.20:10443,
captured after the connection and its HTTP Upgrade were set up: no SYN, no
GET, no 101. Client frames are masked, server frames are not (RFC 6455
section 5.3); each frame holds one SIP message (RFC 7118 section 5.2) and
starts at a segment boundary. Call-ID wsmid-a84b4c76e66710@atlanta.example.com,
Via SIP/2.0/WS.

 frame 0  C->S  masked text frame (16-bit length, key 9e4c2a71): INVITE with SDP
 frame 1  S->C  ACK
 frame 2  S->C  unmasked text frame: 100 Trying
 frame 3  S->C  unmasked text frame: 180 Ringing
 frame 4  C->S  ACK

A mid-stream reader cannot know from the bytes alone that this is
WebSocket; trawl resynchronises on a frame header whose (unmasked) payload
starts with a SIP start line (reasm.h).
trawl must output, in order: INVITE (frame 0), 100 (2), 180 (3), with the
websocket mark. Counted: midstream 2, ws_midstream 2 (both directions
switch to WebSocket by resynchronisation), ws_messages 3, resync_skipped 0,
nothing lost.

tshark 4.0.17 (-Y sip; frames numbered from 1): 0 messages with default
preferences and with -o tcp.desegment_tcp_streams:TRUE (without the
Upgrade tshark does not know the stream is WebSocket; it shows TCP data).
With -d tcp.port==10443,websocket it shows the WebSocket text frames,
unmasked, but no SIP (websocket.text_type defaults to "No subdissection").
With -d tcp.port==10443,websocket -o "websocket.text_type:As SIP": 3, as
trawl: INVITE (1), 100 (3), 180 (4).
"""
from streamlib import *

a = WsParty(uac4(41100), "k3b8x0qj2vd1.invalid")
b = WsParty(uas4(10443), None)
d = WsDialog("wsmid", a, b, transport="WS")
frames = []
c = TcpConn(frames, a, b, 0x3c0ffee0, 0x7a110000)
c.send(a, ws_frame(invite(d), WS_TEXT, mask=bytes.fromhex("9e4c2a71")))
c.ack(b)
c.send(b, ws_frame(response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False), WS_TEXT))
c.send(b, ws_frame(response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True), WS_TEXT))
c.ack(a)
write_pcap("ws_midstream.pcap", LINKTYPE_ETHERNET, frames)
