/* test_calls.c - the call table (src/track/calls.c): SIP dialogs feed it
 * SDP, RTP/RTCP packets find their Call-ID by endpoint, in both directions;
 * a=rtcp, rtcp-mux, re-INVITE, BYE + linger, CANCEL/failure and revival,
 * the cap with counted LRU eviction, a 100k-call flood, NAT learning, IPv6,
 * port reuse, long Call-IDs, and no allocation once the table is warm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include "track/track.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc_count.h"

#define SEC 1000000000ull

/* ---- SIP messages */

/* Feeds one SIP message to t. start: the start line; cseq: "1 INVITE";
 * to_tag may be NULL; sdp may be NULL (no body). */
static int sip_full(struct tr_calls *t, uint64_t now, const char *start, const char *call_id,
                    const char *from_tag, const char *to_tag, const char *cseq, const char *ctype,
                    const char *sdp)
{
    static char buf[8192];
    size_t blen = sdp ? strlen(sdp) : 0;
    char ct[128] = "";
    if (sdp)
        snprintf(ct, sizeof(ct), "Content-Type: %s\r\n", ctype ? ctype : "application/sdp");
    char tt[64] = "";
    if (to_tag)
        snprintf(tt, sizeof(tt), ";tag=%s", to_tag);
    int n = snprintf(buf, sizeof(buf),
                     "%s\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-%s\r\n"
                     "From: <sip:alice@example.com>;tag=%s\r\n"
                     "To: <sip:bob@example.com>%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %s\r\n"
                     "%s"
                     "Content-Length: %zu\r\n\r\n%s",
                     start, cseq, from_tag, tt, call_id, cseq, ct, blen, sdp ? sdp : "");
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    struct tr_sip_msg msg;
    int rc = tr_sip_parse((struct tr_bytes){(const uint8_t *)buf, (size_t)n}, &msg);
    assert_int_equal(rc, TR_OK);
    return tr_calls_observe_sip(t, NULL, &msg, now);
}

static int sip(struct tr_calls *t, uint64_t now, const char *start, const char *call_id,
               const char *from_tag, const char *to_tag, const char *cseq, const char *sdp)
{
    return sip_full(t, now, start, call_id, from_tag, to_tag, cseq, NULL, sdp);
}

/* An audio SDP at ip:port (IPv4 or IPv6), with extra media attributes. */
static const char *sdp_audio(const char *ip, unsigned port, const char *extra)
{
    static char buf[2][1024];
    static int k;
    char *b = buf[k++ & 1];
    const char *v = strchr(ip, ':') ? "IP6" : "IP4";
    snprintf(b, sizeof(buf[0]),
             "v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
             "m=audio %u RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n%s",
             v, ip, v, ip, port, extra ? extra : "");
    return b;
}

#define INVITE "INVITE sip:bob@example.com SIP/2.0"
#define REINVITE "INVITE sip:alice@192.0.2.1 SIP/2.0"
#define OK200 "SIP/2.0 200 OK"
#define ACK "ACK sip:bob@192.0.2.2 SIP/2.0"
#define BYE "BYE sip:bob@192.0.2.2 SIP/2.0"

/* Offer from caller at (ip_a, port_a), answer from callee at (ip_b, port_b). */
static void call_up(struct tr_calls *t, uint64_t now, const char *cid, const char *ip_a,
                    unsigned port_a, const char *extra_a, const char *ip_b, unsigned port_b,
                    const char *extra_b)
{
    assert_int_equal(
        sip(t, now, INVITE, cid, "ta", NULL, "1 INVITE", sdp_audio(ip_a, port_a, extra_a)), TR_OK);
    assert_int_equal(sip(t, now + SEC / 10, OK200, cid, "ta", "tb", "1 INVITE",
                         sdp_audio(ip_b, port_b, extra_b)),
                     TR_OK);
    assert_int_equal(sip(t, now + SEC / 5, ACK, cid, "ta", "tb", "1 ACK", NULL), TR_OK);
}

/* ---- media packets */

static const uint8_t rtp_bytes[12] = {0x80, 0x08, 0x00, 0x01, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44};
static const uint8_t rtcp_bytes[8] = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};

static struct tr_addr addr(const char *ip)
{
    struct tr_addr a;
    memset(&a, 0, sizeof(a));
    if (strchr(ip, ':')) {
        a.family = TR_AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, a.a), 1);
    } else {
        a.family = TR_AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, a.a), 1);
    }
    return a;
}

static struct tr_packet media_pkt(const char *src, unsigned sport, const char *dst, unsigned dport,
                                  bool rtcp)
{
    struct tr_packet p;
    memset(&p, 0, sizeof(p));
    p.ip_proto = 17;
    p.src = addr(src);
    p.dst = addr(dst);
    p.sport = (uint16_t)sport;
    p.dport = (uint16_t)dport;
    p.payload = rtcp ? (struct tr_bytes){rtcp_bytes, sizeof(rtcp_bytes)}
                     : (struct tr_bytes){rtp_bytes, sizeof(rtp_bytes)};
    return p;
}

/* The Call-ID that a media packet matches, or "" for none. */
static const char *match(struct tr_calls *t, uint64_t now, const char *src, unsigned sport,
                         const char *dst, unsigned dport, bool rtcp)
{
    static char out[TR_CALLS_CALL_ID_MAX + 1];
    struct tr_packet p = media_pkt(src, sport, dst, dport, rtcp);
    struct tr_str id = {NULL, 0};
    if (!tr_calls_match(t, &p, rtcp, now, &id))
        return "";
    assert_true(id.len > 0 && id.len <= TR_CALLS_CALL_ID_MAX);
    memcpy(out, id.ptr, id.len);
    out[id.len] = '\0';
    return out;
}

