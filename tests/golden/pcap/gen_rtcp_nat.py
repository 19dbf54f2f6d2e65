#!/usr/bin/python3
"""gen_rtcp_nat.py - writes rtcp_nat.pcap: RTCP of NAT'd callers, whose SDP
announces a private address:port that never appears on the wire (issue 5,
"correlation that survives NAT"). Specs: RFC 3264 (offer/answer), RFC 3550
sections 6.4.1 (SR), 6.4.2 (RR), 6.5 (SDES), 6.6 (BYE), 11 (RTCP on RTP port
+ 1), RFC 3611 section 4.7 (XR VoIP metrics), RFC 5761 (rtcp-mux), RFC 3581
(rport/received: the caller's SIP also comes through the NAT).

The capture point is the public side (a media server's uplink). Five calls,
started 0.3 s apart, overlapping; in each the caller is behind a NAT and the
callee (198.51.100.x / 2001:db8:0:1::20) is public and exactly where its SDP
says. Codec G.729 (PT 18, 8 kHz), ptime 40: 40-byte RTP payloads every 40 ms.

 call (Call-ID = <seed>-a84b4c76e66710@atlanta.example.com)
 seed      caller SDP          caller on the wire (RTP / RTCP)  callee SDP = wire (RTP / RTCP)
 natbasic  10.0.0.11:4000      203.0.113.5:31000 / 31001        198.51.100.20:3456 / 3457
 natodd    10.0.0.12:4000      203.0.113.5:31002 / 31057 (*)    198.51.100.20:3458 / 3459
 natmux    10.0.0.13:4000 mux  203.0.113.6:31100 (RTP and RTCP) 198.51.100.21:5000 (both), mux
 natv6     [fd00::13]:4000     [2001:db8:113::5]:31200 / 31201  [2001:db8:0:1::20]:3460 / 3461
 natmove   10.0.0.14:4000      203.0.113.5:31300 / 31301        198.51.100.20:3462 / 3463, then
                                                                 198.51.100.22:3470 / 3471 (**)
 (*) the NAT gave the RTCP flow a port that is not RTP + 1, so a "port + 1"
     guess is wrong and only the RTCP packets themselves tell the truth.
 (**) at m+2.4 the callee re-INVITEs (From/To swapped, RFC 3261 14.1) moving
     its media to another server (a transfer); the caller answers with its
     same private SDP (version + 1); at m+2.6 the old server leaves with
     SR+SDES+BYE from 198.51.100.20:3463, no longer in any SDP, to
     203.0.113.5:31301: only the endpoint learned from the wire ties that
     packet to its call (with --no-nat-learning it goes out uncorrelated).
     RTP moves to the new server at m+2.5.
 natbasic, natodd and natmove share the NAT's public address and the
 private port 4000 (phones behind one NAT); natmux offers and answers
 a=rtcp-mux. In natbasic..natv6 every RTCP packet also touches the callee's
 SDP endpoint, so those match even without learning; the learning shows in
 the summary (calls.nat_learned 6, calls.nat_guessed_rtcp 4).

Per call, with s = 0.3 * index and m = s + 1.010 (media start):
 s        INVITE caller -> callee:5060 (SIP from 203.0.113.5:5062 / :5064 /
          203.0.113.6:5062 / [2001:db8:113::5]:5062 / 203.0.113.5:5066;
          Via and Contact private, responses with rport/received)
 s+0.010  100;  s+0.200 180;  s+1.000 200 OK with the callee's SDP
 m        caller RTP starts (125 packets, every 40 ms), "right after the 200"
 m+0.010  ACK
 m+0.015  callee RTP starts (125 packets, to the caller's real RTP address)
 RTCP, all from the real endpoints above, to the peer's real RTCP endpoint:
 m+1.3 caller SR+SDES; m+1.6 callee SR+SDES; m+3.1 caller SR+SDES;
 m+3.4 callee SR+SDES; m+4.6 caller SR+SDES+XR (VoIP metrics);
 m+4.95 caller SR+SDES+BYE; m+5.0 SIP BYE (caller); m+5.01 200 OK;
 m+5.3 callee SR+SDES (late, after the dialog ended: the call lingers).
 Every SR after the peer's first SR carries one report block for the peer's
 stream (loss 0, jitter 12, LSR/DLSR from the peer's last SR).

What trawl must output (1324 frames): 38 SIP messages (7 per call, natmove
+3: re-INVITE, 200, ACK); 36 RTCP packets, every one with the Call-ID of its
call (HEP type 5 with correlation id chunk 0x0011 = that Call-ID; in JSON the
call's Call-ID), none uncorrelated, 5 of them with XR voip_metrics (one per
call); 12 RTP streams (natmove has 4), each with its call's Call-ID.
 RTCP flows (src -> dst: packets, Call-ID seed):
   203.0.113.5:31001        -> 198.51.100.20:3457       4  natbasic (1 XR)
   198.51.100.20:3457       -> 203.0.113.5:31001        3  natbasic
   203.0.113.5:31057        -> 198.51.100.20:3459       4  natodd   (1 XR)
   198.51.100.20:3459       -> 203.0.113.5:31057        3  natodd
   203.0.113.6:31100        -> 198.51.100.21:5000       4  natmux   (1 XR)
   198.51.100.21:5000       -> 203.0.113.6:31100        3  natmux
   [2001:db8:113::5]:31201  -> [2001:db8:0:1::20]:3461  4  natv6    (1 XR)
   [2001:db8:0:1::20]:3461  -> [2001:db8:113::5]:31201  3  natv6
   203.0.113.5:31301        -> 198.51.100.20:3463       1  natmove
   198.51.100.20:3463       -> 203.0.113.5:31301        2  natmove (the 2nd: old server's BYE)
   203.0.113.5:31301        -> 198.51.100.22:3471       3  natmove  (1 XR)
   198.51.100.22:3471       -> 203.0.113.5:31301        2  natmove
 "gen_rtcp_nat.py --map FILE" also writes these flows as an add_rtcp.py map
 (for bench/rtcp_check.py against hep_sink -w output).
"""
import struct
import sys

