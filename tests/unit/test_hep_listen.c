/* test_hep_listen.c - unit tests for the HEP input (src/input/hep_listen.c):
 * message validation and its reasons (v1 and v2 built by hand per
 * ../shared/reference/hep.md, v3 with the project's encoder), the auth key
 * check, HEP3 stream framing, and the listener itself on 127.0.0.1/::1 (UDP
 * batches, TCP frames split across writes, v1 on TCP closed, connection
 * limit). Also the HEP output's relay of such messages: unchanged v3 bytes,
 * v1 as v3, re-stamped with our capture id, node and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "input/input.h"
#include "output/output.h"
#include "proto/proto.h"

/* ---------------------------------------------------------------- helpers */

static struct tr_str s_(const char *s)
{
    return (struct tr_str){ s, strlen(s) };
}

static const char SIP[] = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x1\r\nCSeq: 1 OPTIONS\r\n\r\n";

/* A HEP v3 frame from the project's encoder; returns its length. */
static size_t make_v3(uint8_t *buf, size_t cap, const char *key, uint32_t capid)
{
    struct tr_hep_fields f = {
        .src = { .family = TR_AF_INET, .a = { 10, 0, 0, 1 } },
        .dst = { .family = TR_AF_INET, .a = { 10, 0, 0, 2 } },
        .ip_proto = 17,
        .sport = 5060,
        .dport = 5070,
        .ts_sec = 1700000000,
        .ts_usec = 123456,
        .proto_type = TR_HEP_PROTO_SIP,
        .capture_id = capid,
        .auth_key = key ? s_(key) : (struct tr_str){ 0 },
        .node_name = s_("far-node"),
        .payload = { (const uint8_t *)SIP, sizeof(SIP) - 1 },
    };
    int n = tr_hep3_encode(&f, buf, cap);
    assert_true(n > 0);
    return (size_t)n;
}

/* HEP v1 or v2 over IPv4 by hand (hep.md "HEP v1 / v2"): ports big-endian,
 * the v2 time block little-endian. */
static size_t make_v12(uint8_t *b, int version)
{
    size_t n = 0;
    b[n++] = (uint8_t)version;
    b[n++] = 16;          /* header length: 8 + 2 x 4 */
    b[n++] = 2;           /* AF_INET */
    b[n++] = 17;          /* UDP */
    b[n++] = 0x13, b[n++] = 0xc4;  /* 5060 */
    b[n++] = 0x13, b[n++] = 0xce;  /* 5070 */
    b[n++] = 192, b[n++] = 0, b[n++] = 2, b[n++] = 1;
    b[n++] = 192, b[n++] = 0, b[n++] = 2, b[n++] = 2;
    if (version == 2) {
        const uint8_t tail[12] = { 0x00, 0xf1, 0x53, 0x65, /* 1700000000 LE */
                                   0x40, 0xe2, 0x01, 0x00, /* 123456 LE */
                                   0x39, 0x05, 0, 0 };     /* capture id 1337 LE, pad */
        memcpy(b + n, tail, sizeof(tail));
        n += sizeof(tail);
    }
    memcpy(b + n, SIP, sizeof(SIP) - 1);
    return n + sizeof(SIP) - 1;
}

static enum tr_hep_in_reason check(const uint8_t *p, size_t n, const char *key)
{
    struct tr_hep_fields f;
    return tr_hep_in_check((struct tr_bytes){ p, n }, key ? s_(key) : (struct tr_str){ 0 }, &f);
}

/* A port that was free a moment ago on 127.0.0.1 (or ::1) for the socket type. */
static int free_port(int family, int type)
{
    int s = socket(family, type, 0);
    assert_true(s >= 0);
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    }
    if (bind(s, (struct sockaddr *)&ss, len) != 0) {
        close(s);
        return -1;
    }
    getsockname(s, (struct sockaddr *)&ss, &len);
    close(s);
    return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

struct got {
    unsigned n;
    size_t lens[64];
    uint8_t first[64];
    int linktype;
};

static void on_pkt(void *user, struct tr_packet *pkt)
{
    struct got *g = user;
    if (g->n < 64) {
        g->lens[g->n] = pkt->caplen;
        g->first[g->n] = pkt->frame[0];
    }
    g->linktype = pkt->linktype;
    g->n++;
}

