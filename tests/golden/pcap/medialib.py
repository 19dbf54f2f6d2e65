"""medialib.py - what the SDP-variant and RTCP generators (gen_sdp_*.py,
gen_rtcp_variants.py) share, on top of goldenlib.py: SDP bodies with any
media lines and attributes, RTCP packets built field by field, and a frame
list that stamps frame i with goldenlib.ts(i).

Specs: RFC 8866 section 5 (SDP lines: c= 5.7, m= 5.14), RFC 3605 (a=rtcp),
RFC 5761 section 5.1.1 (a=rtcp-mux); RFC 3550 sections 6.4.1 (SR), 6.4.2
(RR), 6.5 (SDES), 6.6 (BYE), 6.7 (APP); RFC 4585 section 6.1 (feedback
header), RFC 5506 (reduced-size RTCP); RFC 3611 sections 2 (XR header), 4.4
(Receiver Reference Time block), 4.7 (VoIP metrics block).

Deterministic: every value below comes from the caller; nothing reads a clock
or a random source. Only adds to goldenlib.py: no other capture changes.
"""

import struct

from goldenlib import *  # noqa: F401,F403  (re-exported for the generators)
import goldenlib
from goldenlib import Party, eth, ip_udp, ts, message, response, MAC_A


def ep4(ip, port, mac=MAC_A):
    """A media endpoint (a Party used only for its address and port)."""
    return Party(ip, port, "m", "example.com", mac, "m")


# ------------------------------------------------------------------ SDP

def sdp_lines(origin_user, sess, origin_ip, session_c, media):
    """SDP text. session_c: "IN IP4 x" / "IN IP6 x" or None (no session c=).
    media: list of (m_line_value, [extra lines]) e.g. ("audio 49170 RTP/AVP 0",
    ["c=IN IP4 192.0.2.11", "a=rtcp:53020"])."""
    fam = "IP6" if ":" in origin_ip else "IP4"
    out = ["v=0", "o=%s %d %d IN %s %s" % (origin_user, sess, sess, fam, origin_ip), "s=-"]
    if session_c:
        out.append("c=%s" % session_c)
    out.append("t=0 0")
    for mval, extra in media:
        out.append("m=%s" % mval)
        out += list(extra)
    return ("\r\n".join(out) + "\r\n").encode()


# ------------------------------------------------------------------ RTCP

def hdr(count, pt, body, padding=False, length=None):
    """RTCP common header (RFC 3550 6.4.1): V=2, P, count, PT, length in
    32-bit words - 1 (computed unless given: a lie for the malformed cases)."""
    n = len(body) // 4 if length is None else length
    return struct.pack(">BBH", 0x80 | (0x20 if padding else 0) | count, pt, n) + body


def block(ssrc, frac, lost, ext_seq, jitter, lsr, dlsr):
    """Report block (RFC 3550 6.4.1): cumulative lost is signed 24 bits."""
    return struct.pack(">IB", ssrc, frac) + (lost & 0xFFFFFF).to_bytes(3, "big") + \
        struct.pack(">IIII", ext_seq, jitter, lsr, dlsr)


def sr(ssrc, ntp_sec, ntp_frac, rtp_ts, packets, octets, blocks=()):
    body = struct.pack(">IIIIII", ssrc, ntp_sec, ntp_frac, rtp_ts, packets, octets)
    return hdr(len(blocks), 200, body + b"".join(blocks))


def rr(ssrc, blocks=(), rc=None, length=None):
    body = struct.pack(">I", ssrc) + b"".join(blocks)
    return hdr(len(blocks) if rc is None else rc, 201, body, length=length)


def sdes(chunks):
    """chunks: [(ssrc, [(item_type, text)])]; each chunk ends with a null item
    and is padded to 32 bits (RFC 3550 6.5)."""
    body = b""
    for ssrc, items in chunks:
        c = struct.pack(">I", ssrc)
        for t, text in items:
            raw_text = text.encode() if isinstance(text, str) else text
            c += struct.pack(">BB", t, len(raw_text)) + raw_text
        c += b"\x00"
        c += b"\x00" * (-len(c) % 4)
        body += c
    return hdr(len(chunks), 202, body)


def rtcp_bye(ssrcs, reason=None):
    body = b"".join(struct.pack(">I", s) for s in ssrcs)
    if reason is not None:
        r = reason.encode()
        body += struct.pack(">B", len(r)) + r
        body += b"\x00" * (-len(body) % 4)
    return hdr(len(ssrcs), 203, body)


