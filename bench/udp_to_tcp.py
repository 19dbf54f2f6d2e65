#!/usr/bin/env python3
"""udp_to_tcp.py - turn a SIP-over-UDP pcap into the same SIP messages over TCP.

    bench/udp_to_tcp.py IN.pcap OUT.pcap [--seed 1] [--sip-port 5060]

Input: a classic pcap (Ethernet, IPv4, UDP), e.g. from ../shared/bench/gen_sip_pcap.sh.  Each
call (Call-ID) becomes one TCP connection (RFC 9293) from the side that sent the call's first
message (the UAC, on an ephemeral port 20000 + n mod 40000) to the other side's SIP port; every
message of the call, both directions, travels on it, byte for byte as in the UDP file (RFC 3261
section 18.3: each message carries Content-Length, so the stream is framed).

Per connection:
  * three-way handshake (SYN with MSS 1460, SYN-ACK, ACK) just before the first message;
  * most messages are one segment (PSH|ACK), at the UDP packet's time;
  * same-direction messages less than 50 ms apart (the UAS's 180 and 200) are written together
    in 15% of the cases: one segment with two messages, or (a third of those) the pair cut at a
    random byte, so one segment ends inside a message and the next starts inside one;
  * 10% of the INVITEs are split over two segments (cut at a random byte, 20-80 us apart);
  * segments longer than the MSS (1448) are cut, as TCP would;
  * a pure ACK 20 us after a data segment unless the receiver sends data within 1 ms (then the
    ACK rides on that segment, as delayed ACK does);
  * FIN from the client 1 ms after the last message, FIN-ACK, ACK.
Sequence numbers, acknowledgements, IPv4 and TCP checksums are correct.  The output is sorted by
time and deterministic for a given --seed.  Raw records are written with struct: scapy is too slow
for files of 100,000+ packets.  Stdlib only.
"""
import argparse
import array
import random
import struct
import sys

MSS = 1448
ETH = b"\x00" * 12 + b"\x08\x00"


def die(msg):
    sys.stderr.write("udp_to_tcp.py: %s\n" % msg)
    sys.exit(1)


