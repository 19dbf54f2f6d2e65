#!/usr/bin/python3
"""gen_tcp_many_segments.py - writes tcp_many_segments.pcap: one large
INVITE (3149 bytes, 2581 of them SDP) cut into 42 TCP segments of 8 to 200
bytes, in order,
192.0.2.10:41050 -> 198.51.100.20:5060, Call-ID
tcpmany-a84b4c76e66710@atlanta.example.com. The SDP offer is the size a
video phone or WebRTC gateway sends (audio and video, 15 codecs, ICE
candidates, SRTP crypto lines). Specs: RFC 3261 section 18.3 (a reader
must wait for the empty line and then for Content-Length body bytes),
RFC 9293 section 3.4.

Cut points that matter (byte offsets in the INVITE):
  320  inside the header name: "...Content-Le" | "ngth: 25" (an 8-byte
       segment)
  328  inside the value: "Content-Length: 25" | "81" (a reader that parses
       the number before its line ends reads 25). Content-Length sits in
       the middle of the headers (any order is legal, RFC 3261 7.3.1)
  567  inside the CRLFCRLF that ends the headers: "\\r\\n\\r" | "\\n"
Other cuts follow a fixed size pattern (8, 13, 200, 57, 120, ...).

 frame 0-2  handshake (client ISN 0x0badcafe, server ISN 0x00c0ffee)
 frames 3-54  the 42 INVITE segments, with an ACK from the server after
               every fourth one (frame 54 is the last INVITE segment)
 frame 55  S->C  100 Trying
 frame 56  C->S  ACK (no data)

trawl must output, in order: INVITE (frame 54, the last INVITE segment),
100 (frame 55). Counted: nothing lost, no gap, no resync.

tshark 4.0.17 (-Y sip; frames numbered from 1), default preferences and with
-o tcp.desegment_tcp_streams:TRUE: 2 messages, INVITE (55) and 100 (56), as
trawl.
"""
from streamlib import *

d = Dialog("tcpmany", uac4(41050), uas4(5060), transport="TCP")
a, b = d.a, d.b
body = big_sdp(d.a, 2890844526)
# Content-Length in the middle of the headers (any order is legal, RFC 3261
# 7.3.1), so that the value and the CRLFCRLF cuts are far apart.
inv = message("INVITE %s SIP/2.0" % d.b.aor, [
    d.via(1), "Max-Forwards: 70", d.to(False), d.from_(),
    "Call-ID: %s" % d.call_id, "CSeq: %d INVITE" % d.cseq,
    "Content-Length: %d" % len(body), "Contact: %s" % d.a.contact,
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, UPDATE, PRACK",
    "Supported: replaces, timer, 100rel", "Session-Expires: 1800",
    "User-Agent: trawl-golden-uac/1.0", "Content-Type: application/sdp"],
    body, clen=None)

clen = inv.index(b"Content-Length: ")
val = clen + len("Content-Length: ")
eoh = inv.index(b"\r\n\r\n")
forced = [clen + 10, val + 2, eoh + 3]
pattern = [8, 13, 200, 57, 120, 31, 199, 9, 88, 150, 64, 17, 176, 40, 111, 23]
cuts, pos, k = [], 0, 0
while True:
    pos += pattern[k % len(pattern)]
    k += 1
    if pos >= len(inv) - 8:
        break
    cuts.append(pos)
cuts = sorted(set([x for x in cuts if all(abs(x - f) >= 8 for f in forced)] + forced))
bounds = [0] + cuts + [len(inv)]
sizes = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
assert all(8 <= n <= 200 for n in sizes), sizes
assert inv[forced[0] - 10:forced[0]] == b"Content-Le" and inv[forced[2] - 3:forced[2] + 1] == b"\r\n\r\n"

frames = []
c = TcpConn(frames, a, b, 0x0badcafe, 0x00c0ffee)
c.handshake()
for i, (off, piece) in enumerate(chunks(inv, sizes[:-1])):
    last_inv = c.send(a, piece)
    if i % 4 == 3:
        c.ack(b)
f100 = c.send(b, response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False))
c.ack(a)
assert (len(inv), len(body), len(sizes), forced, last_inv, f100) == (3149, 2581, 42, [320, 328, 567], 54, 55)
write_pcap("tcp_many_segments.pcap", LINKTYPE_ETHERNET, frames)
