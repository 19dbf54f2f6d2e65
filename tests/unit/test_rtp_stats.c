/* test_rtp_stats.c - RTP header probe and per-stream statistics
 * (src/track/rtp_stats.c) through track.h: RFC 3550 5.1 header checks,
 * A.1/A.3 sequence accounting (loss, reordering, duplicates, wrap, jumps),
 * A.8 jitter against a hand-computed value, the E-model estimate, the
 * table's bounds (idle expiry, LRU eviction, periodic reports), the JSON
 * report and the no-allocation promise of a warm table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_count.h"
#include "track/track.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1795417862ull * SEC) /* 2026-11-23T07:11:02Z */
#define MAX_GOT 16

/* ---------------------------------------------------------------- helpers */

struct got {
    struct tr_rtp_report r;
    char call_id[TR_RTP_CALL_ID_MAX + 1];
};

static struct got got[MAX_GOT];
static unsigned n_got;
static struct tr_rtp_table *t;

static void on_report(void *user, const struct tr_rtp_report *r)
{
    (void)user;
    assert_true(n_got < MAX_GOT);
    struct got *g = &got[n_got++];
    g->r = *r;
    memcpy(g->call_id, r->call_id.ptr ? r->call_id.ptr : "", r->call_id.len);
    g->call_id[r->call_id.len] = 0;
    g->r.call_id = (struct tr_str){ g->call_id, r->call_id.len };
}

static int setup_conf(const struct tr_rtp_conf *conf)
{
    n_got = 0;
    t = tr_rtp_table_new(conf);
    return t ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    return setup_conf(NULL);
}

static int teardown(void **state)
{
    (void)state;
    tr_rtp_table_free(t);
    t = NULL;
    return 0;
}

/* Writes a 12-byte RTP header (V=2) and n payload bytes into buf. */
static size_t rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t n)
{
    buf[0] = 0x80;
    buf[1] = pt;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = (uint8_t)(ts >> 24);
    buf[5] = (uint8_t)(ts >> 16);
    buf[6] = (uint8_t)(ts >> 8);
    buf[7] = (uint8_t)ts;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    memset(buf + 12, 0xd5, n);
    return 12 + n;
}

static struct tr_packet udp(uint64_t ts_ns, uint16_t sport, const uint8_t *data, size_t len)
{
    struct tr_packet p;
    memset(&p, 0, sizeof(p));
    p.ip_proto = 17;
    p.src = (struct tr_addr){ .family = TR_AF_INET, .a = { 10, 0, 0, 1 } };
    p.dst = (struct tr_addr){ .family = TR_AF_INET, .a = { 10, 0, 0, 2 } };
    p.sport = sport;
    p.dport = 30000;
    p.ts_ns = ts_ns;
    p.payload = (struct tr_bytes){ data, len };
    return p;
}

/* One packet of a stream: built, probed (must pass) and observed. */
static void feed_full(uint8_t pt, uint32_t ssrc, uint16_t seq, uint32_t ts, uint64_t at_ns,
                      const char *call_id)
{
    uint8_t buf[12 + 160];
    size_t len = rtp(buf, pt, seq, ts, ssrc, 160);
    struct tr_packet p = udp(at_ns, 20000, buf, len);
    struct tr_rtp_hdr h;
    assert_true(tr_rtp_probe(p.payload, &h));
    struct tr_str cid = { call_id, call_id ? strlen(call_id) : 0 };
    tr_rtp_observe(t, &p, &h, &cid, on_report, NULL);
}

/* A G.711 packet whose timestamp and arrival follow its sequence number:
 * 20 ms, 160 samples apart. */
static void feed(uint32_t ssrc, uint16_t seq)
{
    feed_full(0, ssrc, seq, 1000u + 160u * seq, T0 + 20 * MS * seq, "call-1@x");
}

static const struct tr_rtp_report *flush_one(void)
{
    unsigned before = n_got;
    tr_rtp_flush(t, on_report, NULL);
    assert_int_equal(n_got, before + 1);
    return &got[before].r;
}

static bool probe(const uint8_t *b, size_t len, struct tr_rtp_hdr *h)
{
    /* An exact-size heap copy, so ASan sees a read one byte past the end. */
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, b, len);
    bool ok = tr_rtp_probe((struct tr_bytes){ copy, len }, h);
    if (ok && h)
        assert_true(h->payload.ptr >= copy && h->payload.ptr + h->payload.len <= copy + len);
    if (ok && h && h->payload.len)
        h->payload.ptr = b + (h->payload.ptr - copy);
    free(copy);
    return ok;
}

