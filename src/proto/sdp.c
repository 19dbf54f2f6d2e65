/* sdp.c - the part of SDP that media correlation needs, as promised by
 * proto.h. Specs: RFC 8866 (SDP; replaced RFC 4566) section 5 (line format
 * "<type>=<value>", session part before the first "m=", media sections after
 * it), 5.7 (c=: "IN IP4 <addr>[/<ttl>[/<count>]]", "IN IP6 <addr>[/<count>]"),
 * 5.14 (m=: "<media> <port>[/<count>] <proto> <fmt> ..."), 6.7 (direction
 * attributes); RFC 3605 section 2.1 (a=rtcp:<port> [IN IP4|IP6 <addr>]);
 * RFC 5761 section 5.1.1 (a=rtcp-mux); RFC 8858 (a=rtcp-mux-only); RFC 3264
 * section 8.2 (port 0: stream disabled) and 8.4 (c=0.0.0.0: hold, reported
 * as given, the caller decides).
 *
 * Tolerance, because real SDP is messy: LF or CRLF line ends, a last line
 * without line end (flagged: it may be cut), runs of spaces or tabs between
 * fields, case-insensitive keywords, session-level a=rtcp-mux (applied to
 * every section), junk lines (skipped and counted). A c= with a host name
 * (allowed by RFC 8866 5.7) leaves the address unset: nothing is resolved.
 *
 * Safety: every read is inside [body.ptr, body.ptr + body.len); lines are
 * found with memchr on the remaining length, fields are views into the line,
 * numbers are bounded while they are read, and an IPv6 literal is copied into
 * a fixed stack buffer (length-checked) before inet_pton.
 */
#include "proto.h"

#include <arpa/inet.h>

/* ---------------------------------------------------------------- helpers */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Next field of s separated by spaces/tabs; advances *s past it. */
static struct tr_str next_field(struct tr_str *s)
{
    size_t i = 0;
    while (i < s->len && is_space(s->ptr[i]))
        i++;
    size_t start = i;
    while (i < s->len && !is_space(s->ptr[i]))
        i++;
    struct tr_str f = {s->ptr + start, i - start};
    s->ptr += i;
    s->len -= i;
    return f;
}