/* Dispatches until want packets arrived or about two seconds passed. */
static void pump(struct tr_input *in, struct got *g, unsigned want)
{
    for (int i = 0; i < 200 && g->n < want; i++) {
        struct pollfd pfd = { .fd = in->ops->fd(in), .events = POLLIN };
        poll(&pfd, 1, 10);
        assert_true(in->ops->dispatch(in, 256, on_pkt, g) >= 0);
    }
}

/* Dispatches a little longer, for things that should not arrive. */
static void pump_idle(struct tr_input *in, struct got *g)
{
    for (int i = 0; i < 20; i++) {
        struct pollfd pfd = { .fd = in->ops->fd(in), .events = POLLIN };
        poll(&pfd, 1, 10);
        assert_true(in->ops->dispatch(in, 256, on_pkt, g) >= 0);
    }
}

static int udp_to(int family, int port)
{
    int s = socket(family, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    if (family == AF_INET) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    } else {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                  .sin6_addr = in6addr_loopback };
        assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    }
    return s;
}

static int tcp_to(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    return s;
}

static void open_hep(struct tr_input *in, const char *spec, const char *key, unsigned conns)
{
    struct tr_input_conf conf = { .kind = TR_INPUT_HEP, .source = spec, .hep_key = key,
                                  .hep_max_conns = conns };
    struct tr_err err = { 0 };
    memset(in, 0, sizeof(*in));
    int rc = tr_input_open(in, &conf, &err);
    if (rc != TR_OK)
        print_error("open %s: %s\n", spec, err.msg);
    assert_int_equal(rc, TR_OK);
    assert_ptr_equal(in->ops, &tr_input_hep_listen);
}

/* ---------------------------------------------------------------- validation */

static void v3_from_encoder_is_accepted(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 7);
    struct tr_hep_fields f;
    assert_int_equal(tr_hep_in_check((struct tr_bytes){ b, n }, (struct tr_str){ 0 }, &f),
                     TR_HEPIN_OK);
    assert_int_equal(f.version, 3);
    assert_int_equal(f.capture_id, 7);
    assert_int_equal(f.dport, 5070);
}

static void v1_by_hand_is_accepted_without_time(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = make_v12(b, 1);
    struct tr_hep_fields f;
    assert_int_equal(tr_hep_in_check((struct tr_bytes){ b, n }, (struct tr_str){ 0 }, &f),
                     TR_HEPIN_OK);
    assert_int_equal(f.version, 1);
    assert_int_equal(f.sport, 5060);
    assert_int_equal(f.ts_sec, 0);
    assert_int_equal(f.src.a[3], 1);
    assert_int_equal(f.payload.len, sizeof(SIP) - 1);
}

static void v2_by_hand_carries_little_endian_time_and_capture_id(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = make_v12(b, 2);
    struct tr_hep_fields f;
    assert_int_equal(tr_hep_in_check((struct tr_bytes){ b, n }, (struct tr_str){ 0 }, &f),
                     TR_HEPIN_OK);
    assert_int_equal(f.version, 2);
    assert_int_equal(f.ts_sec, 1700000000);
    assert_int_equal(f.ts_usec, 123456);
    assert_int_equal(f.capture_id, 1337);
    assert_memory_equal(f.payload.ptr, SIP, sizeof(SIP) - 1);
}

static void junk_is_not_hep(void **state)
{
    (void)state;
    assert_int_equal(check((const uint8_t *)"INVITE sip:x SIP/2.0", 20, NULL), TR_HEPIN_NOT_HEP);
    assert_int_equal(check((const uint8_t *)"HEP4xxxx", 8, NULL), TR_HEPIN_NOT_HEP);
}

static void v3_shorter_than_its_length_is_truncated(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    assert_int_equal(check(b, n - 1, NULL), TR_HEPIN_TRUNCATED);
    assert_int_equal(check(b, 5, NULL), TR_HEPIN_TRUNCATED);
    uint8_t v2[256];
    make_v12(v2, 2);
    assert_int_equal(check(v2, 20, NULL), TR_HEPIN_TRUNCATED); /* cut in the v2 time block */
}

static void v3_bad_chunk_length_is_malformed(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    b[6 + 4] = 0, b[6 + 5] = 3; /* first chunk's length below its own header */
    assert_int_equal(check(b, n, NULL), TR_HEPIN_MALFORMED);
    uint8_t v[256];
    size_t vn = make_v12(v, 1);
    v[2] = 99; /* unknown family */
    assert_int_equal(check(v, vn, NULL), TR_HEPIN_MALFORMED);
}