static struct tr_calls *table(unsigned max_calls)
{
    struct tr_calls_conf conf = {.max_calls = max_calls};
    struct tr_calls *t = tr_calls_new(&conf);
    assert_non_null(t);
    return t;
}

/* ---- tests */

static void calls_rtcp_on_port_plus_one_matches_both_directions(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 10 * SEC, "c1@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    uint64_t now = 11 * SEC;
    assert_string_equal(match(t, now, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "c1@x");
    assert_string_equal(match(t, now, "198.51.100.2", 26001, "198.51.100.1", 16001, true), "c1@x");
    assert_string_equal(match(t, now, "198.51.100.1", 16000, "198.51.100.2", 26000, false), "c1@x");
    /* Neither end announced: no call. */
    assert_string_equal(match(t, now, "198.51.100.1", 16003, "198.51.100.2", 26003, true), "");
    assert_string_equal(match(t, now, "198.51.100.9", 16001, "198.51.100.8", 26001, true), "");
    const struct tr_calls_stats *st = tr_calls_stats(t);
    assert_int_equal(st->created, 1);
    assert_int_equal(st->sdp_bodies, 2);
    assert_int_equal(st->rtcp_matched, 2);
    assert_int_equal(st->rtcp_unmatched, 2);
    assert_int_equal(st->rtp_matched, 1);
    assert_int_equal(st->endpoints, 4);
    tr_calls_free(t);
}

static void calls_rtcp_attribute_port_replaces_port_plus_one(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "c2@x", "198.51.100.1", 16000, "a=rtcp:17777\r\n", "198.51.100.2", 26000,
            "a=rtcp:27777 IN IP4 198.51.100.22\r\n");
    assert_string_equal(match(t, SEC, "198.51.100.1", 17777, "198.51.100.22", 27777, true), "c2@x");
    assert_string_equal(match(t, SEC, "198.51.100.22", 27777, "198.51.100.1", 17777, true), "c2@x");
    /* Port + 1 and the callee's c= address with the a=rtcp port are not it. */
    assert_string_equal(match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "");
    assert_string_equal(match(t, SEC, "198.51.100.2", 27777, "198.51.100.2", 26001, true), "");
    tr_calls_free(t);
}

static void calls_rtcp_mux_matches_on_the_rtp_port_only(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "mux@x", "198.51.100.1", 16000, "a=rtcp-mux\r\n", "198.51.100.2", 26000,
            "a=rtcp-mux\r\n");
    assert_string_equal(match(t, SEC, "198.51.100.1", 16000, "198.51.100.2", 26000, true), "mux@x");
    assert_string_equal(match(t, SEC, "198.51.100.2", 26000, "198.51.100.1", 16000, true), "mux@x");
    /* Muxed: port + 1 is not the call's (it may be another call's RTP). */
    assert_string_equal(match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "");
    assert_int_equal(tr_calls_stats(t)->endpoints, 2);
    tr_calls_free(t);
}

/* RFC 5761 5.1.1: mux only if the answer accepts it. */
static void calls_rtcp_mux_refused_by_answer_falls_back_to_port_plus_one(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "nomux@x", "198.51.100.1", 16000, "a=rtcp-mux\r\n", "198.51.100.2", 26000, NULL);
    assert_string_equal(match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true),
                        "nomux@x");
    assert_string_equal(match(t, SEC, "198.51.100.2", 26001, "198.51.100.1", 16001, true),
                        "nomux@x");
    tr_calls_free(t);
}

static void calls_reinvite_moves_that_sides_media(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "re@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    /* The callee re-INVITEs (its From tag is "tb") with new media. */
    assert_int_equal(sip(t, 5 * SEC, REINVITE, "re@x", "tb", "ta", "1 INVITE",
                         sdp_audio("198.51.100.3", 36000, NULL)),
                     TR_OK);
    assert_string_equal(match(t, 6 * SEC, "198.51.100.3", 36001, "198.51.100.1", 16001, true),
                        "re@x");
    /* The callee's old place is forgotten; the caller's side did not move. */
    assert_string_equal(match(t, 6 * SEC, "198.51.100.2", 26001, "198.51.100.3", 36003, true), "");
    assert_string_equal(match(t, 6 * SEC, "198.51.100.1", 16001, "198.51.100.3", 36001, true),
                        "re@x");
    /* The caller answers in the 200 with a new port: its side moves too. */
    assert_int_equal(sip(t, 7 * SEC, OK200, "re@x", "tb", "ta", "1 INVITE",
                         sdp_audio("198.51.100.1", 16100, NULL)),
                     TR_OK);
    assert_string_equal(match(t, 8 * SEC, "198.51.100.1", 16001, "198.51.100.3", 36003, true), "");
    assert_string_equal(match(t, 8 * SEC, "198.51.100.1", 16101, "198.51.100.3", 36001, true),
                        "re@x");
    assert_int_equal(tr_calls_stats(t)->created, 1);
    tr_calls_free(t);
}

