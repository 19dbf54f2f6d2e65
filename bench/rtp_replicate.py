#!/usr/bin/env python3
"""rtp_replicate.py - make an RTP-heavy pcap from a small SIP+RTP one by replaying its calls K times.

    bench/rtp_replicate.py IN.pcap OUT.pcap -k COPIES [--port-step N] [--gap SEC]

Input: a classic pcap (Ethernet, IPv4, UDP, microsecond or nanosecond times) of SIP calls with
SDP and their RTP, e.g. ../shared/bench/gen_sip_pcap.sh --rtp -n 50 (50 calls, 300 SIP messages,
23,600 RTP packets, 10.5 s).  Output: COPIES copies of it, one after the other in time (copy k
starts k * (capture duration + --gap) after the first packet), each a distinct set of calls:

  * SIP (UDP port 5060 either side): the Call-ID header value (RFC 3261 section 20.8, long or
    compact form `i:`) gets the prefix "cK-", so every copy's calls are new calls; the port of
    every SDP `m=` line (RFC 4566 section 5.14) and `a=rtcp:` attribute (RFC 3605) is moved up
    by k * port-step, keeping its number of digits, so Content-Length still holds;
  * RTP/RTCP (any other UDP packet): a port that an SDP of the input announced (or that port + 1,
    RTCP) is moved by the same amount, and the sender SSRC (RTP: bytes 8-11, RFC 3550 5.1;
    RTCP: bytes 4-7 of the first packet, 6.4) is XORed with a per-copy value, so every copy's
    streams are new streams.  RTCP report blocks keep their SSRCs (not needed for RTP load).
  * IPv4 total length, header checksum and UDP length are recomputed when a Call-ID grows; the
    UDP checksum of a changed packet is set to 0 ("not computed", RFC 768), which every reader
    accepts.

The script refuses port steps under which two copies (or a copy and a port + 1) would share a
port, or a port would leave 1024-65535 or change its number of digits.  Deterministic; stdlib
only (raw records with struct: scapy would take minutes for 1,000,000 packets).
"""
import argparse
import re
import struct
import sys

SIP_PORT = 5060
CALL_ID = re.compile(rb"^(Call-ID|i)([ \t]*:[ \t]*)", re.M | re.I)
SDP_PORT = re.compile(rb"^(m=[a-z]+ |a=rtcp:)([0-9]+)", re.M)


def die(msg):
    sys.stderr.write("rtp_replicate.py: %s\n" % msg)
    sys.exit(1)


def read_records(path):
    """(header bytes, endianness, nano, [(ts_ns, frame bytes)])."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        die("%s: not a classic pcap (convert pcapng with editcap -F pcap)" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if struct.unpack(e + "I", data[20:24])[0] != 1:
        die("%s: only Ethernet link type is supported" % path)
    hdr = struct.Struct(e + "IIII")
    recs, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, cap, _ = hdr.unpack_from(data, pos)
        pos += 16
        if pos + cap > len(data):
            die("%s: truncated record at byte %d" % (path, pos - 16))
        recs.append((sec * 10**9 + frac * (1 if nano else 1000), data[pos:pos + cap]))
        pos += cap
    return data[:24], e, nano, recs


def udp_of(frame):
    """(ip offset, ihl, sport, dport, payload offset) or None."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
        return None
    ihl = (frame[14] & 15) * 4
    if frame[23] != 17 or struct.unpack_from("!H", frame, 20)[0] & 0x3FFF:
        return None  # not UDP, or a fragment
    u = 14 + ihl
    sport, dport = struct.unpack_from("!HH", frame, u)
    return 14, ihl, sport, dport, u + 8


def ip_checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("-k", "--copies", type=int, required=True)
    ap.add_argument("--port-step", type=int, default=200)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between copies (default 1)")
    a = ap.parse_args()
    ghdr, e, nano, recs = read_records(a.inp)
    if not recs:
        die("%s: no packets" % a.inp)

    # Media ports announced by the input's SDP, and the port + 1 each implies (RTCP).
    sdp_ports = set()
    kinds = []  # per record: None (copied as is), "sip" or "media"
    for _, fr in recs:
        u = udp_of(fr)
        if u and SIP_PORT in (u[2], u[3]):
            for m in SDP_PORT.finditer(fr[u[4]:]):
                if int(m.group(2)):
                    sdp_ports.add(int(m.group(2)))
    moved = sdp_ports | {p + 1 for p in sdp_ports}
    for _, fr in recs:
        u = udp_of(fr)
        if not u:
            kinds.append(None)
        elif SIP_PORT in (u[2], u[3]):
            kinds.append("sip")
        elif u[2] in moved or u[3] in moved:
            kinds.append("media")
        else:
            kinds.append(None)
    used = set()
    for k in range(a.copies):
        for p in moved:
            q = p + k * a.port_step
            if q in used or q > 65535 or len(str(q)) != len(str(p)):
                die("port step %d: copy %d would reuse or misfit port %d (from %d)" % (a.port_step, k, q, p))
            used.add(q)

    t0 = recs[0][0]
    span = recs[-1][0] - t0 + int(a.gap * 1e9)
    rh = struct.Struct(e + "IIII")
    n_out = n_media = 0
    with open(a.out, "wb") as out:
        out.write(ghdr)
        for k in range(a.copies):
            shift = k * a.port_step
            ssrc_xor = (k * 0x9E3779B1) & 0xFFFFFFFF
            prefix = b"c%d-" % k
            chunk = []
            for (ts, fr), kind in zip(recs, kinds):
                if kind == "sip" and k:
                    u = udp_of(fr)
                    pay = CALL_ID.sub(lambda m: m.group(0) + prefix, fr[u[4]:])
                    pay = SDP_PORT.sub(lambda m: m.group(1) + b"%d" % (int(m.group(2)) + shift
                                       if int(m.group(2)) else 0), pay)
                    ip = bytearray(fr[14:14 + u[1]])
                    struct.pack_into("!H", ip, 2, u[1] + 8 + len(pay))
                    struct.pack_into("!H", ip, 10, 0)
                    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
                    fr = fr[:14] + bytes(ip) + struct.pack("!HHHH", u[2], u[3], 8 + len(pay), 0) + pay
                elif kind == "media":
                    n_media += 1
                    if k:
                        u = udp_of(fr)
                        b = bytearray(fr)
                        sp = u[2] + shift if u[2] in moved else u[2]
                        dp = u[3] + shift if u[3] in moved else u[3]
                        struct.pack_into("!HH", b, u[4] - 8, sp, dp)
                        struct.pack_into("!H", b, u[4] - 2, 0)
                        p = u[4]
                        if len(b) >= p + 12 and b[p] >> 6 == 2:
                            off = p + 4 if 200 <= b[p + 1] <= 207 else p + 8
                            ssrc = struct.unpack_from("!I", b, off)[0]
                            struct.pack_into("!I", b, off, ssrc ^ ssrc_xor)
                        fr = bytes(b)
                t = ts + k * span
                sec, sub = divmod(t, 10**9)
                chunk.append(rh.pack(sec, sub if nano else sub // 1000, len(fr), len(fr)))
                chunk.append(fr)
                n_out += 1
            out.write(b"".join(chunk))
    sys.stderr.write("rtp_replicate.py: %d copies of %d packets: %d packets, %d RTP/RTCP, %d SDP ports per copy\n"
                     % (a.copies, len(recs), n_out, n_media, len(sdp_ports)))


if __name__ == "__main__":
    main()
