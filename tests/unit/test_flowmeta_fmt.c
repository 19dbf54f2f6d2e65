/* test_flowmeta_fmt.c - PCapper-compatible flow metadata formatting
 * (src/output/flowmeta_fmt.c).
 *
 * Expected lines follow PCapper's logpkt format ("%d.%06d:%s:%u:" then
 * "%s:%u:%u:%u:%u\n", fortian/mwmg pcapper.c) written out by hand for the
 * packet values below; expected records follow ftfm.h struct wire (packed,
 * network order), bytes worked out by hand (1795417862 = 0x6b03e706). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "output/output.h"

#define SEC 1795417862ull

static struct tr_packet pkt_v4(uint8_t proto)
{
    struct tr_packet p = { 0 };
    p.ts_ns = SEC * 1000000000ull + 42000; /* 42 us */
    p.ip_proto = proto;
    p.src = (struct tr_addr){ .family = TR_AF_INET, .a = { 10, 0, 0, 1 } };
    p.dst = (struct tr_addr){ .family = TR_AF_INET, .a = { 10, 0, 0, 2 } };
    p.sport = 5000;
    p.dport = 5001;
    return p;
}

static struct tr_packet pkt_v6(void)
{
    struct tr_packet p = { 0 };
    p.ts_ns = SEC * 1000000000ull + 500000000; /* .5 s */
    p.ip_proto = 17;
    p.src = (struct tr_addr){ .family = TR_AF_INET6,
                              .a = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
    p.dst = (struct tr_addr){ .family = TR_AF_INET6,
                              .a = { 0xff, 0x02, [13] = 1, [15] = 2 } };
    p.sport = 546;
    p.dport = 547;
    return p;
}

static void ipv4_udp_line_is_pcapper_format(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    char buf[TR_FLOWMETA_LINE_MAX];
    int n = tr_flowmeta_line(&p, 128, 7, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:128:7:17\n");
    assert_int_equal(n, (int)strlen(buf));
}

static void ipv4_tcp_line_prints_full_flow_id_unsigned(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(6);
    p.ts_ns = SEC * 1000000000ull + 999999999; /* rounds down to 999999 us */
    p.sport = 65535;
    p.dport = 80;
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_line(&p, 40, 4294967295u, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.999999:10.0.0.1:65535:10.0.0.2:80:40:4294967295:6\n");
}

static void microseconds_are_always_six_digits(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    p.ts_ns = 5000; /* 0 s, 5 us */
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_line(&p, 28, 0, buf, sizeof(buf));
    assert_string_equal(buf, "0.000005:10.0.0.1:5000:10.0.0.2:5001:28:0:17\n");
    p.ts_ns = 1000000000ull + 100000000; /* 1.1 s */
    tr_flowmeta_line(&p, 28, 0, buf, sizeof(buf));
    assert_string_equal(buf, "1.100000:10.0.0.1:5000:10.0.0.2:5001:28:0:17\n");
}

static void seconds_past_2038_stay_positive(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    p.ts_ns = 4294967295ull * 1000000000ull; /* PCapper's %d would print -1 */
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_line(&p, 28, 0, buf, sizeof(buf));
    assert_string_equal(buf, "4294967295.000000:10.0.0.1:5000:10.0.0.2:5001:28:0:17\n");
}

static void ipv6_line_brackets_addresses(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v6();
    char buf[TR_FLOWMETA_LINE_MAX];
    int n = tr_flowmeta_line(&p, 88, 0, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.500000:[2001:db8::1]:546:[ff02::1:2]:547:88:0:17\n");
    assert_int_equal(n, (int)strlen(buf));
}

static void other_protocols_print_port_zero(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(1); /* ICMP: decode may leave values in the port fields */
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_line(&p, 84, 0, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.000042:10.0.0.1:0:10.0.0.2:0:84:0:1\n");
    p.ip_proto = 132; /* SCTP has ports */
    tr_flowmeta_line(&p, 84, 0, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:84:0:132\n");
}

static void reassembled_length_above_65535_is_printed_whole(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v6();
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_line(&p, 70000, 0, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.500000:[2001:db8::1]:546:[ff02::1:2]:547:70000:0:17\n");
}

static void longest_line_fits_line_max(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v6();
    memset(p.src.a, 0xff, 16);
    p.src.a[0] = 0xfe; /* no zero run: 39 characters */
    p.dst = p.src;
    p.ts_ns = 4294967295ull * 1000000000ull + 999999999;
    p.sport = p.dport = 65535;
    char buf[TR_FLOWMETA_LINE_MAX];
    int n = tr_flowmeta_line(&p, 4294967295u, 4294967295u, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(n, (int)strlen(buf));
    assert_true((size_t)n < TR_FLOWMETA_LINE_MAX);
    assert_string_equal(buf, "4294967295.999999:[feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535:"
                             "[feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535:4294967295:"
                             "4294967295:17\n");
}

static void line_never_writes_past_cap(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    const char *want = "1795417862.000042:10.0.0.1:5000:10.0.0.2:5001:128:7:17\n";
    size_t len = strlen(want);
    char buf[128];
    for (size_t cap = 0; cap <= len; cap++) { /* len + 1 is needed for the NUL */
        memset(buf, '#', sizeof(buf));
        assert_int_equal(tr_flowmeta_line(&p, 128, 7, buf, cap), -TR_E_FULL);
        for (size_t i = cap; i < sizeof(buf); i++)
            assert_int_equal(buf[i], '#');
    }
    memset(buf, '#', sizeof(buf));
    assert_int_equal(tr_flowmeta_line(&p, 128, 7, buf, len + 1), (int)len);
    assert_string_equal(buf, want);
    assert_int_equal(buf[len + 1], '#');
}

static void packet_without_ip_is_unsupported(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    p.src.family = TR_AF_NONE;
    char buf[TR_FLOWMETA_LINE_MAX];
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    assert_int_equal(tr_flowmeta_line(&p, 28, 0, buf, sizeof(buf)), -TR_E_UNSUPPORTED);
    assert_int_equal(tr_flowmeta_record(&p, 28, 0, rec, sizeof(rec)), -TR_E_UNSUPPORTED);
}

static void ipv4_record_is_28_bytes_network_order(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(17);
    static const uint8_t want[28] = {
        0x6b, 0x03, 0xe7, 0x06, /* sec */
        0x00, 0x00, 0x00, 0x2a, /* usec 42 */
        10, 0, 0, 1,            /* saddr */
        10, 0, 0, 2,            /* daddr */
        0x13, 0x88,             /* sport 5000 */
        0x13, 0x89,             /* dport 5001 */
        0x00, 0x80,             /* len 128 */
        0x00, 0x00, 0x00, 0x07, /* flow id 7 */
        17,                     /* proto */
        0,                      /* flags */
    };
    uint8_t rec[32];
    memset(rec, 0xee, sizeof(rec));
    assert_int_equal(tr_flowmeta_record(&p, 128, 7, rec, sizeof(rec)), 28);
    assert_memory_equal(rec, want, 28);
    assert_int_equal(rec[28], 0xee);
}

static void record_clamps_length_and_zeroes_icmp_ports(void **state)
{
    (void)state;
    struct tr_packet p = pkt_v4(1);
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    assert_int_equal(tr_flowmeta_record(&p, 70000, 0, rec, sizeof(rec)), 28);
    static const uint8_t tail[12] = { 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 1, 0 };
    assert_memory_equal(rec + 16, tail, 12);
}

static void record_declines_ipv6_and_small_buffers(void **state)
{
    (void)state;
    struct tr_packet p6 = pkt_v6();
    struct tr_packet p4 = pkt_v4(17);
    uint8_t rec[TR_FLOWMETA_REC_LEN + 4];
    memset(rec, 0xee, sizeof(rec));
    assert_int_equal(tr_flowmeta_record(&p6, 88, 0, rec, sizeof(rec)), -TR_E_UNSUPPORTED);
    assert_int_equal(tr_flowmeta_record(&p4, 88, 0, rec, 27), -TR_E_FULL);
    for (size_t i = 0; i < sizeof(rec); i++)
        assert_int_equal(rec[i], 0xee);
}

static void cpu_host_record_and_line_match_pcapper(void **state)
{
    (void)state;
    uint64_t ts = SEC * 1000000000ull + 1000; /* 1 us */
    static const uint8_t want[28] = {
        0x6b, 0x03, 0xe7, 0x06, 0x00, 0x00, 0x00, 0x01,
        1, 0, 0, 0,  /* PCapper's otw.saddr = 1 without htonl, on little endian */
        1, 0, 0, 0,
        0x00, 0x01, 0x00, 0x01, /* htons(1) */
        0x00, 0xfa,             /* 250 jiffies */
        0xff, 0xff, 0xff, 0xff, /* FLOWID_CPU */
        61, 0,
    };
    uint8_t rec[28];
    assert_int_equal(tr_flowmeta_host_record(TR_FLOWMETA_HOST_CPU, ts, 250, rec, sizeof(rec)), 28);
    assert_memory_equal(rec, want, 28);
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_host_line(TR_FLOWMETA_HOST_CPU, ts, 250, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.000001:1.0.0.0:1:1.0.0.0:1:250:4294967295:61\n");
}

static void memory_host_record_uses_address_and_port_2(void **state)
{
    (void)state;
    uint64_t ts = SEC * 1000000000ull;
    static const uint8_t want[28] = {
        0x6b, 0x03, 0xe7, 0x06, 0, 0, 0, 0,
        2, 0, 0, 0, 2, 0, 0, 0,
        0x00, 0x02, 0x00, 0x02,
        0x12, 0x34,
        0xff, 0xff, 0xff, 0xfe, /* FLOWID_MEM */
        61, 0,
    };
    uint8_t rec[28];
    assert_int_equal(tr_flowmeta_host_record(TR_FLOWMETA_HOST_MEM, ts, 0x1234, rec, sizeof(rec)),
                     28);
    assert_memory_equal(rec, want, 28);
    char buf[TR_FLOWMETA_LINE_MAX];
    tr_flowmeta_host_line(TR_FLOWMETA_HOST_MEM, ts, 0x1234, buf, sizeof(buf));
    assert_string_equal(buf, "1795417862.000000:2.0.0.0:2:2.0.0.0:2:4660:4294967294:61\n");
    assert_int_equal(tr_flowmeta_host_record(TR_FLOWMETA_HOST_MEM, ts, 1, rec, 27), -TR_E_FULL);
    assert_int_equal(tr_flowmeta_host_line(TR_FLOWMETA_HOST_MEM, ts, 1, buf, 10), -TR_E_FULL);
    assert_int_equal(tr_flowmeta_host_record((enum tr_flowmeta_host)3, ts, 1, rec, 28),
                     -TR_E_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_udp_line_is_pcapper_format),
        cmocka_unit_test(ipv4_tcp_line_prints_full_flow_id_unsigned),
        cmocka_unit_test(microseconds_are_always_six_digits),
        cmocka_unit_test(seconds_past_2038_stay_positive),
        cmocka_unit_test(ipv6_line_brackets_addresses),
        cmocka_unit_test(other_protocols_print_port_zero),
        cmocka_unit_test(reassembled_length_above_65535_is_printed_whole),
        cmocka_unit_test(longest_line_fits_line_max),
        cmocka_unit_test(line_never_writes_past_cap),
        cmocka_unit_test(packet_without_ip_is_unsupported),
        cmocka_unit_test(ipv4_record_is_28_bytes_network_order),
        cmocka_unit_test(record_clamps_length_and_zeroes_icmp_ports),
        cmocka_unit_test(record_declines_ipv6_and_small_buffers),
        cmocka_unit_test(cpu_host_record_and_line_match_pcapper),
        cmocka_unit_test(memory_host_record_uses_address_and_port_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
