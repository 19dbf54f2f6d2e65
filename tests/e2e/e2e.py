#!/usr/bin/python3
"""e2e.py -- helpers for trawl's end-to-end tests (called from tests/e2e/lib.sh).

Every expected value comes from a third party (tshark reading a pcap, Kamailio's SQLite rows,
tshark + the shared hep.lua dissector), never from trawl itself.  Records use one vocabulary so
that two sources can be printed as sorted lines and diffed:

    ts_us family src sport dst dport call_id method payload_hex ...
    family: 2 = IPv4, 10 = IPv6 (Linux AF_ values, as HEP chunk 0x01 and Kamailio use)
    method: the request method, or the status code ("180") for a response

Subcommands (all print to stdout):
    freeport udp|tcp|both           a free 127.0.0.1 port (both: free for UDP and TCP)
    expect PCAP                     JSON list: one record per SIP message, as tshark sees it
                                    (SIP over TCP: with TCP desegmentation, several messages per
                                    segment, messages over several segments; see expect_stream)
    hep PCAP PORT...                JSON {"pdus": [...], "problems": [...]}: every HEP PDU on
                                    udp/tcp PORT as decoded by tshark + hep.lua, plus framing
                                    problems (expert info, chunk lengths, datagram/stream sums)
    kamrows DB [WHERE]              JSON list: sip_capture rows of a Kamailio sipcapture database
    lines JSON KEY... [--set K=V] [--where K=V]
                                    one sorted line per record (only those with K == V): the
                                    KEY values (after --set K=V), tab separated
    ipv6pcap OUT                    write a small SIP-over-UDP/IPv6 call (needs scapy)
    sink udp|tcp PORT OUT           receive on 127.0.0.1:PORT until SIGTERM, count bytes into OUT
    feeder PCAP CTL                 write PCAP to stdout record by record as told by lines read
                                    from the FIFO CTL: "send N", "rest", "eof"
    rtcpexpect PCAP MAP             one sorted line per RTCP packet of PCAP (tshark) whose 4-tuple
                                    is a flow of the add_rtcp.py MAP: ts_us src sport dst dport
                                    call_id (the map's Call-ID)
    rtcprows DB                     the same lines from Kamailio's rtcp_capture (correlation_id),
                                    then a line "json-errors N" for msg values that are not JSON
    rtcphep HEPJSON MAP             check the type 5 PDUs of a "hep" result: payload is JSON with
                                    the docs/rtcp.md keys; print the same lines as rtcpexpect
                                    (correlation id chunk as call_id), problems on stderr
    replay PCAP FROM TO PA PB       send the UDP payloads of records FROM..TO (1-based) again as
                                    real datagrams on 127.0.0.1, the pcap's two UDP ports mapped
                                    to PA (lower) and PB (higher); both ports are bound, so no ICMP
"""
import ipaddress
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    sys.stderr.write("e2e.py: %s\n" % msg)
    sys.exit(2)


# ------------------------------------------------------------------ ports
def freeport(kind):
    for _ in range(200):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        if kind == "udp":
            u.close()
            return port
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            u.close()
            continue
        t.close()
        u.close()
        return port
    die("no free port")


# ------------------------------------------------------------------ tshark helpers
def ts_us_of(epoch):
    """frame.time_epoch text ("1795424782.317166000") -> integer microseconds, no float."""
    sec, _, frac = epoch.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def tshark_fields(pcap, fields, dfilter, extra=()):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", dfilter, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f"] + list(extra)
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        die("tshark failed: %s" % res.stderr.strip())
    rows = []
    for line in res.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(fields) - len(vals))
        rows.append(dict(zip(fields, vals)))
    return rows


def norm_ip(s):
    return str(ipaddress.ip_address(s)) if s else ""


TCP_DESEGMENT = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "sip.desegment_headers:TRUE",
                 "-o", "sip.desegment_body:TRUE"]


def expect(pcap):
    fields = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
              "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "sip.Call-ID",
              "sip.Method", "sip.Status-Code", "udp.payload", "tcp.payload"]
    rows = tshark_fields(pcap, fields, "sip")
    if any(r["tcp.srcport"] for r in rows):
        # SIP over TCP: one fields row per frame and the segment's bytes do not describe a
        # stream, where a frame can end several SIP messages and a message can span frames.
        return expect_udp_rows(rows) + expect_stream(pcap)
    return expect_udp_rows(rows)


