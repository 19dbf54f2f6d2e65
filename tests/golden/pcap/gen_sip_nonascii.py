#!/usr/bin/python3
"""gen_sip_nonascii.py - writes sip_nonascii.pcap: SIP text that JSON output
must escape, over Ethernet/IPv4/UDP 5060.

 frame 0 MESSAGE: From display name in UTF-8 ("Zoë Ångström", RFC 3261
         section 25.1 UTF8-NONASCII in quoted-string); a User-Agent holding a
         Latin-1 byte 0xE9 (not valid UTF-8); a Call-ID with a double quote and
         a backslash (both legal in Call-ID's "word", RFC 3261 section 25.1):
         nonascii-"q"\\b@atlanta.example.com; a text/plain body with TAB, CR LF,
         a quote, a backslash, control bytes 0x00 0x01 0x1f and DEL 0x7f.
 frame 1 200 response whose reason phrase is UTF-8 ("Très bien ✓").
"""
from goldenlib import *

a, b = uac4(), uas4()
d = Dialog("nonascii", a, b)
cid = 'nonascii-"q"\\b@atlanta.example.com'
frm = '"Zo\u00eb \u00c5ngstr\u00f6m" <sip:zoe@atlanta.example.com>;tag=%s' % d.from_tag
body = b'tab\there, quote " backslash \\ ctl \x00\x01\x1f del \x7f end\r\n'
m0 = (message("MESSAGE %s SIP/2.0" % b.aor, [
    d.via(1), "Max-Forwards: 70", d.to(False), "From: " + frm, "Call-ID: " + cid,
    "CSeq: 1 MESSAGE", "Content-Type: text/plain;charset=utf-8"], body)
      .replace(b"\r\nContent-Type", b"\r\nUser-Agent: Caf\xe9Phone/1.0\r\nContent-Type"))
m1 = message("SIP/2.0 200 Tr\u00e8s bien \u2713", [
    d.via_resp(1), "From: " + frm, d.to(True), "Call-ID: " + cid, "CSeq: 1 MESSAGE",
    "Server: trawl-golden-uas/1.0"])
write_pcap("sip_nonascii.pcap", LINKTYPE_ETHERNET, udp_frames([(a, b, m0), (b, a, m1)], eth_wrap))