static void calls_bye_lingers_then_the_call_is_gone(void **state)
{
    (void)state;
    struct tr_calls *t = table(0); /* linger 30 s */
    call_up(t, 0, "bye@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    assert_int_equal(sip(t, 10 * SEC, BYE, "bye@x", "ta", "tb", "2 BYE", NULL), TR_OK);
    assert_int_equal(tr_calls_stats(t)->ended, 1);
    assert_string_equal(match(t, 39 * SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true),
                        "bye@x");
    tr_calls_expire(t, 39 * SEC);
    assert_int_equal(tr_calls_stats(t)->calls, 1);
    tr_calls_expire(t, 41 * SEC);
    assert_int_equal(tr_calls_stats(t)->calls, 0);
    assert_int_equal(tr_calls_stats(t)->closed, 1);
    assert_int_equal(tr_calls_stats(t)->endpoints, 0);
    assert_string_equal(match(t, 41 * SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "");
    tr_calls_free(t);
}

/* Without a tick the answer is the same: expiry is applied on lookup. */
static void calls_linger_does_not_depend_on_expire_ticks(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "lazy@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    assert_int_equal(sip(t, 10 * SEC, BYE, "lazy@x", "tb", "ta", "1 BYE", NULL), TR_OK);
    assert_string_equal(match(t, 41 * SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "");
    assert_int_equal(tr_calls_stats(t)->closed, 1);
    tr_calls_free(t);
}

static void calls_cancel_and_final_failure_end_the_call(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    assert_int_equal(sip(t, 0, INVITE, "cancel@x", "ta", NULL, "1 INVITE",
                         sdp_audio("198.51.100.1", 16000, NULL)),
                     TR_OK);
    assert_int_equal(
        sip(t, SEC, "CANCEL sip:bob@example.com SIP/2.0", "cancel@x", "ta", NULL, "1 CANCEL", NULL),
        TR_OK);
    assert_int_equal(
        sip(t, 0, INVITE, "busy@x", "tc", NULL, "1 INVITE", sdp_audio("198.51.100.3", 16000, NULL)),
        TR_OK);
    assert_int_equal(sip(t, SEC, "SIP/2.0 486 Busy Here", "busy@x", "tc", "td", "1 INVITE", NULL),
                     TR_OK);
    assert_int_equal(tr_calls_stats(t)->ended, 2);
    /* Both linger (late RTCP still matches), then go. */
    assert_string_equal(match(t, 2 * SEC, "198.51.100.3", 16001, "198.51.100.9", 9, true),
                        "busy@x");
    tr_calls_expire(t, 32 * SEC);
    assert_int_equal(tr_calls_stats(t)->calls, 0);
    assert_int_equal(tr_calls_stats(t)->closed, 2);
    tr_calls_free(t);
}

/* RFC 3261 22.2: 407, then the same Call-ID with a higher CSeq. */
static void calls_auth_challenge_retry_revives_the_call(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    const char *sdp = sdp_audio("198.51.100.1", 16000, NULL);
    assert_int_equal(sip(t, 0, INVITE, "auth@x", "ta", NULL, "1 INVITE", sdp), TR_OK);
    assert_int_equal(sip(t, SEC / 10, "SIP/2.0 407 Proxy Authentication Required", "auth@x", "ta",
                         "px", "1 INVITE", NULL),
                     TR_OK);
    assert_int_equal(sip(t, SEC / 5, ACK, "auth@x", "ta", "px", "1 ACK", NULL), TR_OK);
    assert_int_equal(tr_calls_stats(t)->ended, 1);
    /* A late copy of the challenged INVITE (same CSeq) is no retry. */
    assert_int_equal(sip(t, SEC / 4, INVITE, "auth@x", "ta", NULL, "1 INVITE", sdp), TR_OK);
    assert_int_equal(tr_calls_stats(t)->revived, 0);
    assert_int_equal(sip(t, SEC / 2, INVITE, "auth@x", "ta", NULL, "2 INVITE",
                         sdp_audio("198.51.100.1", 16000, NULL)),
                     TR_OK);
    assert_int_equal(tr_calls_stats(t)->revived, 1);
    assert_int_equal(sip(t, SEC, OK200, "auth@x", "ta", "tb", "2 INVITE",
                         sdp_audio("198.51.100.2", 26000, NULL)),
                     TR_OK);
    /* Alive well past the linger of the 407. */
    assert_string_equal(match(t, 100 * SEC, "198.51.100.2", 26001, "198.51.100.1", 16001, true),
                        "auth@x");
    /* A BYE is final: a later INVITE does not revive. */
    assert_int_equal(sip(t, 101 * SEC, BYE, "auth@x", "ta", "tb", "3 BYE", NULL), TR_OK);
    assert_int_equal(sip(t, 102 * SEC, INVITE, "auth@x", "ta", "tb", "4 INVITE", NULL), TR_OK);
    assert_int_equal(tr_calls_stats(t)->revived, 1);
    assert_string_equal(match(t, 132 * SEC, "198.51.100.2", 26001, "198.51.100.1", 16001, true),
                        "");
    tr_calls_free(t);
}

/* A failure to a re-INVITE (491, 488) leaves an established call alone. */
static void calls_reinvite_failure_does_not_end_an_established_call(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "491@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    assert_int_equal(sip(t, SEC, INVITE, "491@x", "ta", "tb", "2 INVITE",
                         sdp_audio("198.51.100.1", 16000, NULL)),
                     TR_OK);
    assert_int_equal(
        sip(t, SEC, "SIP/2.0 491 Request Pending", "491@x", "ta", "tb", "2 INVITE", NULL), TR_OK);
    assert_int_equal(tr_calls_stats(t)->ended, 0);
    tr_calls_free(t);
}

static void calls_non_invite_dialogs_are_not_tracked(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    assert_int_equal(
        sip(t, 0, "REGISTER sip:example.com SIP/2.0", "reg@x", "ta", NULL, "1 REGISTER", NULL),
        TR_DECLINED);
    /* An OPTIONS answer may carry capability SDP: it is no media. */
    assert_int_equal(
        sip(t, 0, OK200, "opt@x", "ta", "tb", "1 OPTIONS", sdp_audio("198.51.100.1", 16000, NULL)),
        TR_DECLINED);
    assert_int_equal(sip(t, 0, BYE, "unknown@x", "ta", "tb", "2 BYE", NULL), TR_DECLINED);
    assert_int_equal(tr_calls_stats(t)->created, 0);
    assert_int_equal(tr_calls_stats(t)->calls, 0);
    tr_calls_free(t);
}

static void calls_cap_evicts_least_recently_used_and_counts_it(void **state)
{
    (void)state;
    struct tr_calls *t = table(4);
    char cid[32];
    for (unsigned i = 0; i < 4; i++) {
        snprintf(cid, sizeof(cid), "cap-%u", i);
        assert_int_equal(sip(t, i * SEC, INVITE, cid, "ta", NULL, "1 INVITE",
                             sdp_audio("198.51.100.1", 16000 + 4 * i, NULL)),
                         TR_OK);
    }
    /* cap-0 is used again: cap-1 becomes the least recently used. */
    assert_string_equal(match(t, 5 * SEC, "198.51.100.1", 16000, "198.51.100.9", 9, false),
                        "cap-0");
    assert_int_equal(sip(t, 6 * SEC, INVITE, "cap-4", "ta", NULL, "1 INVITE",
                         sdp_audio("198.51.100.1", 16016, NULL)),
                     TR_OK);
    const struct tr_calls_stats *st = tr_calls_stats(t);
    assert_int_equal(st->calls, 4);
    assert_int_equal(st->evicted, 1);
    assert_int_equal(st->evicted_active, 1);
    assert_string_equal(match(t, 7 * SEC, "198.51.100.1", 16004, "198.51.100.9", 9, false), "");
    assert_string_equal(match(t, 7 * SEC, "198.51.100.1", 16000, "198.51.100.9", 9, false),
                        "cap-0");
    /* An ended call goes before any active one. */
    assert_int_equal(sip(t, 8 * SEC, BYE, "cap-0", "ta", "tb", "2 BYE", NULL), TR_OK);
    assert_int_equal(sip(t, 9 * SEC, INVITE, "cap-5", "ta", NULL, "1 INVITE", NULL), TR_OK);
    assert_int_equal(st->evicted, 2);
    assert_int_equal(st->evicted_active, 1);
    assert_string_equal(match(t, 9 * SEC, "198.51.100.1", 16000, "198.51.100.9", 9, false), "");
    assert_string_equal(match(t, 9 * SEC, "198.51.100.1", 16008, "198.51.100.9", 9, false),
                        "cap-2");
    tr_calls_free(t);
}

static void calls_flood_of_100k_calls_stays_within_the_cap(void **state)
{
    (void)state;
    struct tr_calls *t = table(1000);
    char cid[48], ip[32];
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(cid, sizeof(cid), "flood-%u@198.51.100.1", i);
        snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        assert_int_equal(sip(t, (uint64_t)i * 1000, INVITE, cid, "ta", NULL, "1 INVITE",
                             sdp_audio(ip, 20000 + 2 * (i % 1000), NULL)),
                         TR_OK);
        assert_true(tr_calls_stats(t)->calls <= 1000);
    }
    const struct tr_calls_stats *st = tr_calls_stats(t);
    assert_int_equal(st->created, 100000);
    assert_int_equal(st->calls, 1000);
    assert_int_equal(st->evicted, 99000);
    assert_int_equal(st->endpoints, 2000);
    /* The newest calls are the ones kept. */
    assert_string_equal(
        match(t, 100 * SEC, "10.1.134.159", 20000 + 2 * (99999 % 1000), "192.0.2.9", 9, false),
        "flood-99999@198.51.100.1");
    tr_calls_free(t);
}