static void message_over_max_frame_is_too_big(void **state)
{
    (void)state;
    static uint8_t big[TR_HEP_MAX_FRAME + 1];
    memcpy(big, "HEP3", 4);
    assert_int_equal(check(big, sizeof(big), NULL), TR_HEPIN_TOO_BIG);
}

static void required_key_must_match(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), "secret", 1);
    assert_int_equal(check(b, n, "secret"), TR_HEPIN_OK);
    assert_int_equal(check(b, n, "secreT"), TR_HEPIN_AUTH_WRONG);
    assert_int_equal(check(b, n, "secret2"), TR_HEPIN_AUTH_WRONG);
    n = make_v3(b, sizeof(b), NULL, 1);
    assert_int_equal(check(b, n, "secret"), TR_HEPIN_AUTH_MISSING);
    assert_int_equal(check(b, n, NULL), TR_HEPIN_OK);
}

static void v1_and_v2_never_pass_a_required_key(void **state)
{
    (void)state;
    uint8_t b[256];
    assert_int_equal(check(b, make_v12(b, 1), "k"), TR_HEPIN_AUTH_MISSING);
    assert_int_equal(check(b, make_v12(b, 2), "k"), TR_HEPIN_AUTH_MISSING);
}

static void reason_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(tr_hep_in_reason_name(TR_HEPIN_AUTH_WRONG), "auth_wrong");
    assert_string_equal(tr_hep_in_reason_name(TR_HEPIN_TOO_BIG), "too_big");
    assert_string_equal(tr_hep_in_reason_name(TR_HEPIN_REASON_COUNT), "unknown");
}

/* ---------------------------------------------------------------- framing */

static long frame(const uint8_t *p, size_t n, enum tr_hep_in_reason *why)
{
    return tr_hep_in_frame((struct tr_bytes){ p, n }, why);
}

static void stream_frame_needs_the_whole_frame(void **state)
{
    (void)state;
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    enum tr_hep_in_reason why = TR_HEPIN_OK;
    assert_int_equal(frame(b, 0, &why), 0);
    assert_int_equal(frame(b, 3, &why), 0);   /* "HEP": could still be HEP3 */
    assert_int_equal(frame(b, 6, &why), 0);
    assert_int_equal(frame(b, n - 1, &why), 0);
    assert_int_equal(frame(b, n, &why), (long)n);
    assert_int_equal(why, TR_HEPIN_OK);
}

static void stream_frames_back_to_back_are_cut_one_by_one(void **state)
{
    (void)state;
    uint8_t b[2048];
    size_t n1 = make_v3(b, sizeof(b), NULL, 1);
    size_t n2 = make_v3(b + n1, sizeof(b) - n1, "k", 2);
    enum tr_hep_in_reason why = TR_HEPIN_OK;
    assert_int_equal(frame(b, n1 + n2, &why), (long)n1);
    assert_int_equal(frame(b + n1, n2, &why), (long)n2);
    assert_int_equal(frame(b + n1, 10, &why), 0);
}

static void stream_of_v1_or_junk_is_refused_at_once(void **state)
{
    (void)state;
    enum tr_hep_in_reason why = TR_HEPIN_OK;
    const uint8_t v1[1] = { 1 };
    assert_int_equal(frame(v1, 1, &why), -1);
    assert_int_equal(why, TR_HEPIN_MALFORMED);
    assert_int_equal(frame((const uint8_t *)"HEX", 3, &why), -1);
    assert_int_equal(why, TR_HEPIN_NOT_HEP);
}

static void stream_frame_length_below_header_or_over_max_is_refused(void **state)
{
    (void)state;
    enum tr_hep_in_reason why = TR_HEPIN_OK;
    const uint8_t small[6] = { 'H', 'E', 'P', '3', 0, 5 };
    assert_int_equal(frame(small, 6, &why), -1);
    assert_int_equal(why, TR_HEPIN_MALFORMED);
    const uint8_t big[6] = { 'H', 'E', 'P', '3', 0xff, 0xff };
    assert_int_equal(frame(big, 6, &why), -1);
    assert_int_equal(why, TR_HEPIN_TOO_BIG);
}

/* ---------------------------------------------------------------- listener */

