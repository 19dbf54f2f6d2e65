#!/usr/bin/python3
"""gen_sip_malformed.py - writes sip_malformed.pcap: SIP-looking datagrams
that are broken in one way each, and non-SIP UDP noise on port 5060, all
over Ethernet/IPv4/UDP between 192.0.2.10:5060 and 198.51.100.20:5060.

 frame 0 OPTIONS without a Call-ID header (Call-ID is mandatory, RFC 3261 8.1.1)
 frame 1 INVITE (Call-ID malf-nocolon-...) with a header line that has no
         colon ("X-Broken header line without colon"), after Call-ID
 frame 2 MESSAGE (Call-ID malf-shortbody-...) with Content-Length: 500 but a
         33-byte body (RFC 3261 18.3: the datagram must be discarded by a UA)
 frame 3 a status line "SIP/2.0 2OO OK" (letter O, not zero) (Call-ID malf-badstatus-...)
 frame 4 INFO (Call-ID malf-badclen-...) with "Content-Length: twelve"
 frame 5 OPTIONS (Call-ID malf-badcseq-...) with "CSeq: OPTIONS" (no number)
 frame 6 a CRLF CRLF keep-alive (RFC 5626 section 4.4.1), not a SIP message
 frame 7 4 zero bytes (the keep-alive some phones send), not a SIP message
 frame 8 a DNS response (SRV _sip._udp.biloxi.example.com) from
         198.51.100.53:53 to 192.0.2.10:5060: binary, not SIP
 frame 9 "hello" (5 bytes, no line end): the keep-alive of ndpi's sip_hello
         capture; a datagram whose first line never ends and is a bare token
         is not SIP (it cannot grow into a request line: the datagram is whole)
 frame 10 "PING" CR LF: one line that is neither a request nor a status line
 frame 11-12 a well-formed OPTIONS / 200 (Call-ID malf-ok-...): must be reported
"""
from scapy.all import raw
from scapy.layers.dns import DNS, DNSQR, DNSRRSRV
from goldenlib import *

a, b = uac4(), uas4()


def hdrs(d, cseq_line, via_n=1):
    return [d.via(via_n), "Max-Forwards: 70", d.to(False), d.from_(), "Call-ID: %s" % d.call_id, cseq_line]


d0 = Dialog("malf-nocid", a, b)
m0 = message("OPTIONS %s SIP/2.0" % b.aor, [
    d0.via(1), "Max-Forwards: 70", d0.to(False), d0.from_(), "CSeq: 1 OPTIONS",
    "Contact: %s" % a.contact, "User-Agent: trawl-golden-uac/1.0"])

d1 = Dialog("malf-nocolon", a, b)
m1 = message("INVITE %s SIP/2.0" % b.aor, hdrs(d1, "CSeq: 1 INVITE") + [
    "X-Broken header line without colon", "Contact: %s" % a.contact,
    "User-Agent: trawl-golden-uac/1.0", "Content-Type: application/sdp"], sdp(a, 1, 49170))

d2 = Dialog("malf-shortbody", a, b)
m2 = message("MESSAGE %s SIP/2.0" % b.aor, hdrs(d2, "CSeq: 1 MESSAGE") + [
    "User-Agent: trawl-golden-uac/1.0", "Content-Type: text/plain"],
    b"Hello, this is a short text body.", clen=500)

d3 = Dialog("malf-badstatus", a, b)
m3 = message("SIP/2.0 2OO OK", [d3.via_resp(1), d3.from_(), d3.to(True),
                                "Call-ID: %s" % d3.call_id, "CSeq: 1 OPTIONS",
                                "Server: trawl-golden-uas/1.0"])

d4 = Dialog("malf-badclen", a, b)
m4 = message("INFO sip:bob@198.51.100.20:5060 SIP/2.0", hdrs(d4, "CSeq: 2 INFO") + [
    "Content-Type: application/dtmf-relay", "Content-Length: twelve"],
    b"Signal=5\r\nDuration=160\r\n", clen=None)

d5 = Dialog("malf-badcseq", a, b)
m5 = message("OPTIONS %s SIP/2.0" % b.aor, hdrs(d5, "CSeq: OPTIONS") + [
    "User-Agent: trawl-golden-uac/1.0"])

dns_srv = Party("198.51.100.53", 53, "dns", "biloxi.example.com", MAC_B, "DNS")
dns = raw(DNS(id=0x5ee5, qr=1, aa=1, rd=1, ra=1,
              qd=DNSQR(qname="_sip._udp.biloxi.example.com", qtype="SRV"),
              an=DNSRRSRV(rrname="_sip._udp.biloxi.example.com", ttl=3600, priority=10,
                          weight=60, port=5060, target="sip.biloxi.example.com")))

dok = Dialog("malf-ok", a, b)
msgs = [(a, b, m0), (a, b, m1), (a, b, m2), (b, a, m3), (a, b, m4), (a, b, m5),
        (a, b, b"\r\n\r\n"), (b, a, b"\0\0\0\0"), (dns_srv, a, dns),
        (a, b, b"hello"), (b, a, b"PING\r\n")] + options_flow(dok)
write_pcap("sip_malformed.pcap", LINKTYPE_ETHERNET, udp_frames(msgs, eth_wrap))
