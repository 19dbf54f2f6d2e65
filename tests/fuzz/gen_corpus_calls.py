#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_calls (see fuzz_calls.c for the program
format): call flows over the small address/port pools.

ops: 0 SIP [op who media n_raw (a b)*lines raw* cseq]; 1 media [a b flags];
2 time [half-seconds]; 3 expire. "callee" swaps the From/To tags: a request
the callee sends, or a response to such a request (the From tag always names
who sent the request)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "calls")

# starts[] indexes in fuzz_calls.c
INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, R200, R183, R486, R407, OPTIONS, R100 = range(12)
# cseq_methods[] for responses (op >> 4)
CM_INVITE, CM_ACK, CM_BYE, CM_CANCEL, CM_UPDATE = range(5)
# ips[] / ports[] indexes
PUB1, PUB2, PRIV5, PRIV7, NAT, ZERO, V6A, V6PRIV, V6B, HOST = range(10)
P4000, P4001, P4002, P4003, P20000, P20001, P31000, P31001, P65535, P0 = range(10)


def sip(start, call=0, callee=False, sdp=(), ctype=True, cut=False, cm=CM_INVITE, cseq=1, raw=b""):
    who = call | (0x10 if callee else 0)
    media = (1 if sdp else 0) | ((max(len(sdp), 1) - 1) << 1) | (0x40 if ctype else 0) | (0x80 if cut else 0)
    out = bytes([0, start | (cm << 4), who, media, len(raw)])
    for ip, port, mux, rtcp in sdp:
        out += bytes([ip | (0x40 if mux else 0) | (0x80 if rtcp else 0), port])
    return out + raw + bytes([cseq])


def pkt(sip_, sport, dip, dport, rtcp=False, proto_tcp=False, payload_len=12):
    flags = (1 if rtcp else 0) | 0x40 | ((payload_len & 15) << 2) | (0x80 if proto_tcp else 0)
    return bytes([1, sip_ | (sport << 4), dip | (dport << 4), flags])


def wait(halfsecs):
    return bytes([2, halfsecs])


EXPIRE = bytes([3])

seeds = {
    "basic-call": sip(INVITE, 1, sdp=[(PUB1, P4000, 0, 0)]) + sip(R200, 1, False, sdp=[(PUB2, P20000, 0, 0)])
    + sip(ACK, 1, cseq=1) + pkt(PUB1, P4001, PUB2, P20001, True) + pkt(PUB2, P20001, PUB1, P4001, True)
    + sip(BYE, 1, cseq=2) + wait(4) + pkt(PUB1, P4001, PUB2, P20001, True) + wait(20) + EXPIRE,
    "nat-learn": sip(INVITE, 2, sdp=[(PRIV5, P4000, 0, 0)]) + sip(R200, 2, False, sdp=[(PUB2, P20000, 0, 0)])
    + pkt(NAT, P31000, PUB2, P20000) + pkt(NAT, P31001, PUB1, P4003, True) + pkt(PUB2, P20000, NAT, P31000),
    "nat-mux": sip(INVITE, 3, sdp=[(PRIV7, P4000, 1, 0)]) + sip(R200, 3, False, sdp=[(PUB2, P20000, 1, 0)])
    + pkt(NAT, P31000, PUB2, P20000, True) + pkt(PUB1, P4003, NAT, P31000, True),
    "rtcp-attr-v6": sip(INVITE, 4, sdp=[(V6A, P4000, 0, 1), (V6B, P4002, 0, 0)])
    + sip(R200, 4, False, sdp=[(V6PRIV, P20000, 0, 0), (V6B, P0, 0, 0)])
    + pkt(V6A, P20001, V6B, P4003, True),
    "reinvite-hold": sip(INVITE, 5, sdp=[(PUB1, P4000, 0, 0)]) + sip(R200, 5, False, sdp=[(PUB2, P20000, 0, 0)])
    + sip(INVITE, 5, True, sdp=[(ZERO, P20000, 0, 0)], cseq=1) + sip(R200, 5, True, sdp=[(PUB1, P4002, 0, 0)])
    + pkt(PUB1, P4003, PUB2, P20001, True),
    "auth-retry": sip(INVITE, 6, sdp=[(PUB1, P4000, 0, 0)]) + sip(R407, 6, False) + sip(ACK, 6)
    + sip(INVITE, 6, sdp=[(PUB1, P4000, 0, 0)], cseq=2) + sip(R200, 6, False, sdp=[(PUB2, P20000, 0, 0)], cseq=2),
    "cancel-busy": sip(INVITE, 7, sdp=[(PUB1, P4000, 0, 0)]) + sip(CANCEL, 7) + sip(INVITE, 8, sdp=[(PUB2, P4002, 0, 0)])
    + sip(R486, 8, False) + wait(12) + EXPIRE,
    "eviction": b"".join(sip(INVITE, c, sdp=[(PUB1, P4000 + (c % 4), 0, 0)]) for c in range(12)),
    "long-callid": sip(INVITE, 15, sdp=[(HOST, P4000, 0, 0)]) + sip(R200, 15, False, sdp=[(PUB2, P65535, 0, 0)]),
    "cut-and-junk": sip(INVITE, 9, sdp=[(PUB1, P4000, 0, 0)], cut=True)
    + sip(INVITE, 10, ctype=True, raw=b"v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 9.9.9.9\r\n")
    + sip(R183, 10, False, sdp=[(PUB2, P20000, 1, 1)], cm=CM_INVITE) + sip(OPTIONS, 11, sdp=[(PUB1, P4000, 0, 0)]),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds -> %s" % (len(seeds), OUT))
