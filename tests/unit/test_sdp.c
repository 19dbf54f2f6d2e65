/* test_sdp.c - the SDP parser (src/proto/sdp.c) on real-world bodies: SIPp
 * and softphone offers/answers, a WebRTC offer, IPv6, RFC 3605 and RFC 5761
 * attributes, several m= lines, disabled streams, missing or media-level c=,
 * cut bodies and junk. Every body is parsed from a heap copy of exactly its
 * length, so a read past the end is an AddressSanitizer error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include "proto/proto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

/* Parses the first len bytes of text from a heap buffer of exactly len. The
 * buffer lives until the next parse (views point into it). */
static uint8_t *last_buf;

static int parse_n(const char *text, size_t len, struct tr_sdp *out)
{
    free(last_buf);
    uint8_t *buf = last_buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, text, len);
    int rc = tr_sdp_parse((struct tr_bytes){buf, len}, out);
    for (unsigned i = 0; i < out->n_media; i++) {
        const struct tr_sdp_media *m = &out->media[i];
        if (m->type.len)
            assert_true((const uint8_t *)m->type.ptr >= buf &&
                        (const uint8_t *)m->type.ptr + m->type.len <= buf + len);
        if (m->proto.len)
            assert_true((const uint8_t *)m->proto.ptr >= buf &&
                        (const uint8_t *)m->proto.ptr + m->proto.len <= buf + len);
    }
    return rc;
}

static int free_last(void **state)
{
    (void)state;
    free(last_buf);
    last_buf = NULL;
    return 0;
}

static int parse(const char *text, struct tr_sdp *out)
{
    return parse_n(text, strlen(text), out);
}

static void assert_addr(const struct tr_addr *a, const char *text)
{
    struct tr_addr want;
    memset(&want, 0, sizeof(want));
    if (strchr(text, ':')) {
        want.family = TR_AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, want.a), 1);
    } else {
        want.family = TR_AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, want.a), 1);
    }
    char got[TR_ADDR_STRLEN] = "";
    if (a->family)
        tr_addr_format(a, got, sizeof(got));
    assert_string_equal(got, text);
    assert_int_equal(a->family, want.family);
    assert_memory_equal(a->a, want.a, a->family == TR_AF_INET ? 4 : 16);
}

static void assert_str(struct tr_str s, const char *want)
{
    char buf[128];
    assert_true(s.len < sizeof(buf));
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    assert_string_equal(buf, want);
}

/* The offer SIPp sends in trawl's bench (gen_sip_pcap.sh). */
static const char sipp_offer[] = "v=0\r\n"
                                 "o=alice 1 1 IN IP4 127.87.146.1\r\n"
                                 "s=trawl-bench\r\n"
                                 "c=IN IP4 127.87.146.1\r\n"
                                 "t=0 0\r\n"
                                 "m=audio 16000 RTP/AVP 8 101\r\n"
                                 "a=rtpmap:8 PCMA/8000\r\n"
                                 "a=rtpmap:101 telephone-event/8000\r\n"
                                 "a=fmtp:101 0-15\r\n"
                                 "a=ptime:30\r\n"
                                 "a=sendrecv\r\n";

static void sdp_sipp_offer_gives_audio_endpoint(void **state)
{
    (void)state;
    struct tr_sdp s;
    assert_int_equal(parse(sipp_offer, &s), TR_OK);
    assert_int_equal(s.n_media, 1);
    assert_int_equal(s.n_media_total, 1);
    assert_int_equal(s.n_junk, 0);
    assert_false(s.unterminated);
    assert_addr(&s.session_addr, "127.87.146.1");
    const struct tr_sdp_media *m = &s.media[0];
    assert_str(m->type, "audio");
    assert_str(m->proto, "RTP/AVP");
    assert_int_equal(m->port, 16000);
    assert_int_equal(m->n_ports, 1);
    assert_addr(&m->addr, "127.87.146.1");
    assert_false(m->media_conn);
    assert_int_equal(m->rtcp_port, 0);
    assert_false(m->rtcp_mux);
    assert_int_equal(m->dir, TR_SDP_SENDRECV);
}