from goldenlib import *  # noqa: F401,F403

NTP_UNIX = 2208988800
CLOCK = 8000
PTIME = 0.040
N_RTP = 125
PAYLOAD = 40
MOVE_AT = 2.4          # natmove: the callee's re-INVITE, after m


def us(t):
    """Seconds after T0 -> pcap microseconds."""
    return T0_US + int(round(t * 1e6))


def ep(ip, port, mac, name="x"):
    return Party(ip, port, name, "example.com", mac, name)


# ------------------------------------------------------------------ SIP

def sdp_body(user, ip, port, mux, sess, version=None):
    fam = "IP6" if ":" in ip else "IP4"
    version = sess if version is None else version
    return ("v=0\r\n"
            "o=%s %d %d IN %s %s\r\n"
            "s=-\r\n"
            "c=IN %s %s\r\n"
            "t=0 0\r\n"
            "m=audio %d RTP/AVP 18 101\r\n"
            "a=rtpmap:18 G729/8000\r\n"
            "a=fmtp:18 annexb=no\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:40\r\n"
            "%s"
            "a=sendrecv\r\n"
            % (user, sess, version, fam, ip, fam, ip, port, "a=rtcp-mux\r\n" if mux else "")).encode()


class NatCall:
    def __init__(self, seed, start, sip_a, sip_b, sdp_a, rtp_a, rtcp_a, rtp_b, rtcp_b, mux, k,
                 move=None):
        self.seed, self.start, self.mux, self.k = seed, start, mux, k
        self.move = move                               # (new callee RTP, new RTCP) or None
        self.sip_a, self.sip_b = sip_a, sip_b          # wire SIP endpoints
        self.sdp_a = sdp_a                             # (private ip, port) in the caller's SDP
        self.rtp_a, self.rtcp_a = rtp_a, rtcp_a        # caller's real media endpoints
        self.rtp_b, self.rtcp_b = rtp_b, rtcp_b        # callee's (SDP == wire)
        self.d = Dialog(seed, sip_a, sip_b)
        self.priv = "[%s]" % sdp_a[0] if ":" in sdp_a[0] else sdp_a[0]

    def via(self, n):
        return "Via: SIP/2.0/UDP %s:5060;branch=%s;rport" % (self.priv, self.d.branch(n))

    def via_resp(self, n):
        return ("Via: SIP/2.0/UDP %s:5060;branch=%s;rport=%d;received=%s"
                % (self.priv, self.d.branch(n), self.sip_a.port, self.sip_a.ip))

    def req(self, method, n, cseq, tagged, body=b""):
        d, b = self.d, self.sip_b
        ruri = d.b.aor if method == "INVITE" else "sip:%s@%s" % (b.user, b.hostport)
        hdrs = [self.via(n), "Max-Forwards: 70", d.to(tagged), d.from_(),
                "Call-ID: %s" % d.call_id, "CSeq: %d %s" % (cseq, method)]
        if method == "INVITE":
            hdrs += ["Contact: <sip:alice@%s:5060>" % self.priv,
                     "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
                     "User-Agent: trawl-golden-natphone/1.0",
                     "Content-Type: application/sdp"]
        else:
            hdrs.append("User-Agent: trawl-golden-natphone/1.0")
        return message("%s %s SIP/2.0" % (method, ruri), hdrs, body)

    def reinvite_from_callee(self, cseq, body):
        """The callee's re-INVITE (RFC 3261 14.1): From/To swapped, sent to the caller's
        NAT binding (the private Contact is not reachable)."""
        d, b = self.d, self.sip_b
        return message("INVITE sip:alice@%s:5060 SIP/2.0" % self.priv, [
            "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s-r%d" % (b.hostport, self.seed, cseq),
            "Max-Forwards: 70",
            'From: "Bob" <%s>;tag=%s' % (d.b.aor, d.to_tag),
            'To: "Alice" <%s>;tag=%s' % (d.a.aor, d.from_tag),
            "Call-ID: %s" % d.call_id, "CSeq: %d INVITE" % cseq,
            "Contact: %s" % d.b.contact, "Server: trawl-golden-mediaserver/1.0",
            "Content-Type: application/sdp"], body)

    def _bob_dialog(self, branch, cseq, method):
        d, b = self.d, self.sip_b
        return ["Via: SIP/2.0/UDP %s;branch=z9hG4bK%s-%s" % (b.hostport, self.seed, branch),
                'From: "Bob" <%s>;tag=%s' % (d.b.aor, d.to_tag),
                'To: "Alice" <%s>;tag=%s' % (d.a.aor, d.from_tag),
                "Call-ID: %s" % d.call_id, "CSeq: %d %s" % (cseq, method)]

    def reinvite_ok(self, cseq, body):
        """The caller's 200 OK to the callee's re-INVITE, with its (same) SDP."""
        return message("SIP/2.0 200 OK", self._bob_dialog("r%d" % cseq, cseq, "INVITE") + [
            "Contact: <sip:alice@%s:5060>" % self.priv,
            "User-Agent: trawl-golden-natphone/1.0", "Content-Type: application/sdp"], body)

    def reinvite_ack(self, cseq):
        h = self._bob_dialog("a%d" % cseq, cseq, "ACK")
        return message("ACK sip:alice@%s:5060 SIP/2.0" % self.priv,
                       [h[0], "Max-Forwards: 70"] + h[1:] + ["Server: trawl-golden-mediaserver/1.0"])

    def resp(self, code, reason, n, cseq, method, tagged=True, body=b""):
        d = self.d
        hdrs = [self.via_resp(n), d.from_(), d.to(tagged), "Call-ID: %s" % d.call_id,
                "CSeq: %d %s" % (cseq, method)]
        if code in (180, 200) and method == "INVITE":
            hdrs.append("Contact: %s" % d.b.contact)
        hdrs.append("Server: trawl-golden-mediaserver/1.0")
        if body:
            hdrs.append("Content-Type: application/sdp")
        return message("SIP/2.0 %d %s" % (code, reason), hdrs, body)


