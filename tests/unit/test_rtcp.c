/* test_rtcp.c - RTCP probe, decoder and JSON body (src/proto/rtcp.c,
 * rtcp_json.c) and the vq-rtcpxr report (src/proto/vq.c).
 *
 * Packets are built here byte by byte from RFC 3550 / 3611 layouts with
 * values chosen by hand; the expected numbers and JSON texts are written from
 * those values, not copied from the code's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* ------------------------------------------------------------ builder */

struct pkt {
    uint8_t b[8192];
    size_t n;
};

static void u8(struct pkt *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void u16(struct pkt *p, unsigned v)
{
    u8(p, v >> 8);
    u8(p, v);
}

static void u24(struct pkt *p, uint32_t v)
{
    u8(p, v >> 16);
    u16(p, v & 0xffff);
}

static void u32(struct pkt *p, uint32_t v)
{
    u16(p, v >> 16);
    u16(p, v & 0xffff);
}

static void raw(struct pkt *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void zeros_to_word(struct pkt *p)
{
    while (p->n % 4)
        u8(p, 0);
}

/* Starts an RTCP packet; returns its offset for end(). */
static size_t begin(struct pkt *p, bool padding, unsigned count, unsigned pt)
{
    size_t off = p->n;
    u8(p, 0x80 | (padding ? 0x20 : 0) | count);
    u8(p, pt);
    u16(p, 0); /* length: set by end() */
    return off;
}

static void end(struct pkt *p, size_t off)
{
    assert_int_equal((p->n - off) % 4, 0);
    unsigned words = (unsigned)((p->n - off) / 4 - 1);
    p->b[off + 2] = (uint8_t)(words >> 8);
    p->b[off + 3] = (uint8_t)words;
}

static void block(struct pkt *p, uint32_t ssrc, unsigned frac, uint32_t lost24, uint32_t seq,
                  uint32_t jitter, uint32_t lsr, uint32_t dlsr)
{
    u32(p, ssrc);
    u8(p, frac);
    u24(p, lost24);
    u32(p, seq);
    u32(p, jitter);
    u32(p, lsr);
    u32(p, dlsr);
}

static void sdes_item(struct pkt *p, unsigned type, const char *text, size_t len)
{
    u8(p, type);
    u8(p, (unsigned)len);
    raw(p, text, len);
}

static struct tr_bytes view(const struct pkt *p)
{
    return (struct tr_bytes){p->b, p->n};
}

/* SR (RC=1) + SDES (CNAME, TOOL), 52 + 36 = 88 bytes:
 *   SR SSRC 0x11223344, NTP 3941251200 (2024-11-22T08:00:00Z) . 0x4189374b,
 *   RTP 655360, 1000 packets, 160000 octets;
 *   block: SSRC 0x55667788, fraction 64, lost 5, seq 127908, jitter 37,
 *   LSR 0x2880abcd, DLSR 0x18000 (1.5 s). */
static void build_sr_sdes(struct pkt *p, bool pad_sdes)
{
    p->n = 0;
    size_t sr = begin(p, false, 1, TR_RTCP_SR);
    u32(p, 0x11223344);
    u32(p, 3941251200u);
    u32(p, 0x4189374b);
    u32(p, 655360);
    u32(p, 1000);
    u32(p, 160000);
    block(p, 0x55667788, 64, 5, 127908, 37, 0x2880abcd, 0x18000);
    end(p, sr);
    size_t sd = begin(p, pad_sdes, 1, TR_RTCP_SDES);
    u32(p, 0x11223344);
    sdes_item(p, TR_RTCP_SDES_CNAME, "alice@192.0.2.10", 16);
    sdes_item(p, 6, "trawl", 5);
    u8(p, 0);
    zeros_to_word(p);
    if (pad_sdes) {
        u8(p, 0);
        u8(p, 0);
        u8(p, 0);
        u8(p, 4);
    }
    end(p, sd);
}

#define SR_SDES_JSON                                                                               \
    "{\"sender_information\":{\"ntp_timestamp_sec\":3941251200,\"ntp_timestamp_usec\":255999,"     \
    "\"rtp_timestamp\":655360,\"packets\":1000,\"octets\":160000},\"ssrc\":287454020,"             \
    "\"type\":200,\"report_count\":1,\"report_blocks\":[{\"source_ssrc\":1432778632,"              \
    "\"highest_seq_no\":127908,\"fraction_lost\":64,\"ia_jitter\":37,\"packets_lost\":5,"          \
    "\"lsr\":679521229,\"dlsr\":98304}],\"report_blocks_xr\":{\"type\":0,\"id\":0,"                \
    "\"fraction_lost\":0,\"fraction_discard\":0,\"burst_density\":0,\"gap_density\":0,"            \
    "\"burst_duration\":0,\"gap_duration\":0,\"round_trip_delay\":0,\"end_system_delay\":0},"      \
    "\"sdes_ssrc\":287454020,\"sdes_information\":[{\"ssrc\":287454020,\"type\":1,"                \
    "\"text\":\"alice@192.0.2.10\"},{\"ssrc\":287454020,\"type\":6,\"text\":\"trawl\"}],"          \
    "\"sdes_report_count\":2}"

static char json[TR_RTCP_JSON_MAX];

/* ------------------------------------------------------------- SR/SDES */

static void sr_sdes_compound_decodes_every_field(void **state)
{
    (void)state;
    struct pkt p;
    build_sr_sdes(&p, false);
    assert_int_equal(p.n, 88);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_NONE);
    assert_int_equal(r.n_packets, 2);
    assert_int_equal(r.first_type, TR_RTCP_SR);
    assert_false(r.reduced_size);
    assert_int_equal(r.n_by_type[0], 1);
    assert_int_equal(r.n_by_type[2], 1);
    assert_int_equal(r.type, TR_RTCP_SR);
    assert_int_equal(r.ssrc, 0x11223344);
    assert_true(r.has_sender_info);
    assert_int_equal(r.si.ntp_sec, 3941251200u);
    assert_int_equal(r.si.ntp_frac, 0x4189374b);
    assert_int_equal(r.si.ntp_usec, 255999); /* 0.25599999981 s: rounded down */
    assert_int_equal(r.si.rtp_ts, 655360);
    assert_int_equal(r.si.packets, 1000);
    assert_int_equal(r.si.octets, 160000);
    assert_int_equal(r.n_blocks, 1);
    const struct tr_rtcp_report_block *b = &r.blocks[0];
    assert_int_equal(b->reporter_ssrc, 0x11223344);
    assert_int_equal(b->ssrc, 0x55667788);
    assert_int_equal(b->fraction_lost, 64);
    assert_int_equal(b->cum_lost, 5);
    assert_int_equal(b->ext_high_seq, 127908);
    assert_int_equal(b->jitter, 37);
    assert_int_equal(b->lsr, 0x2880abcd);
    assert_int_equal(b->dlsr, 0x18000);
    assert_true(r.has_sdes);
    assert_int_equal(r.sdes_ssrc, 0x11223344);
    assert_int_equal(r.n_sdes, 2);
    assert_int_equal(r.sdes[0].type, TR_RTCP_SDES_CNAME);
    assert_int_equal(r.sdes[0].text.len, 16);
    assert_memory_equal(r.sdes[0].text.ptr, "alice@192.0.2.10", 16);
    assert_ptr_equal(r.sdes[0].text.ptr, p.b + 52 + 10); /* a view into the packet */
    assert_int_equal(r.sdes[1].type, 6);
    assert_memory_equal(r.sdes[1].text.ptr, "trawl", 5);
    assert_ptr_equal(r.cname.ptr, r.sdes[0].text.ptr);
    assert_int_equal(r.cname.len, 16);
    assert_false(r.has_bye);
    assert_int_equal(r.n_app + r.n_xr + r.n_voip, 0);
}

static void sr_sdes_json_is_exact(void **state)
{
    (void)state;
    struct pkt p;
    build_sr_sdes(&p, false);
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    int n = tr_rtcp_json(&r, json, sizeof(json));
    assert_string_equal(json, SR_SDES_JSON);
    assert_int_equal(n, (int)strlen(SR_SDES_JSON));
}

static void ntp_fraction_becomes_microseconds(void **state)
{
    (void)state;
    static const struct {
        uint32_t frac, usec;
    } cases[] = {
        {0, 0},
        {1, 0},
        {0x10c7, 1},          /* 1.0000076 us */
        {0x40000000, 250000}, /* 1/4 s */
        {0x80000000, 500000}, /* 1/2 s */
        {0x4189374b, 255999}, /* 0.2559999998 s */
        {0x4189374c, 256000}, /* 0.2560000001 s */
        {0x10c6f7a0, 65535},  /* 0.0655359998 s */
        {0xffffffff, 999999}, /* never 1000000 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pkt p = {.n = 0};
        size_t sr = begin(&p, false, 0, TR_RTCP_SR);
        u32(&p, 1);
        u32(&p, 3941251200u);
        u32(&p, cases[i].frac);
        u32(&p, 0);
        u32(&p, 0);
        u32(&p, 0);
        end(&p, sr);
        struct tr_rtcp r;
        assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
        assert_int_equal(r.si.ntp_usec, cases[i].usec);
        /* 2024-11-22T08:00:00Z */
        assert_true(tr_rtcp_ntp_to_unix_usec(3941251200u, cases[i].frac) ==
                    1732262400000000ull + cases[i].usec);
    }
    /* RFC 4330 3: MSB clear is era 1, 2036-02-07T06:28:16Z + 1 s */
    assert_true(tr_rtcp_ntp_to_unix_usec(1, 0x80000000) == 2085978497500000ull);
    /* 1970-01-01 is NTP 2208988800 */
    assert_true(tr_rtcp_ntp_to_unix_usec(2208988800u, 0) == 0);
    assert_true(tr_rtcp_ntp_to_unix_usec(0, 0) == 0);
}

/* ------------------------------------------------------------------ RR */

static void build_rr3(struct pkt *p)
{
    p->n = 0;
    size_t rr = begin(p, false, 3, TR_RTCP_RR);
    u32(p, 0xa0000001);
    block(p, 0x00000011, 0, 0, 1000, 10, 0, 0);
    block(p, 0x00000022, 255, 0xffffff, 70000, 20, 0x11112222, 65536); /* lost -1 */
    block(p, 0x00000033, 13, 0x800000, 0xffffffff, 0xfffffffe, 0xffffffff, 0xffffffff);
    end(p, rr);
}

static void rr_with_several_blocks_keeps_them_all(void **state)
{
    (void)state;
    struct pkt p;
    build_rr3(&p);
    assert_int_equal(p.n, 8 + 3 * 24);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.type, TR_RTCP_RR);
    assert_int_equal(r.ssrc, 0xa0000001);
    assert_false(r.has_sender_info);
    assert_int_equal(r.n_blocks, 3);
    assert_int_equal(r.blocks[0].ssrc, 0x11);
    assert_int_equal(r.blocks[0].ext_high_seq, 1000);
    assert_int_equal(r.blocks[1].ssrc, 0x22);
    assert_int_equal(r.blocks[1].fraction_lost, 255);
    assert_int_equal(r.blocks[1].ext_high_seq, 70000);
    assert_int_equal(r.blocks[1].lsr, 0x11112222);
    assert_int_equal(r.blocks[2].ssrc, 0x33);
    assert_int_equal(r.blocks[2].jitter, 0xfffffffe);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.blocks[i].reporter_ssrc, 0xa0000001);
}