/* An answer from an Asterisk-era softphone with LF-only line ends. */
static void sdp_lf_line_ends_are_accepted(void **state)
{
    (void)state;
    static const char answer[] = "v=0\n"
                                 "o=- 3545 3545 IN IP4 192.168.10.40\n"
                                 "s=Asterisk\n"
                                 "c=IN IP4 192.168.10.40\n"
                                 "t=0 0\n"
                                 "m=audio 49848 RTP/AVP 0 8 101\n"
                                 "a=rtpmap:0 PCMU/8000\n"
                                 "a=silenceSupp:off - - - -\n"
                                 "a=ptime:20\n"
                                 "a=sendrecv\n";
    struct tr_sdp s;
    assert_int_equal(parse(answer, &s), TR_OK);
    assert_int_equal(s.n_media, 1);
    assert_int_equal(s.media[0].port, 49848);
    assert_addr(&s.media[0].addr, "192.168.10.40");
    assert_int_equal(s.n_junk, 0);
}

/* RFC 3605 section 2.1 examples: port only, and port with address. */
static void sdp_rtcp_attribute_with_and_without_address(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "o=- 1 1 IN IP4 192.0.2.1\r\n"
                               "s=-\r\n"
                               "c=IN IP4 192.0.2.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 49170 RTP/AVP 0\r\n"
                               "a=rtcp:53020\r\n"
                               "m=audio 49180 RTP/AVP 0\r\n"
                               "a=rtcp:53020 IN IP4 126.16.64.4\r\n"
                               "m=audio 49190 RTP/AVP 0\r\n"
                               "a=rtcp:53022 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 3);
    assert_int_equal(s.media[0].rtcp_port, 53020);
    assert_int_equal(s.media[0].rtcp_addr.family, TR_AF_NONE);
    assert_int_equal(s.media[1].rtcp_port, 53020);
    assert_addr(&s.media[1].rtcp_addr, "126.16.64.4");
    assert_addr(&s.media[1].addr, "192.0.2.1");
    assert_int_equal(s.media[2].rtcp_port, 53022);
    assert_addr(&s.media[2].rtcp_addr, "2001:2345:6789:abcd:ef01:2345:6789:abcd");
    assert_int_equal(s.n_junk, 0);
}

/* A browser offer (shape of Chrome's): placeholder addresses, BUNDLE, mux,
 * "a=rtcp-mux-only" (RFC 8858), rtcp-fb attributes that must not be taken
 * for a=rtcp. */
static void sdp_webrtc_offer_has_mux_and_placeholder_rtcp(void **state)
{
    (void)state;
    static const char body[] =
        "v=0\r\n"
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=msid-semantic: WMS\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:khLS\r\n"
        "a=fingerprint:sha-256 FA:14:42:3B:C7:97:1B:E8:AE:0C:2A:0C:F1:D7:2E:DE\r\n"
        "a=setup:actpass\r\n"
        "a=mid:0\r\n"
        "a=sendrecv\r\n"
        "a=rtcp-mux\r\n"
        "a=rtcp-rsize\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=rtcp-fb:111 transport-cc\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=mid:1\r\n"
        "a=recvonly\r\n"
        "a=rtcp-mux-only\r\n"
        "a=rtcp-fb:96 nack pli\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 2);
    assert_int_equal(s.session_addr.family, TR_AF_NONE);
    assert_str(s.media[0].proto, "UDP/TLS/RTP/SAVPF");
    assert_int_equal(s.media[0].port, 9);
    assert_true(s.media[0].media_conn);
    assert_addr(&s.media[0].addr, "0.0.0.0");
    assert_int_equal(s.media[0].rtcp_port, 9);
    assert_addr(&s.media[0].rtcp_addr, "0.0.0.0");
    assert_true(s.media[0].rtcp_mux);
    assert_int_equal(s.media[0].dir, TR_SDP_SENDRECV);
    assert_str(s.media[1].type, "video");
    assert_true(s.media[1].rtcp_mux);
    assert_int_equal(s.media[1].dir, TR_SDP_RECVONLY);
    assert_int_equal(s.n_junk, 0);
}

