/* test_hep.c - unit tests for the HEP codec (src/proto/hep.c): v3 encode and
 * decode round trips, the exact v3 byte layout, capacity limits, every
 * rejection of the v3 decoder, v1/v2 decoding from hand-built bytes, and a
 * cross-check against frames built by the reference encoder
 * /work/shared/peers/hep3_send.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* ---------------------------------------------------------------- helpers */

#define assert_view(v, lit) check_view((v), (lit), __FILE__, __LINE__)

static void check_view(struct tr_str v, const char *want, const char *file, int line)
{
    size_t n = strlen(want);
    if (v.len != n || (n > 0 && memcmp(v.ptr, want, n) != 0)) {
        print_error("%s:%d: got \"%.*s\" (%zu bytes), want \"%s\" (%zu bytes)\n", file, line,
                    (int)v.len, v.ptr ? v.ptr : "", v.len, want, n);
        _fail(file, line);
    }
}

static struct tr_str s_(const char *s)
{
    return (struct tr_str){s, strlen(s)};
}

static struct tr_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct tr_addr x = {.family = TR_AF_INET};
    x.a[0] = a, x.a[1] = b, x.a[2] = c, x.a[3] = d;
    return x;
}

static struct tr_addr v6(uint16_t last)
{
    /* 2001:db8::<last> */
    struct tr_addr x = {.family = TR_AF_INET6};
    x.a[0] = 0x20, x.a[1] = 0x01, x.a[2] = 0x0d, x.a[3] = 0xb8;
    x.a[14] = (uint8_t)(last >> 8), x.a[15] = (uint8_t)last;
    return x;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void assert_fields_equal(const struct tr_hep_fields *a, const struct tr_hep_fields *b)
{
    assert_int_equal(a->src.family, b->src.family);
    assert_int_equal(a->dst.family, b->dst.family);
    assert_memory_equal(a->src.a, b->src.a, 16);
    assert_memory_equal(a->dst.a, b->dst.a, 16);
    assert_int_equal(a->ip_proto, b->ip_proto);
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->ts_sec, b->ts_sec);
    assert_int_equal(a->ts_usec, b->ts_usec);
    assert_int_equal(a->proto_type, b->proto_type);
    assert_int_equal(a->capture_id, b->capture_id);
    assert_int_equal(a->auth_key.len, b->auth_key.len);
    if (a->auth_key.len)
        assert_memory_equal(a->auth_key.ptr, b->auth_key.ptr, a->auth_key.len);
    assert_int_equal(a->correlation_id.len, b->correlation_id.len);
    if (a->correlation_id.len)
        assert_memory_equal(a->correlation_id.ptr, b->correlation_id.ptr, a->correlation_id.len);
    assert_int_equal(a->node_name.len, b->node_name.len);
    if (a->node_name.len)
        assert_memory_equal(a->node_name.ptr, b->node_name.ptr, a->node_name.len);
    assert_int_equal(a->has_vlan, b->has_vlan);
    if (a->has_vlan)
        assert_int_equal(a->vlan, b->vlan);
    assert_int_equal(a->payload.len, b->payload.len);
    if (a->payload.len)
        assert_memory_equal(a->payload.ptr, b->payload.ptr, a->payload.len);
}

static const char sip_payload[] = "OPTIONS sip:b@example.com SIP/2.0\r\nCall-ID: rt-1\r\n\r\n";

static struct tr_hep_fields base_fields(bool ipv6)
{
    struct tr_hep_fields f = {0};
    f.src = ipv6 ? v6(1) : v4(10, 0, 0, 1);
    f.dst = ipv6 ? v6(2) : v4(10, 0, 0, 2);
    f.ip_proto = 17;
    f.sport = 5060;
    f.dport = 5080;
    f.ts_sec = 1700000000;
    f.ts_usec = 123456;
    f.proto_type = TR_HEP_PROTO_SIP;
    f.capture_id = 2001;
    f.payload = (struct tr_bytes){(const uint8_t *)sip_payload, sizeof(sip_payload) - 1};
    return f;
}

static void with_options(struct tr_hep_fields *f)
{
    f->auth_key = s_("s3cret");
    f->correlation_id = s_("corr-42");
    f->node_name = s_("node-a");
    f->vlan = 42;
    f->has_vlan = true;
}

static void round_trip(const struct tr_hep_fields *f)
{
    uint8_t buf[1024];
    int n = tr_hep3_encode(f, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal((size_t)n, tr_hep3_size(f));
    assert_int_equal((buf[4] << 8) | buf[5], n); /* total length field */
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){buf, (size_t)n}, &d), TR_OK);
    assert_int_equal(d.version, 3);
    assert_false(d.payload_compressed);
    assert_fields_equal(f, &d);
}