static void cumulative_loss_is_signed_24_bits(void **state)
{
    (void)state;
    static const struct {
        uint32_t wire;
        int32_t lost;
    } cases[] = {
        {0x000000, 0},        {0x000001, 1},  {0x7fffff, 8388607},
        {0x800000, -8388608}, {0xffffff, -1}, {0xfffff6, -10},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pkt p = {.n = 0};
        size_t rr = begin(&p, false, 1, TR_RTCP_RR);
        u32(&p, 7);
        block(&p, 9, 0, cases[i].wire, 0, 0, 0, 0);
        end(&p, rr);
        struct tr_rtcp r;
        assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
        assert_int_equal(r.blocks[0].cum_lost, cases[i].lost);
    }
}

static void rr_json_has_every_block_and_negative_loss(void **state)
{
    (void)state;
    struct pkt p;
    build_rr3(&p);
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_string_equal(
        json,
        "{\"sender_information\":{\"ntp_timestamp_sec\":0,\"ntp_timestamp_usec\":0,"
        "\"rtp_timestamp\":0,\"packets\":0,\"octets\":0},\"ssrc\":2684354561,\"type\":201,"
        "\"report_count\":3,\"report_blocks\":["
        "{\"source_ssrc\":17,\"highest_seq_no\":1000,\"fraction_lost\":0,\"ia_jitter\":10,"
        "\"packets_lost\":0,\"lsr\":0,\"dlsr\":0},"
        "{\"source_ssrc\":34,\"highest_seq_no\":70000,\"fraction_lost\":255,\"ia_jitter\":20,"
        "\"packets_lost\":-1,\"lsr\":286335522,\"dlsr\":65536},"
        "{\"source_ssrc\":51,\"highest_seq_no\":4294967295,\"fraction_lost\":13,"
        "\"ia_jitter\":4294967294,\"packets_lost\":-8388608,\"lsr\":4294967295,"
        "\"dlsr\":4294967295}],"
        "\"report_blocks_xr\":{\"type\":0,\"id\":0,\"fraction_lost\":0,\"fraction_discard\":0,"
        "\"burst_density\":0,\"gap_density\":0,\"burst_duration\":0,\"gap_duration\":0,"
        "\"round_trip_delay\":0,\"end_system_delay\":0},\"sdes_ssrc\":0}");
}

