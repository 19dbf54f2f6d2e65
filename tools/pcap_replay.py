#!/usr/bin/env python3
"""pcap_replay.py -- replay a capture's Ethernet frames onto a network interface.

Reads a classic pcap (libpcap format: micro- or nanosecond timestamps, either byte order) or a
pcapng file (SHB/IDB/EPB/SPB blocks, draft-ietf-opsawg-pcapng section 4), whose link type is
Ethernet (LINKTYPE_ETHERNET = 1), and writes every frame, in file order and byte for byte, to
IFACE through an AF_PACKET raw socket (packet(7)).  The kernel hands each frame to the device as
is: no address rewriting, no checksum changes, no ARP.  On a veth pair the frames appear on the
peer, where a promiscuous capture sees them whatever their addresses.

Pacing:
  default      as fast as possible without overrunning the receiver: after every --batch frames
               a short sleep (--gap seconds), and on ENOBUFS (device queue full) a back-off and
               a retry of the same frame, so no frame is silently lost on the sending side;
  --speed X    the original inter-frame timing divided by X (2 = twice as fast);
  --pps N      N frames per second, evenly spaced.

Skipped (counted, never sent): frames longer than the interface MTU + 14 (the Ethernet header;
the kernel would refuse them with EMSGSIZE), frames cut by the capture's snap length (caplen <
wire length: they are not the original frame) and frames shorter than an Ethernet header.

Prints one line at the end:
  pcap_replay: sent=N skipped_mtu=N skipped_truncated=N skipped_short=N seconds=S
Exit 0 when every frame was sent or counted as skipped, 1 on a send error, 2 on bad usage or a
file it cannot read.  Needs CAP_NET_RAW (root).  Standard library only.

usage: pcap_replay.py [--speed X | --pps N] [--batch N] [--gap SEC] PCAP IFACE
"""
import argparse
import errno
import fcntl
import socket
import struct
import sys
import time

LINKTYPE_ETHERNET = 1
ETH_HLEN = 14
SIOCGIFMTU = 0x8921


class PcapError(Exception):
    pass


def read_classic(f, head):
    """Yield (ts_seconds, caplen, wirelen, frame) from a classic pcap whose 4 magic bytes are head."""
    magics = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
              b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
    endian, unit = magics[head]
    rest = f.read(20)
    if len(rest) != 20:
        raise PcapError("truncated pcap file header")
    linktype = struct.unpack(endian + "HHiIII", rest)[5] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError("link type %d is not Ethernet (1)" % linktype)
    rec = struct.Struct(endian + "IIII")
    while True:
        hdr = f.read(rec.size)
        if not hdr:
            return
        if len(hdr) != rec.size:
            raise PcapError("truncated record header")
        sec, frac, caplen, wirelen = rec.unpack(hdr)
        if caplen > 0x40000:
            raise PcapError("record length %d is not plausible" % caplen)
        data = f.read(caplen)
        if len(data) != caplen:
            raise PcapError("truncated record")
        yield sec + frac * unit, caplen, wirelen, data


