/* websocket.c - WebSocket frames and the HTTP Upgrade handshake, for SIP
 * over WebSocket. Specs: RFC 6455 section 4.1/4.2 (opening handshake: GET
 * with "Upgrade: websocket", answered by "101 Switching Protocols"), 5.2
 * (base framing), 5.3 (client-to-server masking), 5.4 (fragmentation:
 * control frames may be interleaved), 5.5 (control frames: at most 125
 * bytes, never fragmented); RFC 7118 section 4.1 (subprotocol "sip") and
 * 5.2 (one SIP message per WebSocket message, text or binary).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * Tolerance: a length not in its shortest form (RFC 6455 5.2 asks for the
 * minimal encoding) is accepted, since a capture agent reports what was sent;
 * what cannot be framed (reserved opcodes, oversized or fragmented control
 * frames, a 64-bit length with its top bit set) is malformed. RSV bits are
 * reported, not judged: an extension (permessage-deflate) may set RSV1, and
 * then the payload is compressed and not SIP text; the caller decides.
 */
#include "proto.h"

/* ---------------------------------------------------------------- frames */

static bool is_control(uint8_t op)
{
    return op >= 0x8;
}

static bool opcode_known(uint8_t op)
{
    return op <= TR_WS_OP_BINARY || (op >= TR_WS_OP_CLOSE && op <= TR_WS_OP_PONG);
}

int tr_ws_frame_parse(struct tr_bytes in, struct tr_ws_frame *out)
{
    memset(out, 0, sizeof(*out));
    struct tr_cursor c = tr_cur_init(in.ptr, in.ptr ? in.len : 0);
    uint8_t b0 = tr_cur_u8(&c);
    uint8_t b1 = tr_cur_u8(&c);
    uint64_t len = b1 & 0x7f;
    if (len == 126) {
        len = tr_cur_be16(&c);
    } else if (len == 127) {
        uint64_t hi = tr_cur_be32(&c);
        len = hi << 32 | tr_cur_be32(&c);
    }
    bool masked = b1 & 0x80;
    uint8_t mask[4] = {0};
    if (masked) {
        struct tr_bytes m = tr_cur_take(&c, 4);
        if (m.ptr)
            memcpy(mask, m.ptr, 4);
    }
    if (c.short_read)
        return -TR_E_TRUNCATED;

    out->fin = b0 & 0x80;
    out->rsv = (b0 >> 4) & 0x7;
    out->opcode = b0 & 0x0f;
    out->masked = masked;
    memcpy(out->mask, mask, 4);
    out->payload_len = len;
    out->header_len = (size_t)(c.pos - in.ptr);

    if (!opcode_known(out->opcode) || (len >> 63) ||
        (is_control(out->opcode) && (len > 125 || !out->fin)))
        return -TR_E_MALFORMED;
    if (len > tr_cur_left(&c))
        return -TR_E_TRUNCATED;
    out->payload = tr_cur_take(&c, (size_t)len);
    return TR_OK;
}

void tr_ws_unmask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
                  uint64_t offset)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i] ^ mask[(offset + i) & 3];
}

/* ---------------------------------------------------------------- messages */

void tr_ws_asm_init(struct tr_ws_asm *a, uint8_t *buf, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->cap = cap;
}

int tr_ws_asm_add(struct tr_ws_asm *a, const struct tr_ws_frame *f, struct tr_bytes *msg)
{
    if (is_control(f->opcode)) {
        a->control_frames++;
        return 0;
    }
    if (f->opcode == TR_WS_OP_CONT) {
        if (!a->active) {
            a->protocol_errors++;
            return -TR_E_MALFORMED;
        }
    } else {
        if (a->active) {
            /* A new message before the last one ended (RFC 6455 5.4): the
             * partial one is lost, the new one is taken. */
            a->protocol_errors++;
        }
        a->active = true;
        a->discarding = false;
        a->opcode = f->opcode;
        a->len = 0;
    }

    int rc = 0;
    if (!a->discarding) {
        size_t n = f->payload.len;
        if (n > a->cap - a->len) {
            a->too_big++;
            a->discarding = true;
            a->len = 0;
            rc = -TR_E_FULL;
        } else {
            /* n == 0 is checked first: buf may still be NULL then. */
            if (n && f->masked)
                tr_ws_unmask(a->buf + a->len, f->payload.ptr, n, f->mask, 0);
            else if (n)
                memcpy(a->buf + a->len, f->payload.ptr, n);
            a->len += n;
        }
    }
    if (!f->fin)
        return rc;
    a->active = false;
    if (a->discarding) {
        a->discarding = false;
        return rc;
    }
    a->messages++;
    *msg = (struct tr_bytes){a->buf, a->len};
    return 1;
}