def expect_udp_rows(rows):
    out = []
    for r in rows:
        if not r["udp.srcport"]:
            continue
        v6 = bool(r["ipv6.src"])
        out.append({
            "frame": int(r["frame.number"]),
            "ts_us": ts_us_of(r["frame.time_epoch"]),
            "family": 10 if v6 else 2,
            "ip_proto": 17,
            "src": norm_ip(r["ipv6.src"] if v6 else r["ip.src"]),
            "dst": norm_ip(r["ipv6.dst"] if v6 else r["ip.dst"]),
            "sport": int(r["udp.srcport"]),
            "dport": int(r["udp.dstport"]),
            "call_id": r["sip.Call-ID"],
            "method": r["sip.Method"] or r["sip.Status-Code"],
            "payload_hex": r["udp.payload"].replace(":", "").lower(),
        })
    return out


def follow_tcp(pcap, streams):
    """tshark's own reassembly of each TCP stream: {stream: {(addr, port): bytes sent by it}}."""
    cmd = ["tshark", "-n", "-r", pcap, "-q"] + TCP_DESEGMENT
    for st in streams:
        cmd += ["-z", "follow,tcp,raw,%d" % st]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        die("tshark follow failed: %s" % res.stderr.strip())
    out, cur, nodes = {}, None, {}
    for line in res.stdout.splitlines():
        if line.startswith("Filter: tcp.stream eq "):
            cur = int(line.split()[-1])
            out[cur] = {}
            nodes = {}
        elif cur is not None and line.startswith("Node "):
            which, _, addr = line[5:].partition(": ")
            host, _, port = addr.rpartition(":")
            nodes[which] = (norm_ip(host.strip("[]")), int(port))
            out[cur][nodes[which]] = bytearray()
        elif cur is not None and line.strip() and not line.startswith("="):
            sender = nodes["1" if line.startswith("\t") else "0"]
            out[cur][sender] += bytes.fromhex(line.strip())
    return out


def expect_stream(pcap):
    """One record per SIP-over-TCP message as tshark sees it with TCP desegmentation on: the
    frame tshark shows a message in is the segment that completes it (its time is the message's
    time); each "sip" layer of a frame is one message, its size the message's length.  The
    message bytes are cut, in order, from tshark's follow-stream bytes of that direction, so
    they are checked to tile the stream exactly (CR/LF keep-alives between messages allowed)."""
    import xml.etree.ElementTree as ET
    cmd = ["tshark", "-n", "-r", pcap, "-Y", "sip and tcp", "-T", "pdml"] + TCP_DESEGMENT
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pkts = []
    for _, el in ET.iterparse(proc.stdout):
        if el.tag != "packet":
            continue
        f, msgs = {}, []
        for proto in el.iter("proto"):
            name = proto.get("name")
            if name == "sip":
                m = {"size": int(proto.get("size")), "call_id": "", "method": ""}
                for fld in proto.iter("field"):
                    n = fld.get("name")
                    if n == "sip.Call-ID" and not m["call_id"]:
                        m["call_id"] = fld.get("show")
                    elif n in ("sip.Method", "sip.Status-Code") and not m["method"]:
                        m["method"] = fld.get("show")
                msgs.append(m)
            elif name in ("frame", "ip", "ipv6", "tcp"):
                for fld in proto.iter("field"):
                    f.setdefault(fld.get("name"), fld.get("show"))
        pkts.append((f, msgs))
        el.clear()
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        die("tshark failed: %s" % err.strip())
    streams = follow_tcp(pcap, sorted({int(f["tcp.stream"]) for f, _ in pkts}))
    pos = {}
    out = []
    for f, msgs in pkts:
        v6 = "ipv6.src" in f
        src = norm_ip(f["ipv6.src"] if v6 else f["ip.src"])
        dst = norm_ip(f["ipv6.dst"] if v6 else f["ip.dst"])
        sport, dport = int(f["tcp.srcport"]), int(f["tcp.dstport"])
        key = (int(f["tcp.stream"]), src, sport)
        data = streams[key[0]][(src, sport)]
        for m in msgs:
            at = pos.get(key, 0)
            while data[at:at + 2] == b"\r\n":
                at += 2
            body = bytes(data[at:at + m["size"]])
            first = body.split(b"\r\n", 1)[0].decode("latin-1")
            want = "SIP/2.0 " + m["method"] if m["method"].isdigit() else m["method"] + " "
            if len(body) != m["size"] or not first.startswith(want):
                die("frame %s: SIP message %r (%d bytes) is not at offset %d of the %s:%d stream "
                    "(found %r)" % (f["frame.number"], m["method"], m["size"], at, src, sport,
                                    first[:60]))
            pos[key] = at + m["size"]
            out.append({
                "frame": int(f["frame.number"]),
                "ts_us": ts_us_of(f["frame.time_epoch"]),
                "family": 10 if v6 else 2,
                "ip_proto": 6,
                "src": src, "dst": dst, "sport": sport, "dport": dport,
                "call_id": m["call_id"],
                "method": m["method"],
                "payload_hex": body.hex(),
            })
    for (st, src, sport), at in sorted(pos.items()):
        rest = bytes(streams[st][(src, sport)][at:])
        if rest.strip(b"\r\n"):
            die("stream %d %s:%d: %d bytes after the last SIP message tshark found"
                % (st, src, sport, len(rest)))
    return out