static void sdp_ipv6_connection_and_count_suffix(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "o=bob 2808844564 2808844564 IN IP6 2001:db8::2\r\n"
                               "s=-\r\n"
                               "c=IN IP6 2001:db8::2\r\n"
                               "t=0 0\r\n"
                               "m=audio 30000 RTP/AVP 0\r\n"
                               "m=video 30002/2 RTP/AVP 31\r\n"
                               "c=IN IP6 FF15::101/3\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 2);
    assert_addr(&s.session_addr, "2001:db8::2");
    assert_addr(&s.media[0].addr, "2001:db8::2");
    assert_int_equal(s.media[1].port, 30002);
    assert_int_equal(s.media[1].n_ports, 2);
    assert_addr(&s.media[1].addr, "ff15::101");
    assert_int_equal(s.n_junk, 0);
}

/* RFC 8866 5.7: IPv4 multicast with TTL, and TTL plus count. */
static void sdp_ipv4_ttl_and_count_suffixes_are_tolerated(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "c=IN IP4 233.252.0.1/127\r\n"
                               "m=audio 49170 RTP/AVP 0\r\n"
                               "m=video 51372 RTP/AVP 99\r\n"
                               "c=IN IP4 233.252.0.2/127/3\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_addr(&s.media[0].addr, "233.252.0.1");
    assert_addr(&s.media[1].addr, "233.252.0.2");
    assert_int_equal(s.n_junk, 0);
}

static void sdp_media_level_connection_overrides_session(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "c=IN IP4 198.51.100.1\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n"
                               "m=video 4002 RTP/AVP 96\r\n"
                               "c=IN IP4 198.51.100.99\r\n"
                               "m=audio 4004 RTP/AVP 0\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_addr(&s.media[0].addr, "198.51.100.1");
    assert_false(s.media[0].media_conn);
    assert_addr(&s.media[1].addr, "198.51.100.99");
    assert_true(s.media[1].media_conn);
    assert_addr(&s.media[2].addr, "198.51.100.1");
}

static void sdp_missing_connection_leaves_address_unset(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 1);
    assert_int_equal(s.media[0].port, 4000);
    assert_int_equal(s.media[0].addr.family, TR_AF_NONE);
    assert_int_equal(s.session_addr.family, TR_AF_NONE);
}

/* A T.38 re-INVITE answer like the one in ndpi-FAX-Call-t38: the image
 * stream is refused with port 0 (RFC 3264 8.2). */
static void sdp_port_zero_marks_a_disabled_stream(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "o=- 1 2 IN IP4 10.23.1.52\r\n"
                               "s=-\r\n"
                               "c=IN IP4 10.23.1.52\r\n"
                               "t=0 0\r\n"
                               "m=audio 16756 RTP/AVP 8 103 102\r\n"
                               "a=ptime:30\r\n"
                               "m=image 0 UDPTL t38\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 2);
    assert_int_equal(s.media[0].port, 16756);
    assert_str(s.media[1].type, "image");
    assert_int_equal(s.media[1].port, 0);
    assert_false(s.media[1].malformed);
}