static void udp_listener_takes_v1_v2_v3_and_counts_the_rest(void **state)
{
    (void)state;
    int port = free_port(AF_INET, SOCK_DGRAM);
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:%d", port); /* host defaults to 127.0.0.1 */
    struct tr_input in;
    open_hep(&in, spec, NULL, 0);
    assert_non_null(strstr(in.name, "127.0.0.1")); /* "hep-in:udp:127.0.0.1:PORT" */

    int s = udp_to(AF_INET, port);
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    assert_int_equal(send(s, b, n, 0), (ssize_t)n);
    n = make_v12(b, 1);
    assert_int_equal(send(s, b, n, 0), (ssize_t)n);
    n = make_v12(b, 2);
    assert_int_equal(send(s, b, n, 0), (ssize_t)n);
    assert_int_equal(send(s, "garbage!", 8, 0), 8);
    assert_int_equal(send(s, "HEP3\x00\xff", 6, 0), 6);
    struct got g = { 0 };
    pump(&in, &g, 3);
    pump_idle(&in, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.linktype, TR_LINKTYPE_HEP);
    assert_int_equal(g.first[0], 'H');
    assert_int_equal(g.first[1], 1);
    assert_int_equal(g.first[2], 2);
    const struct tr_hep_in_stats *st = tr_input_hep_stats(&in);
    assert_non_null(st);
    assert_int_equal(st->messages, 5);
    assert_int_equal(st->accepted, 3);
    assert_int_equal(st->by_version[1], 1);
    assert_int_equal(st->by_version[2], 1);
    assert_int_equal(st->by_version[3], 1);
    assert_int_equal(st->rejected[TR_HEPIN_NOT_HEP], 1);
    assert_int_equal(st->rejected[TR_HEPIN_TRUNCATED], 1);
    close(s);
    tr_input_close(&in);
}

static void udp_listener_refuses_wrong_key(void **state)
{
    (void)state;
    int port = free_port(AF_INET, SOCK_DGRAM);
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:127.0.0.1:%d", port);
    struct tr_input in;
    open_hep(&in, spec, "good", 0);
    int s = udp_to(AF_INET, port);
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), "good", 1);
    send(s, b, n, 0);
    n = make_v3(b, sizeof(b), "evil", 1);
    send(s, b, n, 0);
    n = make_v12(b, 2);
    send(s, b, n, 0);
    struct got g = { 0 };
    pump(&in, &g, 1);
    pump_idle(&in, &g);
    assert_int_equal(g.n, 1);
    const struct tr_hep_in_stats *st = tr_input_hep_stats(&in);
    assert_int_equal(st->rejected[TR_HEPIN_AUTH_WRONG], 1);
    assert_int_equal(st->rejected[TR_HEPIN_AUTH_MISSING], 1);
    close(s);
    tr_input_close(&in);
}

static void udp6_datagram_over_max_frame_is_too_big(void **state)
{
    (void)state;
    int port = free_port(AF_INET6, SOCK_DGRAM);
    if (port < 0)
        skip(); /* no IPv6 loopback here */
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:[::1]:%d", port);
    struct tr_input in;
    open_hep(&in, spec, NULL, 0);
    /* IPv6 carries UDP payloads up to 65527 bytes: more than a HEP frame. */
    static uint8_t big[TR_HEP_MAX_FRAME + 10];
    memcpy(big, "HEP3", 4);
    int s = udp_to(AF_INET6, port);
    assert_int_equal(send(s, big, sizeof(big), 0), (ssize_t)sizeof(big));
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    send(s, b, n, 0);
    struct got g = { 0 };
    pump(&in, &g, 1);
    pump_idle(&in, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(tr_input_hep_stats(&in)->rejected[TR_HEPIN_TOO_BIG], 1);
    close(s);
    tr_input_close(&in);
}

static void tcp_listener_cuts_frames_split_across_writes(void **state)
{
    (void)state;
    int port = free_port(AF_INET, SOCK_STREAM);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    struct tr_input in;
    open_hep(&in, spec, NULL, 0);
    int s = tcp_to(port);
    uint8_t b[4096];
    size_t n1 = make_v3(b, sizeof(b), NULL, 1);
    size_t n2 = make_v3(b + n1, sizeof(b) - n1, NULL, 2);
    size_t n3 = make_v3(b + n1 + n2, sizeof(b) - n1 - n2, NULL, 3);
    size_t total = n1 + n2 + n3;
    struct got g = { 0 };
    /* 1 byte, then up to the middle of the second frame, then the rest */
    assert_int_equal(write(s, b, 1), 1);
    pump_idle(&in, &g);
    assert_int_equal(g.n, 0);
    assert_int_equal(write(s, b + 1, n1 + 10), (ssize_t)(n1 + 10));
    pump(&in, &g, 1);
    assert_int_equal(g.n, 1);
    assert_int_equal(write(s, b + n1 + 11, total - n1 - 11), (ssize_t)(total - n1 - 11));
    pump(&in, &g, 3);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.lens[0], n1);
    assert_int_equal(g.lens[1], n2);
    assert_int_equal(g.lens[2], n3);
    const struct tr_hep_in_stats *st = tr_input_hep_stats(&in);
    assert_int_equal(st->conns_accepted, 1);
    assert_int_equal(st->conns_now, 1);
    /* the peer leaves in the middle of a frame: truncated, connection gone */
    assert_int_equal(write(s, b, 10), 10);
    close(s);
    pump_idle(&in, &g);
    assert_int_equal(st->rejected[TR_HEPIN_TRUNCATED], 1);
    assert_int_equal(st->conns_now, 0);
    tr_input_close(&in);
}