/* A small HEP3 frame builder for the decoder's negative tests. */
struct fb {
    uint8_t b[512];
    size_t len;
};

static void fb_start(struct fb *f)
{
    memcpy(f->b, "HEP3\0\0", 6);
    f->len = 6;
}

static void fb_chunk(struct fb *f, uint16_t vendor, uint16_t type, const void *v, size_t n)
{
    assert_true(f->len + 6 + n <= sizeof(f->b));
    tr_put_be16(f->b + f->len, vendor);
    tr_put_be16(f->b + f->len + 2, type);
    tr_put_be16(f->b + f->len + 4, (uint16_t)(6 + n));
    if (n)
        memcpy(f->b + f->len + 6, v, n);
    f->len += 6 + n;
}

static void fb_u8(struct fb *f, uint16_t type, uint8_t v)
{
    fb_chunk(f, 0, type, &v, 1);
}

static void fb_u16(struct fb *f, uint16_t type, uint16_t v)
{
    uint8_t b[2];
    tr_put_be16(b, v);
    fb_chunk(f, 0, type, b, 2);
}

static void fb_u32(struct fb *f, uint16_t type, uint32_t v)
{
    uint8_t b[4];
    tr_put_be32(b, v);
    fb_chunk(f, 0, type, b, 4);
}

/* Chunks 1..12 of an IPv4 frame, without the payload. */
static void fb_base4(struct fb *f)
{
    static const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
    fb_u8(f, 0x01, 2);
    fb_u8(f, 0x02, 17);
    fb_chunk(f, 0, 0x03, src, 4);
    fb_chunk(f, 0, 0x04, dst, 4);
    fb_u16(f, 0x07, 5060);
    fb_u16(f, 0x08, 5061);
    fb_u32(f, 0x09, 1700000000);
    fb_u32(f, 0x0a, 999999);
    fb_u8(f, 0x0b, 1);
    fb_u32(f, 0x0c, 7);
}

static struct tr_bytes fb_end(struct fb *f)
{
    tr_put_be16(f->b + 4, (uint16_t)f->len);
    return (struct tr_bytes){f->b, f->len};
}

static int decode(struct tr_bytes b)
{
    struct tr_hep_fields d;
    return tr_hep_decode(b, &d);
}

/* ---------------------------------------------------------------- encode */

static void hep3_round_trip_ipv4(void **state)
{
    (void)state;
    struct tr_hep_fields f = base_fields(false);
    round_trip(&f);
}

static void hep3_round_trip_ipv4_with_key_correlation_node_vlan(void **state)
{
    (void)state;
    struct tr_hep_fields f = base_fields(false);
    with_options(&f);
    round_trip(&f);
    f.has_vlan = false; /* each option on its own as well */
    round_trip(&f);
    f.auth_key.len = 0;
    round_trip(&f);
    f.node_name.len = 0;
    round_trip(&f);
}

static void hep3_round_trip_ipv6(void **state)
{
    (void)state;
    struct tr_hep_fields f = base_fields(true);
    f.ip_proto = 6;
    round_trip(&f);
}

static void hep3_round_trip_ipv6_with_key_correlation_node_vlan(void **state)
{
    (void)state;
    struct tr_hep_fields f = base_fields(true);
    with_options(&f);
    f.vlan = 4095;
    f.proto_type = TR_HEP_PROTO_LOG;
    round_trip(&f);
}

static void hep3_round_trip_empty_payload(void **state)
{
    (void)state;
    struct tr_hep_fields f = base_fields(false);
    f.payload = (struct tr_bytes){NULL, 0};
    round_trip(&f);
}

/* Expected bytes written by hand from the chunk table in hep.md. */
/* clang-format off */
static const uint8_t known_frame[] = {
    'H', 'E', 'P', '3', 0x00, 0x83,             /* total 131 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02,   /* family: 2 = IPv4 */
    0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x11,   /* ip proto 17 */
    0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 10, 0, 0, 1, /* src 10.0.0.1 */
    0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 10, 0, 0, 2, /* dst 10.0.0.2 */
    0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x13, 0xc4,  /* sport 5060 */
    0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xd8,  /* dport 5080 */
    0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x65, 0x53, 0xf1, 0x00, /* 1700000000 */
    0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x01, 0xe2, 0x40, /* 123456 us */
    0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01,                   /* proto type SIP */
    0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 0xd1, /* capture id 2001 */
    0x00, 0x00, 0x00, 0x0e, 0x00, 0x07, 'k',                    /* auth key */
    0x00, 0x00, 0x00, 0x11, 0x00, 0x08, 'c', '1',               /* correlation id */
    0x00, 0x00, 0x00, 0x12, 0x00, 0x08, 0x00, 0x2a,             /* vlan 42 */
    0x00, 0x00, 0x00, 0x13, 0x00, 0x07, 'n',                    /* node name */
    0x00, 0x00, 0x00, 0x0f, 0x00, 0x08, 'a', 'b',               /* payload */
};
/* clang-format on */

