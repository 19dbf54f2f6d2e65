/* test_csv.c - the CSV output's rows (src/output/csv.c, docs/csv.md):
 * RFC 4180 quoting, one field per header column whatever the event, empty
 * fields for absent values, tags, and the size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/output.h"

/* Fields of one CSV record (RFC 4180 parse); returns the count. */
static unsigned split(const char *row, char fields[][256], unsigned max)
{
    unsigned n = 0;
    const char *p = row;
    for (;;) {
        char *out = fields[n];
        size_t len = 0;
        if (*p == '"') {
            p++;
            for (;;) {
                assert_true(*p != '\0'); /* unterminated quote */
                if (*p == '"' && p[1] == '"') {
                    out[len++] = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    out[len++] = *p++;
                }
            }
        } else {
            while (*p && *p != ',') {
                assert_true(*p != '"'); /* a bare quote inside an unquoted field */
                out[len++] = *p++;
            }
        }
        out[len] = '\0';
        n++;
        if (*p == '\0')
            return n;
        assert_int_equal(*p, ',');
        p++;
        assert_true(n < max);
    }
}

static unsigned header_columns(char fields[][256])
{
    return split(tr_csv_header, fields, 64);
}

static int col(const char *name)
{
    static char h[64][256];
    unsigned n = header_columns(h);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(h[i], name) == 0)
            return (int)i;
    fail_msg("no column %s", name);
    return -1;
}

static struct tr_packet pkt(void)
{
    struct tr_packet p = { 0 };
    p.src.family = p.dst.family = TR_AF_INET;
    memcpy(p.src.a, "\x0a\x00\x00\x01", 4);
    memcpy(p.dst.a, "\x0a\x00\x00\x02", 4);
    p.sport = 5060;
    p.dport = 5080;
    p.ip_proto = 17;
    p.ts_ns = 1795417862137708000ull;
    return p;
}

static void sip_row_has_every_column_and_quotes_rfc4180(void **state)
{
    (void)state;
    const char *text = "INVITE sip:bob@x SIP/2.0\r\n"
                       "Call-ID: a,b\"c@x\r\n"
                       "CSeq: 7 INVITE\r\n"
                       "From: \"A\" <sip:alice@x>;tag=t1\r\n"
                       "To: <sip:bob@x>\r\n"
                       "User-Agent: Phone, v1\r\n"
                       "Content-Length: 0\r\n\r\n";
    struct tr_packet p = pkt();
    struct tr_sip_msg sip;
    struct tr_bytes b = { (const uint8_t *)text, strlen(text) };
    assert_int_equal(tr_sip_parse(b, &sip), TR_OK);
    struct tr_tag tags[2] = { { TR_STR_LIT("k"), TR_STR_LIT("v") },
                              { TR_STR_LIT("q"), TR_STR_LIT("say \"hi\"") } };
    struct tr_event ev = { .kind = TR_EV_SIP, .pkt = &p, .sip = &sip, .payload = b,
                           .tags = tags, .n_tags = 2 };
    char buf[4096];
    int n = tr_csv_format_event(&ev, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    static char f[64][256], h[64][256];
    assert_int_equal(split(buf, f, 64), header_columns(h));
    assert_string_equal(f[col("ts")], "2026-11-23T07:11:02.137708Z");
    assert_string_equal(f[col("ts_us")], "1795417862137708");
    assert_string_equal(f[col("type")], "sip");
    assert_string_equal(f[col("src")], "10.0.0.1");
    assert_string_equal(f[col("dport")], "5080");
    assert_string_equal(f[col("vlan")], "");
    assert_string_equal(f[col("method")], "INVITE");
    assert_string_equal(f[col("status")], "");
    assert_string_equal(f[col("call_id")], "a,b\"c@x");
    assert_string_equal(f[col("cseq")], "7");
    assert_string_equal(f[col("from_user")], "alice");
    assert_string_equal(f[col("user_agent")], "Phone, v1");
    assert_string_equal(f[col("malformed")], "");
    assert_string_equal(f[col("tags")], "k=v;q=say \"hi\"");
    /* the raw text: quoted field, doubled quote */
    assert_non_null(strstr(buf, ",\"a,b\"\"c@x\","));
}

static void response_and_malformed_columns(void **state)
{
    (void)state;
    const char *text = "SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\n\r\n"; /* no Call-ID */
    struct tr_packet p = pkt();
    p.flags |= TR_PKT_HAS_VLAN;
    p.vlan = 42;
    struct tr_sip_msg sip;
    struct tr_bytes b = { (const uint8_t *)text, strlen(text) };
    assert_int_equal(tr_sip_parse(b, &sip), -TR_E_MALFORMED);
    struct tr_event ev = { .kind = TR_EV_SIP, .pkt = &p, .sip = &sip, .payload = b };
    char buf[4096];
    assert_true(tr_csv_format_event(&ev, buf, sizeof(buf)) > 0);
    static char f[64][256];
    split(buf, f, 64);
    assert_string_equal(f[col("vlan")], "42");
    assert_string_equal(f[col("method")], "");
    assert_string_equal(f[col("status")], "486");
    assert_string_equal(f[col("reason")], "Busy Here");
    assert_string_equal(f[col("malformed")], "no_call_id");
}

static void other_events_name_their_type_and_correlation(void **state)
{
    (void)state;
    struct tr_packet p = pkt();
    const char *json = "{\"x\":1}";
    struct tr_event ev = { .kind = TR_EV_RTCP, .pkt = &p,
                           .payload = { (const uint8_t *)json, strlen(json) },
                           .corr_id = TR_STR_LIT("call-9") };
    char buf[4096];
    assert_true(tr_csv_format_event(&ev, buf, sizeof(buf)) > 0);
    static char f[64][256], h[64][256];
    assert_int_equal(split(buf, f, 64), header_columns(h));
    assert_string_equal(f[col("type")], "rtcp");
    assert_string_equal(f[col("call_id")], "call-9");
    assert_string_equal(f[col("len")], "7");
    ev.kind = TR_EV_LOG;
    assert_true(tr_csv_format_event(&ev, buf, sizeof(buf)) > 0);
    split(buf, f, 64);
    assert_string_equal(f[col("type")], "log");
}

static void control_bytes_are_quoted(void **state)
{
    (void)state;
    const char *text = "OPTIONS sip:x SIP/2.0\r\nCall-ID: a\tb\r\nCSeq: 1 OPTIONS\r\n\r\n";
    struct tr_packet p = pkt();
    struct tr_sip_msg sip;
    struct tr_bytes b = { (const uint8_t *)text, strlen(text) };
    assert_int_equal(tr_sip_parse(b, &sip), TR_OK);
    struct tr_event ev = { .kind = TR_EV_SIP, .pkt = &p, .sip = &sip, .payload = b };
    char buf[4096];
    assert_true(tr_csv_format_event(&ev, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, ",\"a\tb\","));
}

static void too_small_buffer_is_full_not_overrun(void **state)
{
    (void)state;
    struct tr_packet p = pkt();
    struct tr_event ev = { .kind = TR_EV_RTCP, .pkt = &p };
    char buf[64];
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(tr_csv_format_event(&ev, buf, 40), -TR_E_FULL);
    for (size_t i = 40; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 'Z');
}

/* The file side (src/output/lines.c): a file is appended to, the header
 * goes only on top of a new or empty file, and SIGHUP's reopen starts a new
 * file (with its header) once log rotation moved the old one away. */
static size_t count_lines(const char *path, const char *part)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    size_t n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, part) != NULL;
    fclose(f);
    return n;
}

