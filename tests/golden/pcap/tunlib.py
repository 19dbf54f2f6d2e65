"""tunlib.py - tunnel wrappers for the gen_tun_*.py golden generators.

Each wrapper takes the inner IP packet (l3, built by goldenlib's ip_udp from
the SIP parties) and returns a whole Ethernet frame that carries it through
one encapsulation. The tunnel endpoints are fixed documentation addresses
(TEST-NET-3 203.0.113.0/24, RFC 5737, and 2001:db8:ffff::/48, RFC 3849) so
the expected "tunnels" entries are easy to read: the UAC side's endpoint is
.1 (::1), the UAS side's .2 (::2), and a message's outer source is its
sender's side. Tunnel headers are packed here with struct, byte by byte as
the RFCs draw them; scapy only builds the outer IP/UDP and their checksums.

Specs: IP in IP RFC 2003 / RFC 4213 / RFC 2473, GRE RFC 2784 + RFC 2890,
ERSPAN draft-foschiano-erspan-03, VXLAN RFC 7348, GENEVE RFC 8926.
"""
import struct

from goldenlib import *  # noqa: F401,F403
from scapy.all import raw
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6

TUN4 = ("203.0.113.1", "203.0.113.2")
TUN6 = ("2001:db8:ffff::1", "2001:db8:ffff::2")
MID4 = ("198.18.0.1", "198.18.0.2")  # RFC 2544 benchmarking range: the middle tunnel of a nesting
TMAC_A = bytes.fromhex("00005e005311")
TMAC_B = bytes.fromhex("00005e005312")


def side(s, pair):
    """(outer src, outer dst) for a message sent by party s."""
    return pair if s.user == "alice" else (pair[1], pair[0])


def outer_eth(s, l3, ethertype=None):
    src, dst = (TMAC_A, TMAC_B) if s.user == "alice" else (TMAC_B, TMAC_A)
    t = ethertype if ethertype is not None else ethertype_of(l3)
    return dst + src + struct.pack(">H", t) + l3


def ip4(s, proto, payload, pair=TUN4, ident=7):
    src, dst = side(s, pair)
    return raw(IP(src=src, dst=dst, id=ident, ttl=64, proto=proto) / payload)


def ip6(s, nh, payload, pair=TUN6):
    src, dst = side(s, pair)
    return raw(IPv6(src=src, dst=dst, hlim=64, nh=nh) / payload)


def udp4(s, dport, payload, sport=49152, pair=TUN4):
    src, dst = side(s, pair)
    return raw(IP(src=src, dst=dst, id=7, ttl=64) / UDP(sport=sport, dport=dport) / payload)


def gre(proto, payload, csum=False, key=None, seq=None):
    """RFC 2784/2890 header: C, K, S flags, version 0."""
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
            (0x1000 if seq is not None else 0)
    h = struct.pack(">HH", flags, proto)
    if csum:
        h += struct.pack(">HH", 0, 0)  # not verified by trawl; tshark reports it wrong but decodes
    if key is not None:
        h += struct.pack(">I", key)
    if seq is not None:
        h += struct.pack(">I", seq)
    return h + payload


def inner_eth(s, r, l3, tags=()):
    """The mirrored/bridged frame: the SIP parties' own MACs."""
    return eth(s, r, l3, tags=tags)


def erspan2(session, vlan, index, frame):
    """ERSPAN type II, 8 bytes: ver 1, vlan, cos 0, en 0, t 0, session; index."""
    return struct.pack(">HHI", 0x1000 | vlan, session & 0x3ff, index & 0xfffff) + frame


def erspan3(session, vlan, timestamp, frame, platform=None, ft=0):
    """ERSPAN type III, 12 bytes (+ 8 with the O flag and a platform subheader)."""
    word = (ft << 10) | (1 if platform is not None else 0)
    h = struct.pack(">HHIHH", 0x2000 | vlan, session & 0x3ff, timestamp, 0, word)
    if platform is not None:
        pid, info = platform
        h += struct.pack(">II", (pid << 26) | (info >> 32 & 0x3ffffff), info & 0xffffffff)
    return h + frame


def vxlan(vni, frame):
    """RFC 7348: flags (I set), 24 reserved bits, VNI, 8 reserved bits."""
    return struct.pack(">II", 0x08000000, vni << 8) + frame


def geneve(vni, proto, payload, options=b""):
    """RFC 8926: ver 0, opt len in 4-byte words, O/C clear, protocol type, VNI."""
    assert len(options) % 4 == 0
    return struct.pack(">BBHI", len(options) // 4, 0, proto, vni << 8) + options + payload


def geneve_option(cls, typ, data):
    assert len(data) % 4 == 0
    return struct.pack(">HBB", cls, typ, len(data) // 4) + data


def write_tun(name, seed, wrap, v6=False):
    """Writes one basic call (RFC 3665 3.1) whose every frame went through wrap."""
    d = Dialog(seed, uac6() if v6 else uac4(), uas6() if v6 else uas4())
    write_pcap(name, LINKTYPE_ETHERNET, udp_frames(call_flow(d), wrap))