/* RFC 3550 6.4.2: more than 31 sources: SR, then RRs, all from one sender. */
static void blocks_of_sr_and_following_rrs_are_all_kept(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    size_t sr = begin(&p, false, 31, TR_RTCP_SR);
    u32(&p, 0xabc);
    for (int i = 0; i < 5; i++)
        u32(&p, 0);
    for (uint32_t i = 0; i < 31; i++)
        block(&p, 100 + i, 0, i, i, 0, 0, 0);
    end(&p, sr);
    for (int k = 0; k < 2; k++) { /* 2 x 31 more: 93 blocks, 64 kept */
        size_t rr = begin(&p, false, 31, TR_RTCP_RR);
        u32(&p, 0xabc);
        for (uint32_t i = 0; i < 31; i++)
            block(&p, 200 + 31 * (uint32_t)k + i, 0, 0, 0, 0, 0, 0);
        end(&p, rr);
    }
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.type, TR_RTCP_SR);
    assert_int_equal(r.n_by_type[1], 2);
    assert_int_equal(r.n_blocks, TR_RTCP_MAX_BLOCKS);
    assert_int_equal(r.n_blocks_dropped, 93 - TR_RTCP_MAX_BLOCKS);
    assert_int_equal(r.blocks[0].ssrc, 100);
    assert_int_equal(r.blocks[30].ssrc, 130);
    assert_int_equal(r.blocks[30].cum_lost, 30);
    assert_int_equal(r.blocks[31].ssrc, 200);
    assert_int_equal(r.blocks[63].ssrc, 232);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(strstr(json, "\"report_count\":64,"));
}

/* ------------------------------------------------------- BYE, APP, XR */

static void bye_with_reason_is_decoded(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    size_t rr = begin(&p, false, 0, TR_RTCP_RR);
    u32(&p, 0x0a0b0c0d);
    end(&p, rr);
    size_t sd = begin(&p, false, 1, TR_RTCP_SDES);
    u32(&p, 0x0a0b0c0d);
    sdes_item(&p, TR_RTCP_SDES_CNAME, "bob@x", 5);
    u8(&p, 0);
    zeros_to_word(&p);
    end(&p, sd);
    size_t bye = begin(&p, false, 2, TR_RTCP_BYE);
    u32(&p, 0x0a0b0c0d);
    u32(&p, 0x01010101);
    u8(&p, 8);
    raw(&p, "shutdown", 8);
    zeros_to_word(&p);
    end(&p, bye);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_true(r.has_bye);
    assert_int_equal(r.n_bye, 2);
    assert_int_equal(r.bye_ssrc[0], 0x0a0b0c0d);
    assert_int_equal(r.bye_ssrc[1], 0x01010101);
    assert_int_equal(r.bye_reason.len, 8);
    assert_memory_equal(r.bye_reason.ptr, "shutdown", 8);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(strstr(json,
                           ",\"sdes_ssrc\":168496141,\"sdes_information\":[{\"ssrc\":"
                           "168496141,\"type\":1,\"text\":\"bob@x\"}],\"sdes_report_count\":1,"
                           "\"bye\":{\"ssrcs\":[168496141,16843009],\"reason\":\"shutdown\"}}"));

    /* A reason longer than the packet: the decoder keeps the SSRCs. */
    p.b[p.n - 12] = 12;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_BYE);
    assert_int_equal(r.n_bye, 2);
    assert_int_equal(r.bye_reason.len, 0);
}

static void app_packet_is_decoded(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    size_t rr = begin(&p, false, 0, TR_RTCP_RR);
    u32(&p, 5);
    end(&p, rr);
    size_t app = begin(&p, false, 3, TR_RTCP_APP);
    u32(&p, 5);
    raw(&p, "TRWL", 4);
    u32(&p, 0xdeadbeef);
    u32(&p, 0x01020304);
    end(&p, app);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.n_app, 1);
    assert_int_equal(r.app[0].ssrc, 5);
    assert_int_equal(r.app[0].subtype, 3);
    assert_memory_equal(r.app[0].name, "TRWL", 4);
    assert_int_equal(r.app[0].data.len, 8);
    assert_ptr_equal(r.app[0].data.ptr, p.b + 8 + 12);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(
        strstr(json, ",\"app\":[{\"ssrc\":5,\"subtype\":3,\"name\":\"TRWL\",\"length\":8}]}"));

    /* An APP name is four ASCII characters (6.7): the probe insists. */
    p.b[8 + 8] = 0x01;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
}

/* RR (no blocks) + XR with a receiver reference time block (BT 4), a VoIP
 * metrics block (BT 7) and a DLRR block (BT 5). */
static void build_rr_xr(struct pkt *p, uint8_t mos_lq, uint8_t mos_cq)
{
    p->n = 0;
    size_t rr = begin(p, false, 0, TR_RTCP_RR);
    u32(p, 0xcafe0001);
    end(p, rr);
    size_t xr = begin(p, false, 0, TR_RTCP_XR);
    u32(p, 0xcafe0001);
    u8(p, 4); /* RRT: NTP timestamp */
    u8(p, 0);
    u16(p, 2);
    u32(p, 3941251200u);
    u32(p, 0x80000000);
    u8(p, 7); /* VoIP metrics */
    u8(p, 0);
    u16(p, 8);
    u32(p, 0x01020304);
    u8(p, 12);    /* loss rate */
    u8(p, 5);     /* discard rate */
    u8(p, 40);    /* burst density */
    u8(p, 3);     /* gap density */
    u16(p, 120);  /* burst duration */
    u16(p, 5000); /* gap duration */
    u16(p, 180);  /* round trip delay */
    u16(p, 60);   /* end system delay */
    u8(p, 0xeb);  /* signal level -21 */
    u8(p, 0xce);  /* noise level -50 */
    u8(p, 55);    /* RERL */
    u8(p, 16);    /* Gmin */
    u8(p, 85);    /* R factor */
    u8(p, 127);   /* ext R factor: unavailable */
    u8(p, mos_lq);
    u8(p, mos_cq);
    u8(p, 0xa6); /* RX config */
    u8(p, 0);
    u16(p, 40);
    u16(p, 80);
    u16(p, 120);
    u8(p, 5); /* DLRR, one sub-block */
    u8(p, 0);
    u16(p, 3);
    u32(p, 0x01020304);
    u32(p, 0x2880abcd);
    u32(p, 0x8000);
    end(p, xr);
}