# ------------------------------------------------------------------ RTP / RTCP

def rtp(seq, ts_, ssrc, marker, k, i):
    payload = bytes(((i * 7 + k * 31 + j) & 0xFF) for j in range(PAYLOAD))
    return struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | 18, seq & 0xFFFF,
                       ts_ & 0xFFFFFFFF, ssrc) + payload


def ntp(t_abs):
    sec = int(t_abs) + NTP_UNIX
    frac = int(round((t_abs - int(t_abs)) * 2 ** 32)) & 0xFFFFFFFF
    return sec, frac


class Stream:
    """One direction's RTP sender state, as its RTCP reports it."""

    def __init__(self, ssrc, seq0, ts0):
        self.ssrc, self.seq0, self.ts0 = ssrc, seq0, ts0
        self.sent_times = []
        self.last_sr = None      # (middle 32 bits of NTP, time) of this side's last SR


def sr(me, peer, t, t_abs):
    """SR (RFC 3550 6.4.1) for stream `me` at time t, with one report block
    about `peer` once the peer has sent an SR."""
    sent = [x for x in me.sent_times if x <= t + 1e-9]
    n = len(sent)
    sec, frac = ntp(t_abs)
    rtp_ts = me.ts0 + int(round((t - me.sent_times[0]) * CLOCK)) if sent else me.ts0
    body = struct.pack(">IIIIII", me.ssrc, sec, frac, rtp_ts & 0xFFFFFFFF, n, n * PAYLOAD)
    rc = 0
    if peer.last_sr is not None:
        got = len([x for x in peer.sent_times if x <= t + 1e-9])
        lsr, lsr_t = peer.last_sr
        dlsr = int(round((t - lsr_t) * 65536))
        body += struct.pack(">IIIIII", peer.ssrc, 0, peer.seq0 + got - 1, 12, lsr, dlsr)
        rc = 1
    me.last_sr = (((sec & 0xFFFF) << 16) | (frac >> 16), t)
    return struct.pack(">BBH", 0x80 | rc, 200, len(body) // 4) + body


def sdes(ssrc, cname):
    item = struct.pack(">BB", 1, len(cname)) + cname.encode()
    chunk = struct.pack(">I", ssrc) + item + b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    return struct.pack(">BBH", 0x81, 202, len(chunk) // 4) + chunk


def xr_voip(ssrc, peer_ssrc):
    """XR (RFC 3611 section 2) with one VoIP Metrics block (4.7, BT 7, 36 bytes)."""
    blk = struct.pack(">BBH", 7, 0, 8)
    blk += struct.pack(">I", peer_ssrc)
    blk += struct.pack(">BBBB", 0, 0, 0, 0)          # loss, discard, burst and gap density
    blk += struct.pack(">HH", 0, 5000)               # burst duration, gap duration (ms)
    blk += struct.pack(">HH", 42, 60)                # round trip delay, end system delay (ms)
    blk += struct.pack(">bbBB", -20, -70, 127, 16)   # signal, noise (dBm), RERL, Gmin
    blk += struct.pack(">BBBB", 93, 127, 43, 42)     # R factor, ext R, MOS-LQ 4.3, MOS-CQ 4.2
    blk += struct.pack(">BBHHH", 0x40, 0, 40, 80, 120)   # RX config, jitter buffer
    body = struct.pack(">I", ssrc) + blk
    return struct.pack(">BBH", 0x80, 207, len(body) // 4) + body


def rtcp_bye(ssrc):
    return struct.pack(">BBHI", 0x81, 203, 1, ssrc)


# ------------------------------------------------------------------ the calls

MAC_NAT = MAC_A        # the NAT router's side of the link
MAC_PUB = MAC_B        # the media server's side


def calls():
    def ip4(ip, port, name="x", mac=MAC_NAT):
        return ep(ip, port, mac, name)
    c = []
    c.append(NatCall("natbasic", 0.0,
                     ep("203.0.113.5", 5062, MAC_NAT, "alice"), ep("198.51.100.20", 5060, MAC_PUB, "bob"),
                     ("10.0.0.11", 4000), ip4("203.0.113.5", 31000), ip4("203.0.113.5", 31001),
                     ep("198.51.100.20", 3456, MAC_PUB), ep("198.51.100.20", 3457, MAC_PUB), False, 0))
    c.append(NatCall("natodd", 0.3,
                     ep("203.0.113.5", 5064, MAC_NAT, "alice"), ep("198.51.100.20", 5060, MAC_PUB, "bob"),
                     ("10.0.0.12", 4000), ip4("203.0.113.5", 31002), ip4("203.0.113.5", 31057),
                     ep("198.51.100.20", 3458, MAC_PUB), ep("198.51.100.20", 3459, MAC_PUB), False, 1))
    c.append(NatCall("natmux", 0.6,
                     ep("203.0.113.6", 5062, MAC_NAT, "alice"), ep("198.51.100.21", 5060, MAC_PUB, "bob"),
                     ("10.0.0.13", 4000), ip4("203.0.113.6", 31100), ip4("203.0.113.6", 31100),
                     ep("198.51.100.21", 5000, MAC_PUB), ep("198.51.100.21", 5000, MAC_PUB), True, 2))
    c.append(NatCall("natv6", 0.9,
                     ep("2001:db8:113::5", 5062, MAC_NAT, "alice"), ep("2001:db8:0:1::20", 5060, MAC_PUB, "bob"),
                     ("fd00::13", 4000), ip4("2001:db8:113::5", 31200), ip4("2001:db8:113::5", 31201),
                     ep("2001:db8:0:1::20", 3460, MAC_PUB), ep("2001:db8:0:1::20", 3461, MAC_PUB), False, 3))
    c.append(NatCall("natmove", 1.2,
                     ep("203.0.113.5", 5066, MAC_NAT, "alice"), ep("198.51.100.20", 5060, MAC_PUB, "bob"),
                     ("10.0.0.14", 4000), ip4("203.0.113.5", 31300), ip4("203.0.113.5", 31301),
                     ep("198.51.100.20", 3462, MAC_PUB), ep("198.51.100.20", 3463, MAC_PUB), False, 4,
                     move=(ep("198.51.100.22", 3470, MAC_PUB), ep("198.51.100.22", 3471, MAC_PUB))))
    return c


def build():
    events = []   # (t, order, src, dst, payload)
    flows = {}    # (src, dst) -> [call_id, packets, xr, first_t, last_t]
    order = [0]

    def emit(t, s, r, p, call=None, xr=False):
        events.append((t, order[0], s, r, p))
        order[0] += 1
        if call is not None:
            f = flows.setdefault((s, r), [call.d.call_id, 0, 0, t, t])
            f[1] += 1
            f[2] += xr
            f[4] = t

    for c in calls():
        s, d, k = c.start, c.d, c.k
        a, b = c.sip_a, c.sip_b
        offer = sdp_body("alice", c.sdp_a[0], c.sdp_a[1], c.mux, 2890844526 + k)
        answer = sdp_body("bob", c.rtp_b.ip, c.rtp_b.port, c.mux, 2890844626 + k)
        emit(s, a, b, c.req("INVITE", 1, d.cseq, False, offer))
        emit(s + 0.010, b, a, c.resp(100, "Trying", 1, d.cseq, "INVITE", tagged=False))
        emit(s + 0.200, b, a, c.resp(180, "Ringing", 1, d.cseq, "INVITE"))
        emit(s + 1.000, b, a, c.resp(200, "OK", 1, d.cseq, "INVITE", body=answer))
        m = s + 1.010
        emit(m + 0.010, a, b, c.req("ACK", 2, d.cseq, True))

        sa = Stream(0x11110000 + k, 1000 + 100 * k, 160000 * (k + 1))
        sb = Stream(0x22220000 + k, 5000 + 100 * k, 320000 * (k + 1))
        sm = Stream(0x33330000 + k, 9000 + 100 * k, 640000 * (k + 1))   # natmove's new server
        t_move = m + MOVE_AT if c.move else None
        for i in range(N_RTP):
            ta, tb = m + i * PTIME, m + 0.015 + i * PTIME
            moved_a = t_move is not None and ta >= t_move + 0.1
            moved_b = t_move is not None and tb >= t_move + 0.1
            b_rtp = c.move[0] if moved_a else c.rtp_b
            sa.sent_times.append(ta)
            emit(ta, c.rtp_a, b_rtp, rtp(sa.seq0 + i, sa.ts0 + i * 320, sa.ssrc, i == 0, k, i))
            if moved_b:     # the new media server's own stream
                j = len(sm.sent_times)
                sm.sent_times.append(tb)
                emit(tb, c.move[0], c.rtp_a, rtp(sm.seq0 + j, sm.ts0 + j * 320, sm.ssrc, j == 0, k + 16, j))
            else:
                sb.sent_times.append(tb)
                emit(tb, c.rtp_b, c.rtp_a, rtp(sb.seq0 + i, sb.ts0 + i * 320, sb.ssrc, i == 0, k + 8, i))

        cname_a = "alice@%s" % c.sdp_a[0]
        cname_b = "bob@%s" % c.rtp_b.ip

        def moved(t):
            return t_move is not None and t > t_move

        def a_rtcp(t, tail=b"", xr=False):
            peer = sm if moved(t) else sb
            if xr:
                tail = xr_voip(sa.ssrc, peer.ssrc)
            p = sr(sa, peer, t, T0_US / 1e6 + t) + sdes(sa.ssrc, cname_a) + tail
            emit(t, c.rtcp_a, c.move[1] if moved(t) else c.rtcp_b, p, c, xr)

        def b_rtcp(t, tail=b""):
            if moved(t):
                p = sr(sm, sa, t, T0_US / 1e6 + t) + sdes(sm.ssrc, "moh@%s" % c.move[0].ip)
                emit(t, c.move[1], c.rtcp_a, p, c)
            else:
                p = sr(sb, sa, t, T0_US / 1e6 + t) + sdes(sb.ssrc, cname_b) + tail
                emit(t, c.rtcp_b, c.rtcp_a, p, c)

        a_rtcp(m + 1.3)
        b_rtcp(m + 1.6)
        if c.move:
            # the callee moves the media (transfer to another media server): its
            # re-INVITE offers the new address, the caller answers with its same
            # private SDP (version + 1) ...
            new_sdp = sdp_body("bob", c.move[0].ip, c.move[0].port, False, 2890844626 + k,
                               2890844627 + k)
            again = sdp_body("alice", c.sdp_a[0], c.sdp_a[1], False, 2890844526 + k, 2890844527 + k)
            emit(t_move, b, a, c.reinvite_from_callee(1, new_sdp))
            emit(t_move + 0.05, a, b, c.reinvite_ok(1, again))
            emit(t_move + 0.06, b, a, c.reinvite_ack(1))
            # ... and the old media server leaves the session with a last report
            # and an RTCP BYE (RFC 3550 6.6) from its old, no longer announced
            # endpoint, to the caller's real (learned) RTCP address
            t = t_move + 0.2
            p = sr(sb, sa, t, T0_US / 1e6 + t) + sdes(sb.ssrc, cname_b) + rtcp_bye(sb.ssrc)
            emit(t, c.rtcp_b, c.rtcp_a, p, c)
        a_rtcp(m + 3.1)
        b_rtcp(m + 3.4)
        a_rtcp(m + 4.6, xr=True)
        a_rtcp(m + 4.95, rtcp_bye(sa.ssrc))
        emit(m + 5.0, a, b, c.req("BYE", 3, d.cseq + 1, True))
        emit(m + 5.01, b, a, c.resp(200, "OK", 3, d.cseq + 1, "BYE"))
        b_rtcp(m + 5.3)

    events.sort(key=lambda e: (e[0], e[1]))
    frames = [(us(t), eth(s, r, ip_udp(s, r, p, ip_id=0x2000 + i)))
              for i, (t, _, s, r, p) in enumerate(events)]
    return frames, flows


def main():
    frames, flows = build()
    write_pcap("rtcp_nat.pcap", LINKTYPE_ETHERNET, frames)
    if len(sys.argv) == 3 and sys.argv[1] == "--map":
        with open(sys.argv[2], "w") as f:
            f.write("# src_ip\tsrc_port\tdst_ip\tdst_port\tcall_id\tside\trtcp_packets\t"
                    "xr_packets\tfirst_ts\tlast_ts\n")
            for (s, r), (cid, n, xr, t0, t1) in flows.items():
                side = "caller" if s.mac == MAC_NAT else "callee"
                f.write("%s\t%d\t%s\t%d\t%s\t%s\t%d\t%d\t%.6f\t%.6f\n"
                        % (s.ip, s.port, r.ip, r.port, cid, side, n, xr,
                           us(t0) / 1e6, us(t1) / 1e6))
    elif len(sys.argv) != 1:
        sys.exit("usage: gen_rtcp_nat.py [--map FILE]")


main()