/* ---------------------------------------------------------------- probe */

static void probe_accepts_plain_header_and_fills_fields(void **state)
{
    (void)state;
    uint8_t b[12 + 4];
    size_t len = rtp(b, 0x80 | 8, 0xbeef, 0x01020304, 0xcafef00d, 4);
    struct tr_rtp_hdr h;
    assert_true(probe(b, len, &h));
    assert_int_equal(h.pt, 8);
    assert_true(h.marker);
    assert_int_equal(h.seq, 0xbeef);
    assert_int_equal(h.ts, 0x01020304);
    assert_int_equal(h.ssrc, 0xcafef00d);
    assert_int_equal(h.n_csrc, 0);
    assert_false(h.has_ext);
    assert_int_equal(h.payload.len, 4);
    assert_ptr_equal(h.payload.ptr, b + 12);
}

static void probe_accepts_empty_payload(void **state)
{
    (void)state;
    uint8_t b[12];
    struct tr_rtp_hdr h;
    assert_true(probe(b, rtp(b, 0, 1, 2, 3, 0), &h));
    assert_int_equal(h.payload.len, 0);
}

static void probe_skips_csrcs_extension_and_padding(void **state)
{
    (void)state;
    /* CC=2, X=1 with a 1-word extension, P=1 with 3 padding octets */
    uint8_t b[12 + 8 + 4 + 4 + 5 + 3];
    size_t len = rtp(b, 18, 7, 8, 9, 0);
    b[0] = 0x80 | 0x20 | 0x10 | 2;
    memset(b + 12, 0x11, 8);                              /* CSRCs */
    memcpy(b + 20, "\xbe\xde\x00\x01", 4);               /* RFC 8285 one-byte header, 1 word */
    memset(b + 24, 0x22, 4);                              /* extension data */
    memcpy(b + 28, "HELLO", 5);                           /* payload */
    memcpy(b + 33, "\x00\x00\x03", 3);                   /* padding, count 3 */
    len = sizeof(b);
    struct tr_rtp_hdr h;
    assert_true(probe(b, len, &h));
    assert_int_equal(h.n_csrc, 2);
    assert_true(h.has_ext);
    assert_int_equal(h.pt, 18);
    assert_int_equal(h.payload.len, 5);
    assert_memory_equal(h.payload.ptr, "HELLO", 5);
}

static void probe_rejects_rtcp_packet_types(void **state)
{
    (void)state;
    /* RTCP SR, RR, SDES, BYE, APP: the second octet 200..204 reads as
     * marker + PT 72..76 (RFC 5761 4). */
    for (unsigned type = 200; type <= 204; type++) {
        uint8_t b[28];
        size_t len = rtp(b, (uint8_t)type, 6, 0x12345678, 0x9abcdef0, 16);
        b[0] = 0x81; /* one report block */
        assert_false(probe(b, len, NULL));
    }
    /* the neighbours are ordinary payload types */
    uint8_t b[16];
    assert_true(probe(b, rtp(b, 71, 1, 2, 3, 4), NULL));
    assert_true(probe(b, rtp(b, 77, 1, 2, 3, 4), NULL));
    assert_true(probe(b, rtp(b, 0x80 | 96, 1, 2, 3, 4), NULL));
}

static void probe_rejects_wrong_version_and_short_header(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t len = rtp(b, 0, 1, 2, 3, 4);
    for (uint8_t v = 0; v < 4; v++) {
        b[0] = (uint8_t)(v << 6);
        assert_true(probe(b, len, NULL) == (v == 2));
    }
    b[0] = 0x80;
    for (size_t n = 0; n < 12; n++)
        assert_false(probe(b, n, NULL));
    assert_true(probe(b, 12, NULL));
    /* STUN (first bits 00) and DTLS (20..63) share media ports: never RTP */
    b[0] = 0x00;
    assert_false(probe(b, len, NULL));
    b[0] = 0x16;
    assert_false(probe(b, len, NULL));
}

