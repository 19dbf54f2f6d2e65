/* test_tcp_stream.c - TCP stream reassembly and SIP framing
 * (src/reasm/tcp_stream.c) through reasm.h: orders, retransmissions, gaps,
 * mid-stream pickup, framing by Content-Length, and every bound with its
 * counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "reasm/reasm.h"

#define SEC 1000000000ull
#define MAX_GOT 64

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

struct got {
    char data[4096];
    size_t len;
    char call_id[64];
    uint64_t ts_ns;
    bool after_gap, flushed, websocket;
    int rc;
    uint16_t sport;
};

static struct got got[MAX_GOT];
static unsigned n_got;
static struct tr_tcp_table *t;

static void on_msg(void *user, const struct tr_tcp_msg *m)
{
    (void)user;
    assert_true(n_got < MAX_GOT);
    struct got *g = &got[n_got++];
    g->len = m->data.len < sizeof(g->data) ? m->data.len : sizeof(g->data);
    memcpy(g->data, m->data.ptr, g->len);
    size_t cl = m->sip->call_id.len < 63 ? m->sip->call_id.len : 63;
    memcpy(g->call_id, m->sip->call_id.ptr ? m->sip->call_id.ptr : "", cl);
    g->call_id[cl] = 0;
    g->ts_ns = m->pkt->ts_ns;
    g->after_gap = m->after_gap;
    g->flushed = m->flushed;
    g->websocket = m->websocket;
    g->rc = m->parse_rc;
    g->sport = m->pkt->sport;
}

static struct tr_packet seg(int dir, uint32_t seq, uint8_t flags, const char *data, size_t len,
                            uint64_t ts)
{
    struct tr_packet p;
    memset(&p, 0, sizeof(p));
    struct tr_addr a = {.family = TR_AF_INET, .a = {10, 0, 0, 1}};
    struct tr_addr b = {.family = TR_AF_INET, .a = {10, 0, 0, 2}};
    p.ip_proto = 6;
    p.src = dir ? b : a;
    p.dst = dir ? a : b;
    p.sport = dir ? 5060 : 40000;
    p.dport = dir ? 40000 : 5060;
    p.tcp_seq = seq;
    p.tcp_flags = flags;
    p.payload = (struct tr_bytes){(const uint8_t *)data, len};
    p.ts_ns = ts;
    return p;
}

static int add(int dir, uint32_t seq, uint8_t flags, const char *data, size_t len, uint64_t ts)
{
    struct tr_packet p = seg(dir, seq, flags, data, len, ts);
    return tr_tcp_stream_add(t, &p, on_msg, NULL);
}

static int adds(int dir, uint32_t seq, const char *s, uint64_t ts)
{
    return add(dir, seq, ACK | PSH, s, strlen(s), ts);
}

static const struct tr_tcp_stats *stats(void)
{
    return tr_tcp_stats(t);
}

/* A request with a body of Content-Length bytes. */
static size_t make_invite(char *buf, size_t cap, const char *call_id, size_t body_len)
{
    char body[2048];
    assert_true(body_len < sizeof(body));
    for (size_t i = 0; i < body_len; i++)
        body[i] = (char)('a' + i % 26);
    body[body_len] = 0;
    int n = snprintf(buf, cap,
                     "INVITE sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK-%s\r\n"
                     "From: <sip:alice@example.com>;tag=a1\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Content-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n"
                     "\r\n%s",
                     call_id, call_id, body_len, body);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static size_t make_options(char *buf, size_t cap, const char *call_id)
{
    int n = snprintf(buf, cap,
                     "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK-%s\r\n"
                     "From: <sip:alice@example.com>;tag=a1\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "i: %s\r\n"
                     "CSeq: 7 OPTIONS\r\n"
                     "l: 0\r\n"
                     "\r\n",
                     call_id, call_id);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static int setup(void **state)
{
    (void)state;
    n_got = 0;
    memset(got, 0, sizeof(got));
    t = tr_tcp_table_new(NULL);
    return t ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    t = NULL;
    return 0;
}

static void handshake(uint32_t isn_c, uint32_t isn_s)
{
    assert_int_equal(add(0, isn_c, SYN, NULL, 0, 1 * SEC), 0);
    assert_int_equal(add(1, isn_s, SYN | ACK, NULL, 0, 1 * SEC), 0);
    assert_int_equal(add(0, isn_c + 1, ACK, NULL, 0, 1 * SEC), 0);
}

/* ---------------------------------------------------------------- framing */

static void whole_message_in_one_segment_is_delivered_once(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "one@x", 100);
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK | PSH, m, len, 2 * SEC), 1);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0].len, len);
    assert_memory_equal(got[0].data, m, len);
    assert_string_equal(got[0].call_id, "one@x");
    assert_int_equal(got[0].rc, TR_OK);
    assert_false(got[0].after_gap);
    assert_int_equal(stats()->messages, 1);
    assert_int_equal(stats()->midstream, 0);
}

