#!/usr/bin/env python3
"""gen_corpus_mgen.py - writes the seed corpus of fuzz_mgen (tests/fuzz/corpus/mgen).

MGEN version 2 messages (MGEN User's Guide message format) built from the
field layout, plus look-alikes that must be declined. Deterministic; rerun to
regenerate: python3 tests/fuzz/gen_corpus_mgen.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "mgen")


def mgen(size, flow, seq, flags=0, dst=(1, bytes([10, 0, 0, 2])), port=5001,
         host=(0, b""), gps=True, ptype=0, payload=b"", csum=False, version=2):
    b = struct.pack(">HBBIIIIHBB", size, version, flags | (4 if csum else 0), flow, seq,
                    1795417862, 123456, port, dst[0], len(dst[1])) + dst[1]
    if len(b) + 4 + len(host[1]) <= size:
        b += struct.pack(">HBB", 0, host[0], len(host[1])) + host[1]
        if gps and len(b) + 13 <= size:
            b += struct.pack(">IIIB", 218 * 60000, 103 * 60000, 30, 2)
            if len(b) + 3 + len(payload) <= size:
                b += struct.pack(">BH", ptype, len(payload)) + payload
    b = b[:size].ljust(size, b"\0")
    if csum:
        b = b[:-4] + b"\xde\xad\xbe\xef"
    return b


SEEDS = {
    "v4-min-28.bin": mgen(28, 1, 1),
    "v4-64-padded.bin": mgen(64, 7, 1234),
    "v4-host-gps-payload.bin": mgen(128, 42, 9, host=(1, bytes([10, 0, 0, 1])),
                                    payload=b"hello mgen"),
    "v4-checksum.bin": mgen(100, 3, 77, csum=True, payload=b"x" * 8),
    "v6-dst-v6-host.bin": mgen(200, 0xfffffffe, 5, dst=(2, bytes([0xff, 0x0e] + [0] * 13 + [1])),
                               host=(2, bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1])),
                               ptype=1, payload=b"\x01\x02\x03"),
    "v4-1024.bin": mgen(1024, 100, 100000),
    "bad-version-4.bin": mgen(64, 7, 1, version=4),
    "bad-size-mismatch.bin": mgen(64, 7, 1) + b"\0",
    "bad-truncated.bin": mgen(64, 7, 1)[:40],
    "bad-sim-addr.bin": mgen(64, 7, 1, dst=(3, bytes(4))),
    "rtp-pcmu.bin": struct.pack(">BBHII", 0x80, 0, 1, 160, 0x12345678) + b"\xff" * 160,
    "dns-query.bin": bytes.fromhex("001d01000001000000000000076578616d706c6503636f6d0000010001"),
    "sip-options.bin": b"OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: a@b\r\n"
                       b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
