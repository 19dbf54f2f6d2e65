/* test_net.c - endpoints and carriers against real sockets on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net/net.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int bound_socket(int type, uint16_t *port)
{
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void queue_msg(struct tr_carrier *c, const char *text)
{
    size_t n = strlen(text);
    uint8_t *room = c->ops->reserve(c, n);
    assert_non_null(room);
    memcpy(room, text, n);
    c->ops->commit(c, n);
}

static void endpoint_parses_udp_tcp_and_bracketed_ipv6(void **state)
{
    (void)state;
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse("udp:127.0.0.1:9060", &ep, NULL), TR_OK);
    assert_int_equal(ep.proto, IPPROTO_UDP);
    assert_int_equal(ep.port, 9060);
    assert_string_equal(ep.text, "udp:127.0.0.1:9060");
    assert_int_equal(tr_endpoint_parse("tcp:[::1]:9061", &ep, NULL), TR_OK);
    assert_int_equal(ep.proto, IPPROTO_TCP);
    assert_int_equal(ep.addr.family, TR_AF_INET6);
    assert_string_equal(ep.text, "tcp:[::1]:9061");
}

static void endpoint_rejects_bad_specs_with_a_message(void **state)
{
    (void)state;
    struct tr_endpoint ep;
    struct tr_err err;
    const char *bad[] = { "127.0.0.1:9060", "udp:127.0.0.1", "udp:127.0.0.1:0",
                          "udp:127.0.0.1:70000", "udp:127.0.0.1:90x", "tcp:::1:9060",
                          "tcp:[::1:9060", "sctp:1.2.3.4:5" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(tr_endpoint_parse(bad[i], &ep, &err), -TR_E_USAGE);
        assert_non_null(strstr(err.msg, bad[i]));
    }
}

static void udp_carrier_delivers_every_datagram_in_order(void **state)
{
    (void)state;
    uint16_t port;
    int rx = bound_socket(SOCK_DGRAM, &port);
    int big = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, NULL, NULL), TR_OK);
    /* more than one batch slot's worth, with a flush in the middle */
    for (int i = 0; i < 1000; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "msg-%04d", i);
        queue_msg(&c, msg);
        if (i == 500)
            c.ops->flush(&c);
    }
    assert_int_equal(c.ops->drain(&c, 0), TR_OK);
    assert_int_equal(c.st.sent, 1000);
    assert_int_equal(c.st.failed, 0);
    for (int i = 0; i < 1000; i++) {
        char buf[64], want[32];
        ssize_t n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        assert_int_equal(n, 8);
        buf[n] = '\0';
        snprintf(want, sizeof(want), "msg-%04d", i);
        assert_string_equal(buf, want);
    }
    c.ops->close(&c);
    close(rx);
}

static void udp_carrier_counts_a_dead_collector_as_refused(void **state)
{
    (void)state;
    uint16_t port;
    int fd = bound_socket(SOCK_DGRAM, &port);
    close(fd); /* nothing listens there now: the kernel answers ICMP port unreachable */
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, NULL, NULL), TR_OK);
    queue_msg(&c, "hello");
    assert_int_equal(c.ops->drain(&c, 0), TR_OK);
    queue_msg(&c, "again");
    assert_int_equal(c.ops->drain(&c, 0), TR_OK);
    assert_true(c.st.refused >= 1);
    c.ops->close(&c);
}

static void udp_carrier_refuses_a_datagram_larger_than_udp_allows(void **state)
{
    (void)state;
    uint16_t port;
    int rx = bound_socket(SOCK_DGRAM, &port);
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, NULL, NULL), TR_OK);
    assert_null(c.ops->reserve(&c, TR_HEP_MAX_UDP + 1));
    assert_int_equal(c.ops->drain(&c, 0), TR_OK);
    assert_int_equal(c.st.failed, 1);
    c.ops->close(&c);
    close(rx);
}

/* Reads from a TCP socket until n bytes arrived or a second passed. */
static size_t read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 1000) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static int accept_within(int lfd, int ms)
{
    struct pollfd pfd = { .fd = lfd, .events = POLLIN };
    if (poll(&pfd, 1, ms) <= 0)
        return -1;
    return accept(lfd, NULL, NULL);
}