def read_pcapng(f, head):
    """Yield (ts_seconds, caplen, wirelen, frame) from a pcapng file (head = first 4 bytes)."""
    endian = None
    ifaces = []   # per interface: (linktype, seconds per timestamp unit, snaplen)
    while True:
        if head is None:
            head = f.read(4)
            if not head:
                return
        if len(head) != 4:
            raise PcapError("truncated block")
        more = f.read(8)
        if len(more) != 8:
            raise PcapError("truncated block header")
        if head == b"\x0a\x0d\x0d\x0a":          # Section Header Block: fixes the byte order
            bom = more[4:8]
            endian = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(bom)
            if endian is None:
                raise PcapError("bad pcapng byte-order magic")
            ifaces = []
        if endian is None:
            raise PcapError("pcapng block before a section header")
        btype = struct.unpack(endian + "I", head)[0]
        blen = struct.unpack(endian + "I", more[:4])[0]
        if blen < 12 or blen % 4 or blen > 0x1000000:
            raise PcapError("bad pcapng block length %d" % blen)
        body = more[4:] + f.read(blen - 12)
        if len(body) != blen - 8:
            raise PcapError("truncated pcapng block")
        body = body[:-4]                          # drop the trailing length copy
        head = None
        if btype == 1:                            # Interface Description Block
            if len(body) < 8:
                raise PcapError("short interface description block")
            linktype, _, snaplen = struct.unpack(endian + "HHI", body[:8])
            unit = 1e-6
            opts = body[8:]
            while len(opts) >= 4:
                code, olen = struct.unpack(endian + "HH", opts[:4])
                if code == 0:
                    break
                val = opts[4:4 + olen]
                if code == 9 and olen >= 1:       # if_tsresol
                    r = val[0]
                    unit = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
                opts = opts[4 + (olen + 3) // 4 * 4:]
            ifaces.append((linktype, unit, snaplen))
        elif btype in (6, 3):                     # Enhanced / Simple Packet Block
            if btype == 6:
                if len(body) < 20:
                    raise PcapError("short enhanced packet block")
                ifid, hi, lo, caplen, wirelen = struct.unpack(endian + "IIIII", body[:20])
                data = body[20:20 + caplen]
            else:
                if len(body) < 4:
                    raise PcapError("short simple packet block")
                ifid, hi, lo = 0, 0, 0
                wirelen = struct.unpack(endian + "I", body[:4])[0]
                snap = ifaces[0][2] if ifaces and ifaces[0][2] else wirelen
                caplen = min(wirelen, snap, len(body) - 4)
                data = body[4:4 + caplen]
            if ifid >= len(ifaces):
                raise PcapError("packet on undeclared interface %d" % ifid)
            if len(data) != caplen:
                raise PcapError("packet block shorter than its captured length")
            linktype, unit, _ = ifaces[ifid]
            if linktype != LINKTYPE_ETHERNET:
                raise PcapError("link type %d is not Ethernet (1)" % linktype)
            yield ((hi << 32) | lo) * unit, caplen, wirelen, data
        # other blocks (name resolution, statistics, custom) carry no frames


def frames(f):
    head = f.read(4)
    if head == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(f, head)
    elif head in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        yield from read_classic(f, head)
    else:
        raise PcapError("not a pcap or pcapng file")


def iface_mtu(sock, iface):
    ifr = struct.pack("16si20x", iface.encode()[:15], 0)
    return struct.unpack("16si20x", fcntl.ioctl(sock.fileno(), SIOCGIFMTU, ifr))[1]


def send_frame(sock, frame):
    """Send one frame; on a full device queue back off and retry (never drop it here)."""
    delay = 0.0002
    while True:
        try:
            sock.send(frame)
            return
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap", help="pcap or pcapng file with Ethernet frames ('-' = stdin)")
    ap.add_argument("iface", help="interface to write the frames to")
    pace = ap.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, help="original timing divided by X")
    pace.add_argument("--pps", type=float, help="frames per second")
    ap.add_argument("--batch", type=int, default=64,
                    help="default pacing: frames between two short sleeps (default 64)")
    ap.add_argument("--gap", type=float, default=0.001,
                    help="default pacing: sleep after each batch, seconds (default 0.001)")
    args = ap.parse_args()
    if (args.speed is not None and args.speed <= 0) or (args.pps is not None and args.pps <= 0) \
            or args.batch < 1 or args.gap < 0:
        ap.error("--speed, --pps and --batch must be positive, --gap not negative")

    try:
        pcap = sys.stdin.buffer if args.pcap == "-" else open(args.pcap, "rb")
    except OSError as e:
        print("pcap_replay: %s" % e, file=sys.stderr)
        sys.exit(2)
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)   # protocol 0: send only
        sock.bind((args.iface, 0))
        max_frame = iface_mtu(sock, args.iface) + ETH_HLEN
    except PermissionError:
        sys.exit("pcap_replay: AF_PACKET needs CAP_NET_RAW (run as root)")
    except OSError as e:
        print("pcap_replay: cannot open %s: %s" % (args.iface, e), file=sys.stderr)
        sys.exit(2)

    sent = big = cut = short = 0
    start = time.monotonic()
    first_ts = None
    try:
        for i, (ts, caplen, wirelen, data) in enumerate(frames(pcap)):
            if caplen < ETH_HLEN:
                short += 1
                continue
            if caplen < wirelen:
                cut += 1
                continue
            if caplen > max_frame:
                big += 1
                continue
            if args.speed is not None or args.pps is not None:
                if first_ts is None:
                    first_ts = ts
                due = start + ((ts - first_ts) / args.speed if args.speed is not None
                               else i / args.pps)
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            elif sent and sent % args.batch == 0 and args.gap > 0:
                time.sleep(args.gap)
            send_frame(sock, data)
            sent += 1
    except PcapError as e:
        print("pcap_replay: %s: %s (after %d frames sent)" % (args.pcap, e, sent), file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print("pcap_replay: send on %s failed after %d frames: %s" % (args.iface, sent, e),
              file=sys.stderr)
        sys.exit(1)
    print("pcap_replay: sent=%d skipped_mtu=%d skipped_truncated=%d skipped_short=%d seconds=%.3f"
          % (sent, big, cut, short, time.monotonic() - start))


if __name__ == "__main__":
    main()