/* ---------------------------------------------------------------- handshake */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool ieq(const char *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lit[i])
            return false;
    return true;
}

/* A comma-separated list [v, e) names token lit (lowercase), ignoring case. */
static bool list_has(const char *v, const char *e, const char *lit)
{
    while (v < e) {
        while (v < e && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *s = v;
        while (v < e && *v != ',')
            v++;
        const char *t = v;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (ieq(s, (size_t)(t - s), lit))
            return true;
    }
    return false;
}

static bool http_version(const char *p, size_t n)
{
    return n == 8 && memcmp(p, "HTTP/1.", 7) == 0 && p[7] >= '0' && p[7] <= '9';
}

int tr_ws_upgrade_parse(struct tr_bytes in, struct tr_ws_upgrade *out)
{
    memset(out, 0, sizeof(*out));
    if (!in.ptr || in.len == 0)
        return TR_DECLINED;
    const char *p = (const char *)in.ptr;
    size_t n = in.len < TR_WS_MAX_UPGRADE ? in.len : TR_WS_MAX_UPGRADE;
    const char *e = p + n;

    /* The start must say HTTP before anything is waited for. */
    bool req;
    if (n >= 4 && memcmp(p, "GET ", 4) == 0) {
        req = true;
    } else if (n >= 7 ? memcmp(p, "HTTP/1.", 7) == 0 : memcmp(p, "HTTP/1.", n) == 0) {
        req = false;
    } else if (n < 4 && memcmp(p, "GET ", n) == 0) {
        return -TR_E_TRUNCATED;
    } else {
        return TR_DECLINED;
    }

    const char *nl = memchr(p, '\n', n);
    if (!nl)
        return n < TR_WS_MAX_UPGRADE && in.len < TR_WS_MAX_UPGRADE ? -TR_E_TRUNCATED : TR_DECLINED;
    const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
    if (req) {
        /* GET SP request-target SP HTTP/1.x */
        const char *v = le;
        while (v > p && v[-1] != ' ')
            v--;
        if (v <= p + 4 || !http_version(v, (size_t)(le - v)))
            return TR_DECLINED;
    } else {
        /* HTTP/1.x SP 3DIGIT [SP reason] */
        if (le - p < 12 || p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
            p[10] > '9' || p[11] < '0' || p[11] > '9' || (le - p > 12 && p[12] != ' '))
            return TR_DECLINED;
        out->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    }

    bool upgrade = false;
    const char *q = nl + 1;
    for (;;) {
        if (q >= e)
            return in.len < TR_WS_MAX_UPGRADE ? -TR_E_TRUNCATED : TR_DECLINED;
        nl = memchr(q, '\n', (size_t)(e - q));
        if (!nl)
            return in.len < TR_WS_MAX_UPGRADE ? -TR_E_TRUNCATED : TR_DECLINED;
        le = nl > q && nl[-1] == '\r' ? nl - 1 : nl;
        if (le == q)
            break; /* the empty line */
        const char *colon = memchr(q, ':', (size_t)(le - q));
        if (colon) {
            const char *ne = colon;
            while (ne > q && (ne[-1] == ' ' || ne[-1] == '\t'))
                ne--;
            size_t nlen = (size_t)(ne - q);
            if (ieq(q, nlen, "upgrade"))
                upgrade = upgrade || list_has(colon + 1, le, "websocket");
            else if (ieq(q, nlen, "sec-websocket-protocol"))
                out->sip = out->sip || list_has(colon + 1, le, "sip");
        }
        q = nl + 1;
    }
    if (!upgrade)
        return TR_DECLINED;
    out->is_request = req;
    out->header_len = (size_t)(nl + 1 - p);
    return TR_OK;
}