/* The NAT case: the caller's SDP says 10.0.0.5:4000 (private), its
 * RTP comes from the NAT's 203.0.113.7:31000 to the public callee. Its RTCP
 * from 203.0.113.7:31001 then belongs to the call even where it goes to a
 * port that no SDP announced, and so does RTCP sent to it. */
static void nat_run(struct tr_calls *t)
{
    call_up(t, 0, "nat@x", "10.0.0.5", 4000, NULL, "198.51.100.10", 20000, NULL);
    uint64_t now = SEC;
    /* RTP from the NAT to the public side's SDP endpoint: matches by
     * destination, and teaches the caller's real RTP endpoint. */
    assert_string_equal(match(t, now, "203.0.113.7", 31000, "198.51.100.10", 20000, false),
                        "nat@x");
    /* RTCP between endpoints that only learning knows. */
    assert_string_equal(match(t, now + SEC, "203.0.113.7", 31001, "198.51.100.77", 5005, true),
                        "nat@x");
    assert_string_equal(match(t, now + SEC, "198.51.100.77", 5005, "203.0.113.7", 31001, true),
                        "nat@x");
    assert_string_equal(match(t, now + SEC, "192.0.2.200", 6000, "203.0.113.7", 31000, false),
                        "nat@x");
}

static void calls_nat_learning_matches_rtcp_of_the_natted_party(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    nat_run(t);
    assert_int_equal(tr_calls_stats(t)->learned, 1);
    assert_int_equal(tr_calls_stats(t)->learned_guessed, 1);
    tr_calls_free(t);

    /* The same packets without learning: RTCP away from SDP endpoints is lost. */
    struct tr_calls_conf conf = {.no_learn = true};
    t = tr_calls_new(&conf);
    call_up(t, 0, "nat@x", "10.0.0.5", 4000, NULL, "198.51.100.10", 20000, NULL);
    assert_string_equal(match(t, SEC, "203.0.113.7", 31000, "198.51.100.10", 20000, false),
                        "nat@x");
    assert_string_equal(match(t, 2 * SEC, "203.0.113.7", 31001, "198.51.100.77", 5005, true), "");
    assert_int_equal(tr_calls_stats(t)->learned, 0);
    tr_calls_free(t);
}