static void five_messages_in_one_segment_are_five_callbacks(void **state)
{
    (void)state;
    char m[8192];
    size_t len = 0;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "m%d@x", i);
        len += i % 2 ? make_options(m + len, sizeof(m) - len, id)
                     : make_invite(m + len, sizeof(m) - len, id, 50 + (size_t)i);
    }
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK | PSH, m, len, 2 * SEC), 5);
    assert_int_equal(n_got, 5);
    size_t total = 0;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "m%d@x", i);
        assert_string_equal(got[i].call_id, id);
        assert_memory_equal(got[i].data, m + total, got[i].len);
        total += got[i].len;
    }
    assert_int_equal(total, len);
}

static void one_message_across_many_segments_is_delivered_by_the_last(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "bytewise@x", 300);
    handshake(1000, 5000);
    for (size_t i = 0; i < len; i++) {
        int n = add(0, 1001 + (uint32_t)i, ACK, m + i, 1, (10 + i) * SEC);
        assert_int_equal(n, i + 1 == len ? 1 : 0);
    }
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0].len, len);
    assert_memory_equal(got[0].data, m, len);
    assert_int_equal(got[0].ts_ns, (10 + len - 1) * SEC);
}

static void three_segment_invite_with_out_of_order_middle_is_whole(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "ooo@x", 400);
    size_t a = len / 3, b = 2 * len / 3;
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, a, 2 * SEC), 0);
    assert_int_equal(add(0, 1001 + (uint32_t)b, ACK, m + b, len - b, 3 * SEC), 0);
    assert_int_equal(stats()->out_of_order, 1);
    assert_int_equal(add(0, 1001 + (uint32_t)a, ACK, m + a, b - a, 4 * SEC), 1);
    assert_int_equal(n_got, 1);
    assert_memory_equal(got[0].data, m, len);
    assert_int_equal(got[0].len, len);
    /* The segment that completed it gives the time, not the last bytes'. */
    assert_int_equal(got[0].ts_ns, 4 * SEC);
    assert_int_equal(stats()->gaps, 0);
}

static void retransmitted_segment_is_delivered_once(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "rtx@x", 200);
    size_t a = len / 2;
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, a, 2 * SEC), 0);
    assert_int_equal(add(0, 1001, ACK, m, a, 3 * SEC), 0); /* first half again */
    assert_int_equal(add(0, 1001 + (uint32_t)a, ACK, m + a, len - a, 4 * SEC), 1);
    assert_int_equal(add(0, 1001 + (uint32_t)a, ACK, m + a, len - a, 5 * SEC), 0);
    assert_int_equal(add(0, 1001, ACK, m, len, 6 * SEC), 0); /* whole message again */
    assert_int_equal(n_got, 1);
    assert_int_equal(stats()->retransmissions, 3);
}

static void overlapping_segment_adds_only_its_new_bytes(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "ovl@x", 200);
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, 100, 2 * SEC), 0);
    assert_int_equal(add(0, 1001 + 50, ACK, m + 50, len - 50, 3 * SEC), 1);
    assert_int_equal(stats()->overlap_bytes, 50);
    assert_memory_equal(got[0].data, m, len);
}

static void keepalive_crlfs_between_messages_are_skipped(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_options(m, sizeof(m), "ka1@x");
    memcpy(m + len, "\r\n\r\n", 4);
    len += 4;
    len += make_options(m + len, sizeof(m) - len, "ka2@x");
    memcpy(m + len, "\r\n", 2);
    len += 2;
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, "\r\n\r\n", 4, 2 * SEC), 0);
    assert_int_equal(add(0, 1005, ACK, m, len, 2 * SEC), 2);
    assert_string_equal(got[0].call_id, "ka1@x");
    assert_string_equal(got[1].call_id, "ka2@x");
    assert_int_equal(stats()->keepalive_bytes, 10);
    assert_int_equal(got[1].data[0], 'O');
}

static void compact_content_length_frames_the_body(void **state)
{
    (void)state;
    const char *m = "MESSAGE sip:bob@x SIP/2.0\r\ni: cl@x\r\nCSeq: 2 MESSAGE\r\n"
                    "l: 5\r\n\r\nhelloOPTIONS sip:bob@x SIP/2.0\r\ni: cl2@x\r\n"
                    "CSeq: 3 OPTIONS\r\n\r\n";
    handshake(1000, 5000);
    assert_int_equal(adds(0, 1001, m, 2 * SEC), 2);
    assert_int_equal(got[0].len, strlen(m) - strlen(strstr(m, "OPTIONS")));
    assert_memory_equal(got[0].data + got[0].len - 5, "hello", 5);
    /* Absent Content-Length on a stream: no body (RFC 3261 18.3). */
    assert_string_equal(got[1].call_id, "cl2@x");
}

