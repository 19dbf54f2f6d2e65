#!/usr/bin/python3
"""gen_sip_compact.py - writes sip_compact.pcap: a basic SIP call (Call-ID
compact-...) over Ethernet/IPv4/UDP 5060 whose header names exercise
RFC 3261 section 7.3.3 (compact forms) and 7.3.1 (names are case-insensitive;
HCOLON = *( SP / HTAB ) ":" SWS allows blanks before the colon and none after).

 frame 0 INVITE  compact forms v: f: t: i: m: c: l: k: (and full CSeq)
 frame 1 100     all full names in lower case (via: from: call-id: cseq: ...)
 frame 2 180     all full names in UPPER case; one VIA header holding two
                 comma-separated values: the topmost branch is compact-1
 frame 3 200     mIxEd case, "From :" and "Call-Id :" with a blank before the
                 colon, a TAB after "tO:", two blanks after "Call-Id :"
 frame 4 ACK     compact forms with no blank after the colon; From and To in
                 addr-spec form (no <>), so ";tag=" is a header parameter
 frame 5 BYE     compact forms in upper case (V: F: T: I: L:)
 frame 6 200     ordinary header names (control)
"""
from goldenlib import *

d = Dialog("compact", uac4(), uas4())
a, b = d.a, d.b
CID = d.call_id
FROM = '"Alice" <sip:alice@atlanta.example.com>;tag=%s' % d.from_tag
TO = '"Bob" <sip:bob@biloxi.example.com>'
TOT = TO + ";tag=%s" % d.to_tag
VIA1 = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact-1"
VIA1R = VIA1 + ";rport=5060;received=192.0.2.10"
offer = sdp(a, 2890844526, 49170)
answer = sdp(b, 2890844527, 3456)

msgs = [
    (a, b, message("INVITE sip:bob@biloxi.example.com SIP/2.0", [
        "v: " + VIA1 + ";rport", "Max-Forwards: 70", "t: " + TO, "f: " + FROM,
        "i: " + CID, "CSeq: 314159 INVITE", "m: <sip:alice@192.0.2.10:5060>",
        "k: replaces, timer", "User-Agent: trawl-golden-uac/1.0",
        "c: application/sdp"], offer, clen_name="l")),
    (b, a, message("SIP/2.0 100 Trying", [
        "via: " + VIA1R, "from: " + FROM, "to: " + TO, "call-id: " + CID,
        "cseq: 314159 INVITE", "server: trawl-golden-uas/1.0"], clen_name="content-length")),
    (b, a, message("SIP/2.0 180 Ringing", [
        "VIA: " + VIA1R + ", SIP/2.0/UDP 192.0.2.99:5070;branch=z9hG4bKcompact-inner",
        "FROM: " + FROM, "TO: " + TOT, "CALL-ID: " + CID, "CSEQ: 314159 INVITE",
        "CONTACT: <sip:bob@198.51.100.20:5060>", "SERVER: trawl-golden-uas/1.0"],
        clen_name="CONTENT-LENGTH")),
    (b, a, message("SIP/2.0 200 OK", [
        "vIa: " + VIA1R, "From : " + FROM, "tO:\t" + TOT, "Call-Id :  " + CID,
        "cSeq: 314159 INVITE", "Contact: <sip:bob@198.51.100.20:5060>",
        "sErVeR: trawl-golden-uas/1.0", "Content-type: application/sdp"], answer,
        clen_name="Content-length")),
    (a, b, message("ACK sip:bob@198.51.100.20:5060 SIP/2.0", [
        "v:SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact-2;rport", "Max-Forwards: 70",
        "f:sip:alice@atlanta.example.com;tag=%s" % d.from_tag,
        "t:sip:bob@biloxi.example.com;tag=%s" % d.to_tag,
        "i:" + CID, "CSeq: 314159 ACK"], clen_name="l")),
    (a, b, message("BYE sip:bob@198.51.100.20:5060 SIP/2.0", [
        "V: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact-3;rport", "Max-Forwards: 70",
        "F: " + FROM, "T: " + TOT, "I: " + CID, "CSeq: 314160 BYE",
        "User-Agent: trawl-golden-uac/1.0"], clen_name="L")),
    (b, a, message("SIP/2.0 200 OK", [
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact-3;rport=5060;received=192.0.2.10",
        "From: " + FROM, "To: " + TOT, "Call-ID: " + CID, "CSeq: 314160 BYE",
        "Server: trawl-golden-uas/1.0"])),
]
write_pcap("sip_compact.pcap", LINKTYPE_ETHERNET, udp_frames(msgs, eth_wrap))
