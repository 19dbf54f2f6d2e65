/* test_flowmeta.c - the flow metadata output (src/output/flowmeta.c) and its
 * helpers: record-to-line (what `trawl recollect` prints), the selection
 * mode filter (flowmeta_select.c), fragment accounting, the MGEN flow id,
 * the TCP service (records from the moment a client is accepted, a slow
 * client loses records without holding others) and the log written only
 * while a client is connected (docs/flowmeta.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "output/output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0_NS 1795417862000042000ull /* 1795417862.000042 */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/trawl-fm-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct tr_packet v4_udp(uint16_t sport, uint16_t dport, uint32_t ip_len)
{
    struct tr_packet p = { .ts_ns = T0_NS, .ip_proto = 17, .ip_len = ip_len, .sport = sport,
                           .dport = dport };
    p.src.family = p.dst.family = TR_AF_INET;
    memcpy(p.src.a, (uint8_t[]){ 10, 0, 0, 1 }, 4);
    memcpy(p.dst.a, (uint8_t[]){ 10, 0, 0, 2 }, 4);
    return p;
}

static struct tr_event packet_event(const struct tr_packet *p, int rc)
{
    return (struct tr_event){ .kind = TR_EV_PACKET, .pkt = p, .decode_rc = rc };
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void open_lines(struct tr_output *out, const char *path, bool first_frag, bool mgen_dst)
{
    struct tr_output_conf c = { .kind = "flowmeta" };
    c.flowmeta.lines_path = path;
    c.flowmeta.first_frag = first_frag;
    c.flowmeta.mgen_dst = mgen_dst;
    c.flowmeta.no_host = true;
    struct tr_err err = { 0 };
    assert_int_equal(tr_output_open(out, &c, &err), TR_OK);
}

/* ------------------------------------------------------ record to line */

static void record_line_matches_the_packet_line_for_ipv4(void **state)
{
    (void)state;
    struct tr_packet p = v4_udp(5000, 5001, 128);
    uint8_t rec[TR_FLOWMETA_REC_LEN + 4] = { 0 };
    assert_int_equal(tr_flowmeta_record(&p, p.ip_len, 7, rec, sizeof(rec)), TR_FLOWMETA_REC_LEN);
    char a[TR_FLOWMETA_LINE_MAX], b[TR_FLOWMETA_LINE_MAX];
    int n = tr_flowmeta_record_line(rec, sizeof(rec), a, sizeof(a)); /* extra bytes ignored */
    assert_int_equal(n, tr_flowmeta_line(&p, p.ip_len, 7, b, sizeof(b)));
    assert_string_equal(a, "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:128:7:17\n");
    assert_string_equal(a, b);
}

static void record_line_of_host_records_keeps_their_ports(void **state)
{
    (void)state;
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    char a[TR_FLOWMETA_LINE_MAX], b[TR_FLOWMETA_LINE_MAX];
    assert_int_equal(tr_flowmeta_host_record(TR_FLOWMETA_HOST_MEM, T0_NS, 4660, rec, sizeof(rec)),
                     TR_FLOWMETA_REC_LEN);
    assert_int_equal(tr_flowmeta_record_line(rec, sizeof(rec), a, sizeof(a)),
                     tr_flowmeta_host_line(TR_FLOWMETA_HOST_MEM, T0_NS, 4660, b, sizeof(b)));
    assert_string_equal(a, "1795417862.000042:2.0.0.0:2:2.0.0.0:2:4660:4294967294:61\n");
    assert_string_equal(a, b);
}

static void record_line_refuses_short_records_and_small_buffers(void **state)
{
    (void)state;
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    memset(rec, 0xff, sizeof(rec));
    char line[TR_FLOWMETA_LINE_MAX];
    assert_int_equal(tr_flowmeta_record_line(rec, TR_FLOWMETA_REC_LEN - 1, line, sizeof(line)),
                     -TR_E_TRUNCATED);
    assert_int_equal(tr_flowmeta_record_line(rec, sizeof(rec), line, 20), -TR_E_FULL);
    int n = tr_flowmeta_record_line(rec, sizeof(rec), line, sizeof(line));
    assert_true(n > 0 && n < TR_FLOWMETA_LINE_MAX);
    assert_string_equal(line, "4294967295.4294967295:255.255.255.255:65535:255.255.255.255:"
                              "65535:65535:4294967295:255\n");
}

/* ------------------------------------------------------------ mode filter */

static void mode_filter_refuses_unknown_modes_and_interfaces(void **state)
{
    (void)state;
    char buf[512];
    struct tr_err err = { 0 };
    assert_int_equal(tr_flowmeta_mode_filter("both", "lo", NULL, buf, sizeof(buf), &err),
                     -TR_E_USAGE);
    assert_int_equal(tr_flowmeta_mode_filter("src", NULL, NULL, buf, sizeof(buf), &err),
                     -TR_E_USAGE);
    assert_int_equal(tr_flowmeta_mode_filter("src", "no-such-if0", NULL, buf, sizeof(buf), &err),
                     -TR_E_USAGE);
}

static void mode_filters_use_the_interface_mac_and_addresses(void **state)
{
    (void)state;
    char buf[2048];
    struct tr_err err = { 0 };
    /* lo has an all-zero 6-byte hardware address and 127.0.0.1 */
    assert_int_equal(tr_flowmeta_mode_filter("src", "lo", NULL, buf, sizeof(buf), &err), TR_OK);
    assert_string_equal(buf, "ether src 00:00:00:00:00:00");
    assert_int_equal(tr_flowmeta_mode_filter("dst", "lo", "", buf, sizeof(buf), &err), TR_OK);
    assert_string_equal(buf, "not ether src 00:00:00:00:00:00");
    assert_int_equal(tr_flowmeta_mode_filter("spoof", "lo", "udp or tcp", buf, sizeof(buf), &err),
                     TR_OK);
    assert_non_null(strstr(buf, "src host 127.0.0.1"));
    assert_int_equal(strncmp(buf, "((src host ", 11), 0);
    assert_non_null(strstr(buf, ") and not ether src 00:00:00:00:00:00) and (udp or tcp)"));
    assert_int_equal(tr_flowmeta_mode_filter("spoof", "lo", NULL, buf, 30, &err), -TR_E_FULL);
}

/* ----------------------------------------------------------- lines output */

static void lines_skip_non_ip_and_undecodable_frames(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/lines", dir);
    struct tr_output out;
    open_lines(&out, path, false, false);
    struct tr_packet arp = { .ts_ns = T0_NS }; /* no IP layer */
    struct tr_packet bad = v4_udp(1, 2, 30);
    struct tr_packet icmp = v4_udp(9, 9, 84);
    icmp.ip_proto = 1;
    struct tr_event e1 = packet_event(&arp, TR_DECLINED), e2 = packet_event(&bad, -TR_E_MALFORMED),
                    e3 = packet_event(&icmp, TR_DECLINED);
    out.ops->write(&out, &e1);
    out.ops->write(&out, &e2);
    out.ops->write(&out, &e3);
    out.ops->flush(&out);
    assert_int_equal(out.c.written, 1);
    tr_output_close(&out);
    assert_string_equal(slurp(path), "1795417862.000042:10.0.0.1:0:10.0.0.2:0:84:0:1\n");
}

static void fragments_count_once_when_the_datagram_completes(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/frag", dir);
    for (int first = 0; first < 2; first++) {
        struct tr_output out;
        open_lines(&out, path, first, false);
        struct tr_packet f1 = v4_udp(5000, 5001, 1500), f2 = v4_udp(0, 0, 1500),
                         f3 = v4_udp(5000, 5001, 3028);
        f1.flags = TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD;
        f2.flags = TR_PKT_FRAGMENT | TR_PKT_FRAG_HELD;
        f3.flags = TR_PKT_FRAGMENT | TR_PKT_REASSEMBLED;
        struct tr_event e1 = packet_event(&f1, TR_DECLINED), e2 = packet_event(&f2, TR_DECLINED),
                        e3 = packet_event(&f3, TR_OK);
        out.ops->write(&out, &e1);
        out.ops->write(&out, &e2);
        out.ops->write(&out, &e3);
        tr_output_close(&out);
        assert_string_equal(slurp(path),
                            first ? "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:1500:0:17\n"
                                  : "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:3028:0:17\n");
    }
}

static void mgen_flow_id_is_read_from_a_valid_message_only(void **state)
{
    (void)state;
    /* messageSize 28, version 2, flags 0, flow 77, seq 1, tx 1795417862.5,
     * dstPort 5001, IPv4 10.0.0.2 */
    static const uint8_t msg[28] = { 0, 28, 2, 0, 0, 0, 0, 77, 0, 0, 0, 1, 0x6b, 0x04,
                                     0x5e, 0x06, 0, 0x07, 0xa1, 0x20, 0x13, 0x89, 1, 4,
                                     10, 0, 0, 2 };
    char path[128];
    snprintf(path, sizeof(path), "%s/mgen", dir);
    for (int strict = 0; strict < 2; strict++) {
        struct tr_output out;
        open_lines(&out, path, false, strict);
        struct tr_packet ok = v4_udp(5000, 5001, 56), natted = v4_udp(5000, 5002, 56),
                         cut = v4_udp(5000, 5001, 56), tcp = v4_udp(5000, 5001, 68);
        ok.payload = natted.payload = cut.payload = tcp.payload = (struct tr_bytes){ msg, 28 };
        cut.flags = TR_PKT_L4_TRUNCATED;
        tcp.ip_proto = 6;
        struct tr_event e[4] = { packet_event(&ok, TR_OK), packet_event(&natted, TR_OK),
                                 packet_event(&cut, TR_OK), packet_event(&tcp, TR_OK) };
        for (int i = 0; i < 4; i++)
            out.ops->write(&out, &e[i]);
        tr_output_close(&out);
        char want[512];
        snprintf(want, sizeof(want),
                 "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:56:77:17\n"
                 "1795417862.000042:10.0.0.1:5000:10.0.0.2:5002:56:%s:17\n"
                 "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:56:0:17\n"
                 "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:68:0:6\n",
                 strict ? "0" : "77");
        assert_string_equal(slurp(path), want);
    }
}

static void open_needs_a_sink_and_the_log_needs_the_server(void **state)
{
    (void)state;
    struct tr_output out;
    struct tr_output_conf c = { .kind = "flowmeta" };
    struct tr_err err = { 0 };
    assert_int_equal(tr_output_open(&out, &c, &err), -TR_E_USAGE);
    c.flowmeta.lines_path = "-";
    c.flowmeta.log_path = "x.log";
    assert_int_equal(tr_output_open(&out, &c, &err), -TR_E_USAGE);
    c.flowmeta.log_path = NULL;
    c.flowmeta.listen = "nonsense:port";
    assert_int_equal(tr_output_open(&out, &c, &err), -TR_E_USAGE);
}

/* ------------------------------------------------------------- the server */

static uint16_t test_port(void)
{
    return (uint16_t)(41000 + getpid() % 20000);
}

static void open_server(struct tr_output *out, const char *log, size_t client_buf)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", test_port());
    struct tr_output_conf c = { .kind = "flowmeta" };
    c.flowmeta.listen = listen;
    c.flowmeta.log_path = log;
    c.flowmeta.client_buf = client_buf;
    c.flowmeta.no_host = true;
    struct tr_err err = { 0 };
    assert_int_equal(tr_output_open(out, &c, &err), TR_OK);
}