static void xr_voip_metrics_block_is_decoded(void **state)
{
    (void)state;
    struct pkt p;
    build_rr_xr(&p, 41, 39);
    assert_int_equal(p.n, 8 + 8 + 12 + 36 + 16);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.n_xr, 3);
    assert_int_equal(r.xr[0].type, 4);
    assert_int_equal(r.xr[0].length, 2);
    assert_int_equal(r.xr[0].body.len, 8);
    assert_int_equal(r.xr[0].xr_ssrc, 0xcafe0001);
    assert_int_equal(r.xr[1].type, 7);
    assert_int_equal(r.xr[1].length, 8);
    assert_int_equal(r.xr[2].type, 5);
    assert_int_equal(r.xr[2].body.len, 12);
    assert_int_equal(r.n_voip, 1);
    const struct tr_rtcp_voip_metrics *m = &r.voip[0];
    assert_int_equal(m->xr_ssrc, 0xcafe0001);
    assert_int_equal(m->ssrc, 0x01020304);
    assert_int_equal(m->loss_rate, 12);
    assert_int_equal(m->discard_rate, 5);
    assert_int_equal(m->burst_density, 40);
    assert_int_equal(m->gap_density, 3);
    assert_int_equal(m->burst_duration, 120);
    assert_int_equal(m->gap_duration, 5000);
    assert_int_equal(m->round_trip_delay, 180);
    assert_int_equal(m->end_system_delay, 60);
    assert_int_equal(m->signal_level, -21);
    assert_int_equal(m->noise_level, -50);
    assert_int_equal(m->rerl, 55);
    assert_int_equal(m->gmin, 16);
    assert_int_equal(m->r_factor, 85);
    assert_int_equal(m->ext_r_factor, 127);
    assert_int_equal(m->mos_lq, 41); /* MOS-LQ is before MOS-CQ (RFC 3611 4.7) */
    assert_int_equal(m->mos_cq, 39);
    assert_int_equal(m->rx_config, 0xa6);
    assert_int_equal(m->jb_nominal, 40);
    assert_int_equal(m->jb_maximum, 80);
    assert_int_equal(m->jb_abs_max, 120);
}

static void xr_json_fills_report_blocks_xr_and_voip_metrics(void **state)
{
    (void)state;
    struct pkt p;
    build_rr_xr(&p, 41, 39);
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_string_equal(
        json,
        "{\"sender_information\":{\"ntp_timestamp_sec\":0,\"ntp_timestamp_usec\":0,"
        "\"rtp_timestamp\":0,\"packets\":0,\"octets\":0},\"ssrc\":3405643777,\"type\":201,"
        "\"report_count\":0,\"report_blocks\":[],"
        "\"report_blocks_xr\":{\"type\":7,\"id\":16909060,\"fraction_lost\":12,"
        "\"fraction_discard\":5,\"burst_density\":40,\"gap_density\":3,\"burst_duration\":120,"
        "\"gap_duration\":5000,\"round_trip_delay\":180,\"end_system_delay\":60},"
        "\"sdes_ssrc\":0,"
        "\"xr_blocks\":[{\"ssrc\":3405643777,\"type\":4,\"block_length\":2},"
        "{\"ssrc\":3405643777,\"type\":7,\"block_length\":8},"
        "{\"ssrc\":3405643777,\"type\":5,\"block_length\":3}],"
        "\"voip_metrics\":{\"ssrc\":16909060,\"loss_rate\":12,\"discard_rate\":5,"
        "\"burst_density\":40,\"gap_density\":3,\"burst_duration\":120,\"gap_duration\":5000,"
        "\"round_trip_delay\":180,\"end_system_delay\":60,\"signal_level\":-21,"
        "\"noise_level\":-50,\"rerl\":55,\"gmin\":16,\"r_factor\":85,\"ext_r_factor\":127,"
        "\"mos_cq\":3.9,\"mos_lq\":4.1,\"rx_config\":166,\"jb_nominal\":40,\"jb_maximum\":80,"
        "\"jb_abs_max\":120}}");

    /* MOS 127 = unavailable (RFC 3611 4.7.5): null, not 12.7 */
    build_rr_xr(&p, 127, 50);
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(strstr(json, "\"mos_cq\":5.0,\"mos_lq\":null,"));
}

static void xr_block_lengths_are_checked(void **state)
{
    (void)state;
    struct pkt p;
    struct tr_rtcp r;
    /* the VoIP block says 20 words: runs past its packet */
    build_rr_xr(&p, 41, 39);
    p.b[8 + 8 + 12 + 3] = 20;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_XR);
    assert_int_equal(r.n_xr, 1); /* the RRT block before it */
    assert_int_equal(r.n_voip, 0);

    /* a VoIP metrics block of 2 words is too short to hold the metrics */
    p.n = 0;
    size_t xr = begin(&p, false, 0, TR_RTCP_XR);
    u32(&p, 1);
    u8(&p, 7);
    u8(&p, 0);
    u16(&p, 2);
    u32(&p, 2);
    u32(&p, 3);
    end(&p, xr);
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_XR);
    assert_int_equal(r.n_xr, 1);
    assert_int_equal(r.n_voip, 0);
}

/* ------------------------------------------------- reduced size, padding */

static void reduced_size_packets_are_rtcp(void **state)
{
    (void)state;
    struct pkt p;
    struct tr_rtcp r;

    /* XR alone (RFC 5506): the reporter is the XR sender */
    build_rr_xr(&p, 41, 39);
    struct pkt x = {.n = 0};
    raw(&x, p.b + 8, p.n - 8);
    assert_true(tr_rtcp_probe(view(&x)));
    assert_int_equal(tr_rtcp_parse(view(&x), &r), TR_OK);
    assert_true(r.reduced_size);
    assert_int_equal(r.first_type, TR_RTCP_XR);
    assert_int_equal(r.type, TR_RTCP_XR);
    assert_int_equal(r.ssrc, 0xcafe0001);
    assert_int_equal(r.n_voip, 1);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(strstr(json, "\"ssrc\":3405643777,\"type\":207,\"report_count\":0,"));

    /* PSFB PLI (RFC 4585 6.3.1): FMT 1, no FCI */
    p.n = 0;
    size_t fb = begin(&p, false, 1, TR_RTCP_PSFB);
    u32(&p, 0x1111);
    u32(&p, 0x2222);
    end(&p, fb);
    assert_true(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.type, TR_RTCP_PSFB);
    assert_int_equal(r.ssrc, 0x1111);
    assert_int_equal(r.n_by_type[TR_RTCP_PSFB - TR_RTCP_SR], 1);
    /* FMT 0 is unassigned: that is an RTP header, not feedback */
    p.b[0] = 0x80;
    assert_false(tr_rtcp_probe(view(&p)));

    /* BYE alone */
    p.n = 0;
    size_t bye = begin(&p, false, 1, TR_RTCP_BYE);
    u32(&p, 0x3333);
    end(&p, bye);
    assert_true(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.type, TR_RTCP_BYE);
    assert_int_equal(r.ssrc, 0x3333);
    assert_true(r.reduced_size);

    /* APP alone */
    p.n = 0;
    size_t app = begin(&p, false, 0, TR_RTCP_APP);
    u32(&p, 0x4444);
    raw(&p, "qos1", 4);
    end(&p, app);
    assert_true(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.type, TR_RTCP_APP);
    assert_int_equal(r.ssrc, 0x4444);
}

