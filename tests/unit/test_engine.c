/* test_engine.c - the whole pipeline on generated pcaps: the hot path does
 * not allocate (counted, never timed), malformed SIP is counted and
 * forwarded unless asked not to, the JSON text is what docs/json.md says,
 * and a run with packet outputs only (a mirror) does not allocate the
 * message stages' tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine/engine.h"

#include <arpa/inet.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc_count.h"

/* ---- pcap fixtures */

static const char invite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "User-Agent: test\r\n"
    "Content-Length: 0\r\n\r\n";

static const char no_call_id[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-2\r\n"
    "From: <sip:alice@example.com>;tag=a2\r\n"
    "To: <sip:bob@example.com>\r\n"
    "CSeq: 2 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

/* Ethernet + IPv4 + UDP 192.0.2.1:5060 -> 198.51.100.2:5060 around payload. */
static size_t make_frame(uint8_t *f, const char *payload)
{
    size_t plen = strlen(payload);
    memset(f, 0, 42);
    f[12] = 0x08; /* IPv4 */
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    uint16_t tot = htons((uint16_t)(20 + 8 + plen));
    memcpy(ip + 2, &tot, 2);
    ip[8] = 64;
    ip[9] = 17;
    uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 198, 51, 100, 2 };
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint8_t *udp = ip + 20;
    uint16_t port = htons(5060), ulen = htons((uint16_t)(8 + plen));
    memcpy(udp, &port, 2);
    memcpy(udp + 2, &port, 2);
    memcpy(udp + 4, &ulen, 2);
    memcpy(udp + 8, payload, plen);
    return 42 + plen;
}

static void write_pcap(const char *path, unsigned n, const char *payload)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    assert_non_null(d);
    static uint8_t frame[2048];
    size_t len = make_frame(frame, payload);
    for (unsigned i = 0; i < n; i++) {
        struct pcap_pkthdr h = { .ts = { .tv_sec = 1767225600 + i, .tv_usec = 123456 },
                                 .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };
        pcap_dump((u_char *)d, &h, frame);
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

/* Runs the engine on path with the given outputs; returns its exit status. */
static int run_engine(const char *path, struct tr_engine_conf *conf)
{
    conf->inputs[0] = (struct tr_input_conf){ .kind = TR_INPUT_FILE, .source = path };
    conf->n_inputs = 1;
    struct tr_err err = { 0 };
    struct tr_engine *e = tr_engine_open(conf, &err);
    assert_non_null(e);
    int rc = tr_engine_run(e);
    tr_engine_close(e);
    return rc;
}

static unsigned long allocations_for(unsigned n_packets, uint16_t sink_port)
{
    char path[] = "/tmp/trawl-test-engine-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_pcap(path, n_packets, invite);
    static struct tr_engine_conf conf;
    tr_engine_conf_init(&conf);
    char target[64];
    snprintf(target, sizeof(target), "udp:127.0.0.1:%u", sink_port);
    conf.outputs[0] = (struct tr_output_conf){ .kind = "hep", .target = target, .capture_id = 1 };
    conf.outputs[1] = (struct tr_output_conf){ .kind = "json", .target = "/dev/null" };
    conf.n_outputs = 2;
    start_counting();
    unsigned long before = allocs_so_far();
    assert_int_equal(run_engine(path, &conf), 0);
    unsigned long used = allocs_so_far() - before;
    unlink(path);
    return used;
}

static void hot_path_allocations_do_not_grow_with_packets(void **state)
{
    (void)state;
#ifdef TR_TEST_ASAN
    skip(); /* the sanitizer's own allocations around threads would be counted too */
#endif
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
    int big = 16 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    socklen_t sl = sizeof(sa);
    getsockname(rx, (struct sockaddr *)&sa, &sl);
    (void)allocations_for(10, ntohs(sa.sin_port)); /* one-time library set-up (resolver, stdio) */
    unsigned long small = allocations_for(100, ntohs(sa.sin_port));
    unsigned long large = allocations_for(20000, ntohs(sa.sin_port));
    print_message("allocations: 100 packets %lu, 20000 packets %lu\n", small, large);
    assert_true(small > 0); /* the counter works */
    assert_int_equal(large, small);
    close(rx);
}

/* Runs the engine over a pcap of the two messages with JSON to a temp file;
 * returns the file's text (caller frees). */
static char *json_of(const char *payload, bool drop_malformed, int *rc)
{
    char pcap_path[] = "/tmp/trawl-test-json-XXXXXX";
    int fd = mkstemp(pcap_path);
    close(fd);
    write_pcap(pcap_path, 1, payload);
    char out_path[] = "/tmp/trawl-test-out-XXXXXX";
    fd = mkstemp(out_path);
    close(fd);
    static struct tr_engine_conf conf;
    tr_engine_conf_init(&conf);
    conf.drop_malformed = drop_malformed;
    conf.outputs[0] = (struct tr_output_conf){ .kind = "json", .target = out_path };
    conf.n_outputs = 1;
    *rc = run_engine(pcap_path, &conf);
    FILE *f = fopen(out_path, "r");
    static char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(pcap_path);
    unlink(out_path);
    return text;
}

static void json_line_follows_the_documented_schema(void **state)
{
    (void)state;
    int rc;
    const char *text = json_of(invite, false, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(
        text, "{\"ts\":\"2026-01-01T00:00:00.123456Z\",\"ts_us\":1767225600123456,\"family\":4,"
              "\"transport\":\"udp\",\"src\":\"192.0.2.1\",\"sport\":5060,\"dst\":\"198.51.100.2\","
              "\"dport\":5060,\"len\":243,\"method\":\"INVITE\",\"ruri\":\"sip:bob@example.com\","
              "\"call_id\":\"call-1@example.com\",\"cseq\":1,\"cseq_method\":\"INVITE\","
              "\"from_user\":\"alice\",\"from_tag\":\"a1\",\"to_user\":\"bob\","
              "\"via_branch\":\"z9hG4bK-1\",\"user_agent\":\"test\"}\n");
}

static void malformed_sip_is_forwarded_and_marked_by_default(void **state)
{
    (void)state;
    int rc;
    const char *text = json_of(no_call_id, false, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "\"method\":\"OPTIONS\""));
    assert_non_null(strstr(text, "\"malformed\":\"no_call_id\""));
}

static void malformed_sip_is_dropped_when_asked(void **state)
{
    (void)state;
    int rc;
    const char *text = json_of(no_call_id, true, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(text, "");
}

static void json_escapes_control_quotes_and_invalid_utf8(void **state)
{
    (void)state;
    static const uint8_t payload[] = "x\"y\\z\x01\xff\xc3\xa9";
    struct tr_packet pkt = { .ts_ns = 0, .ip_proto = 17 };
    pkt.src.family = pkt.dst.family = TR_AF_INET;
    struct tr_event ev = { .pkt = &pkt, .payload = { payload, sizeof(payload) - 1 } };
    char buf[1024];
    int n = tr_json_format_event(&ev, true, buf, sizeof(buf));
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\"payload\":\"x\\\"y\\\\z\\u0001\\u00ff\xc3\xa9\"}"));
    /* too small a buffer is an error, never an overrun */
    assert_int_equal(tr_json_format_event(&ev, true, buf, 40), -TR_E_FULL);
}

