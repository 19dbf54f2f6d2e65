"""goldenlib.py - shared pieces of the golden-test pcap generators (gen_*.py).

Every generator writes its pcap next to itself and must be deterministic:
running it twice gives byte-identical files. So nothing here reads the clock,
the host's interfaces or a random source:
  * timestamps start at 2026-01-01T00:00:00Z and advance STEP_US per frame
    (a step with non-zero microsecond digits, so the output's "ts" field shows
    real microseconds and crosses whole seconds);
  * addresses come from the documentation ranges 192.0.2.0/24 (TEST-NET-1,
    RFC 5737), 198.51.100.0/24 (TEST-NET-2), 2001:db8::/32 (RFC 3849) and
    MAC addresses from 00:00:5e:00:53:00/24 (RFC 7042 section 2.1.2);
  * Call-IDs, tags and branches are fixed strings derived from the pcap name.

The pcap files are written by write_pcap() below (classic libpcap format,
little-endian, microsecond resolution) rather than by scapy's writer, so the
record header fields (caplen, len, snaplen, link type) are exactly what a test
needs, including records with caplen < len and zero-length records.
scapy (Debian python3-scapy, run with /usr/bin/python3) only builds the
IP/IPv6/UDP/TCP headers and their checksums.

SIP text follows RFC 3261 (section 7 message format, 8.1.1 mandatory request
headers, 20 header fields, 7.3.3 compact forms) and the SDP RFC 4566; the
basic call flow is the one of RFC 3665 section 3.1 (INVITE, 100, 180, 200,
ACK, BYE, 200).
"""

import os
import struct
import sys

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import raw  # noqa: E402
from scapy.layers.inet import IP, UDP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

T0_US = 1767225600 * 1000000   # 2026-01-01T00:00:00Z in microseconds
STEP_US = 250001               # 0.250001 s between consecutive frames

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100
ETH_QINQ = 0x88A8
ETH_QINQ_9100 = 0x9100
ETH_MPLS = 0x8847
ETH_PPPOE_SESSION = 0x8864

MAC_A = bytes.fromhex("00005e005301")  # the UAC side
MAC_B = bytes.fromhex("00005e005302")  # the UAS side


def ts(i):
    """Capture time of frame i, in microseconds since the epoch."""
    return T0_US + i * STEP_US


def out_path(name):
    return os.path.join(HERE, name)


def write_pcap(name, linktype, frames, snaplen=65535):
    """Writes HERE/name. frames: list of (ts_us, data) or (ts_us, data, orig_len).
    caplen is min(len(data), snaplen); orig_len defaults to len(data)."""
    with open(out_path(name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for fr in frames:
            t, data = fr[0], bytes(fr[1])
            orig = fr[2] if len(fr) > 2 else len(data)
            data = data[:snaplen]
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(data), orig))
            f.write(data)
    print("wrote", name, file=sys.stderr)


# ------------------------------------------------------------------ SIP text

class Party:
    """One SIP endpoint: address, port, user and the host part of its AOR."""

    def __init__(self, ip, port, user, domain, mac, name):
        self.ip, self.port, self.user, self.domain = ip, port, user, domain
        self.mac, self.name = mac, name
        self.v6 = ":" in ip

    @property
    def hostport(self):
        return ("[%s]" % self.ip if self.v6 else self.ip) + ":%d" % self.port

    @property
    def aor(self):
        return "sip:%s@%s" % (self.user, self.domain)

    @property
    def contact(self):
        return "<sip:%s@%s>" % (self.user, self.hostport)


def uac4(port=5060):
    return Party("192.0.2.10", port, "alice", "atlanta.example.com", MAC_A, "Alice")


def uas4(port=5060):
    return Party("198.51.100.20", port, "bob", "biloxi.example.com", MAC_B, "Bob")


def uac6(port=5060):
    return Party("2001:db8::10", port, "alice", "atlanta.example.com", MAC_A, "Alice")


def uas6(port=5060):
    return Party("2001:db8:0:1::20", port, "bob", "biloxi.example.com", MAC_B, "Bob")


