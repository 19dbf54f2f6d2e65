/* json.c - the bounded JSON text writer declared in core.h ("JSON writer").
 *
 * Spec: RFC 8259 (section 6 numbers, section 7 strings); the escaping rules
 * are the ones docs/json.md gives for the JSON lines output. Valid UTF-8
 * (RFC 3629 section 4) is copied as it is; every other byte becomes \u00XX.
 * Integers are written without printf: the JSON lines output calls these for
 * every SIP message.
 */
#include "core.h"

#include <stdio.h>
#include <time.h>

void tr_json_key(struct tr_json_buf *b, const char *key, size_t key_len)
{
    if (b->len > 0 && b->buf[b->len - 1] != '{' && b->buf[b->len - 1] != '[')
        TR_JSON_LIT(b, ",");
    TR_JSON_LIT(b, "\"");
    tr_json_put(b, key, key_len);
    TR_JSON_LIT(b, "\":");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq_len(const uint8_t *s, size_t left)
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
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

void tr_json_str_part(struct tr_json_buf *b, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *u = p;
    const char *s = p;
    if (n == 0)
        return; /* p may be NULL (an empty view) */
    size_t run = 0; /* start of a run of bytes copied as they are */
    for (size_t i = 0; i < n;) {
        uint8_t c = u[i];
        size_t seq = c >= 0x20 && c != '"' && c != '\\' ? utf8_seq_len(u + i, n - i) : 0;
        if (seq) {
            i += seq;
            continue;
        }
        tr_json_put(b, s + run, i - run);
        switch (c) {
        case '"': TR_JSON_LIT(b, "\\\""); break;
        case '\\': TR_JSON_LIT(b, "\\\\"); break;
        case '\n': TR_JSON_LIT(b, "\\n"); break;
        case '\r': TR_JSON_LIT(b, "\\r"); break;
        case '\t': TR_JSON_LIT(b, "\\t"); break;
        default: {
            const char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            tr_json_put(b, esc, sizeof(esc));
        }
        }
        i++;
        run = i;
    }
    tr_json_put(b, s + run, n - run);
}

void tr_json_str(struct tr_json_buf *b, const void *p, size_t n)
{
    TR_JSON_LIT(b, "\"");
    tr_json_str_part(b, p, n);
    TR_JSON_LIT(b, "\"");
}

void tr_json_u64(struct tr_json_buf *b, uint64_t v)
{
    char tmp[20]; /* UINT64_MAX has 20 digits */
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tr_json_put(b, tmp + sizeof(tmp) - n, n);
}

void tr_json_i64(struct tr_json_buf *b, int64_t v)
{
    if (v < 0) {
        TR_JSON_LIT(b, "-");
        tr_json_u64(b, (uint64_t)0 - (uint64_t)v); /* also right for INT64_MIN */
    } else {
        tr_json_u64(b, (uint64_t)v);
    }
}

/* printf, because matching its correctly rounded conversion by hand is not
 * worth it: only per-stream reports (RTP statistics) write doubles. */
void tr_json_fixed(struct tr_json_buf *b, double v, unsigned decimals)
{
    char tmp[352]; /* -DBL_MAX in %f is 310 characters, plus up to 40 decimals */
    if (decimals > 40)
        decimals = 40;
    int n = snprintf(tmp, sizeof(tmp), "%.*f", (int)decimals, v);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->overflow = true;
        return;
    }
    tr_json_put(b, tmp, (size_t)n);
}

void tr_json_time(struct tr_json_buf *b, uint64_t ts_ns)
{
    time_t sec = (time_t)tr_ts_sec(ts_ns);
    struct tm tm;
    char t[40] = "";
    size_t n = 0;
    if (gmtime_r(&sec, &tm))
        n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    uint32_t us = tr_ts_usec(ts_ns);
    t[n++] = '.';
    for (int i = 5; i >= 0; i--, us /= 10)
        t[n + (size_t)i] = (char)('0' + us % 10);
    n += 6;
    t[n++] = 'Z';
    TR_JSON_LIT(b, "\"");
    tr_json_put(b, t, n);
    TR_JSON_LIT(b, "\"");
}

int tr_json_finish(struct tr_json_buf *b)
{
    if (b->overflow || b->len >= b->cap || b->len > (size_t)INT32_MAX)
        return -TR_E_FULL;
    b->buf[b->len] = '\0';
    return (int)b->len;
}