static int connect_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int small = 4096; /* a slow client's window fills fast */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(test_port()) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* Reads exactly n bytes (or fails after a second without them). */
static void read_exactly(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 1000), 1);
        ssize_t r = recv(fd, buf + got, n - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

static bool nothing_to_read(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 100) == 0;
}

/* Packet number seq: its source port and capture time (microseconds
 * after T0) carry the number, so a reader can tell which ones it got. */
static struct tr_packet numbered(uint32_t seq)
{
    struct tr_packet p = v4_udp((uint16_t)seq, 5001, 60);
    p.ts_ns = T0_NS + (uint64_t)seq * 1000u;
    return p;
}

static uint32_t record_seq(const uint8_t *rec)
{
    uint64_t sec = (uint64_t)rec[0] << 24 | (uint64_t)rec[1] << 16 | rec[2] << 8 | rec[3];
    uint64_t usec = (uint64_t)rec[4] << 24 | (uint64_t)rec[5] << 16 | rec[6] << 8 | rec[7];
    return (uint32_t)(sec * 1000000u + usec - T0_NS / 1000u);
}

static void write_udp(struct tr_output *out, uint32_t seq)
{
    struct tr_packet p = numbered(seq);
    struct tr_event e = packet_event(&p, TR_OK);
    out->ops->write(out, &e);
}