/* The public side answers the NAT'd party's real address (symmetric RTP):
 * that teaches too; a real RTCP port replaces the port + 1 guess. */
static void calls_nat_learning_from_the_public_side_and_real_rtcp_port(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "nat2@x", "192.168.1.20", 8000, NULL, "198.51.100.10", 20000, NULL);
    assert_string_equal(match(t, SEC, "198.51.100.10", 20000, "203.0.113.7", 40000, false),
                        "nat2@x");
    /* The NAT gave RTCP a port of its own: RTCP to the public RTCP endpoint
     * from it is learned in place of the guess 40001. */
    assert_string_equal(match(t, 2 * SEC, "203.0.113.7", 45123, "198.51.100.10", 20001, true),
                        "nat2@x");
    assert_int_equal(tr_calls_stats(t)->learned, 2);
    assert_string_equal(match(t, 3 * SEC, "198.51.100.77", 5005, "203.0.113.7", 45123, true),
                        "nat2@x");
    assert_string_equal(match(t, 3 * SEC, "198.51.100.77", 5005, "203.0.113.7", 40001, true), "");
    tr_calls_free(t);
}

static void calls_nat_learning_with_rtcp_mux(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "natmux@x", "10.0.0.5", 4000, "a=rtcp-mux\r\n", "198.51.100.10", 20000,
            "a=rtcp-mux\r\n");
    /* First packet is RTCP on the muxed port: it is the RTP endpoint too. */
    assert_string_equal(match(t, SEC, "203.0.113.7", 31000, "198.51.100.10", 20000, true),
                        "natmux@x");
    assert_string_equal(match(t, 2 * SEC, "198.51.100.77", 1, "203.0.113.7", 31000, true),
                        "natmux@x");
    assert_string_equal(match(t, 2 * SEC, "198.51.100.77", 1, "203.0.113.7", 31001, true), "");
    assert_int_equal(tr_calls_stats(t)->learned, 1);
    assert_int_equal(tr_calls_stats(t)->learned_guessed, 0);
    tr_calls_free(t);
}

/* Conservative: no learning after the window, for an ended call, for a
 * side whose public SDP endpoint is seen on the wire, for a packet that is
 * not RTP/RTCP, or for RTP at an RTCP-only endpoint. */
static void calls_nat_learning_is_conservative(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "late@x", "10.0.0.5", 4000, NULL, "198.51.100.10", 20000, NULL);
    assert_string_equal(match(t, 11 * SEC, "203.0.113.7", 31000, "198.51.100.10", 20000, false),
                        "late@x"); /* matched by destination, but not learned */

    call_up(t, 0, "ended@x", "10.0.0.6", 4000, NULL, "198.51.100.11", 20000, NULL);
    assert_int_equal(sip(t, SEC, BYE, "ended@x", "ta", "tb", "2 BYE", NULL), TR_OK);
    assert_string_equal(match(t, 2 * SEC, "203.0.113.8", 31000, "198.51.100.11", 20000, false),
                        "ended@x");

    call_up(t, 0, "public@x", "192.0.2.50", 4000, NULL, "198.51.100.12", 20000, NULL);
    assert_string_equal(match(t, SEC, "192.0.2.50", 4000, "198.51.100.12", 20000, false),
                        "public@x");
    assert_string_equal(match(t, SEC, "203.0.113.9", 31000, "198.51.100.12", 20000, false),
                        "public@x"); /* a stray sender: the caller is known, nothing learned */

    call_up(t, 0, "junk@x", "10.0.0.7", 4000, NULL, "198.51.100.13", 20000, NULL);
    struct tr_packet p = media_pkt("203.0.113.10", 31000, "198.51.100.13", 20000, false);
    static const uint8_t not_rtp[12] = {0x47, 0x45, 0x54}; /* "GET" */
    p.payload = (struct tr_bytes){not_rtp, sizeof(not_rtp)};
    struct tr_str id;
    assert_true(tr_calls_match(t, &p, false, SEC, &id));
    assert_string_equal(match(t, SEC, "203.0.113.10", 31000, "198.51.100.13", 20001, false),
                        "junk@x"); /* RTP at the RTCP endpoint */

    assert_int_equal(tr_calls_stats(t)->learned, 0);
    assert_string_equal(match(t, 3 * SEC, "203.0.113.7", 31001, "198.51.100.77", 5005, true), "");
    tr_calls_free(t);
}

/* A public SDP address that never shows up on the wire (a broken ALG) is
 * learnable too, and a missing c= as well. */