static void probe_rejects_lengths_that_lie(void **state)
{
    (void)state;
    uint8_t b[12 + 64];
    struct tr_rtp_hdr h;

    /* CSRC count larger than the packet */
    size_t len = rtp(b, 0, 1, 2, 3, 8); /* room for 2 CSRCs */
    b[0] = 0x80 | 2;
    assert_true(probe(b, len, &h));
    assert_int_equal(h.payload.len, 0);
    b[0] = 0x80 | 3;
    assert_false(probe(b, len, &h));
    b[0] = 0x80 | 15;
    assert_false(probe(b, len, &h));

    /* extension header cut, and extension length past the end */
    len = rtp(b, 0, 1, 2, 3, 2);
    b[0] = 0x90;
    assert_false(probe(b, len, &h));
    len = rtp(b, 0, 1, 2, 3, 8); /* 4-byte ext header + 1 word */
    b[0] = 0x90;
    memcpy(b + 12, "\xbe\xde\x00\x01", 4);
    assert_true(probe(b, len, &h));
    assert_int_equal(h.payload.len, 0);
    b[15] = 2;
    assert_false(probe(b, len, &h));
    b[14] = 0xff;
    b[15] = 0xff;
    assert_false(probe(b, len, &h));

    /* padding: count 0, count past the payload, count eating the header */
    len = rtp(b, 0, 1, 2, 3, 4);
    b[0] = 0xa0;
    b[len - 1] = 0;
    assert_false(probe(b, len, &h));
    b[len - 1] = 5;
    assert_false(probe(b, len, &h));
    b[len - 1] = 4; /* all of the payload is padding: allowed, empty payload */
    assert_true(probe(b, len, &h));
    assert_int_equal(h.payload.len, 0);
    len = rtp(b, 0, 1, 2, 3, 0); /* P set with no byte after the header */
    b[0] = 0xa0;
    assert_false(probe(b, len, &h));
}

/* ---------------------------------------------------------------- sequence */

static void a_dropped_packet_is_counted_lost(void **state)
{
    (void)state;
    for (uint16_t s = 100; s < 110; s++)
        if (s != 105)
            feed(1, s);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->packets, 9);
    assert_int_equal(r->octets, 9 * 160);
    assert_int_equal(r->expected, 10);
    assert_int_equal(r->lost, 1);
    assert_true(r->loss_pct > 9.999 && r->loss_pct < 10.001);
    assert_int_equal(r->duplicates, 0);
    assert_int_equal(r->out_of_order, 0);
    assert_int_equal(r->seq_errors, 0);
    assert_true(r->final);
    assert_int_equal(r->end, TR_RTP_END_FLUSH);
    assert_int_equal(tr_rtp_stats(t)->streams, 0);
}

static void reordered_packets_are_late_not_lost(void **state)
{
    (void)state;
    const uint16_t order[] = { 1, 2, 4, 3, 5, 6, 9, 7, 8, 10 };
    for (size_t i = 0; i < TR_ARRAY_LEN(order); i++)
        feed(1, order[i]);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->packets, 10);
    assert_int_equal(r->expected, 10);
    assert_int_equal(r->lost, 0);
    assert_int_equal(r->out_of_order, 3);
    assert_int_equal(r->duplicates, 0);
    assert_true(r->loss_pct == 0.0);
}

static void duplicates_are_counted_and_make_lost_negative(void **state)
{
    (void)state;
    /* 3 again (the highest), then 2 again (behind the highest) */
    const uint16_t order[] = { 1, 2, 3, 3, 4, 2, 5 };
    for (size_t i = 0; i < TR_ARRAY_LEN(order); i++)
        feed(1, order[i]);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->packets, 7);
    assert_int_equal(r->expected, 5);
    assert_int_equal(r->duplicates, 2);
    assert_int_equal(r->out_of_order, 0);
    /* RFC 3550 A.3: duplicates count as received, so lost goes negative ... */
    assert_int_equal(r->lost, -2);
    /* ... but the loss percentage (and the MOS) see no loss */
    assert_true(r->loss_pct == 0.0);
}

static void duplicates_do_not_hide_a_loss(void **state)
{
    (void)state;
    const uint16_t order[] = { 1, 2, 3, 3, 5 };
    for (size_t i = 0; i < TR_ARRAY_LEN(order); i++)
        feed(1, order[i]);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->expected, 5);
    assert_int_equal(r->lost, 0); /* one missing, one duplicate: A.3 nets them */
    assert_true(r->loss_pct > 19.999 && r->loss_pct < 20.001);
}

