/* test_hepipe.c - unit tests for the HEPipe input (src/input/hepipe.c): the
 * line parser (good lines, IPv6, a payload holding ';', a CR, each class of
 * malformed line under its own reason) and the input itself: a file followed
 * like tail -F (appends, a partial last line, truncation, rotation), a FIFO,
 * UDP datagrams with several lines, a line too long for a HEP frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/input.h"

/* ---------------------------------------------------------------- parser */

static int parse(const char *line, struct tr_hepipe_rec *rec)
{
    return tr_hepipe_parse_line((struct tr_bytes){ (const uint8_t *)line, strlen(line) }, rec);
}

static bool str_is(struct tr_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static bool bytes_is(struct tr_bytes b, const char *want)
{
    return b.len == strlen(want) && memcmp(b.ptr, want, b.len) == 0;
}

static void hepipe_good_ipv4_line_gives_every_field(void **state)
{
    (void)state;
    struct tr_hepipe_rec r;
    assert_int_equal(parse("1700000000;123456;abc@host;10.0.0.1;5060;10.0.0.2;5070;call routed",
                           &r),
                     TR_HEPIPE_OK);
    assert_int_equal(r.ts_sec, 1700000000u);
    assert_int_equal(r.ts_usec, 123456u);
    assert_true(str_is(r.corr_id, "abc@host"));
    assert_int_equal(r.src.family, TR_AF_INET);
    assert_int_equal(r.dst.family, TR_AF_INET);
    uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
    assert_memory_equal(r.src.a, a, 4);
    assert_memory_equal(r.dst.a, b, 4);
    assert_int_equal(r.sport, 5060);
    assert_int_equal(r.dport, 5070);
    assert_true(bytes_is(r.payload, "call routed"));
}

static void hepipe_ipv6_addresses_with_and_without_brackets(void **state)
{
    (void)state;
    struct tr_hepipe_rec r;
    assert_int_equal(parse("1;0;c;2001:db8::1;1;[::1];65535;x", &r), TR_HEPIPE_OK);
    assert_int_equal(r.src.family, TR_AF_INET6);
    assert_int_equal(r.dst.family, TR_AF_INET6);
    uint8_t lo[16] = { 0 };
    lo[15] = 1;
    assert_memory_equal(r.dst.a, lo, 16);
    assert_int_equal(r.dport, 65535);
}

static void hepipe_payload_keeps_its_semicolons_and_loses_a_cr(void **state)
{
    (void)state;
    struct tr_hepipe_rec r;
    assert_int_equal(parse("1;2;c;1.1.1.1;1;2.2.2.2;2;a;b;;c\r", &r), TR_HEPIPE_OK);
    assert_true(bytes_is(r.payload, "a;b;;c"));
}

static void hepipe_each_malformed_class_has_its_reason(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int reason;
    } cases[] = {
        { "", TR_HEPIPE_EMPTY },
        { "  \t", TR_HEPIPE_EMPTY },
        { "\r", TR_HEPIPE_EMPTY },
        { "1;2;c;1.1.1.1;1;2.2.2.2", TR_HEPIPE_FIELDS },
        { "1;2;c;1.1.1.1;1;2.2.2.2;2", TR_HEPIPE_FIELDS },
        { "x;2;c;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_TS },
        { ";2;c;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_TS },
        { "1;1000000;c;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_TS },
        { "4294967296;0;c;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_TS },
        { "-1;0;c;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_TS },
        { "1;0;;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_CORR_ID },
        { "1;0;a\tb;1.1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_CORR_ID },
        { "1;0;c;1.1.1;1;2.2.2.2;2;p", TR_HEPIPE_BAD_ADDR },
        { "1;0;c;1.1.1.1;1;host.example;2;p", TR_HEPIPE_BAD_ADDR },
        { "1;0;c;;1;2.2.2.2;2;p", TR_HEPIPE_BAD_ADDR },
        { "1;0;c;1.1.1.1;65536;2.2.2.2;2;p", TR_HEPIPE_BAD_PORT },
        { "1;0;c;1.1.1.1;1;2.2.2.2;;p", TR_HEPIPE_BAD_PORT },
        { "1;0;c;1.1.1.1;+1;2.2.2.2;2;p", TR_HEPIPE_BAD_PORT },
        { "1;0;c;1.1.1.1;1;::1;2;p", TR_HEPIPE_FAMILY_MISMATCH },
        { "1;0;c;1.1.1.1;1;2.2.2.2;2;", TR_HEPIPE_EMPTY_PAYLOAD },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tr_hepipe_rec r;
        int got = parse(cases[i].line, &r);
        if (got != cases[i].reason)
            fail_msg("'%s': got %s, want %s", cases[i].line,
                     tr_hepipe_reason_name((enum tr_hepipe_reason)got),
                     tr_hepipe_reason_name((enum tr_hepipe_reason)cases[i].reason));
    }
}

static void hepipe_correlation_id_at_its_limit_is_taken_one_more_is_not(void **state)
{
    (void)state;
    char line[600], id[TR_HEPIPE_MAX_CORR_ID + 2];
    memset(id, 'a', sizeof(id));
    id[TR_HEPIPE_MAX_CORR_ID] = '\0';
    struct tr_hepipe_rec r;
    snprintf(line, sizeof(line), "1;0;%s;1.1.1.1;1;2.2.2.2;2;p", id);
    assert_int_equal(parse(line, &r), TR_HEPIPE_OK);
    assert_int_equal(r.corr_id.len, TR_HEPIPE_MAX_CORR_ID);
    id[TR_HEPIPE_MAX_CORR_ID] = 'a';
    id[TR_HEPIPE_MAX_CORR_ID + 1] = '\0';
    snprintf(line, sizeof(line), "1;0;%s;1.1.1.1;1;2.2.2.2;2;p", id);
    assert_int_equal(parse(line, &r), TR_HEPIPE_BAD_CORR_ID);
}

static void hepipe_line_longer_than_a_hep_frame_is_too_long(void **state)
{
    (void)state;
    size_t n = TR_HEPIPE_MAX_LINE + 1;
    char *line = malloc(n + 1);
    assert_non_null(line);
    memset(line, 'p', n);
    memcpy(line, "1;0;c;1.1.1.1;1;2.2.2.2;2;", 26);
    line[n] = '\0';
    struct tr_hepipe_rec r;
    assert_int_equal(parse(line, &r), TR_HEPIPE_TOO_LONG);
    line[n - 1] = '\0'; /* exactly at the limit: fine */
    assert_int_equal(parse(line, &r), TR_HEPIPE_OK);
    free(line);
}

static void hepipe_parser_reads_nothing_past_the_length(void **state)
{
    (void)state;
    /* The valid line continues past len: the payload must stop at len. */
    const char *buf = "1;0;c;1.1.1.1;1;2.2.2.2;2;abcdef";
    struct tr_hepipe_rec r;
    size_t len = strlen(buf) - 3;
    uint8_t *copy = malloc(len); /* exact size: ASan sees any read past it */
    assert_non_null(copy);
    memcpy(copy, buf, len);
    assert_int_equal(tr_hepipe_parse_line((struct tr_bytes){ copy, len }, &r), TR_HEPIPE_OK);
    assert_int_equal(r.payload.len, 3);
    assert_memory_equal(r.payload.ptr, "abc", 3);
    free(copy);
}

/* ---------------------------------------------------------------- input */

struct got {
    int n;
    char corr[8][32];
};

static void on_pkt(void *user, struct tr_packet *pkt)
{
    struct got *g = user;
    assert_int_equal(pkt->linktype, TR_LINKTYPE_HEPIPE);
    struct tr_hepipe_rec r;
    assert_int_equal(tr_hepipe_parse_line((struct tr_bytes){ pkt->frame, pkt->caplen }, &r),
                     TR_HEPIPE_OK);
    if (g->n < 8)
        snprintf(g->corr[g->n], sizeof(g->corr[0]), "%.*s", (int)r.corr_id.len, r.corr_id.ptr);
    g->n++;
}

static int drain(struct tr_input *in, struct got *g)
{
    int total = 0;
    for (int i = 0; i < 20; i++) {
        int n = in->ops->dispatch(in, 256, on_pkt, g);
        if (n < 0)
            return n;
        total += n;
        usleep(20000);
    }
    (void)total;
    return g->n;
}

static void append(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void hepipe_file_is_followed_across_appends_truncation_and_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hepipe.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], moved[256];
    snprintf(path, sizeof(path), "%s/app.log", dir);
    snprintf(moved, sizeof(moved), "%s/app.log.1", dir);
    append(path, "1;0;f1;1.1.1.1;1;2.2.2.2;2;one\nbad\n1;0;f2;1.1.1.1;1;2.2.2.2;2;tw", "w");

    struct tr_input in = { 0 };
    struct tr_input_conf conf = { .kind = TR_INPUT_HEPIPE, .source = path };
    struct tr_err err = { 0 };
    assert_int_equal(tr_input_open(&in, &conf, &err), TR_OK);
    assert_int_equal(in.ops->fd(&in), -1); /* a regular file is not polled */
    struct got g = { 0 };
    assert_int_equal(drain(&in, &g), 1); /* f2 has no newline yet: held */
    const struct tr_hepipe_stats *st = tr_input_hepipe_stats(&in);
    assert_non_null(st);
    assert_int_equal(st->rejected[TR_HEPIPE_FIELDS], 1);
    append(path, "o\n", "a");
    assert_int_equal(drain(&in, &g), 2);
    assert_string_equal(g.corr[1], "f2");

    /* truncated and rewritten: read from the start again */
    append(path, "1;0;f3;1.1.1.1;1;2.2.2.2;2;x\n", "w");
    assert_int_equal(drain(&in, &g), 3);
    assert_string_equal(g.corr[2], "f3");

    /* rotated: moved away, a new file at the path */
    assert_int_equal(rename(path, moved), 0);
    append(path, "1;0;f4;1.1.1.1;1;2.2.2.2;2;after rotation\n", "w");
    assert_int_equal(drain(&in, &g), 4);
    assert_string_equal(g.corr[3], "f4");
    assert_int_equal(st->reopens, 2);
    assert_int_equal(st->lines, 5);
    assert_int_equal(st->accepted, 4);
    tr_input_close(&in);
    unlink(path);
    unlink(moved);
    rmdir(dir);
}

static void hepipe_fifo_survives_writers_coming_and_going(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hepipe.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    struct tr_input in = { 0 };
    struct tr_input_conf conf = { .kind = TR_INPUT_HEPIPE, .source = path };
    struct tr_err err = { 0 };
    assert_int_equal(tr_input_open(&in, &conf, &err), TR_OK);
    assert_true(in.ops->fd(&in) >= 0);
    struct got g = { 0 };
    for (int w = 0; w < 2; w++) {
        int fd = open(path, O_WRONLY);
        assert_true(fd >= 0);
        const char *line = w == 0 ? "1;0;p1;1.1.1.1;1;2.2.2.2;2;x\n" : "1;0;p2;1.1.1.1;1;2.2.2.2;2;y\n";
        assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
        close(fd); /* the writer leaves: no EOF for us */
        assert_int_equal(drain(&in, &g), w + 1);
    }
    assert_string_equal(g.corr[1], "p2");
    tr_input_close(&in);
    unlink(path);
    rmdir(dir);
}

static void hepipe_udp_datagram_may_carry_several_lines(void **state)
{
    (void)state;
    /* a free port: bound by the kernel's choice, then released */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sl), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
    close(s);
    char spec[64];
    snprintf(spec, sizeof(spec), "udp:%u", ntohs(sa.sin_port)); /* HOST defaults to 127.0.0.1 */
    struct tr_input in = { 0 };
    struct tr_input_conf conf = { .kind = TR_INPUT_HEPIPE, .source = spec };
    struct tr_err err = { 0 };
    assert_int_equal(tr_input_open(&in, &conf, &err), TR_OK);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    const char *dg = "1;0;u1;1.1.1.1;1;2.2.2.2;2;a\n1;0;u2;1.1.1.1;1;2.2.2.2;2;b\nnope\n";
    assert_true(sendto(s, dg, strlen(dg), 0, (struct sockaddr *)&sa, sl) > 0);
    const char *one = "1;0;u3;1.1.1.1;1;2.2.2.2;2;no newline";
    assert_true(sendto(s, one, strlen(one), 0, (struct sockaddr *)&sa, sl) > 0);
    struct got g = { 0 };
    assert_int_equal(drain(&in, &g), 3);
    assert_string_equal(g.corr[0], "u1");
    assert_string_equal(g.corr[2], "u3");
    const struct tr_hepipe_stats *st = tr_input_hepipe_stats(&in);
    assert_int_equal(st->lines, 4);
    assert_int_equal(st->rejected[TR_HEPIPE_FIELDS], 1);
    close(s);
    tr_input_close(&in);
}

static void hepipe_stream_line_too_long_is_counted_once_and_skipped(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hepipe.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/big.log", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("1;0;c;1.1.1.1;1;2.2.2.2;2;", f);
    for (int i = 0; i < 3 * TR_HEPIPE_MAX_LINE; i++) /* longer than the read buffer */
        fputc('x', f);
    fputs("\n1;0;ok;1.1.1.1;1;2.2.2.2;2;fine\n", f);
    fclose(f);
    struct tr_input in = { 0 };
    struct tr_input_conf conf = { .kind = TR_INPUT_HEPIPE, .source = path };
    struct tr_err err = { 0 };
    assert_int_equal(tr_input_open(&in, &conf, &err), TR_OK);
    struct got g = { 0 };
    assert_int_equal(drain(&in, &g), 1);
    assert_string_equal(g.corr[0], "ok");
    const struct tr_hepipe_stats *st = tr_input_hepipe_stats(&in);
    assert_int_equal(st->rejected[TR_HEPIPE_TOO_LONG], 1);
    assert_int_equal(st->lines, 2);
    tr_input_close(&in);
    unlink(path);
    rmdir(dir);
}

static void hepipe_missing_file_is_an_error_at_open(void **state)
{
    (void)state;
    struct tr_input in = { 0 };
    struct tr_input_conf conf = { .kind = TR_INPUT_HEPIPE, .source = "/nonexistent/x.log" };
    struct tr_err err = { 0 };
    assert_int_not_equal(tr_input_open(&in, &conf, &err), TR_OK);
    assert_non_null(strstr(err.msg, "/nonexistent/x.log"));
    assert_null(in.ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hepipe_good_ipv4_line_gives_every_field),
        cmocka_unit_test(hepipe_ipv6_addresses_with_and_without_brackets),
        cmocka_unit_test(hepipe_payload_keeps_its_semicolons_and_loses_a_cr),
        cmocka_unit_test(hepipe_each_malformed_class_has_its_reason),
        cmocka_unit_test(hepipe_correlation_id_at_its_limit_is_taken_one_more_is_not),
        cmocka_unit_test(hepipe_line_longer_than_a_hep_frame_is_too_long),
        cmocka_unit_test(hepipe_parser_reads_nothing_past_the_length),
        cmocka_unit_test(hepipe_file_is_followed_across_appends_truncation_and_rotation),
        cmocka_unit_test(hepipe_fifo_survives_writers_coming_and_going),
        cmocka_unit_test(hepipe_udp_datagram_may_carry_several_lines),
        cmocka_unit_test(hepipe_stream_line_too_long_is_counted_once_and_skipped),
        cmocka_unit_test(hepipe_missing_file_is_an_error_at_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