static void tcp_carrier_queues_while_down_and_delivers_after_connecting(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = bound_socket(SOCK_STREAM, &port);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    /* not listening yet: the carrier opens anyway, queues and retries */
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, NULL, NULL), TR_OK);
    assert_false(c.st.connected);
    queue_msg(&c, "first|");
    queue_msg(&c, "second|");
    c.ops->flush(&c);
    assert_int_equal(c.st.sent, 0);
    assert_int_equal(c.st.queued, 2);

    assert_int_equal(listen(lfd, 4), 0);
    uint64_t deadline = tr_now_mono_ns() + 10ull * 1000000000u;
    assert_int_equal(c.ops->drain(&c, deadline), TR_OK);
    int sfd = accept_within(lfd, 1000);
    assert_true(sfd >= 0);
    char buf[64] = { 0 };
    assert_int_equal(read_all(sfd, buf, 13), 13);
    assert_string_equal(buf, "first|second|");
    assert_int_equal(c.st.sent, 2);
    assert_int_equal(c.st.connects, 1);
    c.ops->close(&c);
    assert_int_equal(c.st.unsent, 0);
    close(sfd);
    close(lfd);
}

static void tcp_carrier_reconnects_after_the_collector_closes(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = bound_socket(SOCK_STREAM, &port);
    assert_int_equal(listen(lfd, 4), 0);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, NULL, NULL), TR_OK);
    int sfd = accept_within(lfd, 1000);
    assert_true(sfd >= 0);
    queue_msg(&c, "one|");
    assert_int_equal(c.ops->drain(&c, tr_now_mono_ns() + 2000000000ull), TR_OK);
    char buf[64] = { 0 };
    assert_int_equal(read_all(sfd, buf, 4), 4);
    close(sfd); /* the collector restarts */

    uint64_t deadline = tr_now_mono_ns() + 10ull * 1000000000u;
    while (c.st.disconnects == 0 && tr_now_mono_ns() < deadline) {
        c.ops->tick(&c, tr_now_mono_ns());
        poll(NULL, 0, 10);
    }
    assert_int_equal(c.st.disconnects, 1);
    queue_msg(&c, "two|");
    assert_int_equal(c.ops->drain(&c, deadline), TR_OK);
    sfd = accept_within(lfd, 1000);
    assert_true(sfd >= 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(read_all(sfd, buf, 4), 4);
    assert_string_equal(buf, "two|");
    assert_int_equal(c.st.connects, 2);
    c.ops->close(&c);
    close(sfd);
    close(lfd);
}

static void tcp_carrier_counts_overflow_and_unsent_at_close(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = bound_socket(SOCK_STREAM, &port); /* bound, never listening: refused */
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", port);
    struct tr_endpoint ep;
    assert_int_equal(tr_endpoint_parse(spec, &ep, NULL), TR_OK);
    struct tr_carrier_conf conf = { .queue_bytes = 1 << 17 };
    struct tr_carrier c;
    assert_int_equal(tr_carrier_open(&c, &ep, &conf, NULL), TR_OK);
    static uint8_t msg[1000];
    unsigned accepted = 0, refused = 0;
    for (int i = 0; i < 200; i++) {
        uint8_t *room = c.ops->reserve(&c, sizeof(msg));
        if (!room) {
            refused++;
            continue;
        }
        memcpy(room, msg, sizeof(msg));
        c.ops->commit(&c, sizeof(msg));
        accepted++;
    }
    assert_int_equal(accepted, (1 << 17) / 1000);
    assert_int_equal(refused, 200 - accepted);
    assert_int_equal(c.st.dropped, refused);
    assert_int_equal(c.ops->drain(&c, tr_now_mono_ns() + 200000000ull), -TR_E_AGAIN);
    c.ops->close(&c);
    assert_int_equal(c.st.unsent, accepted);
    assert_int_equal(c.st.sent, 0);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoint_parses_udp_tcp_and_bracketed_ipv6),
        cmocka_unit_test(endpoint_rejects_bad_specs_with_a_message),
        cmocka_unit_test(udp_carrier_delivers_every_datagram_in_order),
        cmocka_unit_test(udp_carrier_counts_a_dead_collector_as_refused),
        cmocka_unit_test(udp_carrier_refuses_a_datagram_larger_than_udp_allows),
        cmocka_unit_test(tcp_carrier_queues_while_down_and_delivers_after_connecting),
        cmocka_unit_test(tcp_carrier_reconnects_after_the_collector_closes),
        cmocka_unit_test(tcp_carrier_counts_overflow_and_unsent_at_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
