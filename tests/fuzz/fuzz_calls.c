/* fuzz_calls.c - fuzz target for the call table (src/track/calls.c) and,
 * through it, the SDP parser on SIP bodies. The input is a program of
 * operations on a small table (8 calls, 2 media lines per side), so that
 * eviction, endpoint take-over, linger, revival and NAT learning all happen:
 *   op 0: a SIP message built from the next bytes (method, Call-ID, tags,
 *         CSeq, an SDP with addresses and ports from small pools, optionally
 *         a few raw body bytes from the input)
 *   op 1: a media packet between pool addresses/ports, RTP or RTCP
 *   op 2: time moves on; op 3: tr_calls_expire
 * Checks after every step: the table never holds more than its cap, every
 * call that left is counted (created = calls + evicted + closed +
 * expired_idle), a match returns a non-empty id of bounded length. */
#include "fuzz.h"
#include "track/track.h"

#define MAX_CALLS 8

static const char *const ips[] = {
    "198.51.100.1", "198.51.100.2", "10.0.0.5", "192.168.1.7", "203.0.113.7",
    "0.0.0.0",      "2001:db8::1",  "fd00::5",  "2001:db8::2", "media.example.com",
};
static const uint8_t ip_bytes[][17] = {
    /* family, address: the same pool as ips[] for packets */
    {4, 198, 51, 100, 1},
    {4, 198, 51, 100, 2},
    {4, 10, 0, 0, 5},
    {4, 192, 168, 1, 7},
    {4, 203, 0, 113, 7},
    {4, 0, 0, 0, 0},
    {6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {6, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5},
    {6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
    {4, 198, 51, 100, 9},
};
static const uint16_t ports[] = {4000, 4001, 4002, 4003, 20000, 20001, 31000, 31001, 65535, 0};
static const char *const starts[] = {
    "INVITE sip:b@x SIP/2.0", "ACK sip:b@x SIP/2.0",     "BYE sip:b@x SIP/2.0",
    "CANCEL sip:b@x SIP/2.0", "UPDATE sip:b@x SIP/2.0",  "PRACK sip:b@x SIP/2.0",
    "SIP/2.0 200 OK",         "SIP/2.0 183 Progress",    "SIP/2.0 486 Busy",
    "SIP/2.0 407 Auth",       "OPTIONS sip:b@x SIP/2.0", "SIP/2.0 100 Trying",
};
static const char *const cseq_methods[] = {"INVITE", "ACK",   "BYE",    "CANCEL",
                                           "UPDATE", "PRACK", "OPTIONS"};

struct prog {
    const uint8_t *p;
    size_t n;
};

static uint8_t next(struct prog *g)
{
    if (g->n == 0)
        return 0;
    g->n--;
    return *g->p++;
}

static void sip_op(struct tr_calls *t, struct prog *g, uint64_t now)
{
    static char msg[4096], sdp[2048], cid[160];
    uint8_t op = next(g), who = next(g), media = next(g), n_raw = next(g) & 31;
    const char *start = starts[op % TR_ARRAY_LEN(starts)];
    bool is_req = start[0] != 'S';
    const char *cm = is_req ? "" : cseq_methods[(op >> 4) % TR_ARRAY_LEN(cseq_methods)];
    if (is_req) {
        size_t sp = strcspn(start, " ");
        static char m[16];
        memcpy(m, start, sp);
        m[sp] = '\0';
        cm = m;
    }
    unsigned c = who & 15;
    if (c == 15) /* a Call-ID longer than the table keeps */
        snprintf(cid, sizeof(cid), "%0150u", (unsigned)(who >> 5));
    else
        snprintf(cid, sizeof(cid), "call-%u@x", c);
    const char *ftag = who & 0x10 ? "tb" : "ta", *ttag = who & 0x10 ? "ta" : "tb";

    size_t sl = 0;
    if (media & 1) {
        sl = (size_t)snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n");
        unsigned lines = 1 + ((media >> 1) & 3);
        for (unsigned i = 0; i < lines && sl < sizeof(sdp) - 256; i++) {
            uint8_t a = next(g), b = next(g);
            const char *ip = ips[(a & 15) % TR_ARRAY_LEN(ips)];
            sl += (size_t)snprintf(
                sdp + sl, sizeof(sdp) - sl, "m=audio %u RTP/AVP 0\r\nc=IN %s %s\r\n%s%s",
                (unsigned)ports[b % TR_ARRAY_LEN(ports)], strchr(ip, ':') ? "IP6" : "IP4", ip,
                a & 0x40 ? "a=rtcp-mux\r\n" : "", a & 0x80 ? "a=rtcp:20001\r\n" : "");
        }
    }
    for (unsigned i = 0; i < n_raw && g->n > 0 && sl < sizeof(sdp) - 1; i++)
        sdp[sl++] = (char)next(g);
    sdp[sl] = '\0';
    size_t clen = sl + (media & 0x80 ? 40 : 0); /* sometimes the body is cut */
    int n = snprintf(msg, sizeof(msg),
                     "%s\r\nFrom: <sip:a@x>;tag=%s\r\nTo: <sip:b@x>;tag=%s\r\nCall-ID: %s\r\n"
                     "CSeq: %u %s\r\n%sContent-Length: %zu\r\n\r\n",
                     start, ftag, ttag, cid, (unsigned)(next(g) & 7), cm,
                     media & 0x40 ? "Content-Type: application/sdp\r\n" : "", clen);
    if (n < 0 || (size_t)n + sl > sizeof(msg))
        return;
    memcpy(msg + n, sdp, sl);
    struct tr_sip_msg m;
    int rc = tr_sip_parse((struct tr_bytes){(const uint8_t *)msg, (size_t)n + sl}, &m);
    if (rc == TR_OK || rc == -TR_E_MALFORMED)
        (void)tr_calls_observe_sip(t, NULL, &m, now);
}

static void media_op(struct tr_calls *t, struct prog *g, uint64_t now)
{
    uint8_t a = next(g), b = next(g), flags = next(g);
    struct tr_packet p;
    memset(&p, 0, sizeof(p));
    p.ip_proto = flags & 0x80 ? 6 : 17;
    const uint8_t *s = ip_bytes[(a & 15) % TR_ARRAY_LEN(ip_bytes)];
    const uint8_t *d = ip_bytes[(b & 15) % TR_ARRAY_LEN(ip_bytes)];
    p.src.family = s[0];
    memcpy(p.src.a, s + 1, 16);
    p.dst.family = d[0];
    memcpy(p.dst.a, d + 1, 16);
    p.sport = ports[(a >> 4) % TR_ARRAY_LEN(ports)];
    p.dport = ports[(b >> 4) % TR_ARRAY_LEN(ports)];
    static uint8_t payload[12];
    payload[0] = flags & 0x40 ? 0x80 : flags;
    size_t len = (flags >> 2) & 15;
    p.payload = (struct tr_bytes){payload, len < 12 ? len : 12};
    struct tr_str id = {NULL, 0};
    if (tr_calls_match(t, &p, flags & 1, now, &id)) {
        CHECK(id.len > 0 && id.len <= TR_CALLS_CALL_ID_MAX && id.ptr != NULL);
        CHECK(memchr(id.ptr, '@', id.len) || id.ptr[0] == '0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_calls_conf conf = {
        .max_calls = MAX_CALLS,
        .max_media = 2,
        .idle_ns = 60ull * 1000000000u,
        .linger_ns = 5ull * 1000000000u,
        .learn_window_ns = 3ull * 1000000000u,
    };
    struct tr_calls *t = tr_calls_new(&conf);
    if (!t)
        return 0;
    struct prog g = {data, size};
    uint64_t now = 1000ull * 1000000000u;
    for (int steps = 0; g.n > 0 && steps < 256; steps++) {
        switch (next(&g) & 3) {
        case 0:
            sip_op(t, &g, now);
            break;
        case 1:
            media_op(t, &g, now);
            break;
        case 2:
            now += (uint64_t)next(&g) * 500000000u;
            break;
        default:
            tr_calls_expire(t, now);
            break;
        }
        const struct tr_calls_stats *st = tr_calls_stats(t);
        CHECK(st->calls <= MAX_CALLS);
        CHECK(st->created == st->calls + st->evicted + st->closed + st->expired_idle);
        CHECK(st->endpoints <= (uint64_t)MAX_CALLS * 2 * 2 * 4);
        CHECK(st->evicted_active <= st->evicted);
    }
    tr_calls_free(t);
    return 0;
}
