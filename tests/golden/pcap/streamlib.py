"""streamlib.py - what the SIP-over-TCP and SIP-over-WebSocket generators
(gen_tcp_*.py, gen_ws_*.py) share, on top of goldenlib.py: a TCP connection
that hands out sequence and acknowledgement numbers, WebSocket frames and the
HTTP Upgrade handshake, and the SIP messages goldenlib.py lacks (REGISTER,
MESSAGE, responses to the UAS's own requests).

Specs: RFC 9293 section 3.4 (sequence numbers: SYN and FIN take one each,
data starts at ISN + 1), 3.5.2 (RST); RFC 3261 section 18.3 (on a stream
Content-Length frames the message), RFC 5626 section 3.5.1 (CRLFCRLF "ping",
CRLF "pong" keep-alives); RFC 6455 section 1.3/4.2.2 (Sec-WebSocket-Accept =
base64(SHA-1(key + GUID))), 5.2 (frame header), 5.3 (client frames masked,
server frames not), 5.4 (fragments, control frames interleaved), 5.5.1
(close frame: 2-byte status code); RFC 7118 section 5 (Via transport WS/WSS,
Contact ;transport=ws, the .invalid Via host of its section 8 examples).

Deterministic like goldenlib.py: ISNs, mask keys and WebSocket keys are
fixed by the generator; frame i is stamped ts(i). Everything here only adds
to goldenlib.py, so the UDP captures do not change.
"""

import base64
import hashlib
import struct

from scapy.all import raw
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6

from goldenlib import *  # noqa: F401,F403  (re-exported for the generators)
from goldenlib import Dialog, Party, eth, message, ts

MASK32 = 0xFFFFFFFF


# ------------------------------------------------------------------ TCP

class TcpConn:
    """One TCP connection between Party a (client) and Party b (server),
    appending Ethernet frames to a shared list (frame i is stamped ts(i), so
    several connections can share one capture).

    nxt[p] is the next sequence number p will send. send() uses it and
    advances it; send_at() writes at an explicit sequence number and does not
    advance (retransmissions, out-of-order segments, holes). Acknowledgement
    numbers default to the peer's nxt (the receiver got everything), or are
    given explicitly where a receiver would still be waiting for a hole."""

    def __init__(self, frames, a, b, isn_a, isn_b, window=64240):
        self.frames, self.a, self.b = frames, a, b
        self.isn = {a: isn_a & MASK32, b: isn_b & MASK32}
        self.nxt = {a: isn_a & MASK32, b: isn_b & MASK32}
        self.window = window

    def peer(self, s):
        return self.b if s is self.a else self.a

    def emit(self, s, flags, seq, payload=b"", ack=None, opts=()):
        """Appends one segment from s; returns its frame index."""
        r = self.peer(s)
        if ack is None:
            ack = self.nxt[r] if "A" in flags else 0
        tcp = TCP(sport=s.port, dport=r.port, flags=flags, seq=seq & MASK32,
                  ack=ack & MASK32, window=self.window, options=list(opts))
        if s.v6:
            pkt = IPv6(src=s.ip, dst=r.ip, hlim=64) / tcp / payload
        else:
            pkt = IP(src=s.ip, dst=r.ip, id=0x1000 + len(self.frames), ttl=64,
                     flags="DF") / tcp / payload
        self.frames.append((ts(len(self.frames)), eth(s, r, raw(pkt))))
        return len(self.frames) - 1

    def handshake(self):
        """SYN, SYN/ACK, ACK (MSS 1460): frame indexes."""
        a, b = self.a, self.b
        f0 = self.emit(a, "S", self.isn[a], opts=[("MSS", 1460)])
        self.nxt[a] = (self.isn[a] + 1) & MASK32
        f1 = self.emit(b, "SA", self.isn[b], opts=[("MSS", 1460)])
        self.nxt[b] = (self.isn[b] + 1) & MASK32
        f2 = self.emit(a, "A", self.nxt[a])
        return f0, f1, f2

    def send(self, s, payload, flags="PA", ack=None):
        """payload at s's next sequence number; advances it."""
        f = self.emit(s, flags, self.nxt[s], payload, ack=ack)
        self.nxt[s] = (self.nxt[s] + len(payload)) & MASK32
        return f

    def send_at(self, s, seq, payload, flags="PA", ack=None):
        """payload at an explicit sequence number; nxt is not changed."""
        return self.emit(s, flags, seq, payload, ack=ack)

    def ack(self, s, ack=None):
        return self.emit(s, "A", self.nxt[s], ack=ack)

    def fin(self, s):
        f = self.emit(s, "FA", self.nxt[s])
        self.nxt[s] = (self.nxt[s] + 1) & MASK32
        return f

    def rst(self, s):
        """RST/ACK at s's next sequence number (an abortive close, RFC 9293 3.6)."""
        return self.emit(s, "RA", self.nxt[s])