def app(ssrc, subtype, name, data):
    return hdr(subtype, 204, struct.pack(">I", ssrc) + name.encode() + data)


def psfb_pli(ssrc, media_ssrc):
    """Picture Loss Indication (RFC 4585 6.3.1): PSFB, FMT 1, no FCI."""
    return hdr(1, 206, struct.pack(">II", ssrc, media_ssrc))


def xr(ssrc, blocks):
    return hdr(0, 207, struct.pack(">I", ssrc) + b"".join(blocks))


def xr_rrt(ntp_sec, ntp_frac):
    """Receiver Reference Time Report block (RFC 3611 4.4): BT 4, length 2."""
    return struct.pack(">BBHII", 4, 0, 2, ntp_sec, ntp_frac)


def xr_voip(ssrc, loss, discard, burst_d, gap_d, burst_ms, gap_ms, rtt, esd,
            signal, noise, rerl, gmin, r, ext_r, mos_lq, mos_cq, rx_config,
            jb_nom, jb_max, jb_abs):
    """VoIP Metrics block (RFC 3611 4.7): BT 7, length 8 (36 bytes). Field
    order on the wire: ..., R factor, ext. R factor, MOS-LQ, MOS-CQ, RX config,
    reserved, JB nominal, JB maximum, JB abs max."""
    return (struct.pack(">BBH", 7, 0, 8) + struct.pack(">I", ssrc) +
            struct.pack(">BBBB", loss, discard, burst_d, gap_d) +
            struct.pack(">HHHH", burst_ms, gap_ms, rtt, esd) +
            struct.pack(">bbbB", signal, noise, rerl, gmin) +
            struct.pack(">BBBB", r, ext_r, mos_lq, mos_cq) +
            struct.pack(">BBHHH", rx_config, 0, jb_nom, jb_max, jb_abs))


# ------------------------------------------------------------------ frames

class Frames:
    """Frame i is stamped goldenlib.ts(i) (0.250001 s apart)."""

    def __init__(self):
        self.frames = []

    def udp(self, s, r, payload, cut_to=None):
        """One Ethernet frame; cut_to keeps only that many bytes of the frame
        in the capture (caplen < len: a short snapshot length)."""
        i = len(self.frames)
        data = eth(s, r, ip_udp(s, r, payload, ip_id=0x3000 + i))
        if cut_to is None:
            self.frames.append((ts(i), data))
        else:
            self.frames.append((ts(i), data[:cut_to], len(data)))

    def sip(self, flow):
        for s, r, p in flow:
            self.udp(s, r, p)


# ------------------------------------------------------------------ SIP

def invite_with(d, body, clen="auto", n=1):
    """goldenlib.invite() with another body (b"" and clen="auto": no SDP,
    Content-Length: 0) or a Content-Length that lies (clen=int)."""
    hdrs = [d.via(n), "Max-Forwards: 70", d.to(False), d.from_(),
            "Call-ID: %s" % d.call_id, "CSeq: %d INVITE" % d.cseq,
            "Contact: %s" % d.a.contact, "User-Agent: trawl-golden-uac/1.0"]
    if body:
        hdrs.append("Content-Type: application/sdp")
    return message("INVITE %s SIP/2.0" % d.b.aor, hdrs, body, clen=clen)


def ack_with(d, body, n=2):
    hdrs = [d.via(n), "Max-Forwards: 70", d.from_(), d.to(True),
            "Call-ID: %s" % d.call_id, "CSeq: %d ACK" % d.cseq,
            "User-Agent: trawl-golden-uac/1.0"]
    if body:
        hdrs.append("Content-Type: application/sdp")
    return message("ACK sip:%s@%s SIP/2.0" % (d.b.user, d.b.hostport), hdrs, body)


def call_setup(d, offer, answer, invite_msg=None, ack_body=b""):
    """INVITE (offer), 100, 180, 200 (answer), ACK: (sender, receiver, payload)."""
    a, b = d.a, d.b
    return [
        (a, b, invite_msg if invite_msg is not None else invite_with(d, offer)),
        (b, a, response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False)),
        (b, a, response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True)),
        (b, a, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True, body=answer)),
        (a, b, ack_with(d, ack_body)),
    ]


def call_teardown(d):
    return [(d.a, d.b, goldenlib.bye(d)),
            (d.b, d.a, response(d, 200, "OK", 3, "BYE", d.cseq + 1))]