static void expect_records(int fd, uint32_t first_seq, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t got[TR_FLOWMETA_REC_LEN], want[TR_FLOWMETA_REC_LEN];
        struct tr_packet p = numbered(first_seq + i);
        assert_int_equal(tr_flowmeta_record(&p, 60, 0, want, sizeof(want)), TR_FLOWMETA_REC_LEN);
        read_exactly(fd, got, sizeof(got));
        assert_memory_equal(got, want, sizeof(want));
    }
}

static void clients_get_records_from_when_they_were_accepted(void **state)
{
    (void)state;
    struct tr_output out;
    open_server(&out, NULL, 0);
    write_udp(&out, 1); /* nobody connected: goes nowhere */
    out.ops->flush(&out);
    int a = connect_client();
    out.ops->tick(&out, tr_now_mono_ns()); /* accepts a */
    write_udp(&out, 2);
    out.ops->flush(&out);
    int b = connect_client();
    out.ops->flush(&out); /* accepts b; a batch starts after it */
    write_udp(&out, 3);
    out.ops->flush(&out);
    expect_records(a, 2, 2);
    expect_records(b, 3, 1);
    assert_true(nothing_to_read(a));
    assert_true(nothing_to_read(b));
    close(a);
    close(b);
    tr_output_close(&out);
}