static void sdp_more_media_lines_than_limit_are_counted(void **state)
{
    (void)state;
    char body[2048];
    size_t n = (size_t)snprintf(body, sizeof(body), "v=0\r\nc=IN IP4 192.0.2.1\r\n");
    for (int i = 0; i < TR_SDP_MAX_MEDIA + 3; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "m=audio %d RTP/AVP 0\r\na=rtcp:%d\r\nc=IN IP4 192.0.2.%d\r\n",
                              5000 + 2 * i, 7000 + i, 10 + i);
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, TR_SDP_MAX_MEDIA);
    assert_int_equal(s.n_media_total, TR_SDP_MAX_MEDIA + 3);
    /* The overflow lines' attributes did not land on the last stored line. */
    const struct tr_sdp_media *last = &s.media[TR_SDP_MAX_MEDIA - 1];
    assert_int_equal(last->port, 5000 + 2 * (TR_SDP_MAX_MEDIA - 1));
    assert_int_equal(last->rtcp_port, 7000 + TR_SDP_MAX_MEDIA - 1);
    char want[32];
    snprintf(want, sizeof(want), "192.0.2.%d", 10 + TR_SDP_MAX_MEDIA - 1);
    assert_addr(&last->addr, want);
}

/* A body cut inside its last line (snaplen): what is there is parsed, the
 * cut is flagged, nothing past the end is read. */
static void sdp_truncated_body_is_flagged_and_bounded(void **state)
{
    (void)state;
    static const char full[] = "v=0\r\n"
                               "c=IN IP4 192.0.2.1\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n"
                               "c=IN IP4 198.51.100.123\r\n";
    struct tr_sdp s;
    /* Cut after "198.51.100.1": the partial address still parses. */
    size_t cut = strlen(full) - strlen("23\r\n");
    assert_int_equal(parse_n(full, cut, &s), TR_OK);
    assert_true(s.unterminated);
    assert_addr(&s.media[0].addr, "198.51.100.1");
    /* Cut inside the m= line: the stream is malformed, not invented. */
    cut = strlen("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000");
    assert_int_equal(parse_n(full, cut, &s), TR_OK);
    assert_int_equal(s.n_media, 1);
    assert_true(s.media[0].malformed);
    assert_int_equal(s.media[0].port, 0);
    /* Every prefix parses without reading past it (ASan checks). */
    for (size_t i = 0; i <= strlen(full); i++)
        (void)parse_n(full, i, &s);
}

static void sdp_junk_lines_are_skipped_and_counted(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\n"
                               "this is not sdp\r\n"
                               "c=IN IP4 999.1.1.1\r\n"
                               "c=IN IP4 192.0.2.7\r\n"
                               "\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n"
                               "a=rtcp:abc\r\n"
                               "a=rtcp:70000\r\n"
                               "=\r\n"
                               "a=rtcp:4005\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_junk, 5);
    assert_addr(&s.media[0].addr, "192.0.2.7");
    assert_int_equal(s.media[0].rtcp_port, 4005);
}

static void sdp_host_name_connection_is_not_an_address(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\nc=IN IP4 media.example.com\r\nm=audio 4000 RTP/AVP 0\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_junk, 0);
    assert_int_equal(s.media[0].addr.family, TR_AF_NONE);
    assert_int_equal(s.media[0].port, 4000);
}

/* A malformed m= line still opens its section: its a=rtcp must not move the
 * previous stream's RTCP. */
static void sdp_malformed_media_line_keeps_its_attributes(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\nc=IN IP4 192.0.2.1\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n"
                               "m=audio $ RTP/AVP 0\r\n"
                               "a=rtcp:9999\r\n"
                               "m=video 4002/0 RTP/AVP 96\r\n"
                               "m=video 65536 RTP/AVP 96\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.n_media, 4);
    assert_int_equal(s.media[0].rtcp_port, 0);
    assert_true(s.media[1].malformed);
    assert_int_equal(s.media[1].port, 0);
    assert_true(s.media[2].malformed);
    assert_true(s.media[3].malformed);
    assert_int_equal(s.n_junk, 3);
}