# ------------------------------------------------------------------ HEP via tshark + hep.lua
def pairs_hook(pairs):
    return pairs  # tshark JSON repeats keys ("hep", "hep.chunk"): keep them all, in order


def flatten(pairs, out):
    for k, v in pairs:
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            out.append((k, None))
            flatten(v, out)
        else:
            out.append((k, v))
    return out


def hep(pcap, ports):
    lua = os.path.join(os.environ.get("E2E_PEERS", ""), "hep.lua")
    if not os.path.isfile(lua):
        die("hep.lua not found (E2E_PEERS=%s)" % os.environ.get("E2E_PEERS"))
    cmd = ["tshark", "-n", "-r", pcap, "-X", "lua_script:" + lua, "-T", "json",
           "-J", "frame udp tcp hep"]
    for p in ports:
        cmd += ["-d", "udp.port==%s,hep" % p, "-d", "tcp.port==%s,hep" % p]
    flt = " or ".join("udp.port==%s or tcp.port==%s" % (p, p) for p in ports)
    cmd += ["-Y", flt]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        die("tshark failed: %s" % res.stderr.decode(errors="replace"))
    packets = json.loads(res.stdout.decode(errors="replace") or "[]", object_pairs_hook=pairs_hook)
    pdus, problems = [], []
    tcp_bytes = 0
    tcp_hep_bytes = 0
    for pkt in packets:
        layers = dict(dict(pkt)["_source"])["layers"]
        frame_no = None
        udp_len = None
        frame_hep = 0
        is_tcp = False
        carrier_dport = None
        for lname, lval in layers:
            if lname == "frame":
                frame_no = int(dict(lval)["frame.number"])
            elif lname == "udp":
                udp_len = int(dict(lval)["udp.length"])
                carrier_dport = int(dict(lval)["udp.dstport"])
            elif lname == "tcp":
                is_tcp = True
                tcp_bytes += int(dict(lval).get("tcp.len", "0"))
                carrier_dport = int(dict(lval)["tcp.dstport"])
            elif lname == "hep":
                flat = flatten(lval, [])
                d = {}
                for k, v in flat:
                    if v is not None:
                        d.setdefault(k, []).append(v)
                keys = [k for k, _ in flat]
                g = lambda k, dflt="": d.get(k, [dflt])[0]  # noqa: E731
                length = int(g("hep.length", "0"))
                chunk_types = [int(x) for x in d.get("hep.chunk.type", [])]
                chunk_lens = [int(x) for x in d.get("hep.chunk.length", [])]
                vendors = [int(x) for x in d.get("hep.chunk.vendor", [])]
                rec = {
                    "frame": frame_no,
                    "transport": "tcp" if is_tcp else "udp",
                    "carrier_dport": carrier_dport,
                    "version": g("hep.version"),
                    "length": length,
                    "chunks": chunk_types,
                    "vendors": sorted(set(vendors)),
                    "family": int(g("hep.ip_family", "-1")),
                    "ip_proto": int(g("hep.ip_proto", "-1")),
                    "src": norm_ip(g("hep.src_ip") or g("hep.src_ip6")),
                    "dst": norm_ip(g("hep.dst_ip") or g("hep.dst_ip6")),
                    "sport": int(g("hep.src_port", "-1")),
                    "dport": int(g("hep.dst_port", "-1")),
                    "ts_sec": int(g("hep.ts_sec", "-1")),
                    "ts_usec": int(g("hep.ts_usec", "-1")),
                    "proto_type": int(g("hep.proto_type", "-1")),
                    "capture_id": int(g("hep.capture_id", "-1")),
                    "auth_key": g("hep.auth_key", None),
                    "node_name": g("hep.node_name", None),
                    "correlation_id": g("hep.correlation_id", None),
                    "payload_hex": g("hep.payload").replace(":", "").lower(),
                }
                rec["ts_us"] = rec["ts_sec"] * 1000000 + rec["ts_usec"] if rec["ts_sec"] >= 0 else -1
                where = "frame %s PDU at %d" % (frame_no, len(pdus))
                if "hep.bad_length" in keys or "_ws.malformed" in keys:
                    problems.append("%s: hep.bad_length / malformed expert info" % where)
                if rec["version"] != "HEP3":
                    problems.append("%s: version %r" % (where, rec["version"]))
                if 6 + sum(chunk_lens) != length:
                    problems.append("%s: chunks sum to %d bytes, header says %d"
                                    % (where, 6 + sum(chunk_lens), length))
                if len(chunk_types) != len(set(chunk_types)):
                    problems.append("%s: repeated chunk types %s" % (where, chunk_types))
                if rec["ts_usec"] > 999999:
                    problems.append("%s: ts_usec %d out of range" % (where, rec["ts_usec"]))
                frame_hep += length
                pdus.append(rec)
        if udp_len is not None and not is_tcp and udp_len - 8 != frame_hep:
            problems.append("frame %s: UDP payload is %d bytes, HEP PDUs in it sum to %d"
                            % (frame_no, udp_len - 8, frame_hep))
        if is_tcp:
            tcp_hep_bytes += frame_hep
    if tcp_bytes != tcp_hep_bytes:
        problems.append("TCP: %d stream bytes to/from the HEP port, HEP PDUs decoded sum to %d"
                        % (tcp_bytes, tcp_hep_bytes))
    return {"pdus": pdus, "problems": problems}