def message(start, headers, body=b"", clen="auto", clen_name="Content-Length"):
    """start line + header lines (verbatim strings) + empty line + body.
    clen="auto" appends '<clen_name>: len(body)'; None appends nothing;
    an int appends that (possibly wrong) value."""
    lines = [start] + list(headers)
    if clen == "auto":
        lines.append("%s: %d" % (clen_name, len(body)))
    elif clen is not None:
        lines.append("%s: %d" % (clen_name, clen))
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(p, sess_id, rtp_port):
    """An offer/answer body of the usual size (RFC 4566, RFC 3264 examples)."""
    fam = "IP6" if p.v6 else "IP4"
    return ("v=0\r\n"
            "o=%s %d %d IN %s %s\r\n"
            "s=-\r\n"
            "c=IN %s %s\r\n"
            "t=0 0\r\n"
            "m=audio %d RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n"
            % (p.user, sess_id, sess_id, fam, p.ip, fam, p.ip, rtp_port)).encode()


class Dialog:
    """The fixed identifiers of one call, derived from a short seed."""

    def __init__(self, seed, a, b, transport="UDP"):
        self.seed, self.a, self.b, self.transport = seed, a, b, transport
        self.call_id = "%s-a84b4c76e66710@atlanta.example.com" % seed
        self.from_tag = "%s-1928301774" % seed
        self.to_tag = "%s-a6c85cf" % seed
        self.cseq = 314159

    def branch(self, n):
        return "z9hG4bK%s-%d" % (self.seed, n)

    def via(self, n):
        return "Via: SIP/2.0/%s %s;branch=%s;rport" % (self.transport, self.a.hostport, self.branch(n))

    def via_resp(self, n):
        return ("Via: SIP/2.0/%s %s;branch=%s;rport=%d;received=%s"
                % (self.transport, self.a.hostport, self.branch(n), self.a.port, self.a.ip))

    def from_(self):
        return 'From: "%s" <%s>;tag=%s' % (self.a.name, self.a.aor, self.from_tag)

    def to(self, tagged):
        t = 'To: "%s" <%s>' % (self.b.name, self.b.aor)
        return t + (";tag=%s" % self.to_tag if tagged else "")


def invite(d, n=1, extra=()):
    ruri = d.b.aor
    return message("INVITE %s SIP/2.0" % ruri, [
        d.via(n),
        "Max-Forwards: 70",
        d.to(False),
        d.from_(),
        "Call-ID: %s" % d.call_id,
        "CSeq: %d INVITE" % d.cseq,
        "Contact: %s" % d.a.contact,
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY",
        "Supported: replaces, timer",
        "User-Agent: trawl-golden-uac/1.0",
        "Content-Type: application/sdp",
    ] + list(extra), sdp(d.a, 2890844526, 49170))


def response(d, code, reason, n, method, cseq, tagged=True, body=b"", contact=False):
    hdrs = [d.via_resp(n), d.from_(), d.to(tagged), "Call-ID: %s" % d.call_id,
            "CSeq: %d %s" % (cseq, method)]
    if contact:
        hdrs.append("Contact: %s" % d.b.contact)
    hdrs.append("Server: trawl-golden-uas/1.0")
    if body:
        hdrs.append("Content-Type: application/sdp")
    return message("SIP/2.0 %d %s" % (code, reason), hdrs, body)


def ack(d, n=2):
    return message("ACK sip:%s@%s SIP/2.0" % (d.b.user, d.b.hostport), [
        d.via(n), "Max-Forwards: 70", d.from_(), d.to(True),
        "Call-ID: %s" % d.call_id, "CSeq: %d ACK" % d.cseq,
        "User-Agent: trawl-golden-uac/1.0"])


def bye(d, n=3):
    return message("BYE sip:%s@%s SIP/2.0" % (d.b.user, d.b.hostport), [
        d.via(n), "Max-Forwards: 70", d.from_(), d.to(True),
        "Call-ID: %s" % d.call_id, "CSeq: %d BYE" % (d.cseq + 1),
        "User-Agent: trawl-golden-uac/1.0"])