static void both_directions_are_framed_apart(void **state)
{
    (void)state;
    const char *req = "OPTIONS sip:bob@x SIP/2.0\r\ni: d@x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
    const char *resp = "SIP/2.0 200 OK\r\ni: d@x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
    handshake(1000, 5000);
    size_t half = strlen(req) / 2;
    assert_int_equal(add(0, 1001, ACK, req, half, 2 * SEC), 0);
    assert_int_equal(adds(1, 5001, resp, 3 * SEC), 1);
    assert_int_equal(add(0, 1001 + (uint32_t)half, ACK, req + half, strlen(req) - half, 4 * SEC), 1);
    assert_int_equal(n_got, 2);
    assert_int_equal(got[0].sport, 5060);
    assert_int_equal(got[0].data[0], 'S');
    assert_int_equal(got[1].sport, 40000);
    assert_int_equal(got[1].data[0], 'O');
}

static void ipv6_flow_is_reassembled(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "v6@x", 100);
    struct tr_packet p = seg(0, 77, ACK, m, 60, 2 * SEC);
    p.src = (struct tr_addr){.family = TR_AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    p.dst = (struct tr_addr){.family = TR_AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
    assert_int_equal(tr_tcp_stream_add(t, &p, on_msg, NULL), 0);
    p.tcp_seq = 77 + 60;
    p.payload = (struct tr_bytes){(const uint8_t *)m + 60, len - 60};
    assert_int_equal(tr_tcp_stream_add(t, &p, on_msg, NULL), 1);
    assert_string_equal(got[0].call_id, "v6@x");
    assert_int_equal(stats()->flows, 1);
}

/* ---------------------------------------------------------------- pickup, gaps */

static void stream_starting_mid_message_resyncs_on_next_start_line(void **state)
{
    (void)state;
    char m[8192];
    size_t l1 = make_invite(m, sizeof(m), "lost@x", 120);
    size_t l2 = make_invite(m + l1, sizeof(m) - l1, "next@x", 80);
    size_t cut = l1 / 2; /* capture starts in the middle of the first message */
    assert_int_equal(add(0, 9000, ACK, m + cut, l1 + l2 - cut, 2 * SEC), 1);
    assert_int_equal(n_got, 1);
    assert_string_equal(got[0].call_id, "next@x");
    assert_int_equal(got[0].len, l2);
    assert_int_equal(stats()->midstream, 1);
    assert_int_equal(stats()->resync_skipped, l1 - cut);
    /* And the stream goes on in order. */
    size_t l3 = make_options(m, sizeof(m), "after@x");
    assert_int_equal(add(0, 9000 + (uint32_t)(l1 + l2 - cut), ACK, m, l3, 3 * SEC), 1);
    assert_string_equal(got[1].call_id, "after@x");
}

static void stream_starting_at_a_message_boundary_loses_nothing(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "mid0@x", 10);
    assert_int_equal(add(0, 123456, ACK, m, len, 2 * SEC), 1);
    assert_int_equal(stats()->resync_skipped, 0);
}

static void missing_segment_is_a_counted_gap_at_fin(void **state)
{
    (void)state;
    char m[8192];
    size_t l1 = make_invite(m, sizeof(m), "g1@x", 300);
    size_t l2 = make_options(m + l1, sizeof(m) - l1, "g2@x");
    handshake(1000, 5000);
    /* The first message's middle segment is never captured. */
    assert_int_equal(add(0, 1001, ACK, m, 100, 2 * SEC), 0);
    assert_int_equal(add(0, 1001 + 200, ACK, m + 200, l1 + l2 - 200, 3 * SEC), 0);
    assert_int_equal(add(0, 1001 + (uint32_t)(l1 + l2), FIN | ACK, NULL, 0, 4 * SEC), 0);
    assert_int_equal(n_got, 0);
    assert_int_equal(add(1, 5001, FIN | ACK, NULL, 0, 4 * SEC), 0);
    /* The hole stays open until the flow ends; then what follows it is
     * delivered and what it broke is counted. */
    tr_tcp_stream_flush(t, on_msg, NULL);
    assert_int_equal(n_got, 1);
    assert_string_equal(got[0].call_id, "g2@x");
    assert_true(got[0].after_gap);
    assert_true(got[0].flushed);
    /* Flushed: the time of the direction's last segment (the FIN). */
    assert_int_equal(got[0].ts_ns, 4 * SEC);
    assert_int_equal(stats()->gaps, 1);
    assert_int_equal(stats()->gap_bytes, 100);
    assert_int_equal(stats()->incomplete, 1);
    assert_int_equal(stats()->flows, 0);
}

