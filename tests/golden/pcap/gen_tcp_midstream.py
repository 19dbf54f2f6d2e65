#!/usr/bin/python3
"""gen_tcp_midstream.py - writes tcp_midstream.pcap: SIP over TCP picked up
in the middle of a connection (no SYN in the capture), 192.0.2.10:41010 <->
198.51.100.20:5060, Call-ID tcpmid-a84b4c76e66710@atlanta.example.com.
Specs: RFC 3261 section 18.3 (Content-Length frames messages on a stream),
RFC 9293 section 3.4 (sequence numbers are compared modulo 2^32).

The first captured segment is the tail of an INVITE: its last 120 bytes (the
end of the SDP body, lines like "a=rtpmap:..."), so its start line, Call-ID
and Content-Length were never seen. The client's sequence numbers start at
0xffffff00 and wrap past 2^32 inside the SIP ACK of frame 5. The UAS sends
no 100 Trying (allowed for a UAS, RFC 3261 section 17.2.1).

 frame 0  C->S  tail of the INVITE (120 bytes, seq 0xffffff00)
 frame 1  S->C  ACK (no data)
 frame 2  S->C  SIP/2.0 180 Ringing        (whole, first data from S)
 frame 3  C->S  ACK (no data)
 frame 4  S->C  SIP/2.0 200 OK, SDP answer (whole)
 frame 5  C->S  ACK sip:bob@...            (whole; seq wraps inside it)
 frame 6  S->C  ACK (no data)

trawl must output, in order: 180 (frame 2), 200 (frame 4), ACK (frame 5),
all Call-ID tcpmid-..., and nothing for frame 0. Counted: midstream 2 (both
directions picked up without a SYN), resync_skipped 120 (the INVITE tail),
no gap, no incomplete message (the capture ends between messages).

tshark 4.0.17 (tshark -r X -Y sip -T fields -e frame.number -e sip.Call-ID
-e sip.Method -e sip.Status-Code, default preferences; the same with
-o tcp.desegment_tcp_streams:TRUE; tshark numbers frames from 1): 3 messages,
the same as trawl: frame 3 180, frame 5 200, frame 6 ACK. Frame 1 also
matches -Y sip, as "Continuation" with no start line and no Call-ID (not a
message).
"""
from streamlib import *

d = Dialog("tcpmid", uac4(41010), uas4(5060), transport="TCP")
a, b = d.a, d.b
inv = invite(d)
tail = inv[-120:]
frames = []
c = TcpConn(frames, a, b, 0xffffff00, 0x5d2a9c41)
c.send(a, tail)
c.ack(b)
c.send(b, response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True))
c.ack(a)
c.send(b, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True, body=sdp(b, 2890844527, 3456)))
wrap_at = c.nxt[a]
c.send(a, ack(d))
assert wrap_at < 0x100000000 and c.nxt[a] < wrap_at  # the ACK crosses 2^32
c.ack(b)
write_pcap("tcp_midstream.pcap", LINKTYPE_ETHERNET, frames)