static struct tr_str trim(struct tr_str s)
{
    while (s.len > 0 && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

/* Decimal 0..max, digits only, at least one digit. */
static bool parse_uint(struct tr_str s, uint32_t max, uint32_t *out)
{
    if (s.len == 0 || s.len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Splits s at the first '/': returns the part before it, *rest the part
 * after it, *slash whether there was one. */
static struct tr_str cut_slash(struct tr_str s, struct tr_str *rest, bool *slash)
{
    const char *p = s.len ? memchr(s.ptr, '/', s.len) : NULL;
    *slash = p != NULL;
    if (!p) {
        *rest = (struct tr_str){s.ptr + s.len, 0};
        return s;
    }
    size_t n = (size_t)(p - s.ptr);
    *rest = (struct tr_str){p + 1, s.len - n - 1};
    return (struct tr_str){s.ptr, n};
}

/* Strict dotted quad: four decimal parts 0..255, nothing else. */
static bool parse_ip4(struct tr_str s, struct tr_addr *out)
{
    uint8_t a[4];
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= s.len || s.ptr[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s.ptr[i++] - '0');
        if (i == start || v > 255)
            return false;
        a[part] = (uint8_t)v;
    }
    if (i != s.len)
        return false;
    memset(out, 0, sizeof(*out));
    out->family = TR_AF_INET;
    memcpy(out->a, a, 4);
    return true;
}

static bool parse_ip6(struct tr_str s, struct tr_addr *out)
{
    char buf[64]; /* longest literal: 45 characters (INET6_ADDRSTRLEN - 1) */
    if (s.len == 0 || s.len >= sizeof(buf) || memchr(s.ptr, '\0', s.len))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    uint8_t a[16];
    if (inet_pton(AF_INET6, buf, a) != 1)
        return false;
    memset(out, 0, sizeof(*out));
    out->family = TR_AF_INET6;
    memcpy(out->a, a, 16);
    return true;
}

enum addr_rc { ADDR_BAD, ADDR_OK, ADDR_NAME };

/* "IN IP4 <addr>[/...]" or "IN IP6 <addr>[/...]" from s (the rest of the
 * line). ADDR_NAME: well-formed, but the address is a host name. */
static enum addr_rc parse_conn(struct tr_str s, struct tr_addr *out)
{
    struct tr_str net = next_field(&s), atype = next_field(&s), addr = next_field(&s);
    if (!tr_str_ieq(net, TR_STR_LIT("IN")) || addr.len == 0 || trim(s).len != 0)
        return ADDR_BAD;
    struct tr_str suffix;
    bool slash;
    addr = cut_slash(addr, &suffix, &slash); /* TTL and/or count: tolerated, not used */
    bool v4 = tr_str_ieq(atype, TR_STR_LIT("IP4"));
    if (!v4 && !tr_str_ieq(atype, TR_STR_LIT("IP6")))
        return ADDR_BAD;
    if (v4 ? parse_ip4(addr, out) : parse_ip6(addr, out))
        return ADDR_OK;
    /* A host name (RFC 8866 5.7 allows an FQDN): letters, digits, '-', '.'.
     * Anything else is junk. */
    bool alpha = false;
    for (size_t i = 0; i < addr.len; i++) {
        char c = addr.ptr[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        alpha |= letter;
        if (!letter && !(c >= '0' && c <= '9') && c != '-' && c != '.')
            return ADDR_BAD;
    }
    return alpha ? ADDR_NAME : ADDR_BAD;
}

/* ---------------------------------------------------------------- lines */

struct state {
    struct tr_sdp *out;
    int cur; /* media index being filled; -1: session part; -2: overflow */
    bool sess_mux;
    bool sess_dir_set;
    uint8_t sess_dir;
    uint16_t dir_set; /* bit i: media i had its own direction attribute */
};

static void media_line(struct state *st, struct tr_str v)
{
    struct tr_sdp *out = st->out;
    out->n_media_total++;
    if (out->n_media >= TR_SDP_MAX_MEDIA) {
        st->cur = -2; /* counted; its lines are ignored, never attached elsewhere */
        return;
    }
    st->cur = (int)out->n_media++;
    struct tr_sdp_media *m = &out->media[st->cur];
    memset(m, 0, sizeof(*m));
    m->n_ports = 1;

    struct tr_str type = next_field(&v), port = next_field(&v), proto = next_field(&v);
    struct tr_str count;
    bool slash;
    port = cut_slash(port, &count, &slash);
    uint32_t p = 0, n = 1;
    if (type.len == 0 || proto.len == 0 || !parse_uint(port, 65535, &p) ||
        (slash && (!parse_uint(count, 65535, &n) || n == 0))) {
        m->malformed = true; /* port stays 0: unusable, but owns its attributes */
        out->n_junk++;
        return;
    }
    m->type = type;
    m->proto = proto;
    m->port = (uint16_t)p;
    m->n_ports = (uint16_t)n;
}

static void conn_line(struct state *st, struct tr_str v)
{
    struct tr_addr a;
    memset(&a, 0, sizeof(a));
    enum addr_rc rc = parse_conn(v, &a);
    if (rc == ADDR_BAD) {
        st->out->n_junk++;
        return;
    }
    if (st->cur == -1) {
        st->out->session_addr = a; /* a host name leaves it TR_AF_NONE */
    } else if (st->cur >= 0) {
        struct tr_sdp_media *m = &st->out->media[st->cur];
        m->addr = a;
        m->media_conn = true;
    }
}

static void rtcp_attr(struct state *st, struct tr_str v)
{
    /* RFC 3605: media level only; a session-level one has no meaning. */
    struct tr_str port = next_field(&v);
    uint32_t p;
    if (!parse_uint(port, 65535, &p) || p == 0) {
        st->out->n_junk++;
        return;
    }
    struct tr_addr a;
    memset(&a, 0, sizeof(a));
    if (trim(v).len > 0 && parse_conn(v, &a) == ADDR_BAD) {
        st->out->n_junk++;
        return;
    }
    if (st->cur >= 0) {
        struct tr_sdp_media *m = &st->out->media[st->cur];
        m->rtcp_port = (uint16_t)p;
        m->rtcp_addr = a;
    }
}

static void attr_line(struct state *st, struct tr_str v)
{
    const char *colon = v.len ? memchr(v.ptr, ':', v.len) : NULL;
    struct tr_str name = colon ? (struct tr_str){v.ptr, (size_t)(colon - v.ptr)} : trim(v);
    struct tr_str value = colon ? (struct tr_str){colon + 1, v.len - name.len - 1}
                                : (struct tr_str){v.ptr + v.len, 0};

    if (colon && tr_str_ieq(name, TR_STR_LIT("rtcp"))) {
        rtcp_attr(st, value);
        return;
    }
    if (!colon && (tr_str_ieq(name, TR_STR_LIT("rtcp-mux")) ||
                   tr_str_ieq(name, TR_STR_LIT("rtcp-mux-only")))) {
        if (st->cur == -1)
            st->sess_mux = true;
        else if (st->cur >= 0)
            st->out->media[st->cur].rtcp_mux = true;
        return;
    }
    static const struct {
        const char *name;
        uint8_t dir;
    } dirs[] = {
        {"sendrecv", TR_SDP_SENDRECV},
        {"sendonly", TR_SDP_SENDONLY},
        {"recvonly", TR_SDP_RECVONLY},
        {"inactive", TR_SDP_INACTIVE},
    };
    if (colon)
        return;
    for (size_t i = 0; i < TR_ARRAY_LEN(dirs); i++) {
        if (!tr_str_ieq(name, (struct tr_str){dirs[i].name, strlen(dirs[i].name)}))
            continue;
        if (st->cur == -1) {
            st->sess_dir = dirs[i].dir;
            st->sess_dir_set = true;
        } else if (st->cur >= 0) {
            st->out->media[st->cur].dir = dirs[i].dir;
            st->dir_set |= (uint16_t)(1u << st->cur);
        }
        return;
    }
}

static void one_line(struct state *st, struct tr_str line)
{
    if (line.len < 2 || line.ptr[1] != '=') {
        st->out->n_junk++;
        return;
    }
    struct tr_str v = {line.ptr + 2, line.len - 2};
    switch (line.ptr[0]) {
    case 'm':
        media_line(st, v);
        break;
    case 'c':
        conn_line(st, v);
        break;
    case 'a':
        attr_line(st, v);
        break;
    default:
        break; /* o=, s=, t=, b=, k=, ...: not needed here */
    }
}

/* ---------------------------------------------------------------- parse */

int tr_sdp_parse(struct tr_bytes body, struct tr_sdp *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = (const char *)body.ptr;
    size_t left = body.ptr ? body.len : 0;
    struct state st = {.out = out, .cur = -1};
    bool first = true;

    while (left > 0) {
        const char *nl = memchr(p, '\n', left);
        size_t n = nl ? (size_t)(nl - p) : left;
        struct tr_str line = {p, n};
        if (line.len > 0 && line.ptr[line.len - 1] == '\r')
            line.len--;
        if (!nl)
            out->unterminated = true;
        p += nl ? n + 1 : n;
        left -= nl ? n + 1 : n;

        if (trim(line).len == 0)
            continue; /* blank lines: tolerated, not counted */
        if (first) {
            if (line.len < 2 || line.ptr[0] != 'v' || line.ptr[1] != '=') {
                memset(out, 0, sizeof(*out));
                return TR_DECLINED;
            }
            first = false;
            continue;
        }
        one_line(&st, line);
    }
    if (first) {
        memset(out, 0, sizeof(*out));
        return TR_DECLINED;
    }

    /* Session-level defaults apply to sections that did not set their own. */
    for (unsigned i = 0; i < out->n_media; i++) {
        struct tr_sdp_media *m = &out->media[i];
        if (!m->media_conn)
            m->addr = out->session_addr;
        if (st.sess_mux)
            m->rtcp_mux = true;
        if (!(st.dir_set & (1u << i)) && st.sess_dir_set)
            m->dir = st.sess_dir;
    }
    return TR_OK;
}
