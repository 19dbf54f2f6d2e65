#!/usr/bin/python3
"""mirror.py -- helpers for the mirror e2e tests (test_mirror_*.sh).

Frames are compared as hex lines, one per frame, sorted (a multiset): the
reference is always a capture made by tcpdump/tshark, never trawl's view.

Subcommands:
    frames PCAP [--src-mac M|--not-src-mac M]   one hex line per frame (pcap or pcapng via tshark)
    gre PCAP                                    one line per GRE packet: "KEY HEX(inner frame)"
                                                (fields decoded by tshark: gre.key, gre.proto)
    zmqpull PORT OUT                            bind a ZMQ PULL on 127.0.0.1:PORT until SIGTERM;
                                                decode packet-agent batches (v1) into OUT lines
                                                "KEY HEX(frame)"
    rawgre READY                                open a raw IP protocol 47 socket and read until
                                                SIGTERM (the kernel then sends no ICMP protocol
                                                unreachable for our GRE); READY is written once open
    udpsink PORT OUT                            bind UDP 127.0.0.1:PORT until SIGTERM; OUT gets
                                                one line per datagram: "LEN HEX(first 16 bytes)"
    genrate OUT SECS PPS SIZE                   write a pcap: SECS seconds of PPS Ethernet/IPv4/UDP
                                                frames of SIZE bytes (times from 2026-11-23)
    genspread OUT SECS PPS                      like genrate, frames of 60..1500 bytes, each unique
"""
import os
import signal
import socket
import struct
import subprocess
import sys


def tshark_hex(pcap):
    """Frame bytes of PCAP (pcap or pcapng), as tshark reads it: tshark rewrites it as a
    classic pcap (failing on a damaged file), which is then read here."""
    tmp = "%s.tshark.%d.pcap" % (pcap, os.getpid())
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-F", "pcap", "-w", tmp],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(2)
    try:
        return [r[2] for r in pcap_records(tmp)]
    finally:
        os.unlink(tmp)


def pcap_records(path):
    """Raw (ts_sec, ts_frac, data) of a classic pcap file (any precision)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off, recs = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        recs.append((sec, frac, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return recs


def frames(pcap, args):
    want = None
    if args and args[0] in ("--src-mac", "--not-src-mac"):
        want = (args[0] == "--src-mac", bytes.fromhex(args[1].replace(":", "")))
    lines = []
    for fr in tshark_hex(pcap):
        if want is not None and (fr[6:12] == want[1]) != want[0]:
            continue
        lines.append(fr.hex())
    for l in sorted(lines):
        print(l)


def gre(pcap):
    fields = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "gre", "-T", "fields",
                             "-e", "gre.key", "-e", "gre.proto"], capture_output=True, text=True)
    keys = [l.split("\t") for l in fields.stdout.splitlines() if l.strip()]
    inner = []
    for fr in tshark_hex(pcap):
        # outer Ethernet + IPv4 (IHL) + GRE with key (8 bytes)
        if len(fr) < 14 + 20 + 8 or fr[12:14] != b"\x08\x00" or fr[14 + 9] != 47:
            continue
        ihl = (fr[14] & 15) * 4
        inner.append(fr[14 + ihl + 8:])
    if len(keys) != len(inner):
        sys.exit("tshark saw %d GRE packets, the raw read %d" % (len(keys), len(inner)))
    out = []
    for (key, proto), fr in zip(keys, inner):
        if int(proto, 0) != 0x6558:
            sys.exit("GRE protocol %s is not 0x6558" % proto)
        out.append("%08x %s" % (int(key, 0), fr.hex()))
    for l in sorted(out):
        print(l)


def zmqpull(port, out):
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.PULL)
    s.bind("tcp://127.0.0.1:%d" % port)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    lines = []
    with open(out + ".ready", "w") as r:
        r.write("ready\n")
    while not stop[0]:
        if not s.poll(100):
            continue
        msg = s.recv()
        ver, n, key = struct.unpack("!HHI", msg[:8])
        off = 8
        for _ in range(n):
            ln, sec, usec, caplen, wlen = struct.unpack("!HIIII", msg[off:off + 18])
            lines.append("%08x %s" % (key, msg[off + 18:off + 18 + ln].hex()))
            off += 18 + ln
        if ver != 1 or off != len(msg):
            lines.append("BAD batch version %d length %d/%d" % (ver, off, len(msg)))
    with open(out, "w") as f:
        for l in sorted(lines):
            f.write(l + "\n")


def rawgre(ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    s.settimeout(0.1)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    with open(ready, "w") as r:
        r.write("ready\n")
    while not stop[0]:
        try:
            s.recv(70000)
        except socket.timeout:
            pass


def udpsink(port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.1)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    with open(out + ".ready", "w") as r:
        r.write("ready\n")
    with open(out, "w") as f:
        while not stop[0]:
            try:
                d = s.recv(70000)
            except socket.timeout:
                continue
            f.write("%d %s\n" % (len(d), d[:16].hex()))


def write_pcap(out, recs):
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, data in recs:
            f.write(struct.pack("<IIII", int(ts), int(round((ts - int(ts)) * 1e6)), len(data),
                                len(data)))
            f.write(data)


def udp_frame(i, size):
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    payload_len = size - 14 - 28
    payload = struct.pack("!I", i) + bytes((i + k) & 255 for k in range(payload_len - 4))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + payload_len, i & 0xffff, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack("!HHHH", 40000, 40001, 8 + payload_len, 0)
    return eth + ip + udp + payload


def genrate(out, secs, pps, size):
    t0 = 1795420800.0
    n = int(secs * pps)
    write_pcap(out, [(t0 + i / pps, udp_frame(i, size)) for i in range(n)])


def genspread(out, secs, pps):
    t0 = 1795420800.0
    n = int(secs * pps)
    write_pcap(out, [(t0 + i / pps, udp_frame(i, 60 + (i * 37) % 1441)) for i in range(n)])


def main(argv):
    cmd = argv[1]
    if cmd == "frames":
        frames(argv[2], argv[3:])
    elif cmd == "gre":
        gre(argv[2])
    elif cmd == "zmqpull":
        zmqpull(int(argv[2]), argv[3])
    elif cmd == "rawgre":
        rawgre(argv[2])
    elif cmd == "udpsink":
        udpsink(int(argv[2]), argv[3])
    elif cmd == "genrate":
        genrate(argv[2], float(argv[3]), float(argv[4]), int(argv[5]))
    elif cmd == "genspread":
        genspread(argv[2], float(argv[3]), float(argv[4]))
    else:
        sys.exit("unknown subcommand " + cmd)


if __name__ == "__main__":
    main(sys.argv)
