/* core.h - trawl's shared vocabulary: byte and text views, the bounds-checked
 * cursor, addresses, error codes, the packet, logging.
 *
 * Ownership rule for the whole hot path: a view (struct tr_bytes, struct
 * tr_str) never owns memory. Views into a packet live until the event built
 * from that packet has been written to every output; outputs copy (encode)
 * what they keep. Keep data longer only by copying it into a bounded table.
 */
#ifndef TRAWL_CORE_H
#define TRAWL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- views */

struct tr_bytes {
    const uint8_t *ptr;
    size_t len;
};

struct tr_str {
    const char *ptr;
    size_t len;
};

#define TR_STR_LIT(s) ((struct tr_str){ (s), sizeof(s) - 1 })
#define TR_STR_FMT(s) (int)(s).len, (s).ptr /* printf("%.*s", TR_STR_FMT(x)) */

static inline struct tr_str tr_str_from_bytes(struct tr_bytes b)
{
    return (struct tr_str){ (const char *)b.ptr, b.len };
}

static inline bool tr_str_eq(struct tr_str a, struct tr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ASCII case-insensitive comparison; SIP header names are case-insensitive. */
bool tr_str_ieq(struct tr_str a, struct tr_str b);

/* ---------------------------------------------------------------- cursor
 * Every packet byte is read through a cursor. A read past the end returns 0
 * (or an empty view) and sets short_read; the decoder checks the flag once,
 * where it needs the value to be real. No read ever leaves [pos, end).
 */
struct tr_cursor {
    const uint8_t *pos;
    const uint8_t *end;
    bool short_read;
};

static inline struct tr_cursor tr_cur_init(const uint8_t *p, size_t len)
{
    return (struct tr_cursor){ p, p + len, false };
}

static inline size_t tr_cur_left(const struct tr_cursor *c)
{
    return (size_t)(c->end - c->pos);
}

static inline bool tr_cur_need(struct tr_cursor *c, size_t n)
{
    if (tr_cur_left(c) < n) {
        c->short_read = true;
        return false;
    }
    return true;
}

static inline uint8_t tr_cur_u8(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 1))
        return 0;
    return *c->pos++;
}

static inline uint16_t tr_cur_be16(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->pos[0] << 8) | c->pos[1]);
    c->pos += 2;
    return v;
}

static inline uint16_t tr_cur_le16(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->pos[1] << 8) | c->pos[0]);
    c->pos += 2;
    return v;
}

static inline uint32_t tr_cur_be24(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 3))
        return 0;
    uint32_t v = ((uint32_t)c->pos[0] << 16) | ((uint32_t)c->pos[1] << 8) | c->pos[2];
    c->pos += 3;
    return v;
}

static inline uint32_t tr_cur_be32(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 4))
        return 0;
    uint32_t v = ((uint32_t)c->pos[0] << 24) | ((uint32_t)c->pos[1] << 16) |
                 ((uint32_t)c->pos[2] << 8) | c->pos[3];
    c->pos += 4;
    return v;
}

static inline uint32_t tr_cur_le32(struct tr_cursor *c)
{
    if (!tr_cur_need(c, 4))
        return 0;
    uint32_t v = ((uint32_t)c->pos[3] << 24) | ((uint32_t)c->pos[2] << 16) |
                 ((uint32_t)c->pos[1] << 8) | c->pos[0];
    c->pos += 4;
    return v;
}

static inline struct tr_bytes tr_cur_take(struct tr_cursor *c, size_t n)
{
    if (!tr_cur_need(c, n))
        return (struct tr_bytes){ NULL, 0 };
    struct tr_bytes b = { c->pos, n };
    c->pos += n;
    return b;
}

static inline bool tr_cur_skip(struct tr_cursor *c, size_t n)
{
    if (!tr_cur_need(c, n))
        return false;
    c->pos += n;
    return true;
}

/* Shrinks the readable window to n bytes from pos (e.g. to an IP total
 * length that is smaller than the captured frame, dropping Ethernet padding).
 * Returns false, and changes nothing, if fewer than n bytes are left. */
static inline bool tr_cur_limit(struct tr_cursor *c, size_t n)
{
    if (tr_cur_left(c) < n)
        return false;
    c->end = c->pos + n;
    return true;
}

