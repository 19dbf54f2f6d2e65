#!/usr/bin/python3
"""gen_ws_ipv6_port443.py - writes ws_ipv6_port443.pcap: a short SIP over
WebSocket exchange on IPv6, TCP port 443, [2001:db8::10]:41110 <->
[2001:db8:0:1::20]:443. On the wire this would be WSS (TLS); the capture
holds the plain bytes, as one taken behind a TLS terminator does, so the
Via says WSS and the Contact ;transport=wss (RFC 7118 section 5.2). Specs:
RFC 6455 sections 4.1/4.2.2 (Upgrade handshake), 5.2, 5.3 (masked client
frames), 5.5.1 (close); RFC 7118 section 5; RFC 8200.

Call-ID wsv6-a84b4c76e66710@atlanta.example.com.

 frame 0-2  TCP handshake (client ISN 0x00ab0000, server ISN 0xcd000000)
 frame 3   C->S  GET /sip HTTP/1.1 (Upgrade: websocket, Sec-WebSocket-Protocol: sip)
 frame 4   S->C  HTTP/1.1 101 Switching Protocols
 frame 5   C->S  masked text frame (key 6d2f8e13): OPTIONS
 frame 6   S->C  unmasked text frame: 200 OK (OPTIONS)
 frame 7   C->S  masked close 1000   frame 8  S->C  close 1000
 frame 9   S->C  FIN   frame 10  C->S  FIN   frame 11  S->C  ACK

trawl must output, in order: OPTIONS (frame 5), 200 (frame 6), family 6,
with the websocket mark. Counted: ws_upgrades 2, ws_messages 2,
ws_control_frames 2, flows_closed_fin 1; nothing lost.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences, with
-o tcp.desegment_tcp_streams:TRUE and with -d tcp.port==443,http: 2
messages, as trawl: OPTIONS (6), 200 (7). (Its TLS dissector on 443 sees
no TLS record and the GET is found as HTTP; the Upgrade does the rest.)
"""
from streamlib import *

a = WsParty(uac6(41110), "p7r2vk1m0c4z.invalid", transport="wss")
b = WsParty(uas6(443), None, transport="wss")
d = WsDialog("wsv6", a, b, transport="WSS")
key = ws_key(bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0"))
frames = []
c = TcpConn(frames, a, b, 0x00ab0000, 0xcd000000)
c.handshake()
c.send(a, ws_upgrade_request("edge.biloxi.example.com", key, path="/sip"))
c.send(b, ws_upgrade_response(key))
c.send(a, ws_frame(options(d), WS_TEXT, mask=bytes.fromhex("6d2f8e13")))
c.send(b, ws_frame(response(d, 200, "OK", 1, "OPTIONS", 1, contact=True), WS_TEXT))
c.send(a, ws_frame(ws_close_payload(1000), WS_CLOSE, mask=bytes.fromhex("b1c2d3e4")))
c.send(b, ws_frame(ws_close_payload(1000), WS_CLOSE))
c.fin(b)
c.fin(a)
c.ack(b)
write_pcap("ws_ipv6_port443.pcap", LINKTYPE_ETHERNET, frames)