/* Resident memory of this process in KiB (/proc/self/statm). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* RSS growth (KiB) of opening an engine on path with conf's outputs; the
 * engine then runs, prints its summary and closes (a mirror-only engine has
 * no TCP, call or RTP table: expiry, flush and the counters must cope). */
static long open_growth_kib(const char *path, struct tr_engine_conf *conf)
{
    conf->inputs[0] = (struct tr_input_conf){ .kind = TR_INPUT_FILE, .source = path };
    conf->n_inputs = 1;
    struct tr_err err = { 0 };
#ifdef __GLIBC__
    malloc_trim(0); /* free heap pages back to the kernel: what follows is new */
#endif
    long before = rss_kib();
    struct tr_engine *e = tr_engine_open(conf, &err);
    long grown = rss_kib() - before;
    assert_non_null(e);
    assert_int_equal(tr_engine_run(e), 0);
    FILE *sink = fopen("/dev/null", "w");
    tr_engine_print_summary(e, sink);
    fclose(sink);
    tr_engine_close(e);
    return grown;
}

static void mirror_only_run_does_not_allocate_the_message_tables(void **state)
{
    (void)state;
#ifdef __GLIBC__
    /* large tables always get fresh pages: freed ones from the tests
     * before would otherwise be reused without growing RSS (glibc raises its
     * mmap threshold after the first large free; malloc_trim below returns
     * what is already free) */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
    char path[] = "/tmp/trawl-test-mirror-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_pcap(path, 10, invite);
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(rx, (struct sockaddr *)&sa, &sl);
    char target[64];
    snprintf(target, sizeof(target), "vxlan:127.0.0.1:%u:7", ntohs(sa.sin_port));

    static struct tr_engine_conf conf;
    tr_engine_conf_init(&conf);
    conf.outputs[0] = (struct tr_output_conf){ .kind = "mirror", .target = target };
    conf.n_outputs = 1;
    long mirror_only = open_growth_kib(path, &conf);
    /* every frame was mirrored: the 10 VXLAN datagrams are waiting */
    uint8_t buf[2048];
    int got = 0;
    while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        got++;
    assert_int_equal(got, 10);

    tr_engine_conf_init(&conf);
    conf.outputs[0] = (struct tr_output_conf){ .kind = "mirror", .target = target };
    conf.outputs[1] = (struct tr_output_conf){ .kind = "json", .target = "/dev/null" };
    conf.n_outputs = 2;
    long with_messages = open_growth_kib(path, &conf);
    print_message("RSS growth at open: mirror only %ld KiB, mirror + JSON %ld KiB\n", mirror_only,
                  with_messages);
    /* the default TCP stream and call tables alone touch over 3 MB */
    assert_true(with_messages - mirror_only > 2048);
    close(rx);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hot_path_allocations_do_not_grow_with_packets),
        cmocka_unit_test(json_line_follows_the_documented_schema),
        cmocka_unit_test(malformed_sip_is_forwarded_and_marked_by_default),
        cmocka_unit_test(malformed_sip_is_dropped_when_asked),
        cmocka_unit_test(json_escapes_control_quotes_and_invalid_utf8),
        cmocka_unit_test(mirror_only_run_does_not_allocate_the_message_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