static struct tr_hep_fields known_fields(void)
{
    struct tr_hep_fields f = base_fields(false);
    f.payload = (struct tr_bytes){(const uint8_t *)"ab", 2};
    f.auth_key = s_("k");
    f.correlation_id = s_("c1");
    f.node_name = s_("n");
    f.vlan = 42;
    f.has_vlan = true;
    return f;
}

static void hep3_encode_writes_the_exact_layout(void **state)
{
    (void)state;
    struct tr_hep_fields f = known_fields();
    uint8_t buf[256];
    assert_int_equal(sizeof(known_frame), 131);
    assert_int_equal(tr_hep3_size(&f), sizeof(known_frame));
    assert_int_equal(tr_hep3_encode(&f, buf, sizeof(buf)), (int)sizeof(known_frame));
    assert_memory_equal(buf, known_frame, sizeof(known_frame));
}

static void hep3_encode_without_options_writes_no_optional_chunks(void **state)
{
    (void)state;
    struct tr_hep_fields f = known_fields();
    f.auth_key.len = f.correlation_id.len = f.node_name.len = 0;
    f.has_vlan = false;
    uint8_t buf[256];
    int n = tr_hep3_encode(&f, buf, sizeof(buf));
    assert_int_equal(n, 101); /* 131 minus the four optional chunks (7 + 8 + 8 + 7) */
    assert_int_equal(buf[5], 101);
    /* chunks 1..12 as in the known frame, then the payload chunk directly */
    assert_memory_equal(buf + 6, known_frame + 6, 87);
    assert_memory_equal(buf + 93, known_frame + 123, 8);
}

static void hep3_encode_with_small_cap_never_writes_past_it(void **state)
{
    (void)state;
    struct tr_hep_fields f = known_fields();
    enum { GUARD = 64 };
    uint8_t buf[sizeof(known_frame) + GUARD];
    for (size_t cap = 0; cap < sizeof(known_frame); cap++) {
        memset(buf, 0xa5, sizeof(buf));
        assert_int_equal(tr_hep3_encode(&f, buf, cap), -TR_E_FULL);
        for (size_t i = 0; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xa5); /* nothing written at all */
    }
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(tr_hep3_encode(&f, buf, sizeof(known_frame)), (int)sizeof(known_frame));
    for (size_t i = sizeof(known_frame); i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xa5); /* guard untouched at the exact size */
    assert_int_equal(tr_hep3_encode(&f, NULL, 0), -TR_E_FULL);
}

static void hep3_encode_refuses_frames_over_the_limit(void **state)
{
    (void)state;
    static uint8_t big[TR_HEP_MAX_FRAME + 64];
    static uint8_t out[TR_HEP_MAX_FRAME + 64];
    struct tr_hep_fields f = base_fields(false);
    f.payload = (struct tr_bytes){big, 0};
    size_t overhead = tr_hep3_size(&f);
    f.payload.len = TR_HEP_MAX_FRAME - overhead; /* exactly the limit */
    assert_int_equal(tr_hep3_encode(&f, out, sizeof(out)), TR_HEP_MAX_FRAME);
    f.payload.len++;
    assert_int_equal(tr_hep3_size(&f), TR_HEP_MAX_FRAME + 1);
    assert_int_equal(tr_hep3_encode(&f, out, sizeof(out)), -TR_E_FULL);
    f.payload.len = (size_t)1 << 40; /* absurd lengths do not wrap the size */
    assert_true(tr_hep3_size(&f) > TR_HEP_MAX_FRAME);
    assert_int_equal(tr_hep3_encode(&f, out, sizeof(out)), -TR_E_FULL);
}

/* ---------------------------------------------------------------- decode v3 */