static void sequence_wrap_at_65535_is_not_a_loss(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 12; i++)
        feed(1, (uint16_t)(65530u + i));
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->expected, 12);
    assert_int_equal(r->lost, 0);
    assert_int_equal(r->seq_errors, 0);
    assert_int_equal(r->out_of_order, 0);
}

static void wrap_during_probation_counts_both_packets(void **state)
{
    (void)state;
    feed(1, 65535);
    feed(1, 0);
    feed(1, 2); /* 1 lost */
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->expected, 4);
    assert_int_equal(r->lost, 1);
}

static void late_packet_across_the_wrap_is_out_of_order(void **state)
{
    (void)state;
    const uint16_t order[] = { 65533, 65534, 0, 65535, 1 };
    for (size_t i = 0; i < TR_ARRAY_LEN(order); i++)
        feed(1, order[i]);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->expected, 5);
    assert_int_equal(r->lost, 0);
    assert_int_equal(r->out_of_order, 1);
}

static void large_jump_is_a_seq_error_until_confirmed(void **state)
{
    (void)state;
    for (uint16_t s = 10; s < 20; s++)
        feed(1, s);
    feed(1, 30000); /* a stray: bad */
    feed(1, 20);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->seq_errors, 1);
    assert_int_equal(r->restarts, 0);
    assert_int_equal(r->expected, 11);
    assert_int_equal(r->lost, 0);
    assert_int_equal(r->packets, 12);
}

static void confirmed_jump_restarts_and_keeps_earlier_counts(void **state)
{
    (void)state;
    for (uint16_t s = 10; s < 20; s++) /* 10 packets, none lost */
        feed(1, s);
    for (uint16_t s = 40000; s < 40010; s++) /* the sender restarted its sequence */
        if (s != 40005)
            feed(1, s);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->seq_errors, 1); /* 40000, before 40001 confirmed the jump */
    assert_int_equal(r->restarts, 1);
    /* 10 before, 40001..40009 after (40005 missing) */
    assert_int_equal(r->expected, 10 + 9);
    assert_int_equal(r->lost, 1);
    assert_int_equal(r->packets, 19);
}

static void a_new_ssrc_is_a_new_stream(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 5; s++)
        feed(0x1111, s);
    for (uint16_t s = 500; s < 508; s++)
        feed(0x2222, s);
    assert_int_equal(tr_rtp_stats(t)->streams, 2);
    assert_int_equal(tr_rtp_stats(t)->streams_created, 2);
    tr_rtp_flush(t, on_report, NULL);
    assert_int_equal(n_got, 2);
    assert_int_equal(got[0].r.ssrc, 0x1111);
    assert_int_equal(got[0].r.packets, 5);
    assert_int_equal(got[0].r.lost, 0);
    assert_int_equal(got[1].r.ssrc, 0x2222);
    assert_int_equal(got[1].r.packets, 8);
    assert_int_equal(got[1].r.expected, 8);
    assert_int_equal(got[1].r.lost, 0);
    assert_int_equal(got[1].r.seq_errors, 0); /* no jump: separate sequence spaces */
}

static void call_id_is_copied_and_replaced_by_a_later_one(void **state)
{
    (void)state;
    char cid[] = "first@host";
    feed_full(0, 1, 1, 160, T0, "");
    feed_full(0, 1, 2, 320, T0 + 20 * MS, cid);
    memset(cid, 'X', strlen(cid)); /* the caller's buffer dies: the table has its copy */
    feed_full(0, 1, 3, 480, T0 + 40 * MS, NULL);
    assert_string_equal(flush_one()->call_id.ptr, "first@host");

    feed_full(0, 1, 1, 160, T0, "a@h");
    feed_full(0, 1, 2, 320, T0 + 20 * MS, "b@h");
    assert_string_equal(flush_one()->call_id.ptr, "b@h");

    char big[300];
    memset(big, 'c', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    feed_full(0, 1, 1, 160, T0, big);
    feed_full(0, 1, 2, 320, T0 + 20 * MS, big);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->call_id.len, TR_RTP_CALL_ID_MAX);
    assert_int_equal(tr_rtp_stats(t)->call_id_truncated, 1);
}

/* ---------------------------------------------------------------- jitter */

