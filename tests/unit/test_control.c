/* test_control.c - unit tests for src/control: the counter table and its
 * three printers (summary, JSON, Prometheus text 0.0.4) and the HTTP API
 * on 127.0.0.1 with a stand-in engine thread answering its requests
 * (token check, routes, methods, the engine's status and text passed back,
 * the snapshot served by GET). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/control.h"

/* ---------------------------------------------------------------- printers */

static char *print(void (*fn)(FILE *, const struct tr_stat *, size_t, double), const struct tr_stat *s,
                   size_t n)
{
    /* static: open_memstream keeps &text until fclose, which gcc -O2 then
     * takes for a dangling pointer to a local in the caller */
    static char *text;
    static size_t len;
    text = NULL;
    len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fn(f, s, n, 1.5);
    fclose(f);
    return text;
}

static void prom(FILE *f, const struct tr_stat *s, size_t n, double up)
{
    tr_stats_write_prometheus(f, s, n, up);
}

static void json(FILE *f, const struct tr_stat *s, size_t n, double up)
{
    tr_stats_write_json(f, s, n, up, "[{\"id\":0}]");
}

static void summary(FILE *f, const struct tr_stat *s, size_t n, double up)
{
    (void)up;
    tr_stats_write_summary(f, s, n);
}

static size_t sample_table(struct tr_stat *items, size_t cap)
{
    struct tr_stat_table t = { items, 0, cap };
    tr_stat_add(&t, "eth0.packets", "input_packets", 10, 0, "input", "lan", (const char *)NULL);
    tr_stat_add(&t, "packets", "packets", 12, 0, (const char *)NULL);
    tr_stat_add(&t, "eth1.packets", "input_packets", 2, 0, "input", "we\"ird\\na\nme",
                (const char *)NULL);
    tr_stat_add(&t, "tcp.flows_now", "tcp.flows_now", 3, TR_STAT_GAUGE | TR_STAT_SPARSE,
                (const char *)NULL);
    tr_stat_add(&t, "sip.malformed.no_cseq", "sip_malformed_by_defect", 0, TR_STAT_SPARSE,
                "defect", "no_cseq", (const char *)NULL);
    tr_stat_add(&t, "eth0.bytes", "input_bytes", 999, TR_STAT_NOSUMMARY, "input", "lan",
                (const char *)NULL);
    return t.n;
}

static void stats_table_refuses_rows_past_its_capacity(void **state)
{
    (void)state;
    struct tr_stat items[2];
    struct tr_stat_table t = { items, 0, 2 };
    assert_true(tr_stat_add(&t, "a", "a", 1, 0, (const char *)NULL));
    assert_true(tr_stat_add(&t, "b", "b", 1, 0, (const char *)NULL));
    assert_false(tr_stat_add(&t, "c", "c", 1, 0, (const char *)NULL));
    assert_int_equal(t.n, 2);
}

static void summary_skips_zero_sparse_rows_and_api_only_rows(void **state)
{
    (void)state;
    struct tr_stat items[16];
    size_t n = sample_table(items, 16);
    char *s = print(summary, items, n);
    assert_non_null(strstr(s, "  eth0.packets"));
    assert_non_null(strstr(s, "  tcp.flows_now")); /* sparse but 3 */
    assert_null(strstr(s, "no_cseq"));             /* sparse and 0 */
    assert_null(strstr(s, "eth0.bytes"));          /* NOSUMMARY */
    free(s);
}

