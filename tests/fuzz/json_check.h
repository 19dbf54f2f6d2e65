/* json_check.h - a strict RFC 8259 syntax check for fuzz targets that
 * produce JSON (fuzz_rtcp.c, fuzz_vq.c): one value, nothing after it;
 * strings without raw control bytes, with valid escapes and valid UTF-8;
 * numbers per the grammar (no leading zeros, no "1."). Test code only. */
#ifndef TRAWL_FUZZ_JSON_CHECK_H
#define TRAWL_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jc {
    const uint8_t *p, *e;
    int depth;
};

static void jc_ws(struct jc *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool jc_lit(struct jc *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->e - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool jc_digits(struct jc *c)
{
    const uint8_t *s = c->p;
    while (c->p < c->e && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s;
}

static bool jc_number(struct jc *c)
{
    if (c->p < c->e && *c->p == '-')
        c->p++;
    if (c->p < c->e && *c->p == '0')
        c->p++;
    else if (!jc_digits(c))
        return false;
    if (c->p < c->e && *c->p == '.') {
        c->p++;
        if (!jc_digits(c))
            return false;
    }
    if (c->p < c->e && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->e && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!jc_digits(c))
            return false;
    }
    return true;
}

static bool jc_string(struct jc *c)
{
    if (c->p >= c->e || *c->p != '"')
        return false;
    c->p++;
    while (c->p < c->e) {
        uint8_t b = *c->p;
        if (b == '"') {
            c->p++;
            return true;
        }
        if (b < 0x20)
            return false;
        if (b == '\\') {
            c->p++;
            if (c->p >= c->e)
                return false;
            uint8_t x = *c->p++;
            if (x == 'u') {
                for (int i = 0; i < 4; i++, c->p++)
                    if (c->p >= c->e ||
                        !((*c->p >= '0' && *c->p <= '9') || (*c->p >= 'a' && *c->p <= 'f') ||
                          (*c->p >= 'A' && *c->p <= 'F')))
                        return false;
            } else if (!strchr("\"\\/bfnrt", x) || x == 0) {
                return false;
            }
            continue;
        }
        if (b < 0x80) {
            c->p++;
            continue;
        }
        /* UTF-8: lead byte, continuation bytes, no overlong, no surrogate */
        size_t n = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || (size_t)(c->e - c->p) < n)
            return false;
        uint32_t cp = b & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
            if ((c->p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (c->p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        c->p += n;
    }
    return false;
}

static bool jc_value(struct jc *c);

static bool jc_container(struct jc *c, uint8_t close, bool object)
{
    if (++c->depth > 64)
        return false;
    c->p++;
    jc_ws(c);
    if (c->p < c->e && *c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        if (object) {
            if (!jc_string(c))
                return false;
            jc_ws(c);
            if (c->p >= c->e || *c->p != ':')
                return false;
            c->p++;
        }
        if (!jc_value(c))
            return false;
        jc_ws(c);
        if (c->p < c->e && *c->p == ',') {
            c->p++;
            jc_ws(c);
            continue;
        }
        if (c->p < c->e && *c->p == close) {
            c->p++;
            c->depth--;
            return true;
        }
        return false;
    }
}

static bool jc_value(struct jc *c)
{
    jc_ws(c);
    if (c->p >= c->e)
        return false;
    switch (*c->p) {
    case '{':
        return jc_container(c, '}', true);
    case '[':
        return jc_container(c, ']', false);
    case '"':
        return jc_string(c);
    case 't':
        return jc_lit(c, "true");
    case 'f':
        return jc_lit(c, "false");
    case 'n':
        return jc_lit(c, "null");
    default:
        return jc_number(c);
    }
}

/* True if s[0..n) is exactly one JSON value (surrounding blanks allowed). */
static inline bool json_valid(const char *s, size_t n)
{
    struct jc c = {(const uint8_t *)s, (const uint8_t *)s + n, 0};
    if (!jc_value(&c))
        return false;
    jc_ws(&c);
    return c.p == c.e;
}

#endif