static void tcp_listener_closes_a_v1_stream(void **state)
{
    (void)state;
    int port = free_port(AF_INET, SOCK_STREAM);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    struct tr_input in;
    open_hep(&in, spec, NULL, 0);
    int s = tcp_to(port);
    uint8_t b[256];
    size_t n = make_v12(b, 1);
    assert_int_equal(write(s, b, n), (ssize_t)n);
    struct got g = { 0 };
    pump_idle(&in, &g);
    assert_int_equal(g.n, 0);
    const struct tr_hep_in_stats *st = tr_input_hep_stats(&in);
    assert_int_equal(st->rejected[TR_HEPIN_MALFORMED], 1);
    assert_int_equal(st->conns_closed_bad, 1);
    assert_int_equal(st->conns_now, 0);
    char c;
    assert_true(read(s, &c, 1) <= 0); /* we hung up */
    close(s);
    tr_input_close(&in);
}

static void tcp_listener_refuses_connections_over_the_limit(void **state)
{
    (void)state;
    int port = free_port(AF_INET, SOCK_STREAM);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    struct tr_input in;
    open_hep(&in, spec, NULL, 1);
    int a = tcp_to(port), b2 = tcp_to(port);
    struct got g = { 0 };
    pump_idle(&in, &g);
    const struct tr_hep_in_stats *st = tr_input_hep_stats(&in);
    assert_int_equal(st->conns_accepted, 1);
    assert_int_equal(st->conns_refused, 1);
    /* the first one still works */
    uint8_t b[1024];
    size_t n = make_v3(b, sizeof(b), NULL, 1);
    assert_int_equal(write(a, b, n), (ssize_t)n);
    pump(&in, &g, 1);
    assert_int_equal(g.n, 1);
    close(a);
    close(b2);
    tr_input_close(&in);
}

static void bad_listen_spec_fails_to_open(void **state)
{
    (void)state;
    struct tr_input_conf conf = { .kind = TR_INPUT_HEP, .source = "sctp:1.2.3.4:9" };
    struct tr_input in = { 0 };
    struct tr_err err = { 0 };
    assert_true(tr_input_open(&in, &conf, &err) < 0);
    assert_null(in.ops);
}

/* ---------------------------------------------------------------- relay */

/* Writes one HEP-input event through a HEP output to a local UDP socket and
 * returns what arrived. */
