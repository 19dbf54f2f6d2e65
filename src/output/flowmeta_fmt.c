/* flowmeta_fmt.c - PCapper-compatible flow metadata: the text log line and
 * the 28-byte binary record, for packets and for the per-second host records.
 *
 * Spec: PCapper of the Fortian Utilization Monitor (fortian/mwmg pcapper.c:
 * logpkt, blastpacket, watchstat; ftfm.h: struct wire), summarised in
 * /work/shared/reference/pcapper.md; our forms in docs/flowmeta.md.
 *
 * Text line, base 10, one per packet (PCapper's fprintf "%d.%06d:%s:%u:" then
 * "%s:%u:%u:%u:%u" and "\n"):
 *
 *   sec.usec:src:sport:dst:dport:len:flowid:proto\n
 *   1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:128:7:17
 *
 * usec is always six digits. PCapper prints sec with %d, so it would go
 * negative after 2038-01-19; we print it unsigned (identical before then).
 * IPv6 addresses (RFC 5952 text) are put in brackets, "[2001:db8::1]", so
 * the line still splits on ':' outside brackets; IPv4 never has brackets.
 *
 * Binary record, packed, network byte order, 28 bytes:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                              sec                              |  0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                             usec                              |  4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          saddr (IPv4)                         |  8
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          daddr (IPv4)                         | 12
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             sport             |             dport             | 16
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          len (IP total)       |        flowid (high 16)       | 20
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        flowid (low 16)        |     proto     |  flags (0)    | 24
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Host records (watchstat): flow id 0xFFFFFFFF (CPU) or 0xFFFFFFFE (memory),
 * proto 61 ("any host internal protocol"), ports 1 or 2 in network order.
 * PCapper stores the addresses without htonl (otw.saddr = 1), so on the
 * little-endian hosts it runs on the address bytes are 01 00 00 00 (or 02
 * 00 00 00) and its log shows "1.0.0.0"; we write those same bytes.
 */
#include "output.h"

#define FLOWMETA_FLOW_CPU 0xFFFFFFFFu
#define FLOWMETA_FLOW_MEM 0xFFFFFFFEu
#define FLOWMETA_PROTO_HOST 61

/* A line is built in a scratch buffer of the largest size, then copied, so
 * the caller's buffer is only written when everything fits. */
struct line {
    char b[TR_FLOWMETA_LINE_MAX];
    size_t n;
};

static void put_char(struct line *l, char c)
{
    if (l->n < sizeof(l->b))
        l->b[l->n++] = c;
}

static void put_str(struct line *l, const char *s)
{
    while (*s)
        put_char(l, *s++);
}

/* Base 10, at least min_digits digits (zero padded). */
static void put_u32(struct line *l, uint32_t v, int min_digits)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < min_digits && n < (int)sizeof(tmp))
        tmp[n++] = '0';
    while (n)
        put_char(l, tmp[--n]);
}

static bool put_addr(struct line *l, const struct tr_addr *a)
{
    char text[TR_ADDR_STRLEN];
    if (a->family != TR_AF_INET && a->family != TR_AF_INET6)
        return false;
    tr_addr_format(a, text, sizeof(text));
    if (a->family == TR_AF_INET6)
        put_char(l, '[');
    put_str(l, text);
    if (a->family == TR_AF_INET6)
        put_char(l, ']');
    return true;
}

static bool has_ports(uint8_t ip_proto)
{
    return ip_proto == 6 || ip_proto == 17 || ip_proto == 132;
}

static int line_finish(const struct line *l, char *buf, size_t cap)
{
    if (l->n + 1 > cap || l->n + 1 > sizeof(l->b))
        return -TR_E_FULL;
    memcpy(buf, l->b, l->n);
    buf[l->n] = '\0';
    return (int)l->n;
}

static void put_line(struct line *l, uint64_t ts_ns, const struct tr_addr *src, uint16_t sport,
                     const struct tr_addr *dst, uint16_t dport, uint32_t len, uint32_t flow_id,
                     uint8_t proto)
{
    put_u32(l, tr_ts_sec(ts_ns), 1);
    put_char(l, '.');
    put_u32(l, tr_ts_usec(ts_ns), 6);
    put_char(l, ':');
    put_addr(l, src);
    put_char(l, ':');
    put_u32(l, sport, 1);
    put_char(l, ':');
    put_addr(l, dst);
    put_char(l, ':');
    put_u32(l, dport, 1);
    put_char(l, ':');
    put_u32(l, len, 1);
    put_char(l, ':');
    put_u32(l, flow_id, 1);
    put_char(l, ':');
    put_u32(l, proto, 1);
    put_char(l, '\n');
}

