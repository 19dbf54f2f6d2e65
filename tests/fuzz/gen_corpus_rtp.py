#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_rtp: packet scripts (see fuzz_rtp.c),
each record ctl, dt, len, then len bytes of UDP payload."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "rtp")


def rtp(seq, ts, ssrc, pt=0, marker=False, payload=b"\xd5" * 20, csrc=(), ext=None,
        pad=0):
    b0 = 0x80 | len(csrc) | (0x10 if ext is not None else 0) | (0x20 if pad else 0)
    out = struct.pack("!BBHII", b0, pt | (0x80 if marker else 0), seq & 0xffff,
                      ts & 0xffffffff, ssrc)
    for c in csrc:
        out += struct.pack("!I", c)
    if ext is not None:
        out += struct.pack("!HH", 0xbede, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b"\x00" * (pad - 1) + bytes([pad])
    return out


def rec(payload, flow=0, dt=20, secs=False, expire=False, own_cid=False):
    ctl = flow | (4 if secs else 0) | (8 if expire else 0) | (0x10 if own_cid else 0)
    return bytes([ctl, dt, len(payload)]) + payload


def stream(seqs, ssrc=0x1234, flow=0, pt=0, dt=20, **kw):
    return b"".join(rec(rtp(s, 160 * s, ssrc, pt), flow=flow, dt=dt, **kw) for s in seqs)


SEEDS = {
    "clean": stream(range(40)),
    "loss": stream([s for s in range(40) if s % 7 != 3]),
    "reorder_dup": stream([1, 2, 4, 3, 5, 5, 6, 2, 7, 8]),
    "wrap": stream([(65530 + i) & 0xffff for i in range(14)]),
    "jump_restart": stream(list(range(10)) + [30000] + [9, 10] + list(range(40000, 40010))),
    "two_ssrc_same_flow": stream(range(10), ssrc=1) + stream(range(500, 510), ssrc=2),
    "four_flows_evict": b"".join(stream(range(i * 5, i * 5 + 5), ssrc=i + 1, flow=i)
                                 for i in range(4)) + stream(range(5), ssrc=9, flow=0),
    "idle_expire": stream(range(5)) + rec(rtp(5, 800, 0x1234), dt=10, secs=True,
                                          expire=True) + stream(range(6, 9)),
    # periodic reports are on when the input length has bit 1 set
    "periodic": stream(range(60), dt=40) + (b"" if (len(stream(range(60), dt=40)) & 2) else b"\x00\x00"),
    "jitter": b"".join(rec(rtp(i, 160 * i, 7), dt=d) for i, d in
                       enumerate([0, 20, 25, 15, 30, 10, 20, 20])),
    "csrc_ext_pad": b"".join(rec(rtp(i, 160 * i, 5, pt=18, csrc=(1, 2), ext=b"\x10\xff\x00\x00",
                                     pad=3)) for i in range(6)),
    "rtcp_mux": rec(bytes.fromhex("80c8000600001234") + b"\x00" * 20) + stream(range(3)),
    "backwards_time": stream(range(3)) + rec(rtp(3, 480, 0x1234), dt=0x85) + stream(range(4, 6)),
    # the packet bytes are the Call-ID: longer than TR_RTP_CALL_ID_MAX, and not ASCII
    "long_call_id": b"".join(rec(rtp(i, 160 * i, 4, payload=b"\xff\"\\x" * 40), own_cid=True)
                             for i in range(4)),
    # a set-clock record (ctl bit 5, len 0): PT 111 at 4000 Hz, then packets
    "dynamic_clock": bytes([0x20 | 0xc0, 111, 0]) + b"".join(
        rec(rtp(i, 960 * i, 3, pt=111)) for i in range(8)),
    "video": b"".join(rec(rtp(i, 3000 * i, 8, pt=34), dt=33) for i in range(10)),
    "bad_lengths": rec(bytes([0x8f, 0]) + b"\x00" * 10) + rec(bytes([0x90, 0]) + b"\x00" * 12)
    + rec(bytes([0xa0, 0]) + b"\x00" * 11 + b"\x40"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
