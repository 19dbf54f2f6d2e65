#!/usr/bin/python3
"""gen_rtcp_variants.py - writes rtcp_variants.pcap: RTCP and RTCP XR packet
shapes on the RTCP endpoints of one call, valid and malformed. Specs: RFC 3550
sections 6.1 (compound packets), 6.4.1 (SR), 6.4.2 (RR), 6.5 (SDES), 6.6
(BYE), 6.7 (APP), A.2 (validity checks: version 2 in every packet, lengths
that add up to the datagram); RFC 5506 (reduced-size RTCP); RFC 4585 6.3.1
(PLI); RFC 3611 sections 4.4 (RRT block) and 4.7 (VoIP metrics block).

Call rtcpvar-a84b4c76e66710@atlanta.example.com: offer 192.0.2.10 m=audio
49170, answer 198.51.100.20 m=audio 3456, so RTCP A = 192.0.2.10:49171,
B = 198.51.100.20:3457. SSRCs: A 0x3A3A0001 (976879617), B 0x3B3B0001
(993722369). Frames 0-4 INVITE 100 180 200 ACK, last two BYE 200 (7 SIP
lines). Every RTCP line below has call_id rtcpvar-...

 frame  packet (A -> B unless said)          expected "rtcp" object
 5  V1  SR + SDES + BYE: SR ntp 3976214405.    type 200, ssrc 976879617,
        0x00100000, rtp_ts 4000000000,         ntp_timestamp_usec 244 (floor
        packets 4294967295, octets 123456; 1   0x100000 * 10^6 / 2^32),
        block on B: frac 255, lost 8388607,    rtp_timestamp 4000000000,
        ext seq 65541, jitter 1000, lsr         packets 4294967295, report_count 1
        0x12345678, dlsr 0x18000; SDES chunk    (packets_lost 8388607, lsr
        A: CNAME alice@192.0.2.10, NAME          305419896, dlsr 98304),
        'Alice "A" Liddell', TOOL trawl-golden;  sdes_information 3 items (types
        BYE A reason "call ended"                1, 2, 6; the quotes escaped \\"),
                                                 bye {ssrcs [976879617], reason
                                                 "call ended"}
 6  V2  B -> A: RR from B with 3 blocks on     type 201, report_count 3, blocks
        0x3A3A0001/2/3 (lost 0, -5, 100; frac   in order with packets_lost 0, -5,
        0, 0, 10; ext seq 100, 200, 300;        100, fraction_lost 0, 0, 10;
        jitter 1, 2, 3; lsr dlsr 0) + SDES      sender_information all zeros
        CNAME bob@198.51.100.20
 7  V3  RR from A (no block) + XR from A:      type 201, report_count 0,
        RRT block (ntp 3976214405.0) + VoIP     report_blocks_xr {type 7, id
        metrics on B: loss 12, discard 3,       993722369, fraction_lost 12,
        burst dens 40, gap dens 5, burst 120    fraction_discard 3, ...}, xr_blocks
        ms, gap 3000 ms, rtd 45, esd 60, signal  [{type 4, block_length 2}, {type 7,
        -18, noise -65, rerl 30, gmin 16, R 88,  block_length 8}], voip_metrics with
        ext R 127, MOS-LQ 41, MOS-CQ 127, rx     mos_lq 4.1, mos_cq null,
        config 0xA0, JB 40/80/120                signal_level -18, noise_level -65
 8  V4  SR + SDES + APP (subtype 3, name       type 200, app [{ssrc 976879617,
        "TRWL", 8 bytes data)                   subtype 3, name "TRWL", length 8}]
 9  V5  reduced-size: a lone PSFB PLI (FMT 1)  type 206, ssrc 976879617,
        A on B                                  report_count 0
 10 V6  reduced-size: a lone XR from B with    type 207, ssrc 993722369,
        VoIP metrics on A (same values as V3    voip_metrics mos_lq 4.1, mos_cq
        but MOS-CQ 40)                          4.0 (wire 40 / 10)
 11 M1  SR whose length says 12 words, 6 sent  NOT RTCP: no rtcp line
 12 M2  RR with RC 3 but 1 block (length 7)    NOT RTCP: no rtcp line
 13 M3  SR + SDES cut: the datagram ends 8     NOT RTCP: no rtcp line
        bytes into an SDES of length 6 (28 bytes)
 14 M4  SR + SDES whose header has version 1   NOT RTCP: no rtcp line
 15 V7  RR from B, one block on A, + SDES      type 201, report_count 1: the
        (the control after the malformed ones)  flow still works after M1-M4
 The malformed datagrams are not RTCP; they are not RTP either (they have no
 RTP stream to report: an SR/RR header is not an RTP packet of this call's
 payload types), so no other line appears for them.
"""
from medialib import *  # noqa: F401,F403

