#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_decode (tests/fuzz/corpus/decode/).

Each seed is one selector byte and a frame (see fuzz_decode.c): bits 0-3
pick the link type from {1, 113, 276, 0, 108, 101, 12, 14, 228, 229}, bits
4-6 add value*100 bytes of wire length (a snaplen cut), bit 7 says the rest
is several frames, each prefixed by a big-endian 16-bit length.
Run from anywhere: python3 tests/fuzz/gen_corpus_decode.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decode")
LT = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5, 12: 6, 14: 7, 228: 8, 229: 9}

SIP = (b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
       b"Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
V4S, V4D = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
V6S = bytes.fromhex("20010db8000000000000000000000001")
V6D = bytes.fromhex("20010db8000000000000000000000002")


def eth(t):
    return bytes.fromhex("000102030405000607080900") + struct.pack(">H", t)


def vlan(vid, t):
    return struct.pack(">HH", vid, t)


def mpls(label, bos):
    return struct.pack(">I", label << 12 | (0x100 if bos else 0) | 64)


def ip4(proto, payload, ident=1, frag=0, opts=b""):
    ihl = 5 + len(opts) // 4
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), ident,
                       frag, 64, proto, 0, V4S, V4D) + opts + payload


def ip6(nh, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, V6S, V6D) + payload


def ext(nh, body6=b"\x01\x04\x00\x00\x00\x00"):
    return bytes([nh, 0]) + body6


def udp(payload, sport=5060, dport=5060):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload):
    return struct.pack(">HHIIBBHHH", 5060, 40000, 1, 0, 5 << 4, 0x18, 65535, 0, 0) + payload


def sctp(payload):
    chunk = struct.pack(">BBHIHHI", 0, 3, 16 + len(payload), 1, 0, 0, 0) + payload
    chunk += b"\0" * (-len(chunk) % 4)
    return struct.pack(">HHII", 5060, 5060, 0xdeadbeef, 0) + chunk


def pppoe(ppp_proto, payload):
    body = struct.pack(">H", ppp_proto) + payload
    return struct.pack(">BBHH", 0x11, 0, 0x1234, len(body)) + body


def sll(proto, payload):
    return struct.pack(">HHH8sH", 0, 1, 6, b"\xaa" * 8, proto) + payload


def sll2(proto, payload):
    return struct.pack(">HHIHBB8s", proto, 0, 3, 1, 0, 6, b"\xbb" * 8) + payload


def gre(proto, payload, flags=0, key=5, seq=9):
    h = struct.pack(">HH", flags, proto)
    if flags & 0x8000:
        h += b"\0\0\0\0"
    if flags & 0x2000:
        h += struct.pack(">I", key)
    if flags & 0x1000:
        h += struct.pack(">I", seq)
    return h + payload


def vxlan(vni, payload, flags=0x08):
    return struct.pack(">II", flags << 24, vni << 8) + payload


def geneve(proto, payload, opts=b""):
    return struct.pack(">BBHI", len(opts) // 4, 0, proto, 77 << 8) + opts + payload


def seed(name, lt, frame, lost=0):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([LT[lt] | lost << 4]) + frame)


def multi(name, lt, frames):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([LT[lt] | 0x80]) + b"".join(struct.pack(">H", len(x)) + x for x in frames))