static void padding_on_the_last_packet_is_removed(void **state)
{
    (void)state;
    struct pkt p;
    build_sr_sdes(&p, true);
    assert_int_equal(p.n, 92);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.n_sdes, 2);
    assert_int_equal(r.cname.len, 16);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_string_equal(json, SR_SDES_JSON);

    /* an APP packet's data excludes its padding */
    p.n = 0;
    size_t app = begin(&p, true, 0, TR_RTCP_APP);
    u32(&p, 1);
    raw(&p, "abcd", 4);
    raw(&p, "xy\0\0\0\0\0\x06", 8);
    end(&p, app);
    assert_true(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.app[0].data.len, 2);
}

static void bad_padding_is_rejected(void **state)
{
    (void)state;
    struct pkt p;
    struct tr_rtcp r;

    build_sr_sdes(&p, true);
    p.b[p.n - 1] = 0; /* a padding count of zero */
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_PADDING);

    build_sr_sdes(&p, true);
    p.b[p.n - 1] = 37; /* more than the 36 bytes after the SDES header */
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_PADDING);

    build_sr_sdes(&p, false);
    p.b[0] |= 0x20; /* P on the SR, which is not the last packet (A.2) */
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_PADDING);
}

/* ---------------------------------------------- truncated, lying lengths */

static void every_truncation_is_rejected(void **state)
{
    (void)state;
    struct pkt p;
    build_sr_sdes(&p, false);
    for (size_t len = 0; len < p.n; len++) {
        struct tr_bytes b = {p.b, len};
        struct tr_rtcp r;
        int rc = tr_rtcp_parse(b, &r);
        if (len == 52) { /* the SR alone is a whole compound */
            assert_true(tr_rtcp_probe(b));
            assert_int_equal(rc, TR_OK);
            continue;
        }
        assert_false(tr_rtcp_probe(b));
        if (len < 4) {
            assert_int_equal(rc, TR_DECLINED);
        } else if (len > 52 && len < 56) {
            assert_int_equal(rc, -TR_E_MALFORMED);
            assert_int_equal(r.defect, TR_RTCP_DEFECT_TRAILING);
        } else {
            assert_int_equal(rc, -TR_E_TRUNCATED);
            assert_int_equal(r.defect, TR_RTCP_DEFECT_LENGTH);
            if (len > 52) { /* the SR before the cut is decoded */
                assert_true(r.has_sender_info);
                assert_int_equal(r.n_blocks, 1);
            }
        }
    }
}

static void lying_lengths_are_rejected(void **state)
{
    (void)state;
    struct pkt p;
    struct tr_rtcp r;

    /* RR length field one word longer than the datagram */
    build_rr3(&p);
    p.b[3]++;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_TRUNCATED);

    /* RR (RC 0) length 1 (8 bytes) in a longer datagram: the next "header"
     * is the first block's SSRC (version 0) */
    build_rr3(&p);
    p.b[0] = 0x80;
    p.b[2] = 0;
    p.b[3] = 1;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_VERSION);

    /* RC says 4 blocks, the length holds 3 */
    build_rr3(&p);
    p.b[0] = 0x84;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_SHORT);
    assert_int_equal(r.n_blocks, 3);

    /* RC says 2 blocks, the length holds 3: extension bytes, fine only
     * when another packet follows */
    build_rr3(&p);
    p.b[0] = 0x82;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_int_equal(r.n_blocks, 2);
    size_t bye = begin(&p, false, 1, TR_RTCP_BYE);
    u32(&p, 1);
    end(&p, bye);
    assert_true(tr_rtcp_probe(view(&p)));

    /* SDES item longer than its packet */
    build_sr_sdes(&p, false);
    p.b[52 + 9] = 40;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_SDES);
    assert_int_equal(r.n_blocks, 1); /* the SR is still there */

    /* SDES without END item: the last item fills the chunk to the end */
    p.n = 0;
    size_t sd = begin(&p, false, 1, TR_RTCP_SDES);
    u32(&p, 1);
    sdes_item(&p, 1, "ab", 2);
    end(&p, sd);
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_SDES);

    /* a second packet of version 1, and one of type 99 */
    build_sr_sdes(&p, false);
    p.b[52] = 0x41;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_VERSION);
    build_sr_sdes(&p, false);
    p.b[53] = 99;
    assert_false(tr_rtcp_probe(view(&p)));
    assert_int_equal(tr_rtcp_parse(view(&p), &r), -TR_E_MALFORMED);
    assert_int_equal(r.defect, TR_RTCP_DEFECT_TYPE);

    /* the first header is not RTCP at all */
    build_sr_sdes(&p, false);
    p.b[0] = 0x40 | 1;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_DECLINED);
}

/* -------------------------------------------------------- RTP and noise */

static void build_rtp(struct pkt *p, unsigned cc, bool marker, unsigned pt, unsigned seq,
                      size_t payload, uint8_t fill)
{
    p->n = 0;
    u8(p, 0x80 | cc);
    u8(p, (marker ? 0x80 : 0) | pt);
    u16(p, seq);
    u32(p, 0x0009c4a0); /* timestamp */
    u32(p, 0x9a3f01c7); /* SSRC */
    for (unsigned i = 0; i < cc; i++)
        u32(p, 0x77000000 + i);
    for (size_t i = 0; i < payload; i++)
        u8(p, fill);
}

/* RFC 5761 section 4: with the marker bit, payload types 72..79 put
 * 200..207 in the second byte. The worst case is a sequence number that
 * makes the RTCP length field match the datagram exactly. With CSRCs the CC
 * field becomes a feedback FMT: a mixer's marked RTP with PT 77/78 and a
 * matching sequence number is the documented limit (docs/rtcp.md), so those
 * are checked without CSRCs only. */