static void jitter_matches_hand_computed_a8_value(void **state)
{
    (void)state;
    /* PCMU, 8000 Hz: packets every 20 ms (160 units); arrivals delayed by
     * 0, 0, 5, 0, 10, 0 ms (0, 0, 40, 0, 80, 0 units). Transit differences
     * |D| = 0, 40, 40, 80, 80, and J += (|D| - J) / 16 gives
     *   J1 = 0
     *   J2 = 40/16                      = 2.5
     *   J3 = 2.5 + (40 - 2.5)/16        = 4.84375
     *   J4 = 4.84375 + (80 - 4.84375)/16 = 9.541015625
     *   J5 = 9.541015625 + (80 - 9.541015625)/16 = 13.9447021484375 units
     * = 1.7430877685546875 ms; the mean of J1..J5 is 0.7707366943359375 ms. */
    const unsigned extra_ms[] = { 0, 0, 5, 0, 10, 0 };
    for (uint16_t i = 0; i < 6; i++)
        feed_full(0, 7, (uint16_t)(100 + i), 5000u + 160u * i,
                  T0 + (20u * i + extra_ms[i]) * MS, NULL);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->clock_hz, 8000);
    assert_true(r->jitter_ms > 1.7430877685546875 - 1e-9 && r->jitter_ms < 1.7430877685546875 + 1e-9);
    assert_true(r->jitter_max_ms > 1.7430877685546875 - 1e-9 &&
                r->jitter_max_ms < 1.7430877685546875 + 1e-9);
    assert_true(r->jitter_avg_ms > 0.7707366943359375 - 1e-9 &&
                r->jitter_avg_ms < 0.7707366943359375 + 1e-9);
}

static void steady_stream_has_zero_jitter(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 50; s++)
        feed(1, s);
    const struct tr_rtp_report *r = flush_one();
    assert_true(r->jitter_ms == 0.0 && r->jitter_max_ms == 0.0);
}

static void dynamic_payload_type_uses_configured_clock(void **state)
{
    (void)state;
    /* 48 kHz Opus-like: 960 units per 20 ms; one packet 10 ms late. At the
     * default 8000 Hz the timestamps would look wildly jittery. */
    tr_rtp_set_clock(t, 111, 48000);
    for (uint16_t i = 0; i < 3; i++)
        feed_full(111, 9, i, 960u * i, T0 + (20u * i + (i == 2 ? 10u : 0u)) * MS, NULL);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->clock_hz, 48000);
    assert_null(r->codec);
    /* |D| = 0 then 480 units: J = 480/16 = 30 units = 0.625 ms */
    assert_true(r->jitter_ms > 0.625 - 1e-9 && r->jitter_ms < 0.625 + 1e-9);

    tr_rtp_set_clock(t, 111, 0); /* back to the 8000 Hz default */
    feed_full(111, 9, 1, 160, T0, NULL);
    assert_int_equal(flush_one()->clock_hz, 8000);
}

/* ---------------------------------------------------------------- E-model */

static void clean_g711_stream_scores_about_4_4(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 1000; s++)
        feed(1, s);
    const struct tr_rtp_report *r = flush_one();
    assert_true(r->has_mos);
    assert_string_equal(r->codec, "PCMU");
    /* R = 93.2 - 0.024 * 20 = 92.72; MOS = 4.3998 */
    assert_true(r->r_factor > 92.71 && r->r_factor < 92.73);
    assert_true(r->mos > 4.38 && r->mos < 4.42);
}

static void five_percent_loss_lowers_the_score(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 1000; s++)
        if (s % 20 != 10)
            feed(1, s);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->lost, 50);
    assert_true(r->loss_pct > 4.999 && r->loss_pct < 5.001);
    /* Ie_eff = 95 * 5 / (5 + 25.1) = 15.78; R = 92.72 - 15.78 = 76.94 */
    assert_true(r->r_factor > 76.9 && r->r_factor < 77.0);
    assert_true(r->mos > 3.8 && r->mos < 4.0);
}

static void g729_scores_below_g711(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 100; s++)
        feed_full(18, 1, s, 160u * s, T0 + 20 * MS * s, NULL);
    const struct tr_rtp_report *r = flush_one();
    /* Ie = 11: R = 92.72 - 11 = 81.72 */
    assert_true(r->r_factor > 81.71 && r->r_factor < 81.73);
}

struct mos_range {
    unsigned n, n_low_r;
};

static void check_mos_range(void *user, const struct tr_rtp_report *r)
{
    struct mos_range *m = user;
    m->n++;
    assert_true(r->has_mos);
    assert_true(r->r_factor >= 0.0 && r->r_factor <= 100.0);
    assert_true(r->mos >= 1.0 && r->mos <= 4.5);
    if (r->r_factor > 0.0 && r->r_factor < 6.5)
        m->n_low_r++;
}