static void hep3_decode_known_frame_gives_every_field(void **state)
{
    (void)state;
    struct tr_hep_fields d, want = known_fields();
    assert_int_equal(tr_hep_decode((struct tr_bytes){known_frame, sizeof(known_frame)}, &d), TR_OK);
    assert_int_equal(d.version, 3);
    assert_fields_equal(&want, &d);
    /* views point into the message */
    assert_ptr_equal(d.payload.ptr, known_frame + sizeof(known_frame) - 2);
}

static void hep3_decode_rejects_wrong_magic(void **state)
{
    (void)state;
    uint8_t b[sizeof(known_frame)];
    memcpy(b, known_frame, sizeof(b));
    b[3] = '2';
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), TR_DECLINED);
    memcpy(b, "EEP3", 4);
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), TR_DECLINED);
    memcpy(b, "hep3", 4);
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), TR_DECLINED);
}

static void hep3_decode_rejects_total_length_not_equal_to_message(void **state)
{
    (void)state;
    uint8_t b[sizeof(known_frame) + 1];
    memcpy(b, known_frame, sizeof(known_frame));
    b[sizeof(known_frame)] = 0;
    /* one byte more than the total: trailing garbage */
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), -TR_E_MALFORMED);
    /* one byte less: the frame is cut */
    assert_int_equal(decode((struct tr_bytes){b, sizeof(known_frame) - 1}), -TR_E_TRUNCATED);
    /* a whole valid chunk after the total length is still trailing garbage */
    uint8_t c[sizeof(known_frame) + 7];
    memcpy(c, known_frame, sizeof(known_frame));
    memcpy(c + sizeof(known_frame), "\x00\x00\x00\x0b\x00\x07\x05", 7);
    assert_int_equal(decode((struct tr_bytes){ c, sizeof(c) }), -TR_E_MALFORMED);
    /* total below the header size */
    b[4] = 0, b[5] = 5;
    assert_int_equal(decode((struct tr_bytes){b, sizeof(known_frame)}), -TR_E_MALFORMED);
    /* shorter than the 6-byte header */
    assert_int_equal(decode((struct tr_bytes){known_frame, 5}), -TR_E_TRUNCATED);
    assert_int_equal(decode((struct tr_bytes){known_frame, 2}), -TR_E_TRUNCATED);
}

static void hep3_decode_rejects_chunk_length_below_6(void **state)
{
    (void)state;
    for (uint16_t bad = 0; bad < 6; bad++) {
        struct fb f;
        fb_start(&f);
        fb_base4(&f);
        size_t at = f.len;
        fb_chunk(&f, 0, 0x0f, "payload", 7);
        tr_put_be16(f.b + at + 4, bad);
        assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);
    }
}

static void hep3_decode_rejects_chunk_running_past_the_end(void **state)
{
    (void)state;
    struct fb f;
    fb_start(&f);
    fb_base4(&f);
    size_t at = f.len;
    fb_chunk(&f, 0, 0x0f, "payload", 7);
    tr_put_be16(f.b + at + 4, 6 + 8);
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);

    /* a chunk header cut by the total length */
    fb_start(&f);
    fb_base4(&f);
    fb_chunk(&f, 0, 0x0f, "payload", 7);
    f.b[f.len++] = 0;
    f.b[f.len++] = 0;
    f.b[f.len++] = 0;
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);
}

static void hep3_decode_rejects_wrong_fixed_size_chunks(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        size_t len;
    } bad[] = {
        {0x09, 1}, /* ts_sec chunk of 7 bytes */
        {0x09, 5}, {0x0a, 2}, {0x01, 2}, {0x02, 0}, {0x03, 16},
        {0x05, 4}, {0x07, 4}, {0x0b, 4}, {0x0c, 2}, {0x12, 1},
    };
    static const uint8_t zeros[16] = {0};
    for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
        struct fb f;
        fb_start(&f);
        fb_base4(&f);
        fb_chunk(&f, 0, bad[i].type, zeros, bad[i].len);
        fb_chunk(&f, 0, 0x0f, "x", 1);
        assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);
    }
}

static void hep3_decode_skips_vendor_and_unknown_chunks(void **state)
{
    (void)state;
    struct fb f;
    fb_start(&f);
    fb_chunk(&f, 2, 0x03, "\x01", 1); /* Kamailio vendor chunk reusing a generic id */
    fb_base4(&f);
    fb_chunk(&f, 0, 0x26, "k=v;a=b", 7);                  /* tag values */
    fb_chunk(&f, 0, 0x14, "\x00\x11\x22\x33\x44\x55", 6); /* MAC, not read */
    fb_chunk(&f, 0, 0x7777, "", 0);
    fb_chunk(&f, 8, 0x0f, "not the payload", 15);
    fb_chunk(&f, 0, 0x0f, "the payload", 11);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode(fb_end(&f), &d), TR_OK);
    assert_int_equal(d.src.family, TR_AF_INET);
    assert_int_equal(d.src.a[0], 192);
    assert_int_equal(d.src.a[3], 1);
    assert_int_equal(d.dst.a[3], 2);
    assert_int_equal(d.sport, 5060);
    assert_int_equal(d.dport, 5061);
    assert_int_equal(d.ts_usec, 999999);
    assert_int_equal(d.capture_id, 7);
    assert_view(tr_str_from_bytes(d.payload), "the payload");
}