static void sdp_session_attributes_are_defaults_for_media(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\nc=IN IP4 192.0.2.1\r\na=sendonly\r\na=rtcp-mux\r\n"
                               "a=rtcp:5555\r\n"
                               "m=audio 4000 RTP/AVP 0\r\n"
                               "m=video 4002 RTP/AVP 96\r\na=inactive\r\n";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_int_equal(s.media[0].dir, TR_SDP_SENDONLY);
    assert_int_equal(s.media[1].dir, TR_SDP_INACTIVE);
    assert_true(s.media[0].rtcp_mux);
    assert_true(s.media[1].rtcp_mux);
    assert_int_equal(s.media[0].rtcp_port, 0); /* a=rtcp is media-level only */
}

static void sdp_body_that_is_not_sdp_is_declined(void **state)
{
    (void)state;
    struct tr_sdp s;
    assert_int_equal(parse("", &s), TR_DECLINED);
    assert_int_equal(parse("\r\n\r\n", &s), TR_DECLINED);
    assert_int_equal(parse("<?xml version=\"1.0\"?>\r\n", &s), TR_DECLINED);
    assert_int_equal(parse("m=audio 4000 RTP/AVP 0\r\nv=0\r\n", &s), TR_DECLINED);
    assert_int_equal(s.n_media, 0);
    assert_int_equal(tr_sdp_parse((struct tr_bytes){NULL, 0}, &s), TR_DECLINED);
    /* Leading blank lines are tolerated. */
    assert_int_equal(parse("\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\n", &s), TR_OK);
    assert_int_equal(s.n_media, 1);
}

/* Keywords are compared case-insensitively; tabs and runs of spaces split
 * fields; an unterminated last line still counts. */
static void sdp_tolerates_case_and_spacing(void **state)
{
    (void)state;
    static const char body[] = "v=0\r\nc=in ip4   192.0.2.9\r\nm=audio\t4000  RTP/AVP 0\r\n"
                               "a=RTCP-MUX\r\na=rtcp:4001 in ip4 192.0.2.10";
    struct tr_sdp s;
    assert_int_equal(parse(body, &s), TR_OK);
    assert_addr(&s.media[0].addr, "192.0.2.9");
    assert_int_equal(s.media[0].port, 4000);
    assert_true(s.media[0].rtcp_mux);
    assert_int_equal(s.media[0].rtcp_port, 4001);
    assert_addr(&s.media[0].rtcp_addr, "192.0.2.10");
    assert_true(s.unterminated);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sdp_sipp_offer_gives_audio_endpoint),
        cmocka_unit_test(sdp_lf_line_ends_are_accepted),
        cmocka_unit_test(sdp_rtcp_attribute_with_and_without_address),
        cmocka_unit_test(sdp_webrtc_offer_has_mux_and_placeholder_rtcp),
        cmocka_unit_test(sdp_ipv6_connection_and_count_suffix),
        cmocka_unit_test(sdp_ipv4_ttl_and_count_suffixes_are_tolerated),
        cmocka_unit_test(sdp_media_level_connection_overrides_session),
        cmocka_unit_test(sdp_missing_connection_leaves_address_unset),
        cmocka_unit_test(sdp_port_zero_marks_a_disabled_stream),
        cmocka_unit_test(sdp_more_media_lines_than_limit_are_counted),
        cmocka_unit_test(sdp_truncated_body_is_flagged_and_bounded),
        cmocka_unit_test(sdp_junk_lines_are_skipped_and_counted),
        cmocka_unit_test(sdp_host_name_connection_is_not_an_address),
        cmocka_unit_test(sdp_malformed_media_line_keeps_its_attributes),
        cmocka_unit_test(sdp_session_attributes_are_defaults_for_media),
        cmocka_unit_test(sdp_body_that_is_not_sdp_is_declined),
        cmocka_unit_test(sdp_tolerates_case_and_spacing),
    };
    return cmocka_run_group_tests(tests, NULL, free_last);
}