def read_udp(path):
    """[(ts_us, src_ip4, sport, dst_ip4, dport, payload)] of the IPv4/UDP records of a pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die("%s: not a pcap" % path)
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
    out = []
    pos = 24
    hdr = struct.Struct(e + "IIII")
    while pos + 16 <= len(data):
        sec, frac, incl, _ = hdr.unpack_from(data, pos)
        fr = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(fr) < 14 + 20 + 8 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
            continue
        ihl = (fr[14] & 15) * 4
        if struct.unpack("!H", fr[20:22])[0] & 0x3fff:
            continue  # IP fragment: not for this tool
        tot = struct.unpack("!H", fr[16:18])[0]
        udp = fr[14 + ihl:14 + tot]
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        out.append((ts, fr[26:30], sport, fr[30:34], dport, bytes(udp[8:ulen])))
    return out


def call_id(payload):
    for key in (b"\r\nCall-ID:", b"\r\ni:", b"\r\ncall-id:", b"\r\nCALL-ID:"):
        i = payload.find(key)
        if i >= 0:
            j = payload.find(b"\r\n", i + 2)
            return payload[i + len(key):j].strip()
    return None


def csum(data):
    """RFC 1071 checksum, summed in host order and stored in host order (byte-order independent)."""
    if len(data) & 1:
        data += b"\x00"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return struct.pack("=H", ~s & 0xffff)


class Conn:
    """One TCP connection: packet builder with per-direction sequence state."""

    def __init__(self, rng, cli, srv):
        self.ep = [cli, srv]                # (ip4 bytes, port) of side 0 (client), side 1
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]
        self.ipid = [rng.getrandbits(16), rng.getrandbits(16)]
        self.pkts = []                      # (ts_us, frame)
        self.last = -1

    def emit(self, ts, side, flags, payload=b"", syn_opts=False):
        ts = max(ts, self.last + 1)         # strictly increasing time within the connection
        self.last = ts
        (sip, sp), (dip, dp) = self.ep[side], self.ep[1 - side]
        opts = b"\x02\x04\x05\xb4" if syn_opts else b""
        ack = self.seq[1 - side] if flags & 0x10 else 0
        off = (20 + len(opts)) // 4
        tcp = struct.pack("!HHIIBBHHH", sp, dp, self.seq[side] & 0xffffffff, ack & 0xffffffff,
                          off << 4, flags, 65535, 0, 0) + opts + payload
        pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + csum(pseudo + tcp) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.ipid[side], 0x4000, 64, 6, 0,
                         sip, dip)
        ip = ip[:10] + csum(ip) + ip[12:]
        self.ipid[side] = (self.ipid[side] + 1) & 0xffff
        self.pkts.append((ts, ETH + ip + tcp))
        self.seq[side] += len(payload) + (1 if flags & 0x03 else 0)  # SYN and FIN take one


def segments(rng, writes, stats):
    """writes [(ts, side, [msg bytes...])] -> segments [(ts, side, bytes)]."""
    segs = []
    for ts, side, msgs in writes:
        data = b"".join(msgs)
        cuts = []
        if len(msgs) > 1:
            stats["coalesced_writes"] += 1
            if rng.random() < 1 / 3:
                b1 = len(msgs[0])
                c = b1
                while c == b1:
                    c = rng.randint(1, len(data) - 1)
                cuts.append(c)
                stats["cut_inside_message"] += 1
        elif msgs[0].startswith(b"INVITE ") and rng.random() < 0.10 and len(data) > 128:
            cuts.append(rng.randint(64, len(data) - 64))
            stats["invites_split"] += 1
        pieces, prev = [], 0
        for c in cuts + [len(data)]:
            pieces.append(data[prev:c])
            prev = c
        t = ts
        for i, p in enumerate(pieces):
            for off in range(0, len(p), MSS):
                segs.append((t, side, p[off:off + MSS]))
                t += rng.randint(20, 80) if i + 1 < len(pieces) or off + MSS < len(p) else 0
    return segs


def convert(args):
    recs = read_udp(args.input)
    calls = {}
    order = []
    skipped = 0
    for r in recs:
        if args.sip_port not in (r[2], r[4]) or not r[5]:
            skipped += 1
            continue
        cid = call_id(r[5])
        if cid is None:
            die("a SIP message without Call-ID at ts %d" % r[0])
        if cid not in calls:
            calls[cid] = []
            order.append(cid)
        calls[cid].append(r)
    rng = random.Random(args.seed)
    stats = {"coalesced_writes": 0, "cut_inside_message": 0, "invites_split": 0}
    out = []
    n_msgs = n_data = n_pure_acks = 0
    for n, cid in enumerate(order):
        msgs = calls[cid]
        first = msgs[0]
        cli = (first[1], 20000 + n % 40000)
        srv_ip, srv_port = first[3], first[4]
        if srv_port != args.sip_port:   # the call's first message came from the SIP port side
            srv_ip, srv_port = first[1], first[2]
            cli = (first[3], 20000 + n % 40000)
        c = Conn(rng, cli, (srv_ip, srv_port))

        def side_of(r):
            return 0 if (r[1], r[2]) != (srv_ip, srv_port) else 1

        # writes: messages grouped per send
        writes = []
        for r in msgs:
            s = side_of(r)
            n_msgs += 1
            if (writes and writes[-1][1] == s and len(writes[-1][2]) == 1
                    and r[0] - writes[-1][0] < 50000 and rng.random() < 0.15):
                writes[-1] = (r[0], s, writes[-1][2] + [r[5]])
            else:
                writes.append((r[0], s, [r[5]]))
        segs = segments(rng, writes, stats)
        t0 = segs[0][0]
        c.emit(t0 - 300, 0, 0x02, syn_opts=True)            # SYN
        c.emit(t0 - 270, 1, 0x12, syn_opts=True)            # SYN-ACK
        c.emit(t0 - 240, 0, 0x10)                           # ACK
        for i, (ts, s, data) in enumerate(segs):
            c.emit(ts, s, 0x18, data)                       # PSH|ACK
            n_data += 1
            nxt = segs[i + 1] if i + 1 < len(segs) else None
            if nxt is None or nxt[1] == s or nxt[0] - ts > 1000:
                c.emit(ts + 20, 1 - s, 0x10)                # pure ACK
                n_pure_acks += 1
        tl = segs[-1][0] + 1000
        c.emit(tl, 0, 0x11)                                 # FIN|ACK
        c.emit(tl + 30, 1, 0x11)                            # FIN|ACK
        c.emit(tl + 60, 0, 0x10)                            # ACK
        for k, (ts, fr) in enumerate(c.pkts):
            out.append((ts, n, k, fr))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    with open(args.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        rec = struct.Struct("<IIII")
        for ts, _, _, fr in out:
            f.write(rec.pack(ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)
    print("udp_to_tcp.py: %s -> %s: %d calls = %d TCP connections, %d SIP messages in %d data "
          "segments, %d packets (%d pure ACKs); %d writes of 2 messages (%d of them cut inside a "
          "message), %d INVITEs split; %d UDP records skipped (not SIP port %d)"
          % (args.input, args.output, len(order), len(order), n_msgs, n_data, len(out),
             n_pure_acks, stats["coalesced_writes"], stats["cut_inside_message"],
             stats["invites_split"], skipped, args.sip_port))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sip-port", type=int, default=5060)
    convert(ap.parse_args())


if __name__ == "__main__":
    main()