static void calls_nat_learning_when_sdp_endpoint_is_never_seen(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "alg@x", "192.0.2.50", 4000, NULL, "198.51.100.12", 20000, NULL);
    assert_string_equal(match(t, SEC, "203.0.113.9", 31000, "198.51.100.12", 20000, false),
                        "alg@x");
    assert_int_equal(tr_calls_stats(t)->learned, 1);
    tr_calls_free(t);
}

static void calls_ipv6_offer_answer_matches(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "v6@x", "2001:db8::1", 16000, NULL, "2001:db8::2", 26000,
            "a=rtcp:26999 IN IP6 2001:db8::22\r\n");
    assert_string_equal(match(t, SEC, "2001:db8::1", 16001, "2001:db8::22", 26999, true), "v6@x");
    assert_string_equal(match(t, SEC, "2001:db8::22", 26999, "2001:db8::1", 16001, true), "v6@x");
    assert_string_equal(match(t, SEC, "2001:db8::2", 26001, "2001:db8::9", 1, true), "");
    /* Same bytes as an IPv4 address are another endpoint. */
    assert_string_equal(match(t, SEC, "32.1.13.184", 16001, "192.0.2.9", 1, true), "");
    tr_calls_free(t);

    /* NAT learning with fc00::/7. */
    t = table(0);
    call_up(t, 0, "v6nat@x", "fd00::5", 4000, NULL, "2001:db8::10", 20000, NULL);
    assert_string_equal(match(t, SEC, "2001:db8:ffff::7", 31000, "2001:db8::10", 20000, false),
                        "v6nat@x");
    assert_string_equal(match(t, SEC, "2001:db8:ffff::7", 31001, "2001:db8::99", 1, true),
                        "v6nat@x");
    tr_calls_free(t);
}

/* Media servers reuse ports: the newer call takes the endpoint, and the
 * older call re-indexing its media later (a re-INVITE) does not take it back. */
static void calls_newer_sdp_takes_a_reused_endpoint(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "old@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    call_up(t, 5 * SEC, "new@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    assert_string_equal(match(t, 6 * SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true),
                        "new@x");
    assert_int_equal(tr_calls_stats(t)->endpoints_taken, 4);
    assert_int_equal(sip(t, 7 * SEC, REINVITE, "old@x", "tb", "ta", "1 INVITE",
                         sdp_audio("198.51.100.5", 30000, NULL)),
                     TR_OK);
    assert_string_equal(match(t, 8 * SEC, "198.51.100.2", 26001, "198.51.100.1", 16001, true),
                        "new@x");
    assert_string_equal(match(t, 8 * SEC, "198.51.100.5", 30001, "198.51.100.9", 1, true), "old@x");
    assert_int_equal(tr_calls_stats(t)->endpoints_taken, 4);
    tr_calls_free(t);
}

/* A packet whose two ends belong to two calls: a live call beats an ended
 * one, an announced endpoint beats a learned one, then the newer claim. */
static void calls_packet_between_two_calls_prefers_live_then_announced(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "gone@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    call_up(t, 0, "live@x", "198.51.100.3", 16000, NULL, "198.51.100.4", 26000, NULL);
    assert_int_equal(sip(t, SEC, BYE, "gone@x", "ta", "tb", "2 BYE", NULL), TR_OK);
    assert_string_equal(match(t, 2 * SEC, "198.51.100.1", 16001, "198.51.100.4", 26001, true),
                        "live@x");
    assert_string_equal(match(t, 2 * SEC, "198.51.100.4", 26001, "198.51.100.1", 16001, true),
                        "live@x");

    call_up(t, 3 * SEC, "nat@x", "10.0.0.5", 4000, NULL, "198.51.100.10", 20000, NULL);
    assert_string_equal(match(t, 4 * SEC, "203.0.113.7", 31000, "198.51.100.10", 20000, false),
                        "nat@x");
    assert_int_equal(tr_calls_stats(t)->learned, 1);
    /* live@x announced its endpoint; nat@x only learned 203.0.113.7:31000,
     * and later: the announcement still wins, either way round. */
    assert_string_equal(match(t, 5 * SEC, "203.0.113.7", 31000, "198.51.100.3", 16000, false),
                        "live@x");
    assert_string_equal(match(t, 5 * SEC, "198.51.100.3", 16000, "203.0.113.7", 31000, false),
                        "live@x");
    /* Two announced endpoints: the newer SDP wins. */
    assert_string_equal(match(t, 5 * SEC, "198.51.100.3", 16000, "198.51.100.10", 20000, false),
                        "nat@x");
    tr_calls_free(t);
}

static void calls_long_call_id_is_kept_hashed_and_distinct(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    char a[300], b[300];
    memset(a, 'a', 299);
    a[299] = '\0';
    memcpy(b, a, sizeof(a));
    b[298] = 'b'; /* differs only past the kept prefix */
    call_up(t, 0, a, "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    call_up(t, 0, b, "198.51.100.3", 16000, NULL, "198.51.100.4", 26000, NULL);
    assert_int_equal(tr_calls_stats(t)->created, 2);
    assert_int_equal(tr_calls_stats(t)->long_call_ids, 2);
    char ida[TR_CALLS_CALL_ID_MAX + 1], idb[TR_CALLS_CALL_ID_MAX + 1];
    strcpy(ida, match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true));
    strcpy(idb, match(t, SEC, "198.51.100.3", 16001, "198.51.100.4", 26001, true));
    assert_int_equal(strlen(ida), TR_CALLS_CALL_ID_MAX);
    assert_string_not_equal(ida, idb);
    assert_memory_equal(ida, a, TR_CALLS_CALL_ID_MAX - 17);
    assert_int_equal(ida[TR_CALLS_CALL_ID_MAX - 17], '~');
    /* The same long id finds the same call. */
    assert_int_equal(sip(t, 2 * SEC, BYE, a, "ta", "tb", "2 BYE", NULL), TR_OK);
    assert_int_equal(tr_calls_stats(t)->ended, 1);
    tr_calls_free(t);
}