static void rtp_is_not_probed_as_rtcp(void **state)
{
    (void)state;
    static const unsigned pts[] = {0, 8, 9, 18, 96, 101, 111, 127, 72, 73, 74, 75, 76, 77, 78, 79};
    static const size_t payloads[] = {160, 20, 80, 320, 33};
    static const uint8_t fills[] = {0xff, 0xd5, 0x00};
    int checked = 0;
    for (size_t a = 0; a < sizeof(pts) / sizeof(pts[0]); a++)
        for (size_t b = 0; b < sizeof(payloads) / sizeof(payloads[0]); b++)
            for (unsigned cc = 0; cc <= (pts[a] == 77 || pts[a] == 78 ? 0u : 2u); cc++)
                for (int m = 0; m <= 1; m++)
                    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
                        size_t len = 12 + 4 * cc + payloads[b];
                        unsigned seqs[] = {(unsigned)(len / 4 - 1), 1, 0x1234};
                        for (size_t s = 0; s < 3; s++) {
                            struct pkt p;
                            build_rtp(&p, cc, m, pts[a], seqs[s], payloads[b], fills[f]);
                            if (tr_rtcp_probe(view(&p)))
                                fail_msg("RTP pt %u m %d cc %u seq %u len %zu fill %02x probed "
                                         "as RTCP",
                                         pts[a], m, cc, seqs[s], len, fills[f]);
                            checked++;
                        }
                    }
    assert_true(checked > 2000);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_data_is_not_probed_as_rtcp(void **state)
{
    (void)state;
    uint8_t buf[512];
    unsigned passed = 0;
    for (int i = 0; i < 300000; i++) {
        size_t len = 8 + 4 * (rng() % 120);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng();
        if (i % 2) { /* half of them start like an SR/RR..XR header */
            buf[0] = (uint8_t)(0x80 | (rng() & 0x1f));
            buf[1] = (uint8_t)(200 + rng() % 8);
        }
        passed += tr_rtcp_probe((struct tr_bytes){buf, len});
        struct tr_rtcp r;
        (void)tr_rtcp_parse((struct tr_bytes){buf, len}, &r);
    }
    assert_int_equal(passed, 0);
}

/* ----------------------------------------------------------------- JSON */

static void sdes_text_is_escaped(void **state)
{
    (void)state;
    static const char cname[] = "a\"\\\n\t\x01\x1f\x7f\xc3\xa9\xff\xe2\x82/z";
    struct pkt p = {.n = 0};
    size_t rr = begin(&p, false, 0, TR_RTCP_RR);
    u32(&p, 1);
    end(&p, rr);
    size_t sd = begin(&p, false, 1, TR_RTCP_SDES);
    u32(&p, 1);
    sdes_item(&p, TR_RTCP_SDES_CNAME, cname, sizeof(cname) - 1);
    u8(&p, 0);
    zeros_to_word(&p);
    end(&p, sd);
    size_t bye = begin(&p, false, 1, TR_RTCP_BYE);
    u32(&p, 1);
    u8(&p, 3);
    raw(&p, "\"}\x00", 3);
    end(&p, bye);
    size_t app = begin(&p, false, 0, TR_RTCP_APP);
    u32(&p, 1);
    raw(&p, "a\"\\b", 4);
    end(&p, app);
    assert_true(tr_rtcp_probe(view(&p)));
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    assert_true(tr_rtcp_json(&r, json, sizeof(json)) > 0);
    assert_non_null(strstr(json, "\"text\":\"a\\\"\\\\\\n\\t\\u0001\\u001f\x7f\xc3\xa9"
                                 "\\u00ff\\u00e2\\u0082/z\"}]"));
    assert_non_null(strstr(json, "\"reason\":\"\\\"}\\u0000\"}"));
    assert_non_null(strstr(json, "\"name\":\"a\\\"\\\\b\""));
}

static void json_never_writes_past_cap(void **state)
{
    (void)state;
    struct pkt p;
    build_sr_sdes(&p, false);
    struct tr_rtcp r;
    assert_int_equal(tr_rtcp_parse(view(&p), &r), TR_OK);
    size_t len = strlen(SR_SDES_JSON);
    char out[1024];
    for (size_t cap = 0; cap <= len + 1; cap++) {
        memset(out, 0x5a, sizeof(out));
        int rc = tr_rtcp_json(&r, out, cap);
        if (cap <= len) /* the text and its NUL need len + 1 */
            assert_int_equal(rc, -TR_E_FULL);
        else
            assert_int_equal(rc, (int)len);
        for (size_t k = cap; k < sizeof(out); k++)
            assert_int_equal((uint8_t)out[k], 0x5a);
    }
}

/* Every array full, every text 255 bytes that each need \u00XX: the bound
 * in the header holds. */
static void json_worst_case_fits_the_documented_bound(void **state)
{
    (void)state;
    static uint8_t text[255];
    memset(text, 0x01, sizeof(text));
    static struct tr_rtcp r;
    memset(&r, 0xff, sizeof(r));
    r.has_sender_info = true;
    r.n_blocks = TR_RTCP_MAX_BLOCKS;
    for (int i = 0; i < TR_RTCP_MAX_BLOCKS; i++)
        r.blocks[i].cum_lost = -8388608;
    r.has_sdes = true;
    r.n_sdes = TR_RTCP_MAX_SDES;
    for (int i = 0; i < TR_RTCP_MAX_SDES; i++)
        r.sdes[i].text = (struct tr_bytes){text, sizeof(text)};
    r.has_bye = true;
    r.n_bye = TR_RTCP_MAX_BYE;
    r.bye_reason = (struct tr_bytes){text, sizeof(text)};
    r.n_app = TR_RTCP_MAX_APP;
    for (int i = 0; i < TR_RTCP_MAX_APP; i++)
        r.app[i].data = (struct tr_bytes){text, 65535};
    r.n_xr = TR_RTCP_MAX_XR;
    r.n_voip = TR_RTCP_MAX_VOIP;
    int n = tr_rtcp_json(&r, json, sizeof(json));
    assert_true(n > 0);
    assert_true((size_t)n < TR_RTCP_JSON_MAX);
}

/* ------------------------------------------------------------ vq-rtcpxr */

/* RFC 6035 section 4.7.3 (message F13), the end-of-session report, line for
 * line with its folded lines; the RFC's addresses are replaced by
 * documentation ones (RFC 5737, RFC 7042). It keeps the RFC's own slips:
 * the LocalAddr SSRC without "0x" and a STOP before START. */
static const char rfc6035_report[] =
    "VQSessionReport: CallTerm\r\n"
    "CallID: 6dg37f1890463\r\n"
    "LocalID: Alice <sip:alice@example.org>\r\n"
    "RemoteID: Bill <sip:bill@example.net>\r\n"
    "OrigID: Alice <sip:alice@example.org>\r\n"
    "LocalGroup: example-phone-55671\r\n"
    "RemoteGroup: example-gateway-09871\r\n"
    "LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=1a3b5c7d\r\n"
    "LocalMAC: 00:00:5e:00:53:01\r\n"
    "RemoteAddr:IP=198.51.100.150 PORT=5002 SSRC=0x2468abcd\r\n"
    "RemoteMAC: 00:00:5e:00:53:02\r\n"
    "LocalMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n"
    "                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
    "Signal:SL=-21 NL=-50 RERL=55\r\n"
    "QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3\r\n"
    "  QoEEstAlg=P.564\r\n"
    "RemoteMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n"
    "                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
    "Signal:SL=-21 NL=-45 RERL=55\r\n"
    "QualityEst:RLQ=90 RCQ=85 MOSLQ=4.3 MOSCQ=4.2 QoEEstAlg=P.564\r\n"
    "DialogID:1890463548@alice.example.org;to-tag=8472761;\r\n"
    "   from-tag=9123dh311\r\n";

static struct tr_bytes text_view(const char *s)
{
    return (struct tr_bytes){(const uint8_t *)s, strlen(s)};
}