static void hep3_decode_reports_compressed_payload(void **state)
{
    (void)state;
    struct fb f;
    fb_start(&f);
    fb_base4(&f);
    fb_chunk(&f, 0, 0x10, "\x78\x9c\x03\x00", 4);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode(fb_end(&f), &d), TR_OK);
    assert_true(d.payload_compressed);
    assert_int_equal(d.payload.len, 4);

    /* a plain payload chunk in the same frame wins */
    fb_start(&f);
    fb_base4(&f);
    fb_chunk(&f, 0, 0x0f, "plain", 5);
    fb_chunk(&f, 0, 0x10, "\x78\x9c\x03\x00", 4);
    assert_int_equal(tr_hep_decode(fb_end(&f), &d), TR_OK);
    assert_false(d.payload_compressed);
    assert_view(tr_str_from_bytes(d.payload), "plain");
}

static void hep3_decode_needs_addresses_of_a_known_family(void **state)
{
    (void)state;
    static const uint8_t a4[4] = {1, 2, 3, 4}, a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
    struct fb f;

    fb_start(&f); /* no addresses at all */
    fb_u8(&f, 0x01, 2);
    fb_chunk(&f, 0, 0x0f, "x", 1);
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);

    fb_start(&f); /* only a source */
    fb_u8(&f, 0x01, 2);
    fb_chunk(&f, 0, 0x03, a4, 4);
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);

    fb_start(&f); /* unknown family */
    fb_u8(&f, 0x01, 3);
    fb_chunk(&f, 0, 0x03, a4, 4);
    fb_chunk(&f, 0, 0x04, a4, 4);
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);

    fb_start(&f); /* family IPv4 but IPv6 addresses */
    fb_u8(&f, 0x01, 2);
    fb_chunk(&f, 0, 0x05, a6, 16);
    fb_chunk(&f, 0, 0x06, a6, 16);
    assert_int_equal(decode(fb_end(&f)), -TR_E_MALFORMED);

    fb_start(&f); /* no family chunk: the complete pair decides */
    fb_chunk(&f, 0, 0x05, a6, 16);
    fb_chunk(&f, 0, 0x06, a6, 16);
    fb_chunk(&f, 0, 0x0f, "x", 1);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode(fb_end(&f), &d), TR_OK);
    assert_int_equal(d.src.family, TR_AF_INET6);
    assert_memory_equal(d.dst.a, a6, 16);
}

static void hep_decode_empty_input_is_declined(void **state)
{
    (void)state;
    assert_int_equal(decode((struct tr_bytes){NULL, 0}), TR_DECLINED);
    assert_int_equal(decode((struct tr_bytes){(const uint8_t *)"x", 0}), TR_DECLINED);
    assert_int_equal(decode((struct tr_bytes){(const uint8_t *)"GET / HTTP/1.1", 14}), TR_DECLINED);
}

static void hep3_frame_len_reads_the_total(void **state)
{
    (void)state;
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){known_frame, 5}), 0);
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){NULL, 0}), 0);
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){known_frame, 6}), 131);
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){known_frame, sizeof(known_frame)}), 131);
    static const uint8_t big[6] = {'H', 'E', 'P', '3', 0xff, 0xff};
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){big, 6}), 65535);
    static const uint8_t tiny[6] = {'H', 'E', 'P', '3', 0x00, 0x05};
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){tiny, 6}), -TR_E_MALFORMED);
    static const uint8_t junk[6] = {'I', 'N', 'V', 'I', 'T', 'E'};
    assert_int_equal(tr_hep3_frame_len((struct tr_bytes){junk, 6}), -TR_E_MALFORMED);
}

/* ---------------------------------------------------------------- decode v1/v2 */