static void fin_closes_and_late_retransmission_is_not_a_new_message(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_options(m, sizeof(m), "fin@x");
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, len, 2 * SEC), 1);
    assert_int_equal(add(0, 1001 + (uint32_t)len, FIN | ACK, NULL, 0, 3 * SEC), 0);
    assert_int_equal(add(1, 5001, FIN | ACK, NULL, 0, 3 * SEC), 0);
    assert_int_equal(stats()->flows_closed_fin, 1);
    assert_int_equal(add(0, 1001, ACK, m, len, 4 * SEC), 0);
    assert_int_equal(n_got, 1);
    assert_int_equal(stats()->retransmissions, 1);
}

static void rst_releases_the_flow_and_counts_the_partial_message(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_invite(m, sizeof(m), "rst@x", 100);
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, len - 10, 2 * SEC), 0);
    assert_int_equal(add(1, 5001, RST | ACK, NULL, 0, 3 * SEC), 0);
    assert_int_equal(stats()->flows_closed_rst, 1);
    assert_int_equal(stats()->incomplete, 1);
    assert_int_equal(stats()->flows, 0);
}

static void syn_on_a_known_flow_starts_a_new_connection(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_options(m, sizeof(m), "reuse1@x");
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, len, 2 * SEC), 1);
    handshake(70000, 90000);
    len = make_options(m, sizeof(m), "reuse2@x");
    assert_int_equal(add(0, 70001, ACK, m, len, 3 * SEC), 1);
    assert_string_equal(got[1].call_id, "reuse2@x");
    assert_int_equal(stats()->flows, 1);
}

static void idle_flow_expires_and_is_counted(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_options(m, sizeof(m), "idle@x");
    handshake(1000, 5000);
    assert_int_equal(add(0, 1001, ACK, m, len - 5, 2 * SEC), 0);
    tr_tcp_stream_expire(t, 2 * SEC + 301 * SEC, on_msg, NULL);
    assert_int_equal(stats()->flows_idle, 1);
    assert_int_equal(stats()->incomplete, 1);
    assert_int_equal(stats()->flows, 0);
}

static void oversized_message_is_skipped_and_counted(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    struct tr_tcp_conf conf = {.max_stream_bytes = 4096};
    t = tr_tcp_table_new(&conf);
    assert_non_null(t);
    static char big[8192];
    int n = snprintf(big, sizeof(big),
                     "MESSAGE sip:b@x SIP/2.0\r\ni: big@x\r\nCSeq: 1 MESSAGE\r\nl: 6000\r\n\r\n");
    memset(big + n, 'z', 6000);
    size_t len = (size_t)n + 6000;
    len += make_options(big + len, sizeof(big) - len, "small@x");
    handshake(1000, 5000);
    size_t off = 0;
    int total = 0;
    while (off < len) {
        size_t c = len - off < 1400 ? len - off : 1400;
        total += add(0, 1001 + (uint32_t)off, ACK, big + off, c, 2 * SEC);
        off += c;
    }
    assert_int_equal(total, 1);
    assert_string_equal(got[0].call_id, "small@x");
    assert_int_equal(stats()->too_big, 1);
}

/* ---------------------------------------------------------------- bounds */

static void half_open_flood_stays_within_the_flow_table(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    struct tr_tcp_conf conf = {.max_flows = 64};
    t = tr_tcp_table_new(&conf);
    assert_non_null(t);
    for (uint32_t i = 0; i < 10000; i++) {
        struct tr_packet p = seg(0, i * 7919u, SYN, NULL, 0, 2 * SEC);
        p.sport = (uint16_t)(1024 + i % 60000);
        p.src.a[2] = (uint8_t)(i >> 8);
        assert_int_equal(tr_tcp_stream_add(t, &p, on_msg, NULL), 0);
        assert_true(stats()->flows <= 64);
    }
    assert_int_equal(stats()->flows, 64);
    assert_int_equal(stats()->flows_created, 10000);
    assert_int_equal(stats()->evicted_full, 10000 - 64);
    /* Bare ACKs of unknown flows never take a slot. */
    uint64_t created = stats()->flows_created;
    for (uint32_t i = 0; i < 1000; i++) {
        struct tr_packet p = seg(1, i, ACK, NULL, 0, 2 * SEC);
        p.dport = (uint16_t)(2000 + i);
        tr_tcp_stream_add(t, &p, on_msg, NULL);
    }
    assert_int_equal(stats()->flows_created, created);
}