SA, SB = 0x3A3A0001, 0x3B3B0001
d = Dialog("rtcpvar", uac4(), uas4())
offer = sdp_lines("alice", 2890844526, "192.0.2.10", "IN IP4 192.0.2.10",
                  [("audio 49170 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000"])])
answer = sdp_lines("bob", 2890844527, "198.51.100.20", "IN IP4 198.51.100.20",
                   [("audio 3456 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000"])])
A, B = ep4("192.0.2.10", 49171), ep4("198.51.100.20", 3457, MAC_B)

sdes_a = sdes([(SA, [(1, "alice@192.0.2.10")])])
sdes_b = sdes([(SB, [(1, "bob@198.51.100.20")])])
sr_a = sr(SA, 3976214405, 0, 8000, 50, 8000)


def voip(ssrc, mos_cq):
    return xr_voip(ssrc, 12, 3, 40, 5, 120, 3000, 45, 60, -18, -65, 30, 16, 88, 127,
                   41, mos_cq, 0xA0, 40, 80, 120)


v1 = sr(SA, 3976214405, 0x00100000, 4000000000, 4294967295, 123456,
        [block(SB, 255, 8388607, 65541, 1000, 0x12345678, 0x18000)]) + \
    sdes([(SA, [(1, "alice@192.0.2.10"), (2, 'Alice "A" Liddell'), (6, "trawl-golden")])]) + \
    rtcp_bye([SA], "call ended")
v2 = rr(SB, [block(SA, 0, 0, 100, 1, 0, 0), block(SA + 1, 0, -5, 200, 2, 0, 0),
             block(SA + 2, 10, 100, 300, 3, 0, 0)]) + sdes_b
v3 = rr(SA) + xr(SA, [xr_rrt(3976214405, 0), voip(SB, 127)])
v4 = sr_a + sdes_a + app(SA, 3, "TRWL", b"\x01\x02\x03\x04\x05\x06\x07\x08")
v5 = psfb_pli(SA, SB)
v6 = xr(SB, [voip(SA, 40)])
m1 = struct.pack(">BBH", 0x80, 200, 12) + sr_a[4:]
m2 = rr(SB, [block(SA, 0, 0, 100, 1, 0, 0)], rc=3) + sdes_b
m3 = (sr_a + sdes_a)[:len(sr_a) + 8]
m4 = sr_a + bytes([(sdes_a[0] & 0x3F) | 0x40]) + sdes_a[1:]
v7 = rr(SB, [block(SA, 0, 0, 400, 4, 0, 0)]) + sdes_b
assert len(m3) % 4 == 0 and sdes_a[2:4] == b"\x00\x06"

f = Frames()
f.sip(call_setup(d, offer, answer))
for p, fwd in ((v1, True), (v2, False), (v3, True), (v4, True), (v5, True), (v6, False),
               (m1, True), (m2, False), (m3, True), (m4, True), (v7, False)):
    f.udp(A, B, p) if fwd else f.udp(B, A, p)
f.sip(call_teardown(d))
write_pcap("rtcp_variants.pcap", LINKTYPE_ETHERNET, f.frames)