static void calls_idle_call_expires_unless_media_flows(void **state)
{
    (void)state;
    struct tr_calls_conf conf = {.idle_ns = 60 * SEC};
    struct tr_calls *t = tr_calls_new(&conf);
    call_up(t, 0, "idle@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    call_up(t, 0, "talk@x", "198.51.100.3", 16000, NULL, "198.51.100.4", 26000, NULL);
    for (uint64_t s = 5; s <= 100; s += 5)
        assert_string_equal(match(t, s * SEC, "198.51.100.3", 16001, "198.51.100.4", 26001, true),
                            "talk@x");
    tr_calls_expire(t, 100 * SEC);
    assert_int_equal(tr_calls_stats(t)->expired_idle, 1);
    assert_int_equal(tr_calls_stats(t)->calls, 1);
    assert_string_equal(match(t, 100 * SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true),
                        "");
    tr_calls_free(t);
}

/* Old-style hold (RFC 3264 8.4): c=0.0.0.0 keeps the previous address. */
static void calls_hold_with_zero_address_keeps_the_endpoint(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    call_up(t, 0, "hold@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    assert_int_equal(sip(t, SEC, INVITE, "hold@x", "ta", "tb", "2 INVITE",
                         sdp_audio("0.0.0.0", 16000, "a=sendonly\r\n")),
                     TR_OK);
    assert_string_equal(match(t, 2 * SEC, "198.51.100.1", 16001, "198.51.100.9", 1, true),
                        "hold@x");
    tr_calls_free(t);
}

/* SIP-I style multipart body, a body with no Content-Type, and a body cut
 * short of its Content-Length. */
static void calls_sdp_found_in_multipart_and_untyped_bodies(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    char body[1024];
    snprintf(body, sizeof(body),
             "--uniqueBoundary\r\nContent-Type: application/sdp\r\n\r\n%s"
             "--uniqueBoundary\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n"
             "\x01\x02\x03\r\n--uniqueBoundary--\r\n",
             sdp_audio("198.51.100.1", 16000, NULL));
    assert_int_equal(sip_full(t, 0, INVITE, "mp@x", "ta", NULL, "1 INVITE",
                              "multipart/mixed;boundary=uniqueBoundary", body),
                     TR_OK);
    assert_string_equal(match(t, SEC, "198.51.100.1", 16001, "198.51.100.9", 1, true), "mp@x");

    static char msg[2048];
    int n = snprintf(msg, sizeof(msg),
                     "SIP/2.0 200 OK\r\nFrom: <sip:a@x>;tag=ta\r\nTo: <sip:b@x>;tag=tb\r\n"
                     "Call-ID: mp@x\r\nCSeq: 1 INVITE\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(sdp_audio("198.51.100.2", 26000, NULL)),
                     sdp_audio("198.51.100.2", 26000, NULL));
    struct tr_sip_msg m;
    assert_int_equal(tr_sip_parse((struct tr_bytes){(const uint8_t *)msg, (size_t)n}, &m), TR_OK);
    assert_int_equal(tr_calls_observe_sip(t, NULL, &m, SEC), TR_OK);
    assert_string_equal(match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true), "mp@x");

    /* Cut inside the m= line: counted; the side's media become what is
     * whole (here: none), so the old endpoint goes. */
    n = snprintf(msg, sizeof(msg),
                 "SIP/2.0 200 OK\r\nFrom: <sip:a@x>;tag=ta\r\nTo: <sip:b@x>;tag=tb\r\n"
                 "Call-ID: mp@x\r\nCSeq: 2 INVITE\r\nContent-Type: application/sdp\r\n"
                 "Content-Length: 500\r\n\r\n%s",
                 sdp_audio("198.51.100.2", 27000, NULL));
    char *cut = strstr(msg, "m=audio 27");
    assert_non_null(cut);
    assert_int_not_equal(
        tr_sip_parse((struct tr_bytes){(const uint8_t *)msg, (size_t)(cut + 10 - msg)}, &m),
        TR_DECLINED);
    assert_int_equal(tr_calls_observe_sip(t, NULL, &m, 2 * SEC), TR_OK);
    assert_int_equal(tr_calls_stats(t)->sdp_cut, 1);
    assert_string_equal(match(t, 3 * SEC, "198.51.100.7", 1, "198.51.100.2", 26001, true), "");

    /* A body announced as SDP that is not: counted. */
    assert_int_equal(sip(t, 3 * SEC, INVITE, "bad@x", "ta", NULL, "1 INVITE", "hello\r\n"), TR_OK);
    assert_int_equal(tr_calls_stats(t)->sdp_failures, 1);
    tr_calls_free(t);
}

/* Media lines pair up by index (RFC 3264 6); lines past max_media (2 by
 * default) are counted, a disabled line (port 0) has no endpoints. */