static void mos_stays_in_range_when_r_is_tiny(void **state)
{
    (void)state;
    /* G.107's MOS polynomial dips under 1 for 0 < R < 6.5; huge jitter
     * (every other packet X ms late, X up to 3 s) walks R through that range. */
    for (uint32_t x = 0; x <= 3000; x += 5)
        for (uint16_t i = 0; i < 40; i++)
            feed_full(0, 100 + x, i, 160u * i, T0 + 20 * MS * i + ((i & 1) ? x * MS : 0), NULL);
    struct mos_range m = { 0, 0 };
    tr_rtp_flush(t, check_mos_range, &m);
    assert_int_equal(m.n, 601);
    assert_true(m.n_low_r > 0); /* the dip was really visited */
}

static void video_has_no_mos(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 10; s++)
        feed_full(34, 1, s, 3000u * s, T0 + 33 * MS * s, NULL);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->clock_hz, 90000);
    assert_false(r->has_mos);
    char buf[1024];
    assert_true(tr_rtp_report_json(r, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\"r_factor\":null,\"mos\":null"));
}

static void single_packet_stream_has_no_mos(void **state)
{
    (void)state;
    feed(1, 1);
    const struct tr_rtp_report *r = flush_one();
    assert_int_equal(r->packets, 1);
    assert_int_equal(r->expected, 0); /* still in probation (A.1) */
    assert_false(r->has_mos);
}

/* ---------------------------------------------------------------- table */

static int setup_small(void **state)
{
    (void)state;
    struct tr_rtp_conf c = { .max_streams = 2, .idle_ns = 5 * SEC };
    return setup_conf(&c);
}

static void idle_stream_ends_with_a_final_report(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 10; s++)
        feed(1, s); /* last packet at T0 + 180 ms */
    tr_rtp_expire(t, T0 + 180 * MS + 4 * SEC, on_report, NULL);
    assert_int_equal(n_got, 0);
    assert_int_equal(tr_rtp_stats(t)->streams, 1);
    tr_rtp_expire(t, T0 + 180 * MS + 5 * SEC, on_report, NULL);
    assert_int_equal(n_got, 1);
    assert_true(got[0].r.final);
    assert_int_equal(got[0].r.end, TR_RTP_END_IDLE);
    assert_int_equal(got[0].r.packets, 10);
    assert_int_equal(got[0].r.first_ns, T0);
    assert_int_equal(got[0].r.last_ns, T0 + 180 * MS);
    assert_string_equal(got[0].call_id, "call-1@x");
    assert_int_equal(tr_rtp_stats(t)->streams, 0);
    assert_int_equal(tr_rtp_stats(t)->streams_ended, 1);
    assert_int_equal(tr_rtp_stats(t)->reports, 1);
    /* nothing left to report */
    tr_rtp_flush(t, on_report, NULL);
    assert_int_equal(n_got, 1);
}

static void full_table_evicts_least_recent_stream_and_counts_it(void **state)
{
    (void)state;
    feed(1, 0);
    feed(2, 0);
    feed(1, 1); /* stream 2 is now the least recently active */
    feed(3, 0);
    const struct tr_rtp_stats *st = tr_rtp_stats(t);
    assert_int_equal(st->streams, 2);
    assert_int_equal(st->streams_evicted, 1);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0].r.ssrc, 2);
    assert_true(got[0].r.final);
    assert_int_equal(got[0].r.end, TR_RTP_END_EVICTED);
    tr_rtp_flush(t, on_report, NULL);
    assert_int_equal(n_got, 3);
    assert_int_equal(got[1].r.ssrc, 1); /* oldest first */
    assert_int_equal(got[2].r.ssrc, 3);
    assert_int_equal(st->streams_ended, 2);
    assert_int_equal(st->streams_created, 3);
}

static int setup_periodic(void **state)
{
    (void)state;
    struct tr_rtp_conf c = { .report_interval_ns = 1 * SEC };
    return setup_conf(&c);
}