# ------------------------------------------------------------------ Kamailio SQLite rows
def kamrows(db, where=None):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        con.row_factory = sqlite3.Row
        sql = "SELECT * FROM sip_capture" + ((" WHERE " + where) if where else "") + " ORDER BY id"
        out = []
        for r in con.execute(sql):
            r = dict(r)
            msg = r.pop("msg")
            if isinstance(msg, str):
                msg = msg.encode("latin-1", "replace")
            out.append({
                "id": r["id"], "ts_us": r["micro_ts"], "family": r["family"],
                "ip_proto": {1: 17, 2: 6}.get(r["proto"], r["proto"]),
                "src": r["source_ip"], "sport": r["source_port"],
                "dst": r["destination_ip"], "dport": r["destination_port"],
                "call_id": r["callid"], "method": r["method"], "reply_reason": r["reply_reason"],
                "type": r["type"], "node": r["node"], "correlation_id": r["correlation_id"],
                "payload_hex": (msg or b"").hex(),
            })
        return out
    finally:
        con.close()


# ------------------------------------------------------------------ formatting
def lines(path, args):
    sets, where = {}, {}
    keys = []
    it = iter(args)
    for a in it:
        if a in ("--set", "--where"):
            k, _, v = next(it).partition("=")
            (sets if a == "--set" else where)[k] = v
        else:
            keys.append(a)
    with open(path) as f:
        recs = json.load(f)
    if isinstance(recs, dict):
        recs = recs["pdus"]
    out = []
    for r in recs:
        if any(str(r.get(k)) != v for k, v in where.items()):
            continue
        r = dict(r, **sets)
        vals = []
        for k in keys:
            v = r.get(k)
            if isinstance(v, list):
                v = ",".join(str(x) for x in sorted(v))
            vals.append("-" if v is None else str(v))
        out.append("\t".join(vals))
    for line in sorted(out):
        print(line)