static void hep1_ipv4_decodes(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        0x01, 16,   2,    17,   /* version 1, header 16, AF_INET, UDP */
        0x13, 0xc4, 0x13, 0xd8, /* 5060 -> 5080 */
        10,   0,    0,    1,    10, 0, 0, 2, 'S', 'I', 'P',
    };
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, sizeof(b)}, &d), TR_OK);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.src.family, TR_AF_INET);
    assert_int_equal(d.dst.family, TR_AF_INET);
    assert_memory_equal(d.src.a, "\x0a\x00\x00\x01", 4);
    assert_memory_equal(d.dst.a, "\x0a\x00\x00\x02", 4);
    assert_int_equal(d.ip_proto, 17);
    assert_int_equal(d.sport, 5060);
    assert_int_equal(d.dport, 5080);
    assert_int_equal(d.ts_sec, 0);
    assert_int_equal(d.proto_type, TR_HEP_PROTO_SIP);
    assert_view(tr_str_from_bytes(d.payload), "SIP");
}

static void hep1_ipv6_decodes(void **state)
{
    (void)state;
    uint8_t b[40 + 3] = {0x01, 40, 10, 6, 0x13, 0xc5, 0x13, 0xc6};
    struct tr_addr s = v6(1), d6 = v6(2);
    memcpy(b + 8, s.a, 16);
    memcpy(b + 24, d6.a, 16);
    memcpy(b + 40, "abc", 3);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, sizeof(b)}, &d), TR_OK);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.src.family, TR_AF_INET6);
    assert_memory_equal(d.src.a, s.a, 16);
    assert_memory_equal(d.dst.a, d6.a, 16);
    assert_int_equal(d.ip_proto, 6);
    assert_int_equal(d.sport, 5061);
    assert_int_equal(d.dport, 5062);
    assert_view(tr_str_from_bytes(d.payload), "abc");
}

static void hep2_ipv4_decodes_little_endian_time(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        0x02, 16,   2,    17,   0x13, 0xc4, 0x13, 0xd8, 192,  0, 2,
        10,   198,  51,   100,  20,   0x00, 0xf1, 0x53, 0x65, /* sec 1700000000, little-endian */
        0x40, 0xe2, 0x01, 0x00,                               /* usec 123456 */
        0xd1, 0x07,                                           /* capture id 2001 */
        0x00, 0x00,                                           /* pad */
        'S',  'I',  'P',  '/',  '2',  '.',  '0',
    };
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, sizeof(b)}, &d), TR_OK);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.ts_sec, 1700000000u);
    assert_int_equal(d.ts_usec, 123456);
    assert_int_equal(d.capture_id, 2001);
    assert_memory_equal(d.src.a, "\xc0\x00\x02\x0a", 4);
    assert_memory_equal(d.dst.a, "\xc6\x33\x64\x14", 4);
    assert_view(tr_str_from_bytes(d.payload), "SIP/2.0");
}

static void hep2_ipv6_decodes_little_endian_time(void **state)
{
    (void)state;
    uint8_t b[40 + 12 + 2] = {0x02, 40, 10, 17, 0x13, 0xc4, 0x13, 0xc4};
    struct tr_addr s = v6(0x10), d6 = v6(0x20);
    memcpy(b + 8, s.a, 16);
    memcpy(b + 24, d6.a, 16);
    static const uint8_t tb[12] = {0x01, 0xf1, 0x53, 0x65, 0x2a, 0, 0, 0, 0x34, 0x12, 0, 0};
    memcpy(b + 40, tb, 12);
    memcpy(b + 52, "ok", 2);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, sizeof(b)}, &d), TR_OK);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.src.family, TR_AF_INET6);
    assert_memory_equal(d.src.a, s.a, 16);
    assert_memory_equal(d.dst.a, d6.a, 16);
    assert_int_equal(d.ts_sec, 1700000001u);
    assert_int_equal(d.ts_usec, 42);
    assert_int_equal(d.capture_id, 0x1234);
    assert_view(tr_str_from_bytes(d.payload), "ok");
}

static void hep12_header_length_must_match_family(void **state)
{
    (void)state;
    uint8_t b[64] = {0x01, 40, 2, 17}; /* IPv4 with the IPv6 header length */
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), -TR_E_MALFORMED);
    b[1] = 16, b[2] = 10; /* IPv6 with the IPv4 header length */
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), -TR_E_MALFORMED);
    b[1] = 16, b[2] = 7; /* unknown family */
    assert_int_equal(decode((struct tr_bytes){b, sizeof(b)}), -TR_E_MALFORMED);
}