def chunks(data, sizes):
    """Cuts data into pieces of the given sizes (the last piece takes the
    rest): [(offset, bytes)]."""
    out, off = [], 0
    for n in sizes:
        out.append((off, data[off:off + n]))
        off += n
    if off < len(data):
        out.append((off, data[off:]))
    assert b"".join(c for _, c in out) == data
    return out


# ------------------------------------------------------------------ WebSocket

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

WS_CONT, WS_TEXT, WS_BINARY = 0x0, 0x1, 0x2
WS_CLOSE, WS_PING, WS_PONG = 0x8, 0x9, 0xA


def ws_key(seed16):
    """Sec-WebSocket-Key from 16 fixed bytes (RFC 6455 4.1: base64 of a
    16-byte nonce; here not random, so the capture is reproducible)."""
    assert len(seed16) == 16
    return base64.b64encode(seed16).decode()


def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_upgrade_request(host, key, path="/", origin="https://www.example.com"):
    """The client's opening handshake (RFC 6455 4.1, RFC 7118 4.1)."""
    return ("GET %s HTTP/1.1\r\n"
            "Host: %s\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\n"
            "Origin: %s\r\n"
            "Sec-WebSocket-Protocol: sip\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n" % (path, host, key, origin)).encode()


def ws_upgrade_response(key):
    """The server's 101 (RFC 6455 4.2.2, RFC 7118 4.1)."""
    return ("HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: %s\r\n"
            "Sec-WebSocket-Protocol: sip\r\n"
            "\r\n" % ws_accept(key)).encode()


def ws_mask(data, key):
    return bytes(c ^ key[i & 3] for i, c in enumerate(data))