static void assert_str(struct tr_str s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.ptr ? s.ptr : "", want);
}

static void vq_rfc6035_session_report_is_parsed(void **state)
{
    (void)state;
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view(rfc6035_report), &v), TR_OK);
    assert_int_equal(v.report, TR_VQ_SESSION);
    assert_true(v.call_term);
    assert_str(v.call_id, "6dg37f1890463");
    assert_str(v.local_id, "Alice <sip:alice@example.org>");
    assert_str(v.remote_id, "Bill <sip:bill@example.net>");
    assert_str(v.orig_id, "Alice <sip:alice@example.org>");
    assert_str(v.local_group, "example-phone-55671");
    assert_str(v.local_addr.ip, "192.0.2.100");
    assert_int_equal(v.local_addr.port, 5000);
    assert_str(v.local_addr.ssrc, "1a3b5c7d");
    assert_str(v.remote_addr.ip, "198.51.100.150");
    assert_int_equal(v.remote_addr.port, 5002);
    assert_str(v.remote_addr.ssrc, "0x2468abcd");
    assert_str(v.remote_mac, "00:00:5e:00:53:02");
    assert_true(v.local.present);
    assert_true(v.remote.present);
    assert_int_equal(v.local.num[TR_VQ_N_NLR], 5000);
    assert_int_equal(v.local.num[TR_VQ_N_JDR], 2000);
    assert_int_equal(v.local.num[TR_VQ_N_RTD], 200000);
    assert_int_equal(v.local.num[TR_VQ_N_ESD], 140000);
    assert_int_equal(v.local.num[TR_VQ_N_IAJ], 2000);
    assert_int_equal(v.local.num[TR_VQ_N_SL], -21000);
    assert_int_equal(v.local.num[TR_VQ_N_MOSLQ], 4200);
    assert_int_equal(v.local.num[TR_VQ_N_MOSCQ], 4300);
    assert_true(v.local.num_set & (1ull << TR_VQ_N_EXTRI));
    assert_false(v.remote.num_set & (1ull << TR_VQ_N_EXTRI));
    assert_int_equal(v.remote.num[TR_VQ_N_NL], -45000);
    assert_int_equal(v.remote.num[TR_VQ_N_MOSLQ], 4300);
    assert_int_equal(v.remote.num[TR_VQ_N_MOSCQ], 4200);
    assert_str(v.local.text[TR_VQ_T_FMTP], "annexb=no"); /* on a folded line */
    assert_str(v.local.text[TR_VQ_T_QOEEST], "P.564");   /* on a folded line */
    assert_str(v.local.text[TR_VQ_T_PD], "G729");
    assert_str(v.remote.text[TR_VQ_T_START], "2004-10-10T18:23:43Z");
    assert_int_equal(v.n_unknown, 0);
    assert_int_equal(v.n_bad_values, 0);
}

#define RFC6035_METRICS(nl, extri, lq, cq)                                                         \
    "{\"START\":\"2004-10-10T18:23:43Z\",\"STOP\":\"2004-10-01T18:26:02Z\",\"PT\":18,"             \
    "\"SR\":8000,\"FD\":20,\"FO\":20,\"FPP\":2,\"PPS\":50,\"PLC\":3,\"JBA\":3,\"JBR\":2,"          \
    "\"JBN\":40,\"JBM\":80,\"JBX\":120,\"NLR\":5,\"JDR\":2,\"BLD\":0,\"BD\":0,\"GLD\":2,"          \
    "\"GD\":500,\"GMIN\":16,\"RTD\":200,\"ESD\":140,\"SOWD\":200,\"IAJ\":2,\"MAJ\":10,"            \
    "\"SL\":-21,\"NL\":" nl ",\"RERL\":55,\"RLQ\":90,\"RCQ\":85," extri "\"MOSLQ\":" lq            \
    ",\"MOSCQ\":" cq ",\"PD\":\"G729\",\"FMTP\":\"annexb=no\",\"SSUP\":\"on\","                    \
    "\"QoEEstAlg\":\"P.564\"}"

static void vq_json_is_exact(void **state)
{
    (void)state;
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view(rfc6035_report), &v), TR_OK);
    static char out[TR_VQ_JSON_MAX(sizeof(rfc6035_report))];
    int n = tr_vq_json(&v, out, sizeof(out));
    assert_true(n > 0);
    assert_string_equal(
        out, "{\"report\":\"VQSessionReport\",\"call_term\":true,\"call_id\":\"6dg37f1890463\","
             "\"local_id\":\"Alice <sip:alice@example.org>\",\"remote_id\":\"Bill "
             "<sip:bill@example.net>\",\"orig_id\":\"Alice <sip:alice@example.org>\","
             "\"local_group\":\"example-phone-55671\",\"remote_group\":\"example-gateway-09871\","
             "\"local_addr\":{\"ip\":\"192.0.2.100\",\"port\":5000,\"ssrc\":\"1a3b5c7d\"},"
             "\"local_mac\":\"00:00:5e:00:53:01\","
             "\"remote_addr\":{\"ip\":\"198.51.100.150\",\"port\":5002,\"ssrc\":\"0x2468abcd\"},"
             "\"remote_mac\":\"00:00:5e:00:53:02\","
             "\"dialog_id\":\"1890463548@alice.example.org;to-tag=8472761; from-tag=9123dh311\","
             "\"local_metrics\":" RFC6035_METRICS("-50", "\"EXTRI\":90,", "4.2",
                                                  "4.3") ","
                                                         "\"remote_metrics\":" RFC6035_METRICS(
                                                             "-45", "", "4.3", "4.2") "}");
    /* never past cap */
    for (size_t cap = 0; cap <= (size_t)n; cap += 7) {
        memset(out, 0x5a, sizeof(out));
        assert_int_equal(tr_vq_json(&v, out, cap), -TR_E_FULL);
        for (size_t k = cap; k < (size_t)n + 8; k++)
            assert_int_equal((uint8_t)out[k], 0x5a);
    }
}

/* The alert form of RFC 6035 4.7.4: parameters on the report line, the
 * metrics block named "Metrics:". LF line ends. */
