/* proto_json.h - private to src/proto: a bounded JSON text writer for the
 * JSON bodies proto/ builds (rtcp_json.c, vq.c).
 *
 * Strings are escaped per RFC 8259 section 7 the way docs/json.md says for
 * the JSON lines output: '"' '\\' and \n \r \t get their short escapes, other
 * control bytes and every byte that is not part of valid UTF-8 (overlong
 * forms, surrogates, past U+10FFFF) become \u00XX with XX the byte's value,
 * so any packet text gives a line that parses.
 *
 * The writer never writes past cap: once something does not fit it sets
 * `full` and ignores everything after, so callers write the whole object and
 * check once at the end.
 */
#ifndef TRAWL_PROTO_JSON_H
#define TRAWL_PROTO_JSON_H

#include "proto.h"

struct jw {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
};

static inline void jw_init(struct jw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->full = false;
}

static inline void jw_put(struct jw *w, const char *s, size_t n)
{
    if (w->full || w->cap - w->len < n) {
        w->full = true;
        return;
    }
    if (n)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

#define jw_lit(w, s) jw_put((w), (s), sizeof(s) - 1)

static inline void jw_u64(struct jw *w, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jw_put(w, tmp + sizeof(tmp) - n, n);
}

static inline void jw_i64(struct jw *w, int64_t v)
{
    if (v < 0) {
        jw_lit(w, "-");
        jw_u64(w, (uint64_t)0 - (uint64_t)v); /* also right for INT64_MIN */
    } else {
        jw_u64(w, (uint64_t)v);
    }
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static inline size_t jw_utf8_len(const uint8_t *s, size_t left)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* The inside of a JSON string: escaped, no quotes; at most 6 output bytes
 * per input byte. A string may be written in pieces cut at ASCII bytes (a
 * valid UTF-8 sequence never contains one). */
static inline void jw_str_part(struct jw *w, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *u = p;
    size_t run = 0; /* start of the bytes copied as they are */
    for (size_t i = 0; i < n;) {
        uint8_t c = u[i];
        size_t seq = c >= 0x20 && c != '"' && c != '\\' ? jw_utf8_len(u + i, n - i) : 0;
        if (seq) {
            i += seq;
            continue;
        }
        jw_put(w, (const char *)u + run, i - run);
        switch (c) {
        case '"':
            jw_lit(w, "\\\"");
            break;
        case '\\':
            jw_lit(w, "\\\\");
            break;
        case '\n':
            jw_lit(w, "\\n");
            break;
        case '\r':
            jw_lit(w, "\\r");
            break;
        case '\t':
            jw_lit(w, "\\t");
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            jw_put(w, esc, 6);
        }
        }
        i++;
        run = i;
    }
    jw_put(w, (const char *)u + run, n - run);
}

/* A quoted, escaped JSON string. */
static inline void jw_str(struct jw *w, const void *p, size_t n)
{
    jw_lit(w, "\"");
    jw_str_part(w, p, n);
    jw_lit(w, "\"");
}

/* Ends the text: a NUL after it (not counted). Returns the length, or
 * -TR_E_FULL when the text and its NUL did not fit. */
static inline int jw_finish(struct jw *w)
{
    if (w->full || w->len >= w->cap || w->len > (size_t)INT32_MAX)
        return -TR_E_FULL;
    w->buf[w->len] = '\0';
    return (int)w->len;
}

#endif