static void periodic_reports_come_every_interval(void **state)
{
    (void)state;
    for (uint16_t s = 0; s <= 175; s++) /* 0 .. 3.5 s */
        feed(1, s);
    assert_int_equal(n_got, 3); /* at 1 s, 2 s, 3 s */
    for (unsigned i = 0; i < 3; i++) {
        assert_false(got[i].r.final);
        assert_int_equal(got[i].r.end, TR_RTP_END_NONE);
        assert_int_equal(got[i].r.last_ns, T0 + (i + 1) * SEC);
        assert_int_equal(got[i].r.packets, 50 * (i + 1) + 1); /* cumulative */
    }
    assert_int_equal(tr_rtp_stats(t)->periodic_reports, 3);
    const struct tr_rtp_report *r = flush_one();
    assert_true(r->final);
    assert_int_equal(r->packets, 176);
    assert_int_equal(tr_rtp_stats(t)->reports, 4);
}

static void no_periodic_reports_by_default(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 500; s++) /* 10 s */
        feed(1, s);
    assert_int_equal(n_got, 0);
}

static void packets_without_a_callback_are_still_counted(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t len = rtp(buf, 0, 1, 2, 3, 4);
    struct tr_packet p = udp(T0, 1, buf, len);
    struct tr_rtp_hdr h;
    assert_true(tr_rtp_probe(p.payload, &h));
    tr_rtp_observe(t, &p, &h, NULL, NULL, NULL);
    tr_rtp_flush(t, NULL, NULL);
    assert_int_equal(tr_rtp_stats(t)->packets, 1);
    assert_int_equal(tr_rtp_stats(t)->reports, 1);
    assert_int_equal(tr_rtp_stats(t)->streams, 0);
}

/* ---------------------------------------------------------------- JSON */

static void report_json_has_every_key_in_order(void **state)
{
    (void)state;
    for (uint16_t s = 0; s < 10; s++)
        if (s != 4)
            feed_full(8, 0xdeadbeef, s, 160u * s, T0 + 20 * MS * s, "ab\"c\x01@x");
    const struct tr_rtp_report *r = flush_one();
    char buf[1024];
    int n = tr_rtp_report_json(r, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    /* 10% loss: Ie_eff = 95 * 10 / 35.1 = 27.07, R = 92.72 - 27.07 = 65.65,
     * MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R) = 3.39 */
    assert_string_equal(
        buf,
        "{\"type\":\"rtp_stats\",\"ts\":\"2026-11-23T07:11:02.180000Z\",\"ts_us\":1795417862180000,"
        "\"call_id\":\"ab\\\"c\\u0001@x\",\"family\":4,\"src\":\"10.0.0.1\",\"sport\":20000,"
        "\"dst\":\"10.0.0.2\",\"dport\":30000,\"ssrc\":3735928559,\"pt\":8,\"codec\":\"PCMA\","
        "\"clock_hz\":8000,\"first_ts\":\"2026-11-23T07:11:02.000000Z\",\"first_ts_us\":1795417862000000,"
        "\"last_ts\":\"2026-11-23T07:11:02.180000Z\",\"last_ts_us\":1795417862180000,"
        "\"packets\":9,\"octets\":1440,\"expected\":10,\"lost\":1,\"loss_pct\":10.000,"
        "\"duplicates\":0,\"out_of_order\":0,\"seq_errors\":0,\"restarts\":0,"
        "\"jitter_ms\":0.000,\"jitter_avg_ms\":0.000,\"jitter_max_ms\":0.000,"
        "\"r_factor\":65.7,\"mos\":3.39,\"final\":true,\"end\":\"eof\"}");
}

static void report_json_never_writes_past_cap(void **state)
{
    (void)state;
    feed_full(96, 1, 1, 0, T0, "x@y");
    feed_full(96, 1, 2, 160, T0 + 20 * MS, "x@y");
    const struct tr_rtp_report *r = flush_one();
    char full[1024];
    int n = tr_rtp_report_json(r, full, sizeof(full));
    assert_true(n > 0);
    assert_null(strstr(full, "codec")); /* dynamic: no codec name */
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char buf[1100];
        memset(buf, 0x5a, sizeof(buf));
        assert_int_equal(tr_rtp_report_json(r, buf, cap), -TR_E_FULL);
        for (size_t i = cap; i < sizeof(buf); i++)
            assert_int_equal((unsigned char)buf[i], 0x5a);
    }
    char buf[1024];
    assert_int_equal(tr_rtp_report_json(r, buf, (size_t)n + 1), n);
}

static void periodic_report_json_says_not_final(void **state)
{
    (void)state;
    for (uint16_t s = 0; s <= 50; s++)
        feed(1, s);
    assert_int_equal(n_got, 1);
    char buf[1024];
    assert_true(tr_rtp_report_json(&got[0].r, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\"final\":false}"));
}

