/* test_mgen.c - the MGEN message detector (src/proto/mgen.c).
 *
 * MGEN messages are built here by a small encoder written from the MGEN
 * User's Guide message layout (version 2): fixed header, dst address, then
 * the optional host, GPS, payload type/length, payload and zero padding, each
 * only when the chosen message size leaves room, as MGEN's sender does.
 * Look-alikes (random bytes, RTP, DNS, SIP, cut or resized messages) are
 * built by hand and must be declined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* ------------------------------------------------------------ encoder */

struct mgen_spec {
    uint16_t size;       /* messageSize = datagram length */
    uint8_t version;     /* 2 */
    uint8_t flags;
    uint32_t flow_id, seq, sec, usec;
    uint16_t dst_port;
    uint8_t dst_type, dst_len; /* 1/4 or 2/16 */
    uint8_t dst[16];
    uint8_t host_type, host_len; /* 0/0 when the host is unknown */
    uint8_t host[16];
    uint32_t lat, lon;   /* (deg + 180) * 60000 */
    uint8_t gps_status;
    uint8_t payload_type;
    uint16_t payload_len;
};

struct buf {
    uint8_t b[8300];
    size_t n;
};

static void u8(struct buf *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void u16(struct buf *p, unsigned v)
{
    u8(p, (v >> 8) & 0xff);
    u8(p, v & 0xff);
}

static void u32(struct buf *p, uint32_t v)
{
    u16(p, v >> 16);
    u16(p, v & 0xffff);
}

/* Writes s into p (size s->size bytes). Optional fields go in only when they
 * fit whole; what is left is zero, as MGEN pads. */
static void mgen_encode(const struct mgen_spec *s, struct buf *p)
{
    memset(p->b, 0, sizeof(p->b));
    p->n = 0;
    u16(p, s->size);
    u8(p, s->version);
    u8(p, s->flags);
    u32(p, s->flow_id);
    u32(p, s->seq);
    u32(p, s->sec);
    u32(p, s->usec);
    u16(p, s->dst_port);
    u8(p, s->dst_type);
    u8(p, s->dst_len);
    for (unsigned i = 0; i < s->dst_len; i++)
        u8(p, s->dst[i]);
    if (p->n + 4u + s->host_len <= s->size) {
        u16(p, 0);
        u8(p, s->host_type);
        u8(p, s->host_len);
        for (unsigned i = 0; i < s->host_len; i++)
            u8(p, s->host[i]);
        if (p->n + 13 <= s->size) {
            u32(p, s->lat);
            u32(p, s->lon);
            u32(p, 0);
            u8(p, s->gps_status);
            if (p->n + 1 <= s->size)
                u8(p, s->payload_type);
            if (p->n + 2 <= s->size)
                u16(p, s->payload_len);
            for (unsigned i = 0; i < s->payload_len && p->n < s->size; i++)
                u8(p, 'a' + i % 26);
        }
    }
    p->n = s->size; /* zero padding (and checksum slot) up to messageSize */
}

static struct mgen_spec spec_v4(uint16_t size)
{
    struct mgen_spec s = {
        .size = size, .version = 2, .flags = 0, .flow_id = 7, .seq = 1234,
        .sec = 1795417862, .usec = 654321, .dst_port = 5001, .dst_type = 1, .dst_len = 4,
        .dst = { 10, 0, 0, 2 }, .host_type = 0, .host_len = 0,
        .lat = 180u * 60000u, .lon = 180u * 60000u, .gps_status = 0, .payload_type = 0,
        .payload_len = 0,
    };
    return s;
}

static bool probe(const struct buf *p, struct tr_mgen *m)
{
    return tr_mgen_probe((struct tr_bytes){ p->b, p->n }, m);
}

/* ------------------------------------------------------------ accepted */

static void mgen_ipv4_message_gives_flow_id_and_seq(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(64);
    s.flow_id = 0x01020304;
    s.seq = 99;
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    memset(&m, 0xaa, sizeof(m));
    assert_true(probe(&p, &m));
    assert_int_equal(m.flow_id, 0x01020304);
    assert_int_equal(m.seq, 99);
    assert_int_equal(m.msg_size, 64);
    assert_int_equal(m.tx_sec, 1795417862);
    assert_int_equal(m.tx_usec, 654321);
    assert_int_equal(m.dst_port, 5001);
    assert_int_equal(m.dst.family, TR_AF_INET);
    assert_memory_equal(m.dst.a, ((uint8_t[]){ 10, 0, 0, 2 }), 4);
}

static void mgen_minimum_size_28_is_accepted(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(28);
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_true(probe(&p, &m));
    assert_int_equal(m.flow_id, 7);
}

static void mgen_ipv6_destination_with_host_and_payload_is_accepted(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(200);
    s.dst_type = 2;
    s.dst_len = 16;
    uint8_t d6[16] = { 0xff, 0x0e, [15] = 0x42 };
    memcpy(s.dst, d6, 16);
    s.host_type = 2;
    s.host_len = 16;
    s.host[0] = 0x20;
    s.gps_status = 2;
    s.lat = (uint32_t)((38.8 + 180) * 60000);
    s.lon = (uint32_t)((-77.0 + 180) * 60000);
    s.payload_type = 1;
    s.payload_len = 20;
    s.flow_id = 4000000000u;
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_true(probe(&p, &m));
    assert_int_equal(m.flow_id, 4000000000u);
    assert_int_equal(m.dst.family, TR_AF_INET6);
    assert_memory_equal(m.dst.a, d6, 16);
}

static void mgen_checksum_flag_with_full_fields_is_accepted(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(80);
    s.flags = TR_MGEN_F_CHECKSUM;
    s.payload_len = 10;
    struct buf p;
    mgen_encode(&s, &p);
    p.b[76] = 0xde; /* the CRC in the last 4 bytes is not checked */
    p.b[79] = 0xad;
    struct tr_mgen m;
    assert_true(probe(&p, &m));
    assert_int_equal(m.flags, TR_MGEN_F_CHECKSUM);
}

static void mgen_largest_udp_message_8192_is_accepted(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(8192);
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_true(probe(&p, &m));
}

static void mgen_dst_matches_only_the_packet_destination(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(64);
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_true(probe(&p, &m));
    struct tr_addr dst = { .family = TR_AF_INET, .a = { 10, 0, 0, 2 } };
    assert_true(tr_mgen_dst_matches(&m, &dst, 5001));
    assert_false(tr_mgen_dst_matches(&m, &dst, 5002));
    dst.a[3] = 3;
    assert_false(tr_mgen_dst_matches(&m, &dst, 5001));
    struct tr_addr dst6 = { .family = TR_AF_INET6, .a = { 10, 0, 0, 2 } };
    assert_false(tr_mgen_dst_matches(&m, &dst6, 5001));
}

/* ------------------------------------------------------------ declined */

/* Runs the probe on a modified copy of a good 64-byte message. */
static bool probe_modified(size_t off, uint8_t value)
{
    struct mgen_spec s = spec_v4(64);
    struct buf p;
    mgen_encode(&s, &p);
    p.b[off] = value;
    struct tr_mgen m;
    return probe(&p, &m);
}

static void mgen_wrong_version_is_declined(void **state)
{
    (void)state;
    assert_true(probe_modified(2, 2));
    assert_false(probe_modified(2, 4)); /* DARPA variant: 64-bit seconds */
    assert_false(probe_modified(2, 1));
}

static void mgen_unknown_flag_bits_are_declined(void **state)
{
    (void)state;
    assert_true(probe_modified(3, TR_MGEN_F_END_OF_MSG));
    assert_false(probe_modified(3, 0x10));
    assert_false(probe_modified(3, 0x80));
}

static void mgen_microseconds_of_a_million_are_declined(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(64);
    s.usec = 999999;
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_true(probe(&p, &m));
    s.usec = 1000000;
    mgen_encode(&s, &p);
    assert_false(probe(&p, &m));
    s.sec = 0;
    s.usec = 0;
    mgen_encode(&s, &p);
    assert_false(probe(&p, &m));
}

static void mgen_address_type_and_length_must_agree(void **state)
{
    (void)state;
    assert_false(probe_modified(22, 2));  /* IPv6 type, length 4 */
    assert_false(probe_modified(22, 3));  /* SIM: never on a wire */
    assert_false(probe_modified(23, 16)); /* IPv4 type, length 16 */
    struct mgen_spec s = spec_v4(64);
    s.dst_port = 0;
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_false(probe(&p, &m));
}

static void mgen_bad_optional_fields_are_declined(void **state)
{
    (void)state;
    /* host at 28..31: type 5 */
    assert_false(probe_modified(30, 5));
    /* host type 1 with length 0 */
    assert_false(probe_modified(30, 1));
    /* gpsStatus (offset 32 + 12) 3 */
    assert_false(probe_modified(44, 3));
    /* latitude above 360 degrees */
    assert_false(probe_modified(32, 0xff));
    /* payloadType 2 */
    assert_false(probe_modified(45, 2));
    /* payloadLen past the message: 64 - 48 = 16 bytes left */
    assert_true(probe_modified(47, 16));
    assert_false(probe_modified(47, 17));
}

static void mgen_checksum_flag_without_room_is_declined(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(40); /* host fields, but no GPS block */
    s.flags = TR_MGEN_F_CHECKSUM;
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    assert_false(probe(&p, &m));
    s.flags = 0;
    mgen_encode(&s, &p);
    assert_true(probe(&p, &m));
    /* payload reaching into the checksum slot */
    s = spec_v4(64);
    s.flags = TR_MGEN_F_CHECKSUM;
    s.payload_len = 16;
    mgen_encode(&s, &p);
    assert_false(probe(&p, &m));
}

static void mgen_size_mismatch_is_declined(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(64);
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    p.n = 65; /* one trailing byte */
    assert_false(probe(&p, &m));
    p.n = 63; /* snaplen cut */
    assert_false(probe(&p, &m));
    s = spec_v4(27);
    s.dst_len = 3;
    mgen_encode(&s, &p);
    assert_false(probe(&p, &m)); /* under the 28-byte minimum */
    s = spec_v4(8200);
    mgen_encode(&s, &p);
    assert_false(probe(&p, &m)); /* over MGEN's 8192 UDP maximum */
}

static void mgen_truncated_headers_are_declined(void **state)
{
    (void)state;
    struct mgen_spec s = spec_v4(64);
    struct buf p;
    mgen_encode(&s, &p);
    struct tr_mgen m;
    for (size_t n = 0; n < 64; n++) /* every cut of a 64-byte message */
        assert_false(tr_mgen_probe((struct tr_bytes){ p.b, n }, &m));
    /* An IPv6 dstAddr that does not fit in the message it declares. */
    s = spec_v4(30);
    s.dst_type = 2;
    s.dst_len = 16;
    mgen_encode(&s, &p);
    assert_int_equal(p.n, 30);
    assert_false(probe(&p, &m));
}

static void mgen_out_is_untouched_when_declined(void **state)
{
    (void)state;
    uint8_t junk[40] = { 0 };
    struct tr_mgen m, before;
    memset(&m, 0x5a, sizeof(m));
    before = m;
    assert_false(tr_mgen_probe((struct tr_bytes){ junk, sizeof(junk) }, &m));
    assert_memory_equal(&m, &before, sizeof(m));
}

static void rtp_packets_are_not_mgen(void **state)
{
    (void)state;
    /* RTP (RFC 3550): V=2, PT 0, seq 1, ts 160, SSRC; 160 bytes of PCMU. */
    struct buf p = { .n = 0 };
    u8(&p, 0x80);
    u8(&p, 0x00);
    u16(&p, 1);
    u32(&p, 160);
    u32(&p, 0x12345678);
    while (p.n < 172)
        u8(&p, 0xff);
    struct tr_mgen m;
    assert_false(probe(&p, &m));
    /* The same with the marker bit and PT 96. */
    p.b[1] = 0xe0;
    assert_false(probe(&p, &m));
}

static void dns_query_is_not_mgen(void **state)
{
    (void)state;
    /* DNS (RFC 1035 4.1): id, RD, 1 question "example.com" A IN. The id is
     * even chosen to equal the datagram length. */
    static const uint8_t q[] = { 0x00, 0x1d, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                 3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01 };
    assert_int_equal(sizeof(q), 0x1d);
    struct tr_mgen m;
    assert_false(tr_mgen_probe((struct tr_bytes){ q, sizeof(q) }, &m));
}

static void sip_message_is_not_mgen(void **state)
{
    (void)state;
    const char *sip = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
                      "Call-ID: a@b\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    struct tr_mgen m;
    assert_false(tr_mgen_probe((struct tr_bytes){ (const uint8_t *)sip, strlen(sip) }, &m));
}

static void random_datagrams_are_not_mgen(void **state)
{
    (void)state;
    /* A fixed-seed generator: 200000 datagrams of 28..1500 bytes. The checks
     * leave ~2^-55 of random data, so not one may pass; even with the first
     * two bytes forced to the right length. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    static uint8_t b[1500];
    struct tr_mgen m;
    unsigned accepted = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 28 + (size_t)(x % (sizeof(b) - 28 + 1));
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[k] = (uint8_t)x;
        }
        b[0] = (uint8_t)(n >> 8);
        b[1] = (uint8_t)n;
        if (i & 1)
            b[2] = 2; /* and the version, for half of them */
        accepted += tr_mgen_probe((struct tr_bytes){ b, n }, &m);
    }
    assert_int_equal(accepted, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mgen_ipv4_message_gives_flow_id_and_seq),
        cmocka_unit_test(mgen_minimum_size_28_is_accepted),
        cmocka_unit_test(mgen_ipv6_destination_with_host_and_payload_is_accepted),
        cmocka_unit_test(mgen_checksum_flag_with_full_fields_is_accepted),
        cmocka_unit_test(mgen_largest_udp_message_8192_is_accepted),
        cmocka_unit_test(mgen_dst_matches_only_the_packet_destination),
        cmocka_unit_test(mgen_wrong_version_is_declined),
        cmocka_unit_test(mgen_unknown_flag_bits_are_declined),
        cmocka_unit_test(mgen_microseconds_of_a_million_are_declined),
        cmocka_unit_test(mgen_address_type_and_length_must_agree),
        cmocka_unit_test(mgen_bad_optional_fields_are_declined),
        cmocka_unit_test(mgen_checksum_flag_without_room_is_declined),
        cmocka_unit_test(mgen_size_mismatch_is_declined),
        cmocka_unit_test(mgen_truncated_headers_are_declined),
        cmocka_unit_test(mgen_out_is_untouched_when_declined),
        cmocka_unit_test(rtp_packets_are_not_mgen),
        cmocka_unit_test(dns_query_is_not_mgen),
        cmocka_unit_test(sip_message_is_not_mgen),
        cmocka_unit_test(random_datagrams_are_not_mgen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