# ------------------------------------------------------------------ IPv6 test pcap
def ipv6pcap(out):
    try:
        from decimal import Decimal
        from scapy.all import Ether, IPv6, UDP, Raw, wrpcap
    except ImportError:
        die("scapy missing (use /usr/bin/python3 with python3-scapy)")
    a, b = ("2001:db8::10", 5060), ("2001:db8::20", 5062)
    cid = "e2e-v6-call-1@2001:db8::10"

    def msg(first, cseq, src, extra=""):
        return ("%s\r\nVia: SIP/2.0/UDP [%s]:%d;branch=z9hG4bK-v6-%d\r\n"
                "From: <sip:alice@[%s]>;tag=v6from\r\nTo: <sip:bob@[%s]>%s\r\n"
                "Call-ID: %s\r\nCSeq: %s\r\nMax-Forwards: 70\r\n"
                "Contact: <sip:alice@[%s]:%d>\r\nContent-Length: 0\r\n\r\n"
                % (first, a[0], a[1], sum(map(ord, first + cseq)), a[0], b[0], extra,
                   cid, cseq, src[0], src[1]))

    tt = ";tag=v6to"
    seq = [
        (a, b, msg("INVITE sip:bob@[%s]:%d SIP/2.0" % b, "1 INVITE", a)),
        (b, a, msg("SIP/2.0 100 Trying", "1 INVITE", b)),
        (b, a, msg("SIP/2.0 180 Ringing", "1 INVITE", b, tt)),
        (b, a, msg("SIP/2.0 200 OK", "1 INVITE", b, tt)),
        (a, b, msg("ACK sip:bob@[%s]:%d SIP/2.0" % b, "1 ACK", a, tt)),
        (a, b, msg("BYE sip:bob@[%s]:%d SIP/2.0" % b, "2 BYE", a, tt)),
        (b, a, msg("SIP/2.0 200 OK", "2 BYE", b, tt)),
    ]
    pkts = []
    t0 = Decimal("1700000000.000001")
    for i, (s, d, text) in enumerate(seq):
        p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IPv6(src=s[0], dst=d[0], hlim=64) / UDP(sport=s[1], dport=d[1]) / Raw(text.encode()))
        p.time = t0 + Decimal(i) * Decimal("0.010101")
        pkts.append(p)
    wrpcap(out, pkts)