def main():
    os.makedirs(OUT, exist_ok=True)
    u = udp(SIP)
    seed("eth_ipv4_udp_sip", 1, eth(0x0800) + ip4(17, u))
    seed("eth_vlan_ipv4_udp", 1, eth(0x8100) + vlan(10, 0x0800) + ip4(17, u))
    seed("eth_qinq_88a8", 1, eth(0x88a8) + vlan(100, 0x8100) + vlan(200, 0x0800) + ip4(17, u))
    seed("eth_qinq_9100", 1, eth(0x9100) + vlan(100, 0x8100) + vlan(200, 0x86dd) + ip6(17, u))
    seed("eth_mpls2_ipv4_udp", 1, eth(0x8847) + mpls(1000, False) + mpls(2000, True) + ip4(17, u))
    seed("eth_mpls_cw_eth_ipv4", 1,
         eth(0x8847) + mpls(77, True) + b"\0\0\0\0" + eth(0x0800) + ip4(17, u))
    seed("eth_pppoe_ipv4_udp", 1, eth(0x8864) + pppoe(0x0021, ip4(17, u)))
    seed("eth_ipv4_opts_tcp", 1, eth(0x0800) + ip4(6, tcp(SIP), opts=b"\x01" * 8))
    seed("eth_ipv4_sctp_data", 1, eth(0x0800) + ip4(132, sctp(SIP)))
    seed("sll_ipv4_udp", 113, sll(0x0800, ip4(17, u)))
    seed("sll2_ipv6_udp", 276, sll2(0x86dd, ip6(17, u)))
    seed("null_ipv4_le", 0, struct.pack("<I", 2) + ip4(17, u))
    seed("null_ipv6_be30", 0, struct.pack(">I", 30) + ip6(17, u))
    seed("raw_ipv6_hbh_dstopts_udp", 101, ip6(0, ext(60) + ext(17) + u))
    seed("raw4_ipv4_udp_snaplen_cut", 228, ip4(17, u)[:60], lost=1)
    # The same datagram in two IPv4 fragments and in two IPv6 fragments.
    seed("eth_ipv4_frag_first", 1, eth(0x0800) + ip4(17, u[:64], ident=7, frag=0x2000))
    seed("eth_ipv4_frag_last", 1, eth(0x0800) + ip4(17, u[64:], ident=7, frag=64 // 8))
    frag = lambda off, more: struct.pack(">BBHI", 17, 0, off | more, 0xfeed)
    seed("raw6_frag_first", 229, ip6(44, frag(0, 1) + u[:64]))
    seed("raw6_frag_last", 229, ip6(44, frag(64, 0) + u[64:]))
    # Whole trains in one input: duplicate + agreeing overlap, reverse order,
    # and a conflicting overlap.
    f4 = lambda off, data, more, ident=9: eth(0x0800) + ip4(17, data, ident=ident,
                                                           frag=(0x2000 if more else 0) | off // 8)
    multi("multi_ipv4_frag_dup_overlap", 1, [f4(0, u[:64], True), f4(0, u[:64], True),
                                             f4(32, u[32:96], True), f4(96, u[96:], False)])
    multi("multi_ipv6_frag_reverse", 229, [ip6(44, frag(64, 0) + u[64:]),
                                           ip6(44, frag(0, 1) + u[:64])])
    # Tunnels (all decapsulated by default): one seed per tunnel and flag shape.
    inner = eth(0x0800) + ip4(17, u)
    seed("tun_ipip4", 1, eth(0x0800) + ip4(4, ip4(17, u)))
    seed("tun_ip6in4", 1, eth(0x0800) + ip4(41, ip6(17, u)))
    seed("tun_4in6", 229, ip6(4, ip4(17, u)))
    seed("tun_gre_plain", 1, eth(0x0800) + ip4(47, gre(0x0800, ip4(17, u))))
    seed("tun_gre_csum_key_seq_ipv6", 1, eth(0x0800) + ip4(47, gre(0x86dd, ip6(17, u), 0xb000)))
    seed("tun_gre_teb_vlan", 101, ip6(47, gre(0x6558, eth(0x8100) + vlan(7, 0x0800) + ip4(17, u),
                                             0x2000)))
    seed("tun_gre_mpls", 1, eth(0x0800) + ip4(47, gre(0x8847, mpls(5, True) + ip4(17, u))))
    seed("tun_erspan1", 1, eth(0x0800) + ip4(47, gre(0x88be, inner)))
    seed("tun_erspan2", 1, eth(0x0800) + ip4(47, gre(0x88be, struct.pack(">HHI", 0x1000 | 10, 100,
                                                                         0x123) + inner, 0x1000)))
    e3 = struct.pack(">HHIHH", 0x2000, 513, 1, 0, 1) + struct.pack(">II", 3 << 26, 42)
    seed("tun_erspan3_platform", 1, eth(0x0800) + ip4(47, gre(0x22eb, e3 + inner, 0x1000)))
    e3ip = struct.pack(">HHIHH", 0x2000, 514, 1, 0, 2 << 10)
    seed("tun_erspan3_ft_ip", 1, eth(0x0800) + ip4(47, gre(0x22eb, e3ip + ip4(17, u), 0x1000)))
    seed("tun_vxlan", 1, eth(0x0800) + ip4(17, udp(vxlan(42, inner), 49152, 4789)))
    seed("tun_vxlan_no_i_flag", 1, eth(0x0800) + ip4(17, udp(vxlan(42, inner, 0), 49152, 4789)))
    opts = struct.pack(">HBB", 0x0102, 1, 1) + b"abcd" + struct.pack(">HBB", 0xffff, 0x80, 2) + b"x" * 8
    seed("tun_geneve_opts", 1, eth(0x0800) + ip4(17, udp(geneve(0x6558, inner, opts), 40000, 6081)))
    seed("tun_geneve_ipv6", 1, eth(0x0800) + ip4(17, udp(geneve(0x86dd, ip6(17, u)), 40000, 6081)))
    seed("tun_nested_vxlan_vlan_gre", 1, eth(0x0800) + ip4(17, udp(vxlan(
        5000, eth(0x8100) + vlan(30, 0x0800) + ip4(47, gre(0x0800, ip4(17, u), 0x2000))),
        1234, 4789)))
    nest = ip4(17, u)
    for _ in range(5):
        nest = ip4(4, nest)
    seed("tun_ipip_too_deep", 228, nest)
    # Inner fragments inside VXLAN, completing in one input.
    fv = lambda off, data, more: eth(0x0800) + ip4(17, udp(vxlan(9, eth(0x0800) + ip4(
        17, data, ident=11, frag=(0x2000 if more else 0) | off // 8)), 999, 4789))
    multi("multi_tun_vxlan_inner_frags", 1, [fv(0, u[:64], True), fv(64, u[64:], False)])

    bad = bytearray(u[32:96])
    bad[10] ^= 0xff
    multi("multi_ipv4_frag_conflict", 1, [f4(0, u[:64], True, 10), f4(32, bytes(bad), True, 10),
                                          f4(96, u[96:], False, 10)])


if __name__ == "__main__":
    main()