def ws_frame(payload, opcode=WS_TEXT, fin=True, mask=None):
    """One frame (RFC 6455 5.2) in the shortest length form; mask: 4 bytes
    (client to server) or None (server to client)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if mask is not None else 0
    if n < 126:
        hdr = bytes([b0, mbit | n])
    elif n < 65536:
        hdr = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask is not None:
        assert len(mask) == 4
        hdr += bytes(mask)
        payload = ws_mask(payload, mask)
    return hdr + payload


def ws_close_payload(code=1000, reason=b""):
    return struct.pack(">H", code) + reason


class WsParty(Party):
    """A SIP endpoint reached over WebSocket: its Contact names ;transport=ws
    (or wss) and, for a client, the .invalid host of RFC 7118 section 8
    (invalid_host None: the server, whose Contact is its address)."""

    def __init__(self, base, invalid_host, transport="ws"):
        Party.__init__(self, base.ip, base.port, base.user, base.domain, base.mac, base.name)
        self.invalid_host, self.ws_transport = invalid_host, transport

    @property
    def contact(self):
        return "<sip:%s@%s;transport=%s>" % (self.user, self.invalid_host or self.hostport,
                                             self.ws_transport)


class WsDialog(Dialog):
    """A Dialog whose Via names the WS (or WSS) transport and the client's
    .invalid host (RFC 7118 section 5.2 and the section 8 examples)."""

    def via(self, n):
        return "Via: SIP/2.0/%s %s;branch=%s" % (self.transport, self.a.invalid_host, self.branch(n))

    def via_resp(self, n):
        return ("Via: SIP/2.0/%s %s;branch=%s;received=%s"
                % (self.transport, self.a.invalid_host, self.branch(n), self.a.ip))


# ------------------------------------------------------------------ more SIP

def register(d, n=1, cseq=1, expires=600, instance="urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"):
    """REGISTER of the Dialog's UAC (RFC 3261 10.2; RFC 5626 reg-id and
    +sip.instance as in the RFC 7118 section 8.1 example)."""
    return message("REGISTER sip:%s SIP/2.0" % d.a.domain, [
        d.via(n), "Max-Forwards: 70",
        'To: "%s" <%s>' % (d.a.name, d.a.aor), d.from_(),
        "Call-ID: %s" % d.call_id, "CSeq: %d REGISTER" % cseq,
        'Contact: %s;reg-id=1;+sip.instance="<%s>"' % (d.a.contact, instance),
        "Expires: %d" % expires, "Supported: path, outbound, gruu",
        "User-Agent: trawl-golden-uac/1.0"])


def register_ok(d, n=1, cseq=1, expires=600):
    return message("SIP/2.0 200 OK", [
        d.via_resp(n), d.from_(),
        'To: "%s" <%s>;tag=%s' % (d.a.name, d.a.aor, d.to_tag),
        "Call-ID: %s" % d.call_id, "CSeq: %d REGISTER" % cseq,
        "Contact: %s;expires=%d" % (d.a.contact, expires),
        "Require: outbound", "Supported: path, outbound, gruu",
        "Server: trawl-golden-registrar/1.0"])


def message_req(d, text, n=1, cseq=1, compact=False):
    """MESSAGE (RFC 3428) with a text/plain body; compact=True writes every
    header that has one in its compact form (RFC 3261 7.3.3), including
    'l:' for Content-Length."""
    body = text.encode() if isinstance(text, str) else text
    if not compact:
        return message("MESSAGE %s SIP/2.0" % d.b.aor, [
            d.via(n), "Max-Forwards: 70", d.to(False), d.from_(),
            "Call-ID: %s" % d.call_id, "CSeq: %d MESSAGE" % cseq,
            "User-Agent: trawl-golden-uac/1.0", "Content-Type: text/plain"], body)
    return message("MESSAGE %s SIP/2.0" % d.b.aor, [
        "v: " + d.via(n)[len("Via: "):], "Max-Forwards: 70",
        "t: " + d.to(False)[len("To: "):], "f: " + d.from_()[len("From: "):],
        "i: %s" % d.call_id, "CSeq: %d MESSAGE" % cseq,
        "User-Agent: trawl-golden-uac/1.0", "c: text/plain"], body, clen_name="l")


def big_sdp(p, sess_id):
    """An offer of about 2.3 kB: audio and video with many codecs, ICE
    candidates (RFC 8839) and SRTP crypto lines (RFC 4568), the size a
    WebRTC gateway or a video phone sends."""
    fam = "IP6" if p.v6 else "IP4"
    lines = ["v=0", "o=%s %d %d IN %s %s" % (p.user, sess_id, sess_id, fam, p.ip),
             "s=-", "c=IN %s %s" % (fam, p.ip), "t=0 0",
             "a=ice-ufrag:8hhY", "a=ice-pwd:asd88fgpdd777uzjYhagZg",
             "a=group:BUNDLE audio video"]
    audio = [(111, "opus/48000/2"), (9, "G722/8000"), (0, "PCMU/8000"), (8, "PCMA/8000"),
             (18, "G729/8000"), (3, "GSM/8000"), (101, "telephone-event/8000")]
    lines.append("m=audio 49170 RTP/SAVP " + " ".join(str(pt) for pt, _ in audio))
    lines.append("a=mid:audio")
    for pt, enc in audio:
        lines.append("a=rtpmap:%d %s" % (pt, enc))
    lines += ["a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:18 annexb=no", "a=fmtp:101 0-16",
              "a=ptime:20", "a=sendrecv", "a=rtcp-mux"]
    for k in range(1, 4):
        lines.append("a=crypto:%d AES_CM_128_HMAC_SHA1_%d inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz%02d"
                     % (k, 80 if k != 2 else 32, k))
    for k in range(6):
        lines.append("a=candidate:%d 1 UDP %d %s %d typ host"
                     % (k + 1, 2130706431 - k, p.ip, 49170 + 2 * k))
    video = [(96, "VP8/90000"), (97, "rtx/90000"), (98, "VP9/90000"), (99, "rtx/90000"),
             (100, "H264/90000"), (102, "rtx/90000"), (127, "red/90000"), (125, "ulpfec/90000")]
    lines.append("m=video 51372 RTP/SAVP " + " ".join(str(pt) for pt, _ in video))
    lines.append("a=mid:video")
    for pt, enc in video:
        lines.append("a=rtpmap:%d %s" % (pt, enc))
        lines.append("a=rtcp-fb:%d nack" % pt)
        lines.append("a=rtcp-fb:%d nack pli" % pt)
        lines.append("a=rtcp-fb:%d ccm fir" % pt)
    lines += ["a=fmtp:97 apt=96", "a=fmtp:99 apt=98", "a=fmtp:102 apt=100",
              "a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
              "a=sendrecv", "a=rtcp-mux"]
    for k in range(1, 3):
        lines.append("a=crypto:%d AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj%02d" % (k, k))
    for k in range(6):
        lines.append("a=candidate:%d 1 UDP %d %s %d typ host"
                     % (k + 7, 2130706431 - k, p.ip, 51372 + 2 * k))
    return ("\r\n".join(lines) + "\r\n").encode()
