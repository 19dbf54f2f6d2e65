#!/usr/bin/python3
"""hep12_send.py -- send one SIP INVITE and its 200 OK as HEP v1 or v2 over UDP (test helper).

The layout is built by hand from ../shared/reference/hep.md ("HEP v1 / v2"), not from trawl's
encoder: u8 version, u8 header length (8 + 2 x address), u8 family (2 / 10), u8 IP protocol,
u16 ports and the addresses in network order; v2 then adds u32 sec, u32 usec, u16 capture id and
2 bytes of padding in LITTLE-endian; then the SIP payload.

usage: hep12_send.py VERSION PORT CALL_ID [--capture-id N] [--ts EPOCH] [--v6]
"""
import argparse
import socket
import struct


def sip(call_id, request):
    if request:
        first = "INVITE sip:bob@198.51.100.20:5060 SIP/2.0"
    else:
        first = "SIP/2.0 200 OK"
    return ("%s\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%s\r\n"
            "From: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>%s\r\n"
            "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            % (first, call_id, "" if request else ";tag=t1", call_id)).encode()


def hep12(version, payload, src, sport, dst, dport, ts, capture_id, v6):
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    a_len = 16 if v6 else 4
    hdr = struct.pack("!BBBBHH", version, 8 + 2 * a_len, 10 if v6 else 2, 17, sport, dport)
    hdr += socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
    if version == 2:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        hdr += struct.pack("<IIHH", sec, usec, capture_id, 0)
    return hdr + payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("version", type=int, choices=(1, 2))
    ap.add_argument("port", type=int)
    ap.add_argument("call_id")
    ap.add_argument("--capture-id", type=int, default=1337)
    ap.add_argument("--ts", type=float, default=1700000000.25)
    ap.add_argument("--v6", action="store_true")
    a = ap.parse_args()
    src, dst = ("2001:db8::10", "2001:db8::20") if a.v6 else ("192.0.2.10", "198.51.100.20")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, request in enumerate((True, False)):
        pkt = hep12(a.version, sip(a.call_id, request), src if request else dst, 5060,
                    dst if request else src, 5060, a.ts + i * 0.001, a.capture_id, a.v6)
        s.sendto(pkt, ("127.0.0.1", a.port))


if __name__ == "__main__":
    main()
