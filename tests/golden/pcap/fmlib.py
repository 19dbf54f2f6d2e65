"""fmlib.py - frames for the flow metadata golden captures (gen_fm_*.py):
Ethernet II frames between two documentation hosts, built with scapy, with
goldenlib's deterministic timestamps (docs/flowmeta.md says what trawl
prints for each)."""
import struct

from goldenlib import MAC_A, MAC_B, ETH_IPV4, ETH_IPV6, ETH_VLAN, ts, raw  # noqa: F401

H4A, H4B = "192.0.2.10", "198.51.100.20"
H6A, H6B = "2001:db8::10", "2001:db8:0:1::20"


def ether(l3, src=MAC_A, dst=MAC_B, ethertype=None, vlan=None):
    if ethertype is None:
        ethertype = ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4
    hdr = dst + src
    if vlan is not None:
        hdr += struct.pack(">HH", ETH_VLAN, vlan)
    return hdr + struct.pack(">H", ethertype) + l3


def frames(l3s):
    """[(ts, frame)] from a list of frames, one goldenlib step apart."""
    return [(ts(i), f) for i, f in enumerate(l3s)]


def split(datagram, size):
    """[(offset, more, chunk)] cutting a fragmentable part every size bytes."""
    return [(off, off + size < len(datagram), datagram[off:off + size])
            for off in range(0, len(datagram), size)]