static size_t relay_one(const uint8_t *msg, size_t len, bool restamp, uint8_t *out, size_t cap)
{
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t alen = sizeof(a);
    getsockname(r, (struct sockaddr *)&a, &alen);
    char target[64];
    snprintf(target, sizeof(target), "udp:127.0.0.1:%d", ntohs(a.sin_port));
    struct tr_output_conf oc = { .kind = "hep", .target = target, .capture_id = 4321,
                                 .auth_key = "ourkey", .node_name = "relay-node",
                                 .hep_restamp = restamp };
    struct tr_output o;
    memset(&o, 0, sizeof(o));
    struct tr_err err = { 0 };
    assert_int_equal(tr_output_open(&o, &oc, &err), TR_OK);

    struct tr_hep_fields f;
    assert_int_equal(tr_hep_decode((struct tr_bytes){ msg, len }, &f), TR_OK);
    struct tr_packet pkt = { .src = f.src, .dst = f.dst };
    struct tr_event ev = { .kind = TR_EV_SIP, .pkt = &pkt, .payload = f.payload,
                           .hep_proto_type = f.proto_type, .hep = &f,
                           .hep_raw = f.version == 3 ? (struct tr_bytes){ msg, len }
                                                     : (struct tr_bytes){ 0 } };
    o.ops->write(&o, &ev);
    o.ops->flush(&o);
    struct pollfd pfd = { .fd = r, .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    ssize_t n = recv(r, out, cap, 0);
    assert_true(n > 0);
    tr_output_close(&o);
    close(r);
    return (size_t)n;
}

static void relay_forwards_v3_bytes_unchanged(void **state)
{
    (void)state;
    uint8_t b[1024], got[2048];
    size_t n = make_v3(b, sizeof(b), "theirkey", 7);
    size_t m = relay_one(b, n, false, got, sizeof(got));
    assert_int_equal(m, n);
    assert_memory_equal(got, b, n);
}

static void relay_sends_v1_as_v3_with_its_own_fields(void **state)
{
    (void)state;
    uint8_t b[256], got[2048];
    size_t n = make_v12(b, 2);
    size_t m = relay_one(b, n, false, got, sizeof(got));
    struct tr_hep_fields f;
    assert_int_equal(tr_hep_decode((struct tr_bytes){ got, m }, &f), TR_OK);
    assert_int_equal(f.version, 3);
    assert_int_equal(f.capture_id, 1337);   /* the v2 sender's */
    assert_int_equal(f.ts_sec, 1700000000);
    assert_int_equal(f.sport, 5060);
    assert_int_equal(f.dport, 5070);
    assert_int_equal(f.auth_key.len, 6);    /* ours: v2 had none */
    assert_memory_equal(f.payload.ptr, SIP, sizeof(SIP) - 1);
}

static void restamp_puts_our_capture_id_node_and_key(void **state)
{
    (void)state;
    uint8_t b[1024], got[2048];
    size_t n = make_v3(b, sizeof(b), "theirkey", 7);
    size_t m = relay_one(b, n, true, got, sizeof(got));
    struct tr_hep_fields f;
    assert_int_equal(tr_hep_decode((struct tr_bytes){ got, m }, &f), TR_OK);
    assert_int_equal(f.capture_id, 4321);
    assert_int_equal(f.node_name.len, strlen("relay-node"));
    assert_memory_equal(f.node_name.ptr, "relay-node", f.node_name.len);
    assert_int_equal(f.auth_key.len, strlen("ourkey"));
    assert_memory_equal(f.auth_key.ptr, "ourkey", f.auth_key.len);
    assert_int_equal(f.ts_usec, 123456);    /* the rest is the sender's */
    assert_int_equal(f.dport, 5070);
    assert_memory_equal(f.payload.ptr, SIP, sizeof(SIP) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v3_from_encoder_is_accepted),
        cmocka_unit_test(v1_by_hand_is_accepted_without_time),
        cmocka_unit_test(v2_by_hand_carries_little_endian_time_and_capture_id),
        cmocka_unit_test(junk_is_not_hep),
        cmocka_unit_test(v3_shorter_than_its_length_is_truncated),
        cmocka_unit_test(v3_bad_chunk_length_is_malformed),
        cmocka_unit_test(message_over_max_frame_is_too_big),
        cmocka_unit_test(required_key_must_match),
        cmocka_unit_test(v1_and_v2_never_pass_a_required_key),
        cmocka_unit_test(reason_names_are_stable),
        cmocka_unit_test(stream_frame_needs_the_whole_frame),
        cmocka_unit_test(stream_frames_back_to_back_are_cut_one_by_one),
        cmocka_unit_test(stream_of_v1_or_junk_is_refused_at_once),
        cmocka_unit_test(stream_frame_length_below_header_or_over_max_is_refused),
        cmocka_unit_test(udp_listener_takes_v1_v2_v3_and_counts_the_rest),
        cmocka_unit_test(udp_listener_refuses_wrong_key),
        cmocka_unit_test(udp6_datagram_over_max_frame_is_too_big),
        cmocka_unit_test(tcp_listener_cuts_frames_split_across_writes),
        cmocka_unit_test(tcp_listener_closes_a_v1_stream),
        cmocka_unit_test(tcp_listener_refuses_connections_over_the_limit),
        cmocka_unit_test(bad_listen_spec_fails_to_open),
        cmocka_unit_test(relay_forwards_v3_bytes_unchanged),
        cmocka_unit_test(relay_sends_v1_as_v3_with_its_own_fields),
        cmocka_unit_test(restamp_puts_our_capture_id_node_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
