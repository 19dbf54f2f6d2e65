#!/usr/bin/env python3
"""Writes the seed corpora for fuzz_tcp_stream and fuzz_websocket.

tcp_stream seeds are segment scripts (see fuzz_tcp_stream.c):
ctl, flags, seq delta (be16), len, payload."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def invite(cid, body=b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"):
    return (b"INVITE sip:bob@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK" + cid + b"\r\n"
            b"From: <sip:alice@x>;tag=1\r\nTo: <sip:bob@x>\r\n"
            b"Call-ID: " + cid + b"\r\nCSeq: 1 INVITE\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def options(cid):
    return (b"OPTIONS sip:bob@x SIP/2.0\r\ni: " + cid +
            b"\r\nCSeq: 2 OPTIONS\r\nl: 0\r\n\r\n")


def seg(payload=b"", flags=ACK, delta=0, dir=0, flow=0, secs=0):
    out = b""
    # payloads longer than 255 are cut into several in-order segments
    while True:
        part, payload = payload[:255], payload[255:]
        out += bytes([dir | flow << 1 | secs << 3, flags]) + struct.pack(">hB", delta, len(part)) + part
        if not payload:
            return out
        delta = 0


def chunks(b, n):
    return [b[i:i + n] for i in range(0, len(b), n)]


def write(sub, name, data):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tcp():
    hs = seg(flags=SYN, delta=-1) + seg(flags=SYN | ACK, dir=1, delta=-1) + seg()
    m = invite(b"a1")
    write("tcp_stream", "in_order", hs + seg(m, PSH | ACK) + seg(flags=FIN | ACK) + seg(flags=FIN | ACK, dir=1))
    five = invite(b"f1") + options(b"f2") + b"\r\n\r\n" + invite(b"f3") + options(b"f4") + options(b"f5")
    write("tcp_stream", "five_in_one", hs + seg(five[:255]) + seg(five[255:]))
    a, b, c = m[:100], m[100:200], m[200:]
    write("tcp_stream", "ooo_middle", hs + seg(a) + seg(c, delta=len(b)) + seg(b, delta=-len(b) - len(c)))
    write("tcp_stream", "retransmission", hs + seg(a) + seg(a, delta=-len(a)) + seg(b + c))
    write("tcp_stream", "midstream", seg(m[150:]) + seg(options(b"m2")))
    write("tcp_stream", "gap", hs + seg(a) + seg(c + options(b"g2"), delta=len(b)) + seg(flags=RST, dir=1))
    write("tcp_stream", "bytewise", hs + b"".join(seg(x) for x in chunks(options(b"bw"), 1)))
    resp = b"SIP/2.0 200 OK\r\ni: r1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
    write("tcp_stream", "two_dirs_flows", hs + seg(m[:90]) + seg(resp, dir=1) + seg(m[90:]) +
          seg(options(b"x2"), flow=1) + seg(options(b"x3"), flow=2, secs=31))
    write("tcp_stream", "too_big", hs + seg(b"MESSAGE sip:b@x SIP/2.0\r\ni: big\r\nCSeq: 1 MESSAGE\r\nl: 5000\r\n\r\n"
                                            + b"z" * 5000 + options(b"after")))


def ws_frame(payload, op=1, fin=True, mask=None):
    h = bytes([(0x80 if fin else 0) | op])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        h += bytes([m | n])
    elif n < 65536:
        h += bytes([m | 126]) + struct.pack(">H", n)
    else:
        h += bytes([m | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(x ^ mask[i % 4] for i, x in enumerate(payload))
        h += mask
    return h + payload


def ws():
    up = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n"
          b"Sec-WebSocket-Version: 13\r\n\r\n")
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Protocol: sip\r\n\r\n")
    m = options(b"ws1")
    k = b"\x12\x34\x56\x78"
    write("websocket", "upgrade_request", up + ws_frame(m, mask=k))
    write("websocket", "upgrade_response", resp + ws_frame(m))
    write("websocket", "masked_fragmented", ws_frame(m[:20], fin=False, mask=k) + ws_frame(b"hi", op=9, mask=k) +
          ws_frame(m[20:], op=0, mask=b"\x01\x02\x03\x04"))
    write("websocket", "len16", ws_frame(invite(b"w16"), op=2))
    write("websocket", "len64", bytes([0x82, 127]) + struct.pack(">Q", len(m)) + m)
    write("websocket", "close", ws_frame(b"\x03\xe8", op=8))
    write("websocket", "truncated", ws_frame(invite(b"tr"))[:60])


if __name__ == "__main__":
    tcp()
    ws()