# ------------------------------------------------------------------ sink and feeder
def sink(kind, port, out):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    total = [0, 0]  # messages/connections, bytes

    def write():
        with open(out + ".tmp", "w") as f:
            f.write("%d %d\n" % tuple(total))
        os.replace(out + ".tmp", out)

    write()
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", int(port)))
        s.settimeout(0.2)
        while not stop:
            try:
                data = s.recv(70000)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            total[0] += 1
            total[1] += len(data)
            write()
    else:
        import selectors
        sel = selectors.DefaultSelector()
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(port)))
        ls.listen(16)
        sel.register(ls, selectors.EVENT_READ)
        while not stop:
            for key, _ in sel.select(0.2):
                if key.fileobj is ls:
                    c, _ = ls.accept()
                    total[0] += 1
                    sel.register(c, selectors.EVENT_READ)
                else:
                    data = key.fileobj.recv(65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        key.fileobj.close()
                    total[1] += len(data)
            write()
    write()


def feeder(pcap, ctl):
    with open(pcap, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        die("%s: not a classic pcap" % pcap)
    recs = []
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        recs.append(data[pos:pos + 16 + incl])
        pos += 16 + incl
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    out = sys.stdout.buffer
    out.write(data[:24])
    out.flush()
    fed = 0
    with open(ctl) as c:
        for line in c:
            words = line.split()
            if not words:
                continue
            if words[0] == "send":
                n = int(words[1])
            elif words[0] == "rest":
                n = len(recs) - fed
            elif words[0] == "eof":
                break
            else:
                die("feeder: unknown command %r" % line)
            for r in recs[fed:fed + n]:
                out.write(r)
            fed = min(len(recs), fed + n)
            out.flush()
            sys.stderr.write("feeder: fed %d of %d records\n" % (fed, len(recs)))
            sys.stderr.flush()
    out.close()
    sys.stderr.write("feeder: eof after %d records\n" % fed)


def pcap_records(pcap):
    """(ts_sec, ts_frac, frame bytes) of a classic little/big-endian pcap with Ethernet frames."""
    with open(pcap, "rb") as f:
        data = f.read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(e + "I", data[20:24])[0] != 1:
        die("%s: only Ethernet pcaps can be replayed" % pcap)
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[pos:pos + 16])
        out.append((sec, frac, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


def replay(pcap, first, last, pa, pb):
    import time
    msgs = []
    for _, _, fr in pcap_records(pcap)[int(first) - 1:int(last)]:
        if struct.unpack("!H", fr[12:14])[0] != 0x0800 or fr[23] != 17:
            die("replay: only IPv4/UDP records")
        ihl = (fr[14] & 15) * 4
        udp = fr[14 + ihl:]
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        msgs.append((sport, dport, udp[8:ulen]))
    ports = sorted({p for m in msgs for p in m[:2]})
    if len(ports) != 2:
        die("replay: expected exactly two UDP ports, found %s" % ports)
    pmap = {ports[0]: int(pa), ports[1]: int(pb)}
    socks = {}
    for p in pmap.values():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", p))
        socks[p] = s
    for sport, dport, payload in msgs:
        socks[pmap[sport]].sendto(payload, ("127.0.0.1", pmap[dport]))
        time.sleep(0.002)   # keep capture order = send order; not a timing assertion
    time.sleep(0.2)         # let the last datagrams reach the bound peer socket
    for s in socks.values():
        s.close()


# ------------------------------------------------------------------ RTCP (issue 5)
# docs/rtcp.md, "JSON body of HEP type 5": keys always present, and the optional ones
RTCP_ALWAYS = ["sender_information", "ssrc", "type", "report_count", "report_blocks",
               "report_blocks_xr", "sdes_ssrc"]
RTCP_OPTIONAL = ["sdes_information", "sdes_report_count", "bye", "app", "xr_blocks", "voip_metrics"]
RTCP_SENDER = ["ntp_timestamp_sec", "ntp_timestamp_usec", "rtp_timestamp", "packets", "octets"]
RTCP_XR = ["type", "id", "fraction_lost", "fraction_discard", "burst_density", "gap_density",
           "burst_duration", "gap_duration", "round_trip_delay", "end_system_delay"]
RTCP_BLOCK = ["source_ssrc", "highest_seq_no", "fraction_lost", "ia_jitter", "packets_lost",
              "lsr", "dlsr"]


def rtcp_map(path):
    flows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            v = line.rstrip("\n").split("\t")
            flows[(norm_ip(v[0]), int(v[1]), norm_ip(v[2]), int(v[3]))] = (v[4], int(v[6]), int(v[7]))
    return flows


def rtcp_line(ts_us, src, sport, dst, dport, call_id):
    return "%d\t%s\t%d\t%s\t%d\t%s" % (ts_us, norm_ip(src), sport, norm_ip(dst), dport, call_id)


def rtcpexpect(pcap, mapfile):
    flows = rtcp_map(mapfile)
    rows = tshark_fields(pcap, ["frame.time_epoch", "ip.src", "udp.srcport", "ip.dst",
                                "udp.dstport"], "udp and ip")
    out = []
    for r in rows:
        key = (norm_ip(r["ip.src"]), int(r["udp.srcport"]), norm_ip(r["ip.dst"]), int(r["udp.dstport"]))
        if key in flows:
            out.append(rtcp_line(ts_us_of(r["frame.time_epoch"]), *key, flows[key][0]))
    want = sum(n for _, n, _ in flows.values())
    if len(out) != want:
        die("tshark finds %d RTCP packets on the map's flows, the map lists %d" % (len(out), want))
    for line in sorted(out):
        print(line)


def rtcprows(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        out, bad = [], 0
        for r in con.execute("SELECT micro_ts, source_ip, source_port, destination_ip, "
                             "destination_port, correlation_id, msg FROM rtcp_capture"):
            out.append(rtcp_line(r[0], r[1], r[2], r[3], r[4], r[5]))
            msg = r[6].encode("latin-1") if isinstance(r[6], str) else (r[6] or b"")
            try:
                json.loads(msg.decode("utf-8"))
            except ValueError:
                bad += 1
        for line in sorted(out):
            print(line)
        print("json-errors %d" % bad)
    finally:
        con.close()


def rtcp_json_problems(body):
    """Problems of one HEP type 5 payload against docs/rtcp.md (an empty list when fine)."""
    probs = []
    seen = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            probs.append("duplicate keys %s" % keys)
        seen.append(keys)
        return dict(pairs)
    try:
        o = json.loads(body.decode("utf-8"), object_pairs_hook=hook)
    except ValueError as e:
        return ["not JSON: %s" % e]
    if not isinstance(o, dict):
        return ["not an object"]
    keys = list(o)
    if keys[:len(RTCP_ALWAYS)] != RTCP_ALWAYS:
        probs.append("first keys %s, docs/rtcp.md says %s" % (keys[:len(RTCP_ALWAYS)], RTCP_ALWAYS))
    extra = [k for k in keys[len(RTCP_ALWAYS):] if k not in RTCP_OPTIONAL]
    if extra:
        probs.append("unknown keys %s" % extra)
    if list(o.get("sender_information", {})) != RTCP_SENDER:
        probs.append("sender_information keys %s" % list(o.get("sender_information", {})))
    if list(o.get("report_blocks_xr", {})) != RTCP_XR:
        probs.append("report_blocks_xr keys %s" % list(o.get("report_blocks_xr", {})))
    blocks = o.get("report_blocks", [])
    if not isinstance(blocks, list) or o.get("report_count") != len(blocks):
        probs.append("report_count %s but %d blocks" % (o.get("report_count"), len(blocks)))
    for b in blocks:
        if list(b) != RTCP_BLOCK:
            probs.append("report block keys %s" % list(b))
    if o.get("type") not in range(200, 208):
        probs.append("type %s" % o.get("type"))
    usec = o.get("sender_information", {}).get("ntp_timestamp_usec", -1)
    if not 0 <= usec <= 999999:
        probs.append("ntp_timestamp_usec %s not in 0..999999" % usec)
    return probs


def rtcphep(hepjson, mapfile):
    flows = rtcp_map(mapfile)
    with open(hepjson) as f:
        pdus = [p for p in json.load(f)["pdus"] if p["proto_type"] == 5]
    out, bad, n_xr = [], 0, 0
    for p in pdus:
        body = bytes.fromhex(p["payload_hex"])
        probs = rtcp_json_problems(body)
        if probs:
            bad += 1
            sys.stderr.write("frame %s: %s\n" % (p["frame"], "; ".join(probs)))
        elif "voip_metrics" in json.loads(body.decode("utf-8")):
            n_xr += 1
        out.append(rtcp_line(p["ts_us"], p["src"], p["sport"], p["dst"], p["dport"],
                             p["correlation_id"] or ""))
    for line in sorted(out):
        print(line)
    print("json-errors %d" % bad)
    print("voip-metrics %d" % n_xr)


def main(argv):
    if not argv:
        die("usage: see the docstring")
    cmd, args = argv[0], argv[1:]
    if cmd == "freeport":
        print(freeport(args[0]))
    elif cmd == "expect":
        print(json.dumps(expect(args[0]), indent=1))
    elif cmd == "hep":
        print(json.dumps(hep(args[0], args[1:]), indent=1))
    elif cmd == "kamrows":
        print(json.dumps(kamrows(args[0], args[1] if len(args) > 1 else None), indent=1))
    elif cmd == "lines":
        lines(args[0], args[1:])
    elif cmd == "ipv6pcap":
        ipv6pcap(args[0])
    elif cmd == "sink":
        sink(args[0], args[1], args[2])
    elif cmd == "feeder":
        feeder(args[0], args[1])
    elif cmd == "rtcpexpect":
        rtcpexpect(args[0], args[1])
    elif cmd == "rtcprows":
        rtcprows(args[0])
    elif cmd == "rtcphep":
        rtcphep(args[0], args[1])
    elif cmd == "replay":
        replay(*args[:5])
    else:
        die("unknown subcommand %s" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
