"""mgenlib.py - the project's own MGEN message generator, for the flow
metadata golden tests (gen_fm_mgen.py) and anything else that needs MGEN.

Builds MGEN version 2 messages (MGEN User's Guide, "MGEN Message Format";
the field layout is drawn in src/proto/mgen.c) from their fields, all in
network byte order:

  messageSize(16) version(8) flags(8) mgenFlowId(32) sequenceNumber(32)
  txTimeSeconds(32) txTimeMicroseconds(32) dstPort(16) dstAddrType(8)
  dstAddrLen(8) dstAddr(...) [hostPort(16) hostAddrType(8) hostAddrLen(8)
  hostAddr(...) [latitude(32) longitude(32) altitude(32) gpsStatus(8)
  [payloadType(8) payloadLen(16) payload(...)]]] padding [checksum(32)]

As MGEN's own sender does, each optional block is written only when it fits
in messageSize, and the rest is zero padding; with checksum=True the flag
CHECKSUM (0x04) is set and the last 4 bytes carry a CRC-32 of the rest.
Deterministic: no clock, no random source.
"""
import ipaddress
import struct
import zlib

ADDR_IPV4, ADDR_IPV6 = 1, 2
F_CONTINUES, F_END_OF_MSG, F_CHECKSUM, F_LAST_BUFFER = 0x01, 0x02, 0x04, 0x08


def addr_field(text):
    """(type, bytes) of an address given as text; None gives type 0 (no address)."""
    if text is None:
        return 0, b""
    a = ipaddress.ip_address(text)
    return (ADDR_IPV4 if a.version == 4 else ADDR_IPV6), a.packed


def message(size, flow_id, seq, dst, dst_port, tx_sec=1767225600, tx_usec=123456,
            flags=F_LAST_BUFFER, host=None, host_port=0, gps=True, payload=None,
            payload_type=0, checksum=False, version=2):
    """One MGEN message of exactly size bytes (28..8192 for a valid one)."""
    dtype, daddr = addr_field(dst)
    htype, haddr = addr_field(host)
    if checksum:
        flags |= F_CHECKSUM
    room = size - (4 if checksum else 0)
    b = struct.pack(">HBBIIIIHBB", size, version, flags, flow_id, seq, tx_sec, tx_usec,
                    dst_port, dtype, len(daddr)) + daddr
    if len(b) + 4 + len(haddr) <= room:
        b += struct.pack(">HBB", host_port, htype, len(haddr)) + haddr
        if gps and len(b) + 13 <= room:
            # 38.9 N, 77.0 W, altitude 30 m, status current, as (deg + 180) * 60000
            b += struct.pack(">IIIB", int((38.9 + 180) * 60000), int((-77.0 + 180) * 60000), 30, 2)
            if payload is not None and len(b) + 3 + len(payload) <= room:
                b += struct.pack(">BH", payload_type, len(payload)) + payload
    b = b[:room].ljust(room, b"\0")
    if checksum:
        b += struct.pack(">I", zlib.crc32(b) & 0xFFFFFFFF)
    assert len(b) == size
    return b