/* ---------------------------------------------------------------- memory */

static void json_sink(void *user, const struct tr_rtp_report *r)
{
    char buf[1024];
    *(int *)user += tr_rtp_report_json(r, buf, sizeof(buf)) > 0;
}

static void warm_table_does_not_allocate(void **state)
{
    (void)state;
    tr_rtp_table_free(t);
    struct tr_rtp_conf c = { .max_streams = 8, .idle_ns = 2 * SEC, .report_interval_ns = SEC };
    t = tr_rtp_table_new(&c);
    assert_non_null(t);
    int n_json = 0;
    uint8_t buf[12 + 160];
    /* warm-up: every code path once (reports, JSON, eviction, expiry) */
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            start_counting();
        unsigned long before = allocs_so_far();
        uint64_t now = T0 + (uint64_t)round * 1000 * SEC;
        for (uint32_t i = 0; i < 20000; i++) {
            uint32_t ssrc = (i % 12) + 1; /* 12 streams, 8 slots: evictions */
            size_t len = rtp(buf, i % 7 ? 0 : 18, (uint16_t)(i / 12), 160u * (i / 12), ssrc, 160);
            struct tr_packet p = udp(now + (uint64_t)i * MS, 20000, buf, len);
            struct tr_rtp_hdr h;
            assert_true(tr_rtp_probe(p.payload, &h));
            struct tr_str cid = TR_STR_LIT("warm@x");
            tr_rtp_observe(t, &p, &h, &cid, json_sink, &n_json);
            if (i % 1000 == 0)
                tr_rtp_expire(t, now + (uint64_t)i * MS, json_sink, &n_json);
        }
        tr_rtp_expire(t, now + 100 * SEC, json_sink, &n_json);
        tr_rtp_flush(t, json_sink, &n_json);
        unsigned long used = allocs_so_far() - before;
        if (round == 1)
            assert_int_equal(used, 0);
    }
    assert_true(n_json > 100);
    assert_true(tr_rtp_stats(t)->streams_evicted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_accepts_plain_header_and_fills_fields),
        cmocka_unit_test(probe_accepts_empty_payload),
        cmocka_unit_test(probe_skips_csrcs_extension_and_padding),
        cmocka_unit_test(probe_rejects_rtcp_packet_types),
        cmocka_unit_test(probe_rejects_wrong_version_and_short_header),
        cmocka_unit_test(probe_rejects_lengths_that_lie),
        cmocka_unit_test_setup_teardown(a_dropped_packet_is_counted_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(reordered_packets_are_late_not_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicates_are_counted_and_make_lost_negative, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(duplicates_do_not_hide_a_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(sequence_wrap_at_65535_is_not_a_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(wrap_during_probation_counts_both_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(late_packet_across_the_wrap_is_out_of_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(large_jump_is_a_seq_error_until_confirmed, setup, teardown),
        cmocka_unit_test_setup_teardown(confirmed_jump_restarts_and_keeps_earlier_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_new_ssrc_is_a_new_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(call_id_is_copied_and_replaced_by_a_later_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(jitter_matches_hand_computed_a8_value, setup, teardown),
        cmocka_unit_test_setup_teardown(steady_stream_has_zero_jitter, setup, teardown),
        cmocka_unit_test_setup_teardown(dynamic_payload_type_uses_configured_clock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(clean_g711_stream_scores_about_4_4, setup, teardown),
        cmocka_unit_test_setup_teardown(five_percent_loss_lowers_the_score, setup, teardown),
        cmocka_unit_test_setup_teardown(g729_scores_below_g711, setup, teardown),
        cmocka_unit_test_setup_teardown(mos_stays_in_range_when_r_is_tiny, setup, teardown),
        cmocka_unit_test_setup_teardown(video_has_no_mos, setup, teardown),
        cmocka_unit_test_setup_teardown(single_packet_stream_has_no_mos, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_stream_ends_with_a_final_report, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(full_table_evicts_least_recent_stream_and_counts_it,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(periodic_reports_come_every_interval, setup_periodic,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_periodic_reports_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(packets_without_a_callback_are_still_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(report_json_has_every_key_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(report_json_never_writes_past_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(periodic_report_json_says_not_final, setup_periodic,
                                        teardown),
        cmocka_unit_test_setup_teardown(warm_table_does_not_allocate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