def options(d, n=1):
    return message("OPTIONS %s SIP/2.0" % d.b.aor, [
        d.via(n), "Max-Forwards: 70", d.to(False), d.from_(),
        "Call-ID: %s" % d.call_id, "CSeq: 1 OPTIONS",
        "Contact: %s" % d.a.contact, "Accept: application/sdp",
        "User-Agent: trawl-golden-uac/1.0"])


def call_flow(d):
    """RFC 3665 3.1 basic call: list of (sender, receiver, payload)."""
    a, b = d.a, d.b
    return [
        (a, b, invite(d)),
        (b, a, response(d, 100, "Trying", 1, "INVITE", d.cseq, tagged=False)),
        (b, a, response(d, 180, "Ringing", 1, "INVITE", d.cseq, contact=True)),
        (b, a, response(d, 200, "OK", 1, "INVITE", d.cseq, contact=True,
                        body=sdp(b, 2890844527, 3456))),
        (a, b, ack(d)),
        (a, b, bye(d)),
        (b, a, response(d, 200, "OK", 3, "BYE", d.cseq + 1)),
    ]


def options_flow(d):
    return [(d.a, d.b, options(d)),
            (d.b, d.a, response(d, 200, "OK", 1, "OPTIONS", 1, contact=True))]


# ------------------------------------------------------------------ layers

def ip_udp(src, dst, payload, ip_id=1, **udp_kw):
    """IPv4 or IPv6 + UDP from a sender and receiver Party."""
    if src.v6:
        pkt = IPv6(src=src.ip, dst=dst.ip, hlim=64) / UDP(sport=src.port, dport=dst.port, **udp_kw) / payload
    else:
        pkt = IP(src=src.ip, dst=dst.ip, id=ip_id, ttl=64) / UDP(sport=src.port, dport=dst.port, **udp_kw) / payload
    return raw(pkt)


def ethertype_of(l3):
    return ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4


def eth(src, dst, l3, tags=(), ethertype=None):
    """Ethernet II. tags: list of (tpid, tci) pushed outermost first."""
    hdr = dst.mac + src.mac
    for tpid, tci in tags:
        hdr += struct.pack(">HH", tpid, tci)
    return hdr + struct.pack(">H", ethertype if ethertype is not None else ethertype_of(l3)) + l3


def udp_frames(msgs, wrap, first=0):
    """msgs: (sender, receiver, payload) list; wrap(sender, receiver, l3) -> frame."""
    return [(ts(first + i), wrap(s, r, ip_udp(s, r, p, ip_id=0x1000 + first + i)))
            for i, (s, r, p) in enumerate(msgs)]


def eth_wrap(s, r, l3):
    return eth(s, r, l3)


# ------------------------------------------------------------------ fragments

def udp_datagram(s, r, payload):
    """The UDP header + payload (checksum over the IPv4/IPv6 pseudo header), as
    the fragmentable part of an IP datagram."""
    l3 = ip_udp(s, r, payload)
    return l3[40:] if s.v6 else l3[20:]


def ipv4_fragment(s, r, ident, offset, more, chunk):
    """One IPv4 fragment (RFC 791): offset in bytes (multiple of 8)."""
    assert offset % 8 == 0
    return raw(IP(src=s.ip, dst=r.ip, id=ident, ttl=64, proto=17,
                  flags="MF" if more else 0, frag=offset // 8) / chunk)


def ipv6_fragment(s, r, ident, offset, more, chunk):
    """One IPv6 packet with a Fragment header (RFC 8200 section 4.5)."""
    from scapy.layers.inet6 import IPv6ExtHdrFragment
    assert offset % 8 == 0
    return raw(IPv6(src=s.ip, dst=r.ip, hlim=64) /
               IPv6ExtHdrFragment(nh=17, offset=offset // 8, m=1 if more else 0, id=ident) / chunk)


def split(datagram, size):
    """[(offset, more, chunk)] cutting datagram every size bytes."""
    out = []
    for off in range(0, len(datagram), size):
        chunk = datagram[off:off + size]
        out.append((off, off + size < len(datagram), chunk))
    return out