static void a_client_that_does_not_read_loses_records_alone(void **state)
{
    (void)state;
    struct tr_output out;
    open_server(&out, NULL, 10 * TR_FLOWMETA_REC_LEN + 5); /* 10 whole records */
    int slow = connect_client();
    int fast = connect_client();
    out.ops->tick(&out, tr_now_mono_ns());
    /* Far more than the slow client's socket buffers and ring hold. */
    uint32_t seq = 1;
    for (int round = 0; round < 40000; round++) { /* 9 MB, more than any socket buffer */
        for (int i = 0; i < 8; i++) /* a batch fits the ring of a client that reads */
            write_udp(&out, seq++);
        out.ops->flush(&out);
        expect_records(fast, seq - 8, 8); /* never held up */
    }
    /* The slow client's stream is whole records, in order, from the start,
     * with a gap where its buffer was full. */
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    unsigned n = 0;
    uint32_t last = 0;
    while (!nothing_to_read(slow)) {
        read_exactly(slow, rec, sizeof(rec));
        uint32_t got = record_seq(rec);
        assert_true(got > last);
        assert_true(n > 0 || got == 1); /* from the start */
        assert_int_equal(rec[26], 17);
        assert_int_equal(rec[16] << 8 | rec[17], (uint16_t)got);
        last = got;
        n++;
    }
    assert_true(n > 0);
    assert_true(n < seq - 1); /* it lost some */
    close(slow);
    close(fast);
    tr_output_close(&out);
}

static void log_is_written_only_while_a_client_is_connected(void **state)
{
    (void)state;
    char log[128], moved[128];
    snprintf(log, sizeof(log), "%s/pcapper.log", dir);
    snprintf(moved, sizeof(moved), "%s/pcapper.log.1", dir);
    struct tr_output out;
    open_server(&out, log, 0);
    write_udp(&out, 1);
    out.ops->flush(&out);
    struct stat sb;
    assert_int_equal(stat(log, &sb), -1); /* not even created */

    int a = connect_client();
    out.ops->tick(&out, tr_now_mono_ns());
    write_udp(&out, 2);
    out.ops->flush(&out);
    assert_string_equal(slurp(log), "1795417862.000044:10.0.0.1:2:10.0.0.2:5001:60:0:17\n");

    /* SIGHUP after rotation: the next line goes to a new file */
    assert_int_equal(rename(log, moved), 0);
    out.ops->reopen(&out);
    write_udp(&out, 3);
    out.ops->flush(&out);
    assert_string_equal(slurp(log), "1795417862.000045:10.0.0.1:3:10.0.0.2:5001:60:0:17\n");

    close(a);
    for (int i = 0; i < 20; i++) {
        usleep(10000); /* the client's close reaches the server */
        out.ops->tick(&out, tr_now_mono_ns());
    }
    write_udp(&out, 4);
    out.ops->flush(&out);
    assert_string_equal(slurp(log), "1795417862.000045:10.0.0.1:3:10.0.0.2:5001:60:0:17\n");
    tr_output_close(&out);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(record_line_matches_the_packet_line_for_ipv4),
        T(record_line_of_host_records_keeps_their_ports),
        T(record_line_refuses_short_records_and_small_buffers),
        T(mode_filter_refuses_unknown_modes_and_interfaces),
        T(mode_filters_use_the_interface_mac_and_addresses),
        T(lines_skip_non_ip_and_undecodable_frames),
        T(fragments_count_once_when_the_datagram_completes),
        T(mgen_flow_id_is_read_from_a_valid_message_only),
        T(open_needs_a_sink_and_the_log_needs_the_server),
        T(clients_get_records_from_when_they_were_accepted),
        T(a_client_that_does_not_read_loses_records_alone),
        T(log_is_written_only_while_a_client_is_connected),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