static void endless_out_of_order_segments_stay_within_the_memory_bound(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    struct tr_tcp_conf conf = {.max_flows = 256, .max_bytes = 1024 * 1024,
                               .max_stream_bytes = 16 * 1024};
    t = tr_tcp_table_new(&conf);
    assert_non_null(t);
    static char junk[1400];
    memset(junk, 'x', sizeof(junk));
    uint64_t peak = 0;
    /* 200 flows, each: one in-order byte, then segments always past a hole
     * that never fills. */
    for (uint32_t round = 0; round < 200; round++) {
        for (uint32_t fl = 0; fl < 200; fl++) {
            struct tr_packet p = seg(0, 0, ACK, junk, 1, 2 * SEC);
            p.sport = (uint16_t)(10000 + fl);
            p.tcp_seq = round == 0 ? 0 : 1 + round * 3000u;
            p.payload.len = round == 0 ? 1 : sizeof(junk);
            tr_tcp_stream_add(t, &p, on_msg, NULL);
            if (stats()->buffer_bytes > peak)
                peak = stats()->buffer_bytes;
            assert_true(stats()->buffer_bytes <= conf.max_bytes);
            assert_true(stats()->flows <= conf.max_flows);
        }
    }
    assert_true(peak <= conf.max_bytes);
    assert_true(stats()->out_of_order > 0);
    assert_true(stats()->gaps > 0);
    assert_true(stats()->evicted_memory > 0);
    assert_int_equal(n_got, 0);
    /* A real message still gets through afterwards. */
    char m[4096];
    size_t len = make_options(m, sizeof(m), "survivor@x");
    struct tr_packet p = seg(0, 42, ACK, m, len, 3 * SEC);
    p.sport = 999;
    assert_int_equal(tr_tcp_stream_add(t, &p, on_msg, NULL), 1);
}

static void many_holes_in_one_stream_are_bounded(void **state)
{
    (void)state;
    char m[4096];
    size_t len = make_options(m, sizeof(m), "holes@x");
    handshake(1000, 5000);
    /* Every other byte of a long stretch: more holes than ranges. */
    for (uint32_t i = 0; i < 200; i++)
        add(0, 2001 + 2 * i, ACK, "x", 1, 2 * SEC);
    assert_true(stats()->gaps > 0);
    assert_true(stats()->buffer_bytes <= 2 * 256 * 1024);
    /* A message after all that is held behind the holes until the flow
     * ends, then still found. */
    assert_int_equal(add(0, 100000, ACK, m, len, 3 * SEC), 0);
    tr_tcp_stream_flush(t, on_msg, NULL);
    assert_int_equal(n_got, 1);
    assert_string_equal(got[0].call_id, "holes@x");
    assert_true(got[0].after_gap);
}

/* ---------------------------------------------------------------- allocation
 * Counted exactly, never guessed from timing (as in test_defrag.c): under
 * ASan through its malloc hooks, otherwise by interposing malloc, calloc and
 * realloc in this executable. */

#include "alloc_count.h"

/* One connection: handshake, an INVITE in three segments with the middle one
 * late, five messages in one segment, FIN both ways. */
static void one_connection(uint32_t isn, uint16_t port, uint64_t ts)
{
    char m[8192];
    size_t len = make_invite(m, sizeof(m), "warm@x", 300);
    size_t a = len / 3, b = 2 * len / 3;
    struct tr_packet p = seg(0, isn, SYN, NULL, 0, ts);
    p.sport = port;
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    p = seg(1, 7, SYN | ACK, NULL, 0, ts);
    p.dport = port;
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    uint32_t s = isn + 1;
    p = seg(0, s, ACK, m, a, ts);
    p.sport = port;
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    p.tcp_seq = s + (uint32_t)b;
    p.payload = (struct tr_bytes){(const uint8_t *)m + b, len - b};
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    p.tcp_seq = s + (uint32_t)a;
    p.payload = (struct tr_bytes){(const uint8_t *)m + a, b - a};
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    s += (uint32_t)len;
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        n += make_options(m + n, sizeof(m) - n, "warm5@x");
    p.tcp_seq = s;
    p.payload = (struct tr_bytes){(const uint8_t *)m, n};
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    s += (uint32_t)n;
    p = seg(0, s, FIN | ACK, NULL, 0, ts);
    p.sport = port;
    tr_tcp_stream_add(t, &p, on_msg, NULL);
    p = seg(1, 8, FIN | ACK, NULL, 0, ts);
    p.dport = port;
    tr_tcp_stream_add(t, &p, on_msg, NULL);
}