static void file_is_appended_and_reopened_after_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/trawl-csv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], moved[256];
    snprintf(path, sizeof(path), "%s/m.csv", dir);
    snprintf(moved, sizeof(moved), "%s/m.csv.1", dir);
    const char *hdr = tr_csv_header;

    struct tr_packet p = pkt();
    const char *json = "{}";
    struct tr_event ev = { .kind = TR_EV_RTCP, .pkt = &p,
                           .payload = { (const uint8_t *)json, 2 } };
    struct tr_output_conf conf = { .kind = "csv", .target = path };
    struct tr_output out;
    struct tr_err err;
    for (int run = 0; run < 2; run++) { /* a restart appends, one header */
        assert_int_equal(tr_output_open(&out, &conf, &err), TR_OK);
        out.ops->write(&out, &ev);
        out.ops->flush(&out);
        tr_output_close(&out);
    }
    assert_int_equal(count_lines(path, hdr), 1);
    assert_int_equal(count_lines(path, ",rtcp,"), 2);

    assert_int_equal(tr_output_open(&out, &conf, &err), TR_OK);
    assert_int_equal(rename(path, moved), 0); /* logrotate */
    out.ops->write(&out, &ev); /* still into the moved file */
    assert_non_null(out.ops->reopen);
    out.ops->reopen(&out);
    out.ops->write(&out, &ev);
    tr_output_close(&out);
    assert_int_equal(out.c.write_errors, 0);
    assert_int_equal(count_lines(moved, ",rtcp,"), 3);
    assert_int_equal(count_lines(path, hdr), 1);
    assert_int_equal(count_lines(path, ",rtcp,"), 1);
    unlink(path);
    unlink(moved);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sip_row_has_every_column_and_quotes_rfc4180),
        cmocka_unit_test(response_and_malformed_columns),
        cmocka_unit_test(other_events_name_their_type_and_correlation),
        cmocka_unit_test(control_bytes_are_quoted),
        cmocka_unit_test(too_small_buffer_is_full_not_overrun),
        cmocka_unit_test(file_is_appended_and_reopened_after_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