static void hep12_cut_header_is_truncated(void **state)
{
    (void)state;
    uint8_t b[40] = {0x02, 16, 2, 17};
    assert_int_equal(decode((struct tr_bytes){b, 3}), -TR_E_TRUNCATED);
    assert_int_equal(decode((struct tr_bytes){b, 12}), -TR_E_TRUNCATED); /* in the addresses */
    assert_int_equal(decode((struct tr_bytes){b, 20}), -TR_E_TRUNCATED); /* in the v2 time block */
    assert_int_equal(decode((struct tr_bytes){b, 28}), TR_OK);           /* empty payload */
    b[0] = 1;
    assert_int_equal(decode((struct tr_bytes){b, 16}), TR_OK);
    assert_int_equal(decode((struct tr_bytes){b, 15}), -TR_E_TRUNCATED);
}

/* ---------------------------------------------------------------- cross-check */

/* ./hep3_send.py --no-send --hexdump --scenario options --call-id xcheck-1
 *   --ts 1700000000.123456 --capture-id 2001 --auth-key s3cret
 *   --correlation-id corr-x --node-name node-a --vlan 42
 * (chunk order 1..12, 18, 14, 19, 17, 15: not ours, same content) */
static const char xcheck_v4_hex[] =
    "48455033019e000000010007020000000200071100000003000ac000020a00000004000ac633641400000007"
    "000813c400000008000813c400000009000a6553f1000000000a000a0001e2400000000b0007010000000c00"
    "0a000007d1000000120008002a0000000e000c73336372657400000013000c6e6f64652d6100000011000c63"
    "6f72722d780000000f01154f5054494f4e53207369703a3139382e35312e3130302e32303a35303630205349"
    "502f322e300d0a5669613a205349502f322e302f554450203139322e302e322e31303a353036303b6272616e"
    "63683d7a39684734624b2d6f70742d310d0a4d61782d466f7277617264733a2037300d0a46726f6d3a203c73"
    "69703a70726f6265406578616d706c652e636f6d3e3b7461673d6f70742d7461672d310d0a546f3a203c7369"
    "703a3139382e35312e3130302e32303a353036303e0d0a43616c6c2d49443a2078636865636b2d310d0a4353"
    "65713a2031204f5054494f4e530d0a557365722d4167656e743a20686570335f73656e642e70790d0a436f6e"
    "74656e742d4c656e6774683a20300d0a0d0a";

/* ./hep3_send.py --no-send --hexdump --scenario options --call-id xcheck-6
 *   --ts 1700000001.000042 --capture-id 7 --src '[2001:db8::1]:5061'
 *   --dst '[2001:db8::2]:5062' --ip-proto tcp */
static const char xcheck_v6_hex[] =
    "48455033018d0000000100070a0000000200070600000005001620010db80000000000000000000000010000"
    "0006001620010db800000000000000000000000200000007000813c500000008000813c600000009000a6553"
    "f1010000000a000a0000002a0000000b0007010000000c000a000000070000000f01184f5054494f4e532073"
    "69703a5b323030313a6462383a3a325d3a35303632205349502f322e300d0a5669613a205349502f322e302f"
    "554450205b323030313a6462383a3a315d3a353036313b6272616e63683d7a39684734624b2d6f70742d310d"
    "0a4d61782d466f7277617264733a2037300d0a46726f6d3a203c7369703a70726f6265406578616d706c652e"
    "636f6d3e3b7461673d6f70742d7461672d310d0a546f3a203c7369703a5b323030313a6462383a3a325d3a35"
    "3036323e0d0a43616c6c2d49443a2078636865636b2d360d0a435365713a2031204f5054494f4e530d0a5573"
    "65722d4167656e743a20686570335f73656e642e70790d0a436f6e74656e742d4c656e6774683a20300d0a0d"
    "0a";

