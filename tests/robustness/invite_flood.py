#!/usr/bin/env python3
"""invite_flood.py N [OUT|-] - writes a pcap of N distinct SIP INVITEs, each
with a small SDP offer, for call_table_cap.sh (RFC 3261 INVITE, RFC 4566 SDP;
pcap record format as libpcap writes it, microsecond timestamps, Ethernet).

Every INVITE has its own Call-ID, From tag and media endpoint (c= address and
m= port: 25,000 even ports per address, a new address every 25,000 calls, all
in 198.18.0.0/15 (RFC 2544), so no two calls share an endpoint and no SDP takes one from
another). Packet i is at t0 + i * 100 us: 1,000,000 INVITEs span 100 s, far
below the call table's idle timeout (600 s), so no call expires and every
call that does not fit is evicted.

Speed matters (the test streams 1M packets through `trawl -r -`): every
field that varies is fixed width, so all packets have the same length and the
Ethernet/IPv4/UDP headers are built once (the IPv4 header checksum is
computed once; the UDP checksum is 0, "not computed", RFC 768).
"""
import struct
import sys

TEMPLATE = (
    "INVITE sip:bob@198.51.100.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK{i:07d}\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@198.51.100.1>;tag=a{i:07d}\r\n"
    "To: <sip:bob@198.51.100.2>\r\n"
    "Call-ID: flood-{i:07d}@198.51.100.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@198.51.100.1:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {blen:3d}\r\n"
    "\r\n"
)
SDP = (
    "v=0\r\n"
    "o=- {i:07d} 1 IN IP4 {addr}\r\n"
    "s=-\r\n"
    "c=IN IP4 {addr}\r\n"
    "t=0 0\r\n"
    "m=audio {port:05d} RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
)
PORTS_PER_ADDR = 25000


def media(i):
    a = i // PORTS_PER_ADDR  # < 400 for N <= 10,000,000
    # three-digit octets without leading zeros, so the length never changes
    addr = "198.18.%d.%d" % (100 + a // 100, 100 + a % 100)
    return addr, 10000 + 2 * (i % PORTS_PER_ADDR)


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    n = int(sys.argv[1])
    out = sys.stdout.buffer if len(sys.argv) < 3 or sys.argv[2] == "-" else open(sys.argv[2], "wb")
    if n > 10_000_000:
        sys.exit("invite_flood.py: at most 10,000,000 (fixed-width fields)")
    addr, port = media(0)
    blen = len(SDP.format(i=0, addr=addr, port=port))
    plen = len(TEMPLATE.format(i=0, blen=blen)) + blen
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + plen, 0, 0x4000, 64, 17, 0,
                               bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2])))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    udp = struct.pack("!HHHH", 5060, 5060, 8 + plen, 0)
    headers = eth + bytes(ip) + udp
    caplen = len(headers) + plen
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t0 = 1795417200  # 2026-11-23T08:00:00Z
    rec = struct.Struct("<IIII")
    chunk = []
    for i in range(n):
        addr, port = media(i)
        body = SDP.format(i=i, addr=addr, port=port)
        msg = (TEMPLATE.format(i=i, blen=blen) + body).encode()
        us = i * 100
        chunk.append(rec.pack(t0 + us // 1000000, us % 1000000, caplen, caplen))
        chunk.append(headers)
        chunk.append(msg)
        if len(chunk) >= 3000:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the reader stopped early: its exit status tells why
        sys.exit(1)