/* Big-endian stores for encoders that have already checked their capacity. */
static inline void tr_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tr_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---------------------------------------------------------------- errors
 * Functions return 0 (TR_OK), a positive value where documented, or a
 * negative error: -TR_E_TRUNCATED, -TR_E_MALFORMED, ... TR_DECLINED means "not mine" (nginx's NGX_DECLINED).
 */
#define TR_ERRORS(X)                                                         \
    X(TRUNCATED, "truncated")                                                \
    X(MALFORMED, "malformed")                                                \
    X(UNSUPPORTED, "unsupported")                                            \
    X(TOO_DEEP, "too deep")                                                  \
    X(NOMEM, "out of memory")                                                \
    X(FULL, "table or queue full")                                           \
    X(IO, "input/output error")                                              \
    X(CONFIG, "configuration error")                                         \
    X(USAGE, "usage error")                                                  \
    X(AGAIN, "try again")                                                    \
    X(EOF, "end of input")

enum {
    TR_OK = 0,
    TR_DECLINED = 1,
};

#define TR_ERR_ENUM(name, msg) TR_E_##name,
enum tr_errcode_pos { TR_E_NONE_ = 0, TR_ERRORS(TR_ERR_ENUM) TR_N_ERRORS_PLUS1_ };
#undef TR_ERR_ENUM
/* The codes themselves are the negatives: return -TR_E_TRUNCATED. */
#define TR_N_ERRORS (TR_N_ERRORS_PLUS1_ - 1)

const char *tr_strerror(int code);

/* A human-facing error for setup paths (open, config, reload). The per-packet
 * path never builds one: it returns a code and counts it. */
struct tr_err {
    int code;
    char msg[512];
};

/* Sets err (if not NULL) and returns code, so callers can `return tr_err_set(...)`. */
int tr_err_set(struct tr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- addresses */

enum { TR_AF_NONE = 0, TR_AF_INET = 4, TR_AF_INET6 = 6 };

struct tr_addr {
    uint8_t family; /* TR_AF_INET or TR_AF_INET6 */
    uint8_t a[16];  /* IPv4 uses the first 4 bytes */
};

#define TR_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Writes the textual form (dotted quad or RFC 5952 IPv6) into buf. */
const char *tr_addr_format(const struct tr_addr *a, char *buf, size_t cap);

/* ---------------------------------------------------------------- packet */

enum {
    TR_PKT_FRAG_HELD = 1u << 0,   /* a fragment kept for reassembly; nothing more to do now */
    TR_PKT_REASSEMBLED = 1u << 1, /* payload comes from a reassembled IP datagram */
    TR_PKT_HAS_VLAN = 1u << 2,
    TR_PKT_L4_TRUNCATED = 1u << 3, /* snaplen cut the transport payload */
    TR_PKT_FRAGMENT = 1u << 4,     /* the frame holds an IP fragment (held or completing) */
    TR_PKT_FIRST_FRAG = 1u << 5,   /* ... and it is the first one (offset 0) */
};

/* Tunnel layers decode/ removed on the way in (outermost first). */
enum tr_tunnel_type {
    TR_TUN_NONE = 0,
    TR_TUN_IPIP,    /* IPv4/IPv6 in IPv4/IPv6 (IP protocol 4, 41) */
    TR_TUN_GRE,     /* GRE (RFC 2784/2890); id = key when has_id */
    TR_TUN_ERSPAN1, /* ERSPAN type I over GRE; no id */
    TR_TUN_ERSPAN2, /* ERSPAN type II; id = session id */
    TR_TUN_ERSPAN3, /* ERSPAN type III; id = session id */
    TR_TUN_VXLAN,   /* VXLAN (RFC 7348); id = VNI */
    TR_TUN_GENEVE,  /* GENEVE (RFC 8926); id = VNI */
    TR_TUN_COUNT
};

#define TR_PKT_MAX_TUNNELS 4 /* a deeper nesting is decode.<tunnel>.too_deep */

struct tr_tunnel {
    uint8_t type;            /* TR_TUN_* */
    bool has_id;             /* id is meaningful */
    uint32_t id;             /* GRE key, VNI or ERSPAN session id */
    struct tr_addr src, dst; /* the outer (delivery) IP addresses */
};

struct tr_packet {
    const uint8_t *frame; /* borrowed from the input */
    uint32_t caplen;      /* bytes in frame */
    uint32_t wire_len;    /* bytes on the wire */
    uint64_t ts_ns;       /* capture time, UNIX epoch, nanoseconds */
    int linktype;         /* DLT_* / LINKTYPE_* of the frame */
    uint16_t input_id;
    uint16_t flags;       /* TR_PKT_* */

    /* Filled by decode/: innermost layers win. */
    uint16_t vlan;        /* outermost VLAN id, valid with TR_PKT_HAS_VLAN */
    uint8_t ip_proto;     /* 6 TCP, 17 UDP, 132 SCTP, ... */
    uint8_t tcp_flags;
    uint8_t n_layers;     /* decoders run */
    uint32_t tcp_seq;
    uint32_t ip_len;      /* innermost IP datagram's length: IPv4 total length, IPv6 40 +
                           * payload length; reassembled: the whole datagram's */
    struct tr_addr src, dst;
    uint16_t sport, dport;
    struct tr_bytes payload; /* transport payload: view into frame or into reassembly storage */
    uint8_t n_tunnels;       /* tunnel layers removed, outermost first */
    struct tr_tunnel tunnels[TR_PKT_MAX_TUNNELS];
};

static inline uint32_t tr_ts_sec(uint64_t ts_ns) { return (uint32_t)(ts_ns / 1000000000u); }
static inline uint32_t tr_ts_usec(uint64_t ts_ns) { return (uint32_t)(ts_ns % 1000000000u / 1000u); }

/* Monotonic clock in nanoseconds, for timers that must not follow wall-clock jumps. */
uint64_t tr_now_mono_ns(void);

/* The hash of the flow tables (IP fragments, TCP streams, RTP streams):
 * mixes two 16-byte addresses into h, which the caller starts from its
 * table's random seed and its other key fields. Multiply-xorshift: cheap,
 * and with the seed not predictable enough to aim a flood at one chain. */
uint32_t tr_hash_addr_pair(uint64_t h, const uint8_t a[16], const uint8_t b[16]);
uint64_t tr_now_real_ns(void); /* wall clock, the time base of live packets' ts_ns */

/* ---------------------------------------------------------------- JSON writer
 * One bounded text writer for every JSON trawl produces (JSON lines, HEP
 * type 5 RTCP bodies, vq-rtcpxr reports, RTP statistics); json.c.
 *
 * It never writes past cap: once something does not fit it sets overflow and
 * ignores everything after, so callers write a whole object and check once,
 * in tr_json_finish. Strings are escaped per RFC 8259 section 7 as
 * docs/json.md says: '"' '\\' \n \r \t get their short escapes, other control
 * bytes and every byte that is not part of valid UTF-8 (overlong forms,
 * surrogates, past U+10FFFF) become \u00XX with XX the byte's value, so any
 * packet text gives valid JSON. */

struct tr_json_buf {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static inline void tr_json_init(struct tr_json_buf *b, char *buf, size_t cap)
{
    *b = (struct tr_json_buf){ buf, cap, 0, false };
}

/* Raw text, written as it is (the caller knows it is valid JSON). */
static inline void tr_json_put(struct tr_json_buf *b, const char *s, size_t n)
{
    if (b->overflow || b->cap - b->len < n) {
        b->overflow = true;
        return;
    }
    if (n)
        memcpy(b->buf + b->len, s, n);
    b->len += n;
}

#define TR_JSON_LIT(b, lit) tr_json_put((b), "" lit, sizeof(lit) - 1)

/* "key": preceded by a comma unless it is the first key of its object (the
 * text so far is empty or ends with '{' or '['). key is written unescaped. */
void tr_json_key(struct tr_json_buf *b, const char *key, size_t key_len);
#define TR_JSON_KEY(b, lit) tr_json_key((b), "" lit, sizeof(lit) - 1)

/* A quoted, escaped string. */
void tr_json_str(struct tr_json_buf *b, const void *p, size_t n);
/* The inside of a string: escaped, no quotes; at most 6 output bytes per
 * input byte. A string may be written in pieces cut before ASCII bytes (a
 * valid UTF-8 sequence never contains one). */
void tr_json_str_part(struct tr_json_buf *b, const void *p, size_t n);

void tr_json_u64(struct tr_json_buf *b, uint64_t v);
void tr_json_i64(struct tr_json_buf *b, int64_t v);
/* v with exactly `decimals` digits after the point, as printf's %.*f. */
void tr_json_fixed(struct tr_json_buf *b, double v, unsigned decimals);
/* A capture time as a quoted UTC ISO 8601 string with microseconds:
 * "2026-11-23T08:00:00.123456Z". */
void tr_json_time(struct tr_json_buf *b, uint64_t ts_ns);

/* Ends the text with a NUL (not counted). Returns the length, or -TR_E_FULL
 * when the text and its NUL did not fit (buf then holds an unterminated
 * prefix). */
int tr_json_finish(struct tr_json_buf *b);

/* ---------------------------------------------------------------- log
 * Setup and rare events only; never per packet. */
enum tr_log_level { TR_LOG_ERROR, TR_LOG_WARN, TR_LOG_INFO, TR_LOG_DEBUG };

void tr_log_set_level(enum tr_log_level lvl);
void tr_log(enum tr_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
