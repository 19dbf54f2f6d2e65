#!/usr/bin/env python3
"""vxlan_wrap.py - re-wraps every frame of a pcap in VXLAN (RFC 7348), for
bench/decap.sh: the decap benchmark runs trawl on the same SIP messages with
and without one tunnel layer.

    vxlan_wrap.py IN.pcap OUT.pcap [--vni N]

Each Ethernet frame of IN becomes
    Ethernet / IPv4 203.0.113.1 -> .2 / UDP sport 49152 + (hash & 0x3fff) -> 4789 /
    VXLAN (I flag, VNI) / the original frame
(classic pcap in, microsecond or nanosecond; Ethernet link type only). The
outer IPv4 header checksum is computed; the outer UDP checksum is zero, as
RFC 7348 section 5 recommends for IPv4. Source ports vary with the inner
frame like a real VTEP's flow hash. Plain struct packing, no scapy: 120,000
frames take about a second.
"""
import struct
import sys
import zlib

OUT_SRC = bytes([203, 0, 113, 1])
OUT_DST = bytes([203, 0, 113, 2])
MAC = bytes.fromhex("00005e005322") + bytes.fromhex("00005e005321")


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def wrap(frame, vni, ident):
    udp_len = 8 + 8 + len(frame)
    sport = 49152 + (zlib.crc32(frame[26:38]) & 0x3FFF)  # the inner addresses and ports
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0x4000,
                               64, 17, 0, OUT_SRC, OUT_DST))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    return (MAC + b"\x08\x00" + bytes(ip) + struct.pack("!HHHH", sport, 4789, udp_len, 0) +
            struct.pack("!II", 0x08000000, vni << 8) + frame)


def main():
    args = sys.argv[1:]
    vni = 42
    if "--vni" in args:
        i = args.index("--vni")
        vni = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit("usage: vxlan_wrap.py IN.pcap OUT.pcap [--vni N]")
    with open(args[0], "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit("vxlan_wrap.py: %s is not a classic pcap" % args[0])
    vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack(e + "HHiIII", data[4:24])
    if linktype != 1:
        sys.exit("vxlan_wrap.py: link type %d, only Ethernet (1) is re-wrapped" % linktype)
    rec = struct.Struct(e + "IIII")
    out = [data[:16] + struct.pack(e + "II", snaplen + 50, linktype)]
    pos, n = 24, 0
    while pos + 16 <= len(data):
        sec, frac, caplen, wire = rec.unpack_from(data, pos)
        pos += 16
        frame = data[pos:pos + caplen]
        pos += caplen
        w = wrap(frame, vni, n)
        out.append(rec.pack(sec, frac, len(w), wire + len(w) - len(frame)))
        out.append(w)
        n += 1
    with open(args[1], "wb") as f:
        f.write(b"".join(out))
    print("vxlan_wrap.py: %d frames -> %s" % (n, args[1]), file=sys.stderr)


if __name__ == "__main__":
    main()