static void warm_table_reassembles_without_allocating(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    struct tr_tcp_conf conf = {.max_flows = 4};
    t = tr_tcp_table_new(&conf);
    assert_non_null(t);
    for (uint16_t i = 0; i < 8; i++) /* warm-up: every slot gets its buffers */
        one_connection(1000u * i, (uint16_t)(30000 + i), 2 * SEC);
    n_got = 0;
    start_counting();
    unsigned long before = allocs_so_far();
    for (uint16_t i = 0; i < 8; i++)
        one_connection(5000u * i, (uint16_t)(31000 + i), 3 * SEC);
    unsigned long used = allocs_so_far() - before;
    assert_int_equal(n_got, 8 * 6);
    assert_int_equal(used, 0);
}

/* ---------------------------------------------------------------- WebSocket */

static const char ws_get[] = "GET /sip HTTP/1.1\r\n"
                             "Host: 10.0.0.2\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Protocol: sip\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "\r\n";
static const char ws_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGJzzhZRbK+xOo=\r\n"
                             "Sec-WebSocket-Protocol: sip\r\n"
                             "\r\n";

/* Writes one frame (RFC 6455 5.2) around payload; masked when key is set. */
static size_t ws_frame(uint8_t *out, bool fin, uint8_t op, const uint8_t *key, const void *payload,
                       size_t len)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    uint8_t m = key ? 0x80 : 0;
    if (len < 126) {
        out[n++] = (uint8_t)(m | len);
    } else {
        out[n++] = (uint8_t)(m | 126);
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    }
    if (key) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        out[n + i] = key ? (uint8_t)(p[i] ^ key[i % 4]) : p[i];
    return n + len;
}

static const uint8_t key1[4] = {0x37, 0xfa, 0x21, 0x3d};

static void upgraded_stream_carries_masked_fragmented_sip(void **state)
{
    (void)state;
    char inv[4096];
    size_t inv_len = make_invite(inv, sizeof(inv), "ws-frag@x", 300);
    static uint8_t wire[8192];
    size_t n = 0;
    /* INVITE in three fragments with a ping between the second and third. */
    size_t a = 100, b = 250;
    n += ws_frame(wire + n, false, TR_WS_OP_TEXT, key1, inv, a);
    n += ws_frame(wire + n, false, TR_WS_OP_CONT, key1, inv + a, b - a);
    n += ws_frame(wire + n, true, TR_WS_OP_PING, key1, "hi", 2);
    n += ws_frame(wire + n, true, TR_WS_OP_CONT, key1, inv + b, inv_len - b);
    handshake(1000, 5000);
    uint32_t seq = 1001;
    assert_int_equal(adds(0, seq, ws_get, 2 * SEC), 0);
    seq += (uint32_t)strlen(ws_get);
    assert_int_equal(adds(1, 5001, ws_101, 2 * SEC), 0);
    /* Cut the frames at awkward places: inside the first header, inside the
     * 16-bit length, inside a mask key. */
    size_t cuts[] = {1, 3, 6, 140, 141, n};
    size_t at = 0;
    int total = 0;
    for (size_t i = 0; i < TR_ARRAY_LEN(cuts); i++) {
        total += add(0, seq + (uint32_t)at, ACK | PSH, (const char *)wire + at, cuts[i] - at,
                     (3 + i) * SEC);
        at = cuts[i];
    }
    assert_int_equal(total, 1);
    assert_int_equal(n_got, 1);
    assert_true(got[0].websocket);
    assert_string_equal(got[0].call_id, "ws-frag@x");
    assert_int_equal(got[0].len, inv_len);
    assert_memory_equal(got[0].data, inv, inv_len);
    assert_int_equal(got[0].ts_ns, 8 * SEC);
    assert_int_equal(stats()->ws_upgrades, 2);
    assert_int_equal(stats()->ws_control_frames, 1);
    assert_int_equal(stats()->ws_messages, 1);
}

static void server_frames_unmasked_and_binary_are_sip_too(void **state)
{
    (void)state;
    char m1[1024], m2[1024];
    size_t l1 = make_options(m1, sizeof(m1), "ws-srv1@x");
    size_t l2 = make_options(m2, sizeof(m2), "ws-srv2@x");
    uint8_t wire[4096];
    size_t n = ws_frame(wire, true, TR_WS_OP_TEXT, NULL, m1, l1);
    n += ws_frame(wire + n, true, TR_WS_OP_BINARY, NULL, m2, l2);
    n += ws_frame(wire + n, true, TR_WS_OP_CLOSE, NULL, "\x03\xe8", 2);
    handshake(1000, 5000);
    adds(0, 1001, ws_get, 2 * SEC);
    adds(1, 5001, ws_101, 2 * SEC);
    assert_int_equal(add(1, 5001 + (uint32_t)strlen(ws_101), ACK | PSH, (const char *)wire, n,
                         3 * SEC),
                     2);
    assert_string_equal(got[0].call_id, "ws-srv1@x");
    assert_string_equal(got[1].call_id, "ws-srv2@x");
    assert_true(got[0].websocket && got[1].websocket);
    assert_int_equal(stats()->ws_control_frames, 1);
}