static void calls_several_media_lines_pair_up_and_extra_lines_are_counted(void **state)
{
    (void)state;
    struct tr_calls *t = table(0);
    static const char offer[] = "v=0\r\nc=IN IP4 198.51.100.1\r\n"
                                "m=audio 16000 RTP/AVP 0\r\n"
                                "m=video 16002 RTP/AVP 96\r\na=rtcp:16010\r\n"
                                "m=application 16004 UDP/BFCP *\r\n";
    static const char answer[] = "v=0\r\nc=IN IP4 198.51.100.2\r\n"
                                 "m=audio 26000 RTP/AVP 0\r\n"
                                 "m=video 0 RTP/AVP 96\r\n"
                                 "m=application 0 UDP/BFCP *\r\n";
    assert_int_equal(sip(t, 0, INVITE, "av@x", "ta", NULL, "1 INVITE", offer), TR_OK);
    assert_string_equal(match(t, SEC, "198.51.100.1", 16010, "198.51.100.7", 7, true), "av@x");
    assert_int_equal(tr_calls_stats(t)->media_dropped, 1);
    assert_int_equal(tr_calls_stats(t)->endpoints, 4);
    /* The answer refuses video: only audio is left on its side. */
    assert_int_equal(sip(t, SEC, OK200, "av@x", "ta", "tb", "1 INVITE", answer), TR_OK);
    assert_int_equal(tr_calls_stats(t)->endpoints, 6);
    assert_string_equal(match(t, SEC, "198.51.100.2", 26001, "198.51.100.1", 16001, true), "av@x");
    assert_string_equal(match(t, SEC, "198.51.100.2", 1, "198.51.100.1", 16005, true), "");
    tr_calls_free(t);
}

/* Once warm, SIP and media handling never allocate. */
static void calls_observe_and_match_do_not_allocate_once_warm(void **state)
{
    (void)state;
    struct tr_calls *t = table(64);
    char cid[32];
    /* Warm-up outside the count: cmocka's own bookkeeping, stdio. */
    call_up(t, 0, "warm@x", "198.51.100.1", 16000, NULL, "198.51.100.2", 26000, NULL);
    (void)match(t, SEC, "198.51.100.1", 16001, "198.51.100.2", 26001, true);
    start_counting();
    unsigned long before = allocs_so_far();
    for (unsigned i = 0; i < 1000; i++) {
        uint64_t now = (uint64_t)(i + 2) * SEC;
        snprintf(cid, sizeof(cid), "warm-%u@x", i);
        call_up(t, now, cid, "10.0.0.5", 4000 + 2 * (i % 500), NULL, "198.51.100.2",
                20000 + 2 * (i % 500), NULL);
        (void)match(t, now + SEC / 2, "203.0.113.7", 30000 + 2 * (i % 500), "198.51.100.2",
                    20000 + 2 * (i % 500), false);
        (void)match(t, now + SEC / 2, "203.0.113.7", 30001 + 2 * (i % 500), "198.51.100.2",
                    20001 + 2 * (i % 500), true);
        if (i % 3 == 0)
            assert_int_equal(sip(t, now + SEC, BYE, cid, "ta", "tb", "2 BYE", NULL), TR_OK);
        tr_calls_expire(t, now);
    }
    unsigned long used = allocs_so_far() - before;
    assert_int_equal(used, 0);
    assert_true(tr_calls_stats(t)->learned > 0);
    assert_true(tr_calls_stats(t)->evicted > 0);
    tr_calls_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calls_rtcp_on_port_plus_one_matches_both_directions),
        cmocka_unit_test(calls_rtcp_attribute_port_replaces_port_plus_one),
        cmocka_unit_test(calls_rtcp_mux_matches_on_the_rtp_port_only),
        cmocka_unit_test(calls_rtcp_mux_refused_by_answer_falls_back_to_port_plus_one),
        cmocka_unit_test(calls_reinvite_moves_that_sides_media),
        cmocka_unit_test(calls_bye_lingers_then_the_call_is_gone),
        cmocka_unit_test(calls_linger_does_not_depend_on_expire_ticks),
        cmocka_unit_test(calls_cancel_and_final_failure_end_the_call),
        cmocka_unit_test(calls_auth_challenge_retry_revives_the_call),
        cmocka_unit_test(calls_reinvite_failure_does_not_end_an_established_call),
        cmocka_unit_test(calls_non_invite_dialogs_are_not_tracked),
        cmocka_unit_test(calls_cap_evicts_least_recently_used_and_counts_it),
        cmocka_unit_test(calls_flood_of_100k_calls_stays_within_the_cap),
        cmocka_unit_test(calls_nat_learning_matches_rtcp_of_the_natted_party),
        cmocka_unit_test(calls_nat_learning_from_the_public_side_and_real_rtcp_port),
        cmocka_unit_test(calls_nat_learning_with_rtcp_mux),
        cmocka_unit_test(calls_nat_learning_is_conservative),
        cmocka_unit_test(calls_nat_learning_when_sdp_endpoint_is_never_seen),
        cmocka_unit_test(calls_ipv6_offer_answer_matches),
        cmocka_unit_test(calls_newer_sdp_takes_a_reused_endpoint),
        cmocka_unit_test(calls_packet_between_two_calls_prefers_live_then_announced),
        cmocka_unit_test(calls_long_call_id_is_kept_hashed_and_distinct),
        cmocka_unit_test(calls_idle_call_expires_unless_media_flows),
        cmocka_unit_test(calls_hold_with_zero_address_keeps_the_endpoint),
        cmocka_unit_test(calls_sdp_found_in_multipart_and_untyped_bodies),
        cmocka_unit_test(calls_several_media_lines_pair_up_and_extra_lines_are_counted),
        cmocka_unit_test(calls_observe_and_match_do_not_allocate_once_warm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