int tr_flowmeta_line(const struct tr_packet *pkt, uint32_t ip_len, uint32_t flow_id, char *buf,
                     size_t cap)
{
    if ((pkt->src.family != TR_AF_INET && pkt->src.family != TR_AF_INET6) ||
        pkt->dst.family != pkt->src.family)
        return -TR_E_UNSUPPORTED;
    bool ports = has_ports(pkt->ip_proto);
    struct line l = { .n = 0 };
    put_line(&l, pkt->ts_ns, &pkt->src, ports ? pkt->sport : 0, &pkt->dst,
             ports ? pkt->dport : 0, ip_len, flow_id, pkt->ip_proto);
    return line_finish(&l, buf, cap);
}

static void put_record(uint8_t *p, uint64_t ts_ns, const uint8_t saddr[4], uint16_t sport,
                       const uint8_t daddr[4], uint16_t dport, uint16_t len, uint32_t flow_id,
                       uint8_t proto)
{
    tr_put_be32(p + 0, tr_ts_sec(ts_ns));
    tr_put_be32(p + 4, tr_ts_usec(ts_ns));
    memcpy(p + 8, saddr, 4); /* already in network order */
    memcpy(p + 12, daddr, 4);
    tr_put_be16(p + 16, sport);
    tr_put_be16(p + 18, dport);
    tr_put_be16(p + 20, len);
    tr_put_be32(p + 22, flow_id);
    p[26] = proto;
    p[27] = 0; /* flags: PCapper's "encapped", 0 without its ENCAPS build */
}

int tr_flowmeta_record(const struct tr_packet *pkt, uint32_t ip_len, uint32_t flow_id,
                       uint8_t *buf, size_t cap)
{
    if (pkt->src.family != TR_AF_INET || pkt->dst.family != TR_AF_INET)
        return -TR_E_UNSUPPORTED;
    if (cap < TR_FLOWMETA_REC_LEN)
        return -TR_E_FULL;
    bool ports = has_ports(pkt->ip_proto);
    put_record(buf, pkt->ts_ns, pkt->src.a, ports ? pkt->sport : 0, pkt->dst.a,
               ports ? pkt->dport : 0, ip_len > 0xffff ? 0xffff : (uint16_t)ip_len, flow_id,
               pkt->ip_proto);
    return TR_FLOWMETA_REC_LEN;
}

static bool host_kind(enum tr_flowmeta_host kind, uint8_t *id, uint32_t *flow_id)
{
    switch (kind) {
    case TR_FLOWMETA_HOST_CPU:
        *id = 1;
        *flow_id = FLOWMETA_FLOW_CPU;
        return true;
    case TR_FLOWMETA_HOST_MEM:
        *id = 2;
        *flow_id = FLOWMETA_FLOW_MEM;
        return true;
    }
    return false;
}

int tr_flowmeta_host_record(enum tr_flowmeta_host kind, uint64_t ts_ns, uint16_t value,
                            uint8_t *buf, size_t cap)
{
    uint8_t id;
    uint32_t flow_id;
    if (!host_kind(kind, &id, &flow_id))
        return -TR_E_UNSUPPORTED;
    if (cap < TR_FLOWMETA_REC_LEN)
        return -TR_E_FULL;
    const uint8_t addr[4] = { id, 0, 0, 0 }; /* PCapper's host-order 1 or 2 on little endian */
    put_record(buf, ts_ns, addr, id, addr, id, value, flow_id, FLOWMETA_PROTO_HOST);
    return TR_FLOWMETA_REC_LEN;
}

int tr_flowmeta_host_line(enum tr_flowmeta_host kind, uint64_t ts_ns, uint16_t value, char *buf,
                          size_t cap)
{
    uint8_t id;
    uint32_t flow_id;
    if (!host_kind(kind, &id, &flow_id))
        return -TR_E_UNSUPPORTED;
    struct tr_addr a = { .family = TR_AF_INET, .a = { id, 0, 0, 0 } };
    struct line l = { .n = 0 };
    put_line(&l, ts_ns, &a, id, &a, id, value, flow_id, FLOWMETA_PROTO_HOST);
    return line_finish(&l, buf, cap);
}