static void refused_upgrade_keeps_sip_framing(void **state)
{
    (void)state;
    static const char refused[] = "HTTP/1.1 403 Forbidden\r\nUpgrade: websocket\r\n"
                                  "Content-Length: 0\r\n\r\n";
    char m[1024];
    size_t len = make_options(m, sizeof(m), "after-403@x");
    handshake(1000, 5000);
    adds(1, 5001, refused, 2 * SEC);
    assert_int_equal(add(1, 5001 + (uint32_t)strlen(refused), ACK | PSH, m, len, 3 * SEC), 1);
    assert_false(got[0].websocket);
    assert_int_equal(stats()->ws_upgrades, 0);
}

static void websocket_picked_up_midstream_resyncs_on_a_frame_with_sip(void **state)
{
    (void)state;
    char m1[1024], m2[1024];
    size_t l1 = make_options(m1, sizeof(m1), "ws-mid1@x");
    size_t l2 = make_options(m2, sizeof(m2), "ws-mid2@x");
    uint8_t wire[4096];
    /* The tail of an earlier frame, then two whole ones. */
    size_t n = 0;
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, key1, m1, l1);
    size_t cut = n - 40;
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, key1, m1, l1);
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, key1, m2, l2);
    assert_int_equal(add(0, 77777, ACK | PSH, (const char *)wire + cut, n - cut, 2 * SEC), 2);
    assert_string_equal(got[0].call_id, "ws-mid1@x");
    assert_string_equal(got[1].call_id, "ws-mid2@x");
    assert_true(got[0].websocket && got[0].after_gap);
    assert_int_equal(stats()->ws_midstream, 1);
    assert_int_equal(stats()->resync_skipped, 40);
}

/* A mid-stream pickup whose first frame header claims more than the skip
 * bound (a 64-bit length), with SIP right behind it: resync must not stop
 * on a frame the framer then rejects, or the stream loops forever. */
static void websocket_resync_passes_a_frame_too_big_to_skip(void **state)
{
    (void)state;
    char m[1024];
    size_t len = make_options(m, sizeof(m), "ws-after-huge@x");
    uint8_t wire[2048];
    size_t n = 0;
    wire[n++] = 0x81;       /* FIN, text */
    wire[n++] = 0x80 | 127; /* masked, 64-bit length follows */
    static const uint8_t huge[8] = {0, 0, 0, 1, 0, 0, 0, 0}; /* 4 GiB */
    memcpy(wire + n, huge, sizeof(huge));
    n += sizeof(huge);
    memcpy(wire + n, key1, 4);
    n += 4;
    /* The huge frame's "payload" is masked SIP: only the WebSocket probe
     * can see it, the plain start-line scan cannot. */
    for (size_t i = 0; i < len; i++)
        wire[n + i] = (uint8_t)(m[i] ^ key1[i % 4]);
    n += len;
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, key1, m, len);
    assert_int_equal(add(0, 88888, ACK | PSH, (const char *)wire, n, 2 * SEC), 1);
    assert_string_equal(got[0].call_id, "ws-after-huge@x");
    assert_int_equal(stats()->ws_midstream, 1);
}

static void websocket_message_that_is_not_sip_is_counted(void **state)
{
    (void)state;
    static const char junk[] = "{\"hello\":\"this is json, not SIP at all\"}";
    char m[1024];
    size_t len = make_options(m, sizeof(m), "ws-after-junk@x");
    uint8_t wire[2048];
    size_t n = ws_frame(wire, true, TR_WS_OP_TEXT, key1, junk, strlen(junk));
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, key1, m, len);
    handshake(1000, 5000);
    adds(0, 1001, ws_get, 2 * SEC);
    assert_int_equal(add(0, 1001 + (uint32_t)strlen(ws_get), ACK | PSH, (const char *)wire, n,
                         3 * SEC),
                     1);
    assert_int_equal(stats()->ws_not_sip, 1);
    assert_string_equal(got[0].call_id, "ws-after-junk@x");
}