static void hep3_frame_from_reference_encoder_decodes(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n = unhex(xcheck_v4_hex, b, sizeof(b));
    assert_int_equal(n, 414);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, n}, &d), TR_OK);
    assert_int_equal(d.version, 3);
    assert_int_equal(d.src.family, TR_AF_INET);
    assert_memory_equal(d.src.a, "\xc0\x00\x02\x0a", 4); /* 192.0.2.10 */
    assert_memory_equal(d.dst.a, "\xc6\x33\x64\x14", 4); /* 198.51.100.20 */
    assert_int_equal(d.ip_proto, 17);
    assert_int_equal(d.sport, 5060);
    assert_int_equal(d.dport, 5060);
    assert_int_equal(d.ts_sec, 1700000000u);
    assert_int_equal(d.ts_usec, 123456);
    assert_int_equal(d.proto_type, TR_HEP_PROTO_SIP);
    assert_int_equal(d.capture_id, 2001);
    assert_view(d.auth_key, "s3cret");
    assert_view(d.correlation_id, "corr-x");
    assert_view(d.node_name, "node-a");
    assert_true(d.has_vlan);
    assert_int_equal(d.vlan, 42);
    assert_false(d.payload_compressed);
    assert_int_equal(d.payload.len, 0x115 - 6);
    assert_memory_equal(d.payload.ptr, "OPTIONS sip:198.51.100.20:5060 SIP/2.0\r\n", 40);
    assert_memory_equal(d.payload.ptr + d.payload.len - 4, "\r\n\r\n", 4);

    /* Our encoding of the same fields differs only in chunk order: same size,
     * and it decodes to the same fields. */
    uint8_t again[512];
    int m = tr_hep3_encode(&d, again, sizeof(again));
    assert_int_equal(m, (int)n);
    struct tr_hep_fields d2;
    assert_int_equal(tr_hep_decode((struct tr_bytes){again, (size_t)m}, &d2), TR_OK);
    assert_fields_equal(&d, &d2);
}

static void hep3_ipv6_frame_from_reference_encoder_reencodes_byte_identical(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n = unhex(xcheck_v6_hex, b, sizeof(b));
    assert_int_equal(n, 397);
    struct tr_hep_fields d;
    assert_int_equal(tr_hep_decode((struct tr_bytes){b, n}, &d), TR_OK);
    struct tr_addr s = v6(1), t = v6(2);
    assert_int_equal(d.src.family, TR_AF_INET6);
    assert_memory_equal(d.src.a, s.a, 16);
    assert_memory_equal(d.dst.a, t.a, 16);
    assert_int_equal(d.ip_proto, 6);
    assert_int_equal(d.sport, 5061);
    assert_int_equal(d.dport, 5062);
    assert_int_equal(d.ts_sec, 1700000001u);
    assert_int_equal(d.ts_usec, 42);
    assert_int_equal(d.capture_id, 7);
    assert_int_equal(d.auth_key.len, 0);
    assert_int_equal(d.correlation_id.len, 0);
    assert_false(d.has_vlan);
    /* No optional chunks: both encoders use the same order, so same bytes. */
    uint8_t again[512];
    assert_int_equal(tr_hep3_encode(&d, again, sizeof(again)), (int)n);
    assert_memory_equal(again, b, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hep3_round_trip_ipv4),
        cmocka_unit_test(hep3_round_trip_ipv4_with_key_correlation_node_vlan),
        cmocka_unit_test(hep3_round_trip_ipv6),
        cmocka_unit_test(hep3_round_trip_ipv6_with_key_correlation_node_vlan),
        cmocka_unit_test(hep3_round_trip_empty_payload),
        cmocka_unit_test(hep3_encode_writes_the_exact_layout),
        cmocka_unit_test(hep3_encode_without_options_writes_no_optional_chunks),
        cmocka_unit_test(hep3_encode_with_small_cap_never_writes_past_it),
        cmocka_unit_test(hep3_encode_refuses_frames_over_the_limit),
        cmocka_unit_test(hep3_decode_known_frame_gives_every_field),
        cmocka_unit_test(hep3_decode_rejects_wrong_magic),
        cmocka_unit_test(hep3_decode_rejects_total_length_not_equal_to_message),
        cmocka_unit_test(hep3_decode_rejects_chunk_length_below_6),
        cmocka_unit_test(hep3_decode_rejects_chunk_running_past_the_end),
        cmocka_unit_test(hep3_decode_rejects_wrong_fixed_size_chunks),
        cmocka_unit_test(hep3_decode_skips_vendor_and_unknown_chunks),
        cmocka_unit_test(hep3_decode_reports_compressed_payload),
        cmocka_unit_test(hep3_decode_needs_addresses_of_a_known_family),
        cmocka_unit_test(hep_decode_empty_input_is_declined),
        cmocka_unit_test(hep3_frame_len_reads_the_total),
        cmocka_unit_test(hep1_ipv4_decodes),
        cmocka_unit_test(hep1_ipv6_decodes),
        cmocka_unit_test(hep2_ipv4_decodes_little_endian_time),
        cmocka_unit_test(hep2_ipv6_decodes_little_endian_time),
        cmocka_unit_test(hep12_header_length_must_match_family),
        cmocka_unit_test(hep12_cut_header_is_truncated),
        cmocka_unit_test(hep3_frame_from_reference_encoder_decodes),
        cmocka_unit_test(hep3_ipv6_frame_from_reference_encoder_reencodes_byte_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