static void prometheus_groups_families_with_one_help_and_type(void **state)
{
    (void)state;
    struct tr_stat items[16];
    size_t n = sample_table(items, 16);
    char *s = print(prom, items, n);
    /* input_packets rows were apart in the table: together here, one header */
    const char *h = strstr(s, "# TYPE trawl_input_packets_total counter\n");
    assert_non_null(h);
    assert_null(strstr(h + 1, "# TYPE trawl_input_packets_total"));
    const char *a = strstr(s, "trawl_input_packets_total{input=\"lan\"} 10\n");
    const char *b = strstr(s, "trawl_input_packets_total{input=\"we\\\"ird\\\\na\\nme\"} 2\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a > h && b > a);
    /* nothing of another family between them */
    for (const char *p = a; p < b; p = strchr(p, '\n') + 1)
        assert_true(strncmp(p, "trawl_input_packets_total", 25) == 0);
    assert_non_null(strstr(s, "# TYPE trawl_tcp_flows_now gauge\ntrawl_tcp_flows_now 3\n"));
    assert_non_null(strstr(s, "trawl_packets_total 12\n"));
    assert_non_null(strstr(s, "trawl_sip_malformed_by_defect_total{defect=\"no_cseq\"} 0\n"));
    assert_non_null(strstr(s, "trawl_input_bytes_total{input=\"lan\"} 999\n"));
    assert_non_null(strstr(s, "trawl_uptime_seconds 1.500\n"));
    free(s);
}

static void json_has_every_row_and_the_inputs(void **state)
{
    (void)state;
    struct tr_stat items[16];
    size_t n = sample_table(items, 16);
    char *s = print(json, items, n);
    assert_non_null(strstr(s, "{\"uptime_s\":1.500,\"counters\":{\"eth0.packets\":10,"));
    assert_non_null(strstr(s, "\"sip.malformed.no_cseq\":0"));
    assert_non_null(strstr(s, "\"eth0.bytes\":999"));
    assert_non_null(strstr(s, "},\"inputs\":[{\"id\":0}]}\n"));
    free(s);
}

static void listen_spec_parses_port_addr_and_v6(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    struct tr_err err = { 0 };
    assert_int_equal(tr_control_parse_listen("8080", &ss, &err), TR_OK);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohl(s4->sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(ntohs(s4->sin_port), 8080);
    assert_int_equal(tr_control_parse_listen("0.0.0.0:9", &ss, &err), TR_OK);
    assert_int_equal(tr_control_parse_listen("[::1]:9", &ss, &err), TR_OK);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_not_equal(tr_control_parse_listen("host.example:9", &ss, &err), TR_OK);
    assert_int_not_equal(tr_control_parse_listen("70000", &ss, &err), TR_OK);
    assert_int_not_equal(tr_control_parse_listen("1.2.3.4:", &ss, &err), TR_OK);
}

/* ---------------------------------------------------------------- HTTP API */

struct fake_engine {
    struct tr_control *c;
    volatile int stop;
    char last_input[64], last_filter[128];
    int n_reloads;
};

/* Answers like the engine: input "lan" exists; filter "bad" does not
 * compile; reload works. */
static void *engine_thread(void *arg)
{
    struct fake_engine *fe = arg;
    while (!fe->stop) {
        struct tr_control_req *r;
        while ((r = tr_control_next(fe->c)) != NULL) {
            if (r->kind == TR_CTL_RELOAD) {
                fe->n_reloads++;
                tr_control_done(fe->c, r, 200, "reloaded");
            } else if (strcmp(r->input, "lan") != 0) {
                tr_control_done(fe->c, r, 404, "no input named '%s'", r->input);
            } else if (strcmp(r->filter, "bad") == 0) {
                tr_control_done(fe->c, r, 400, "syntax error");
            } else {
                snprintf(fe->last_input, sizeof(fe->last_input), "%s", r->input);
                snprintf(fe->last_filter, sizeof(fe->last_filter), "%s", r->filter);
                tr_control_done(fe->c, r, 200, "filter set");
            }
        }
        usleep(5000);
    }
    return NULL;
}

static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sl), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
    close(s);
    return ntohs(sa.sin_port);
}

/* One HTTP/1.0 exchange; returns the status, body copied into body. */
static int http(uint16_t port, const char *method, const char *path, const char *auth,
                const char *data, char *body, size_t cap)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[1024];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\n%s%s%sContent-Length: %zu\r\n\r\n%s",
                     method, path, auth ? "Authorization: " : "", auth ? auth : "",
                     auth ? "\r\n" : "", data ? strlen(data) : 0, data ? data : "");
    assert_int_equal(write(s, req, (size_t)n), n);
    static char resp[1 << 16];
    size_t got = 0;
    ssize_t r;
    while ((r = read(s, resp + got, sizeof(resp) - 1 - got)) > 0)
        got += (size_t)r;
    resp[got] = '\0';
    close(s);
    int status = 0;
    assert_int_equal(sscanf(resp, "HTTP/1.%*d %d", &status), 1);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, cap, "%s", b ? b + 4 : "");
    return status;
}

