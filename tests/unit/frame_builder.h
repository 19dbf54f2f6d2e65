/* frame_builder.h - for unit tests that build packets by hand (test_decode.c,
 * test_tunnels.c): a fixed buffer that header fields are appended to in
 * network byte order. Every write is bounds-checked with cmocka's asserts.
 * Include after <cmocka.h>. */
#ifndef TRAWL_TEST_FRAME_BUILDER_H
#define TRAWL_TEST_FRAME_BUILDER_H

#include <stdint.h>
#include <string.h>

struct fb {
    uint8_t b[4096];
    size_t len;
};

static inline void u8(struct fb *f, unsigned v)
{
    assert_true(f->len < sizeof(f->b));
    f->b[f->len++] = (uint8_t)v;
}

static inline void be16(struct fb *f, unsigned v)
{
    u8(f, v >> 8);
    u8(f, v);
}

static inline void be32(struct fb *f, uint32_t v)
{
    be16(f, v >> 16);
    be16(f, v & 0xffffu);
}

static inline void put(struct fb *f, const void *p, size_t n)
{
    assert_true(f->len + n <= sizeof(f->b));
    if (n)
        memcpy(f->b + f->len, p, n);
    f->len += n;
}

static inline void fill(struct fb *f, unsigned v, size_t n)
{
    while (n--)
        u8(f, v);
}

/* Overwrites a 16-bit field written earlier (a length or checksum). */
static inline void set16(struct fb *f, size_t at, unsigned v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

#endif
