#!/usr/bin/python3
"""gen_sip_snaplen_cut.py - writes sip_snaplen_cut.pcap: a capture taken
with a 512-byte snapshot length (file header snaplen 512), so each record
longer than 512 bytes has caplen 512 < len (the original length).
Ethernet/IPv4/UDP headers take 42 bytes: 470 bytes of SIP survive.

 frame 0 OPTIONS (Call-ID snapok-..., 421 bytes of SIP): complete
 frame 1 INVITE (Call-ID snaphdr-..., 757 bytes of SIP): cut inside its headers,
         the blank line ending them is not captured
 frame 2 INVITE (Call-ID snapbody-..., 581 bytes of SIP) with few headers: the
         headers end inside the capture, the SDP body is cut (headers 343 bytes,
         Content-Length 238, 127 body bytes captured)
 frame 3 200 OK to the OPTIONS (Call-ID snapok-..., 391 bytes of SIP): complete
 frame 4 INVITE (Call-ID snapcid-...) whose Call-ID header comes late: the cut
         falls inside the Call-ID value, so only a prefix of it is captured.
         A reader must not report that prefix as the Call-ID.
"""
from goldenlib import *

SNAPLEN = 512
a, b = uac4(), uas4()
dok = Dialog("snapok", a, b)
dh = Dialog("snaphdr", a, b)
db = Dialog("snapbody", a, b)
short_invite = message("INVITE %s SIP/2.0" % b.aor, [
    db.via(1), db.to(False), db.from_(), "Call-ID: %s" % db.call_id,
    "CSeq: 1 INVITE", "Content-Type: application/sdp"], sdp(a, 2890844526, 49170))
dc = Dialog("snapcid", a, b)
late_cid = message("INVITE %s SIP/2.0" % b.aor, [
    dc.via(1), "Max-Forwards: 70", dc.to(False), dc.from_(), "CSeq: 314159 INVITE",
    "Contact: %s" % a.contact, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY",
    "Supported: replaces, timer", "User-Agent: trawl-golden-uac/1.0",
    "Subject: call-id cut",
    "Call-ID: %s" % dc.call_id, "Content-Type: application/sdp"], sdp(a, 2890844526, 49170))
cid_at = late_cid.index(dc.call_id.encode())
assert cid_at < SNAPLEN - 42 < cid_at + len(dc.call_id), (cid_at, SNAPLEN - 42)
msgs = [options_flow(dok)[0], (a, b, invite(dh)), (a, b, short_invite), options_flow(dok)[1],
        (a, b, late_cid)]
hdr_end = short_invite.index(b"\r\n\r\n") + 4
assert 42 + hdr_end < SNAPLEN < 42 + len(short_invite), (hdr_end, len(short_invite))
assert SNAPLEN < 42 + invite(dh).index(b"\r\n\r\n")
assert all(42 + len(p) <= SNAPLEN for _, _, p in (msgs[0], msgs[3]))
write_pcap("sip_snaplen_cut.pcap", LINKTYPE_ETHERNET, udp_frames(msgs, eth_wrap), snaplen=SNAPLEN)