static void vq_alert_report_is_parsed(void **state)
{
    (void)state;
    static const char body[] = "VQAlertReport: Type=RLQ Severity=Critical Dir=local\n"
                               "CallID: 1890463548@alice.example.org\n"
                               "LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=0x1a3b5c7d\n"
                               "Metrics:\n"
                               "PacketLoss:NLR=15.5 JDR=2.25\n"
                               "Delay:RTD=250 ESD=140 IAJ=21\n"
                               "QualityEst:RLQ=60 RCQ=55 MOSLQ=2.2 MOSCQ=2.3\n";
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view(body), &v), TR_OK);
    assert_int_equal(v.report, TR_VQ_ALERT);
    assert_false(v.call_term);
    assert_str(v.alert_type, "RLQ");
    assert_str(v.alert_severity, "Critical");
    assert_str(v.alert_dir, "local");
    assert_str(v.call_id, "1890463548@alice.example.org");
    assert_true(v.local.present);
    assert_false(v.remote.present);
    assert_int_equal(v.local.num[TR_VQ_N_NLR], 15500);
    assert_int_equal(v.local.num[TR_VQ_N_JDR], 2250);
    assert_int_equal(v.local.num[TR_VQ_N_RTD], 250000);
    static char out[TR_VQ_JSON_MAX(sizeof(body))];
    assert_true(tr_vq_json(&v, out, sizeof(out)) > 0);
    assert_string_equal(
        out, "{\"report\":\"VQAlertReport\",\"alert\":{\"type\":\"RLQ\",\"severity\":\"Critical\","
             "\"dir\":\"local\"},\"call_id\":\"1890463548@alice.example.org\","
             "\"local_addr\":{\"ip\":\"192.0.2.100\",\"port\":5000,\"ssrc\":\"0x1a3b5c7d\"},"
             "\"local_metrics\":{\"NLR\":15.5,\"JDR\":2.25,\"RTD\":250,\"ESD\":140,\"IAJ\":21,"
             "\"RLQ\":60,\"RCQ\":55,\"MOSLQ\":2.2,\"MOSCQ\":2.3}}");
}

/* Bodies as phones send them: a bare report line (the HCOLON is optional),
 * CallID inside the metrics, FromID/ToID, "Port=", a bare parameter line. */
static void vq_field_variants_are_accepted(void **state)
{
    (void)state;
    static const char body[] = "VQIntervalReport\r\n"
                               "LocalMetrics:\r\n"
                               "Timestamps:START=2010-02-17T13:59:42Z STOP=2010-02-17T13:59:46Z\r\n"
                               "CallID:3c26a8de500f-12ct7zov3kjs\r\n"
                               "x-UserAgent:snom360/8.2.sf\r\n"
                               "FromID:<sip:446@example.com>\r\n"
                               "ToID:<sip:447@example.com;user=phone>\r\n"
                               "LocalAddr: IP=192.0.2.251 Port=62754 SSRC=0xCBE3450E\r\n"
                               "QualityEst: RLQ=93 MOSLQ=4.1\r\n"
                               "MOSCQ=4.10\r\n"
                               "Delay:RTD=abc ESD=0 IAJ=4\r\n";
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view(body), &v), TR_OK);
    assert_int_equal(v.report, TR_VQ_INTERVAL);
    assert_str(v.call_id, "3c26a8de500f-12ct7zov3kjs");
    assert_str(v.from_id, "<sip:446@example.com>");
    assert_str(v.to_id, "<sip:447@example.com;user=phone>");
    assert_int_equal(v.local_addr.port, 62754);
    assert_int_equal(v.local.num[TR_VQ_N_MOSLQ], 4100);
    assert_int_equal(v.local.num[TR_VQ_N_MOSCQ], 4100);
    assert_false(v.local.num_set & (1ull << TR_VQ_N_RTD));
    assert_int_equal(v.local.num[TR_VQ_N_IAJ], 4000);
    assert_int_equal(v.n_bad_values, 1); /* RTD=abc */
    assert_int_equal(v.n_unknown, 1);    /* x-UserAgent */

    static const char gw[] = "VQSessionReport\nCallID=2032863@192.0.2.1\n";
    assert_int_equal(tr_vq_parse(text_view(gw), &v), TR_OK);
    assert_str(v.call_id, "2032863@192.0.2.1");

    /* a bare parameter line never extends the Call-ID */
    static const char cid[] = "VQSessionReport\nCallID: abc\nNLR=1\n";
    assert_int_equal(tr_vq_parse(text_view(cid), &v), TR_OK);
    assert_str(v.call_id, "abc");
}

static void vq_body_without_report_is_declined(void **state)
{
    (void)state;
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"), &v),
                     TR_DECLINED);
    assert_int_equal(tr_vq_parse(text_view(""), &v), TR_DECLINED);
    assert_int_equal(tr_vq_parse((struct tr_bytes){NULL, 0}, &v), TR_DECLINED);
    assert_int_equal(tr_vq_parse(text_view("CallID: x\r\nPacketLoss:NLR=1\r\n"), &v), TR_DECLINED);
}

static void vq_text_is_escaped(void **state)
{
    (void)state;
    static const char body[] = "VQSessionReport\nCallID: a\"b\\c\x01\xff\n"
                               "LocalID: x\ty\n";
    struct tr_vq v;
    assert_int_equal(tr_vq_parse(text_view(body), &v), TR_OK);
    static char out[TR_VQ_JSON_MAX(sizeof(body))];
    assert_true(tr_vq_json(&v, out, sizeof(out)) > 0);
    assert_string_equal(out, "{\"report\":\"VQSessionReport\",\"call_id\":\"a\\\"b\\\\c\\u0001"
                             "\\u00ff\",\"local_id\":\"x\\ty\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sr_sdes_compound_decodes_every_field),
        cmocka_unit_test(sr_sdes_json_is_exact),
        cmocka_unit_test(ntp_fraction_becomes_microseconds),
        cmocka_unit_test(rr_with_several_blocks_keeps_them_all),
        cmocka_unit_test(cumulative_loss_is_signed_24_bits),
        cmocka_unit_test(rr_json_has_every_block_and_negative_loss),
        cmocka_unit_test(blocks_of_sr_and_following_rrs_are_all_kept),
        cmocka_unit_test(bye_with_reason_is_decoded),
        cmocka_unit_test(app_packet_is_decoded),
        cmocka_unit_test(xr_voip_metrics_block_is_decoded),
        cmocka_unit_test(xr_json_fills_report_blocks_xr_and_voip_metrics),
        cmocka_unit_test(xr_block_lengths_are_checked),
        cmocka_unit_test(reduced_size_packets_are_rtcp),
        cmocka_unit_test(padding_on_the_last_packet_is_removed),
        cmocka_unit_test(bad_padding_is_rejected),
        cmocka_unit_test(every_truncation_is_rejected),
        cmocka_unit_test(lying_lengths_are_rejected),
        cmocka_unit_test(rtp_is_not_probed_as_rtcp),
        cmocka_unit_test(random_data_is_not_probed_as_rtcp),
        cmocka_unit_test(sdes_text_is_escaped),
        cmocka_unit_test(json_never_writes_past_cap),
        cmocka_unit_test(json_worst_case_fits_the_documented_bound),
        cmocka_unit_test(vq_rfc6035_session_report_is_parsed),
        cmocka_unit_test(vq_json_is_exact),
        cmocka_unit_test(vq_alert_report_is_parsed),
        cmocka_unit_test(vq_field_variants_are_accepted),
        cmocka_unit_test(vq_body_without_report_is_declined),
        cmocka_unit_test(vq_text_is_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