static void websocket_frame_over_the_bound_is_skipped_by_length(void **state)
{
    (void)state;
    tr_tcp_table_free(t);
    struct tr_tcp_conf conf = {.max_stream_bytes = 4096};
    t = tr_tcp_table_new(&conf);
    static uint8_t big[9000], wire[12000];
    memset(big, 'x', sizeof(big));
    char m[1024];
    size_t len = make_options(m, sizeof(m), "ws-after-big@x");
    size_t n = ws_frame(wire, true, TR_WS_OP_TEXT, NULL, big, sizeof(big));
    n += ws_frame(wire + n, true, TR_WS_OP_TEXT, NULL, m, len);
    handshake(1000, 5000);
    adds(1, 5001, ws_101, 2 * SEC);
    uint32_t seq = 5001 + (uint32_t)strlen(ws_101);
    int total = 0;
    for (size_t at = 0; at < n; at += 1000) {
        size_t k = n - at < 1000 ? n - at : 1000;
        total += add(1, seq + (uint32_t)at, ACK | PSH, (const char *)wire + at, k, 3 * SEC);
    }
    assert_int_equal(total, 1);
    assert_string_equal(got[0].call_id, "ws-after-big@x");
    assert_int_equal(stats()->too_big, 1);
    assert_true(stats()->buffer_bytes <= 4 * 4096);
}

static void websocket_partial_message_at_reset_is_incomplete(void **state)
{
    (void)state;
    char m[1024];
    size_t len = make_options(m, sizeof(m), "ws-partial@x");
    uint8_t wire[2048];
    size_t n = ws_frame(wire, false, TR_WS_OP_TEXT, key1, m, 50);
    handshake(1000, 5000);
    adds(0, 1001, ws_get, 2 * SEC);
    uint32_t seq = 1001 + (uint32_t)strlen(ws_get);
    assert_int_equal(add(0, seq, ACK | PSH, (const char *)wire, n, 3 * SEC), 0);
    (void)len;
    assert_int_equal(add(1, 5001, RST, NULL, 0, 4 * SEC), 0);
    assert_int_equal(stats()->incomplete, 1);
    assert_int_equal(n_got, 0);
}

static void closed_connections_pass_their_buffers_on(void **state)
{
    (void)state;
    /* 1000 short connections one after another, each buffering a split
     * INVITE: closed flows keep their slots, but their buffers go to the
     * next connection, so the table holds a few buffers, not one per slot. */
    for (uint16_t i = 0; i < 1000; i++) {
        n_got = 0;
        one_connection(1000u * i, (uint16_t)(20000 + i), 2 * SEC);
        assert_int_equal(n_got, 6);
    }
    assert_int_equal(stats()->flows_closed_fin, 1000);
    assert_true(stats()->flows >= 1000);
    assert_true(stats()->buffer_bytes <= 2 * 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(whole_message_in_one_segment_is_delivered_once),
        T(five_messages_in_one_segment_are_five_callbacks),
        T(one_message_across_many_segments_is_delivered_by_the_last),
        T(three_segment_invite_with_out_of_order_middle_is_whole),
        T(retransmitted_segment_is_delivered_once),
        T(overlapping_segment_adds_only_its_new_bytes),
        T(keepalive_crlfs_between_messages_are_skipped),
        T(compact_content_length_frames_the_body),
        T(both_directions_are_framed_apart),
        T(ipv6_flow_is_reassembled),
        T(stream_starting_mid_message_resyncs_on_next_start_line),
        T(stream_starting_at_a_message_boundary_loses_nothing),
        T(missing_segment_is_a_counted_gap_at_fin),
        T(fin_closes_and_late_retransmission_is_not_a_new_message),
        T(rst_releases_the_flow_and_counts_the_partial_message),
        T(syn_on_a_known_flow_starts_a_new_connection),
        T(idle_flow_expires_and_is_counted),
        T(oversized_message_is_skipped_and_counted),
        T(half_open_flood_stays_within_the_flow_table),
        T(endless_out_of_order_segments_stay_within_the_memory_bound),
        T(many_holes_in_one_stream_are_bounded),
        T(warm_table_reassembles_without_allocating),
        T(closed_connections_pass_their_buffers_on),
        T(upgraded_stream_carries_masked_fragmented_sip),
        T(server_frames_unmasked_and_binary_are_sip_too),
        T(refused_upgrade_keeps_sip_framing),
        T(websocket_picked_up_midstream_resyncs_on_a_frame_with_sip),
        T(websocket_resync_passes_a_frame_too_big_to_skip),
        T(websocket_message_that_is_not_sip_is_counted),
        T(websocket_frame_over_the_bound_is_skipped_by_length),
        T(websocket_partial_message_at_reset_is_incomplete),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