static void api_routes_token_and_engine_answers(void **state)
{
    (void)state;
    uint16_t port = free_port();
    char spec[32];
    snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
    struct tr_err err = { 0 };
    struct fake_engine fe = { 0 };
    fe.c = tr_control_start(spec, "s3cret", &err);
    assert_non_null(fe.c);
    struct tr_stat items[16];
    size_t n = sample_table(items, 16);
    tr_control_publish(fe.c, items, n, 2.0, "[]");
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, engine_thread, &fe), 0);
    const char *ok = "Bearer s3cret";
    char body[1 << 16];

    assert_int_equal(http(port, "GET", "/stats", NULL, NULL, body, sizeof(body)), 401);
    assert_int_equal(http(port, "GET", "/stats", "Bearer s3creT", NULL, body, sizeof(body)), 401);
    assert_int_equal(http(port, "GET", "/stats", "Bearer s3cret2", NULL, body, sizeof(body)), 401);
    assert_int_equal(http(port, "GET", "/stats", ok, NULL, body, sizeof(body)), 200);
    assert_non_null(strstr(body, "\"eth0.packets\":10"));
    assert_int_equal(http(port, "GET", "/metrics", ok, NULL, body, sizeof(body)), 200);
    assert_non_null(strstr(body, "trawl_input_packets_total{input=\"lan\"} 10"));
    assert_int_equal(http(port, "POST", "/metrics", ok, NULL, body, sizeof(body)), 405);
    assert_int_equal(http(port, "GET", "/nope", ok, NULL, body, sizeof(body)), 404);

    assert_int_equal(http(port, "PUT", "/inputs/lan/filter", ok, "udp port 5060\n", body,
                          sizeof(body)),
                     200);
    assert_string_equal(fe.last_filter, "udp port 5060"); /* trailing newline dropped */
    assert_int_equal(http(port, "PUT", "/inputs/lan/filter", ok, "bad", body, sizeof(body)), 400);
    assert_non_null(strstr(body, "syntax error"));
    assert_int_equal(http(port, "PUT", "/inputs/wan/filter", ok, "udp", body, sizeof(body)), 404);
    assert_non_null(strstr(body, "no input named 'wan'"));
    assert_int_equal(http(port, "GET", "/inputs/lan/filter", ok, NULL, body, sizeof(body)), 405);
    assert_int_equal(http(port, "POST", "/reload", ok, NULL, body, sizeof(body)), 200);
    assert_int_equal(fe.n_reloads, 1);
    assert_int_equal(http(port, "GET", "/reload", ok, NULL, body, sizeof(body)), 405);

    /* a new snapshot replaces the old one */
    items[0].v = 77;
    tr_control_publish(fe.c, items, n, 3.0, NULL);
    assert_int_equal(http(port, "GET", "/stats", ok, NULL, body, sizeof(body)), 200);
    assert_non_null(strstr(body, "\"eth0.packets\":77"));

    fe.stop = 1;
    pthread_join(th, NULL);
    tr_control_stop(fe.c);
}

static void api_refuses_a_port_in_use(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sl), 0);
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
    char spec[32];
    snprintf(spec, sizeof(spec), "%u", ntohs(sa.sin_port));
    struct tr_err err = { 0 };
    assert_null(tr_control_start(spec, NULL, &err));
    assert_non_null(strstr(err.msg, "cannot listen"));
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_table_refuses_rows_past_its_capacity),
        cmocka_unit_test(summary_skips_zero_sparse_rows_and_api_only_rows),
        cmocka_unit_test(prometheus_groups_families_with_one_help_and_type),
        cmocka_unit_test(json_has_every_row_and_the_inputs),
        cmocka_unit_test(listen_spec_parses_port_addr_and_v6),
        cmocka_unit_test(api_routes_token_and_engine_answers),
        cmocka_unit_test(api_refuses_a_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
