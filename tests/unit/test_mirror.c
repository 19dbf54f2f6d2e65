/* test_mirror.c - mirror outputs' pure parts (src/output/mirror_fmt.c) and
 * the dump file names (src/output/pcapdump.c): --mirror spec parsing, GRE
 * (RFC 2890) and VXLAN (RFC 7348) header bytes with packet-agent's
 * direction bits, direction by MAC and by address, slicing, the token
 * bucket on a fake clock, and a dump output driven through rotation and its
 * file cap. Expected bytes are worked out by hand from the RFC diagrams and
 * cloud-probe's socketgre.cpp / docs/VXLAN-WIRE-FORMAT.md (vni1 examples). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_count.h"

#include <dirent.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "output/output.h"

static void parse_ok(const char *spec, struct tr_mirror_spec *s)
{
    struct tr_err err = { 0 };
    int rc = tr_mirror_spec_parse(spec, s, &err);
    if (rc != TR_OK)
        fail_msg("%s: %s", spec, err.msg);
}

static void spec_gre_defaults_key_1(void **state)
{
    (void)state;
    struct tr_mirror_spec s;
    parse_ok("gre:10.1.2.3", &s);
    assert_int_equal(s.encap, TR_MIRROR_GRE);
    assert_string_equal(s.host, "10.1.2.3");
    assert_int_equal(s.key, 1);
    assert_false(s.has_slice);
    parse_ok("gre:10.1.2.3:77,slice=128,mbps=2.5", &s);
    assert_int_equal(s.key, 77);
    assert_true(s.has_slice);
    assert_int_equal(s.slice, 128);
    assert_true(s.has_mbps);
    assert_true(s.mbps > 2.49 && s.mbps < 2.51);
}

static void spec_vxlan_port_and_vni(void **state)
{
    (void)state;
    struct tr_mirror_spec s;
    parse_ok("vxlan:192.0.2.9", &s);
    assert_int_equal(s.encap, TR_MIRROR_VXLAN);
    assert_int_equal(s.port, 4789);
    assert_int_equal(s.key, 1);
    parse_ok("vxlan:192.0.2.9:8472:4242", &s);
    assert_int_equal(s.port, 8472);
    assert_int_equal(s.key, 4242);
    parse_ok("vxlan:[2001:db8::1]:4789:16777215", &s);
    assert_string_equal(s.host, "2001:db8::1");
    assert_int_equal(s.key, 0xFFFFFF);
}

static void spec_zmq_endpoint(void **state)
{
    (void)state;
    struct tr_mirror_spec s;
    parse_ok("zmq:tcp://127.0.0.1:5555", &s);
    assert_int_equal(s.encap, TR_MIRROR_ZMQ);
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.port, 5555);
    parse_ok("zmq:tcp://[::1]:5556,key=9", &s);
    assert_string_equal(s.host, "::1");
    assert_int_equal(s.port, 5556);
    assert_int_equal(s.key, 9);
}

static void spec_errors_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "gre", "gre:", "udp:1.2.3.4:5", "gre:1.2.3.4:268435456", /* key has 28 bits */
        "vxlan:1.2.3.4:0", "vxlan:1.2.3.4:4789:16777216", "vxlan:1.2.3.4:1:2:3",
        "zmq:1.2.3.4:5", "zmq:tcp://1.2.3.4", "zmq:tcp://1.2.3.4:70000",
        "gre:1.2.3.4,slice=13", "gre:1.2.3.4,mbps=0", "gre:1.2.3.4,mbps=-1",
        "gre:1.2.3.4,color=red", "gre:1.2.3.4,slice", "vxlan:[::1", "gre:1.2.3.4:x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_mirror_spec s;
        struct tr_err err = { 0 };
        if (tr_mirror_spec_parse(bad[i], &s, &err) == TR_OK)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(err.msg[0] != '\0');
    }
}

static void gre_header_carries_key_and_direction(void **state)
{
    (void)state;
    uint8_t h[8];
    assert_int_equal(tr_mirror_gre_hdr(h, 1, TR_MIRROR_DIR_NONCHECK), 8);
    const uint8_t none[8] = { 0x20, 0x00, 0x65, 0x58, 0, 0, 0, 1 };
    assert_memory_equal(h, none, 8);
    tr_mirror_gre_hdr(h, 1, TR_MIRROR_DIR_IN); /* keybit | 1 << 28 */
    const uint8_t in[8] = { 0x20, 0x00, 0x65, 0x58, 0x10, 0, 0, 1 };
    assert_memory_equal(h, in, 8);
    tr_mirror_gre_hdr(h, 0x0ABCDEF, TR_MIRROR_DIR_OUT);
    const uint8_t out[8] = { 0x20, 0x00, 0x65, 0x58, 0x20, 0xAB, 0xCD, 0xEF };
    assert_memory_equal(h, out, 8);
}

static void vxlan_header_follows_packet_agent_vni1(void **state)
{
    (void)state;
    uint8_t h[8];
    /* cloud-probe docs/VXLAN-WIRE-FORMAT.md section 9, vni1 = 0x1A2, without
     * its check byte (byte 7 stays 0 for RFC 7348 receivers) */
    tr_mirror_vxlan_hdr(h, 0x1A2, TR_MIRROR_DIR_NONCHECK);
    const uint8_t none[8] = { 0x08, 0, 0, 0, 0x00, 0x01, 0xA2, 0 };
    assert_memory_equal(h, none, 8);
    tr_mirror_vxlan_hdr(h, 0x1A2, TR_MIRROR_DIR_IN);
    const uint8_t in[8] = { 0x08, 0, 0, 0, 0x10, 0x01, 0xA2, 0 };
    assert_memory_equal(h, in, 8);
    tr_mirror_vxlan_hdr(h, 0x1A2, TR_MIRROR_DIR_OUT);
    const uint8_t out[8] = { 0x08, 0, 0, 0, 0x20, 0x01, 0xA2, 0 };
    assert_memory_equal(h, out, 8);
    /* with a direction only the low 12 bits survive (0x123456 -> 0x456) */
    tr_mirror_vxlan_hdr(h, 0x123456, TR_MIRROR_DIR_IN);
    const uint8_t cut[8] = { 0x08, 0, 0, 0, 0x10, 0x04, 0x56, 0 };
    assert_memory_equal(h, cut, 8);
    /* without one the whole 24-bit VNI */
    tr_mirror_vxlan_hdr(h, 0x123456, TR_MIRROR_DIR_NONCHECK);
    const uint8_t full[8] = { 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0 };
    assert_memory_equal(h, full, 8);
}

static void slice_keeps_at_most_n_bytes(void **state)
{
    (void)state;
    assert_int_equal(tr_mirror_slice_len(1500, 0), 1500);
    assert_int_equal(tr_mirror_slice_len(1500, 128), 128);
    assert_int_equal(tr_mirror_slice_len(60, 128), 60);
}

static struct tr_packet frame_pkt(const uint8_t *frame, uint32_t len, const char *src,
                                  const char *dst)
{
    struct tr_packet p = { 0 };
    p.frame = frame;
    p.caplen = p.wire_len = len;
    p.linktype = 1;
    p.src = (struct tr_addr){ .family = TR_AF_INET };
    p.dst = (struct tr_addr){ .family = TR_AF_INET };
    unsigned a, b, c, d;
    if (src && sscanf(src, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        p.src.a[0] = (uint8_t)a; p.src.a[1] = (uint8_t)b; p.src.a[2] = (uint8_t)c; p.src.a[3] = (uint8_t)d;
    }
    if (dst && sscanf(dst, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        p.dst.a[0] = (uint8_t)a; p.dst.a[1] = (uint8_t)b; p.dst.a[2] = (uint8_t)c; p.dst.a[3] = (uint8_t)d;
    }
    return p;
}

static void direction_by_host_address(void **state)
{
    (void)state;
    struct tr_mirror_dir d;
    struct tr_err err = { 0 };
    assert_int_equal(tr_mirror_dir_parse("host_10.1.1.1", &d, &err), TR_OK);
    uint8_t f[64] = { 0 };
    struct tr_packet in = frame_pkt(f, 64, "10.9.9.9", "10.1.1.1");
    struct tr_packet out = frame_pkt(f, 64, "10.1.1.1", "10.9.9.9");
    struct tr_packet other = frame_pkt(f, 64, "10.2.2.2", "10.3.3.3");
    assert_int_equal(tr_mirror_direction(&d, &in), TR_MIRROR_DIR_IN);
    assert_int_equal(tr_mirror_direction(&d, &out), TR_MIRROR_DIR_OUT);
    assert_int_equal(tr_mirror_direction(&d, &other), TR_MIRROR_DIR_UNKNOWN);
    assert_int_not_equal(tr_mirror_dir_parse("host_nope", &d, &err), TR_OK);
    assert_int_not_equal(tr_mirror_dir_parse("sideways", &d, &err), TR_OK);
    assert_int_equal(tr_mirror_dir_parse("none", &d, &err), TR_OK);
    assert_int_equal(tr_mirror_direction(&d, &other), TR_MIRROR_DIR_NONCHECK);
}

static void direction_nic_uses_the_interface_addresses(void **state)
{
    (void)state;
    struct tr_mirror_dir d;
    struct tr_err err = { 0 };
    /* lo has 127.0.0.1 everywhere trawl's tests run */
    assert_int_equal(tr_mirror_dir_parse("nic.lo", &d, &err), TR_OK);
    uint8_t f[64] = { 0 };
    struct tr_packet out = frame_pkt(f, 64, "127.0.0.1", "10.9.9.9");
    assert_int_equal(tr_mirror_direction(&d, &out), TR_MIRROR_DIR_OUT);
    assert_int_not_equal(tr_mirror_dir_parse("nic.no-such-if0", &d, &err), TR_OK);
}

static void direction_auto_by_source_mac(void **state)
{
    (void)state;
    struct tr_mirror_dir d;
    struct tr_err err = { 0 };
    assert_int_equal(tr_mirror_dir_parse("auto", &d, &err), TR_OK);
    const uint8_t mine[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    memcpy(d.macs[3], mine, 6);
    d.has_mac[3] = true;
    uint8_t f[64] = { 0 };
    memcpy(f + 6, mine, 6); /* source MAC ours */
    struct tr_packet p = frame_pkt(f, 64, NULL, NULL);
    p.input_id = 3;
    assert_int_equal(tr_mirror_direction(&d, &p), TR_MIRROR_DIR_OUT);
    f[11] = 0x02;
    assert_int_equal(tr_mirror_direction(&d, &p), TR_MIRROR_DIR_IN);
    p.input_id = 4; /* MAC unknown: everything is incoming, as packet-agent */
    memcpy(f + 6, mine, 6);
    assert_int_equal(tr_mirror_direction(&d, &p), TR_MIRROR_DIR_IN);
}

static void token_bucket_holds_the_rate_over_time(void **state)
{
    (void)state;
    struct tr_token_bucket tb;
    tr_token_bucket_init(&tb, 8.0, 10000); /* 1,000,000 bytes/s, burst 10 kB */
    assert_int_equal(tb.rate_bps, 1000000);
    uint64_t t = 1000000000000ull, sent = 0, dropped = 0;
    /* 5 s of 1000-byte packets every 0.5 ms: 2 MB/s offered, twice the rate */
    for (int i = 0; i < 10000; i++, t += 500000) {
        if (tr_token_bucket_take(&tb, t, 1000))
            sent += 1000;
        else
            dropped++;
    }
    /* 5 s x 1 MB/s plus the initial burst, within 0.5% */
    uint64_t want = 5000000 + 10000;
    if (sent < want - want / 200 || sent > want + want / 200)
        fail_msg("sent %llu bytes, want about %llu", (unsigned long long)sent,
                 (unsigned long long)want);
    assert_true(dropped > 4900 && dropped < 5100);
}

static void token_bucket_burst_and_time_going_back(void **state)
{
    (void)state;
    struct tr_token_bucket tb;
    tr_token_bucket_init(&tb, 0.008, 3000); /* 1000 bytes/s */
    uint64_t t = 5000000000ull;
    assert_true(tr_token_bucket_take(&tb, t, 3000));  /* the whole burst */
    assert_false(tr_token_bucket_take(&tb, t, 1));    /* empty */
    assert_false(tr_token_bucket_take(&tb, t - 1000000000ull, 1)); /* back in time: no refill */
    assert_true(tr_token_bucket_take(&tb, t + 1000000000ull, 1000)); /* 1 s later: 1000 bytes */
    assert_false(tr_token_bucket_take(&tb, t + 1000000000ull, 1));
    /* a long pause refills only up to the burst */
    assert_true(tr_token_bucket_take(&tb, t + 3600000000000ull, 3000));
    assert_false(tr_token_bucket_take(&tb, t + 3600000000000ull, 1));
    /* a packet larger than the burst never passes */
    assert_false(tr_token_bucket_take(&tb, t + 7200000000000ull, 3001));
}

static void token_bucket_fast_rate_does_not_overflow(void **state)
{
    (void)state;
    struct tr_token_bucket tb;
    tr_token_bucket_init(&tb, 100000.0, 0); /* 100 Gbit/s */
    uint64_t t = 1;
    assert_true(tr_token_bucket_take(&tb, t, 1500));
    assert_true(tr_token_bucket_take(&tb, t + 86400000000000ull, 1500)); /* a day later */
    assert_true(tb.tokens <= tb.burst * 1000000000ull);
}

static void dump_file_name_has_the_start_time(void **state)
{
    (void)state;
    char buf[96];
    /* 2026-11-23T08:00:00.123456Z */
    uint64_t ts = 1795420800ull * 1000000000ull + 123456789ull;
    assert_true(tr_dump_file_name(ts, false, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "trawl-20261123T080000.123456Z.pcap");
    assert_true(tr_dump_file_name(ts, true, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "trawl-20261123T080000.123456Z.pcapng");
    assert_int_equal(tr_dump_file_name(ts, true, buf, 10), -TR_E_FULL);
}

static unsigned count_files(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* A dump output rotating every second of packet time with a cap of 3
 * files: 10 s of packets leave the last 3 files, each a whole pcap. */
static void dump_rotates_and_keeps_the_newest_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/trawl-test-dump-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct tr_output_conf oc = { .kind = "dump", .target = dir };
    oc.mirror.dump_interval_s = 1;
    oc.mirror.dump_files = 3;
    struct tr_output out;
    struct tr_err err = { 0 };
    assert_int_equal(tr_output_open(&out, &oc, &err), TR_OK);
    uint8_t f[60] = { 0 };
    struct tr_packet p = frame_pkt(f, 60, NULL, NULL);
    for (int i = 0; i < 100; i++) {
        p.ts_ns = 1795420800ull * 1000000000ull + (uint64_t)i * 100000000ull; /* 10/s */
        struct tr_event ev = { .kind = TR_EV_PACKET, .pkt = &p, .payload = { f, 60 } };
        out.ops->write(&out, &ev);
    }
    assert_int_equal(out.c.written, 100);
    assert_int_equal(out.c.files, 10);
    assert_int_equal(out.c.files_removed, 7);
    tr_output_close(&out);
    assert_int_equal(count_files(dir), 3);
    /* the newest file: pcap header + 10 records of 16 + 60 bytes */
    char path[600];
    snprintf(path, sizeof(path), "%s/trawl-20261123T080009.000000Z.pcap", dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    assert_int_equal(ftell(fp), 24 + 10 * (16 + 60));
    fclose(fp);
    snprintf(path, sizeof(path), "%s/trawl-20261123T080006.000000Z.pcap", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* removed past the cap */
    DIR *d = opendir(dir);
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The per-frame path (direction, slice, rate, copy into the batch, one
 * sendmmsg per flush) allocates nothing: 10 batches of 256 frames to a
 * VXLAN mirror on 127.0.0.1 (a bound UDP socket of the test: no ICMP),
 * counted exactly (alloc_count.h), and every datagram arrives. */
static void mirror_write_allocates_nothing_per_frame(void **state)
{
    (void)state;
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(rx >= 0);
    int big = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
    assert_int_equal(bind(rx, (struct sockaddr *)&sin, sizeof(sin)), 0);
    socklen_t sl = sizeof(sin);
    getsockname(rx, (struct sockaddr *)&sin, &sl);
    char spec[64];
    snprintf(spec, sizeof(spec), "vxlan:127.0.0.1:%u:42,mbps=1000", ntohs(sin.sin_port));
    struct tr_output_conf oc = { .kind = "mirror", .target = spec };
    oc.mirror.dir = "host_10.0.0.1";
    struct tr_output out;
    struct tr_err err = { 0 };
    if (tr_output_open(&out, &oc, &err) != TR_OK)
        fail_msg("open: %s", err.msg);
    uint8_t f[200];
    memset(f, 0xab, sizeof(f));
    struct tr_packet p = frame_pkt(f, sizeof(f), "10.0.0.1", "10.0.0.2");
    unsigned long before = allocs_so_far();
    for (int b = 0; b < 10; b++) {
        for (int i = 0; i < 256; i++) {
            p.ts_ns = 1000000000ull + (uint64_t)(b * 256 + i) * 10000u;
            struct tr_event ev = { .kind = TR_EV_PACKET, .pkt = &p, .payload = { f, sizeof(f) } };
            out.ops->write(&out, &ev);
        }
        out.ops->flush(&out);
    }
    unsigned long n = allocs_so_far() - before;
    assert_int_equal(out.c.written, 2560);
    assert_int_equal(out.carrier.st.sent, 2560);
    tr_output_close(&out);
    assert_int_equal(n, 0);
    /* the first datagram: VXLAN header with direction out (source 10.0.0.1) and VNI 42 */
    uint8_t d[300];
    ssize_t got = recv(rx, d, sizeof(d), MSG_DONTWAIT);
    assert_int_equal(got, 8 + 200);
    const uint8_t want[8] = { 0x08, 0, 0, 0, 0x20, 0x00, 0x2a, 0 };
    assert_memory_equal(d, want, 8);
    close(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_gre_defaults_key_1),
        cmocka_unit_test(spec_vxlan_port_and_vni),
        cmocka_unit_test(spec_zmq_endpoint),
        cmocka_unit_test(spec_errors_are_refused),
        cmocka_unit_test(gre_header_carries_key_and_direction),
        cmocka_unit_test(vxlan_header_follows_packet_agent_vni1),
        cmocka_unit_test(slice_keeps_at_most_n_bytes),
        cmocka_unit_test(direction_by_host_address),
        cmocka_unit_test(direction_nic_uses_the_interface_addresses),
        cmocka_unit_test(direction_auto_by_source_mac),
        cmocka_unit_test(token_bucket_holds_the_rate_over_time),
        cmocka_unit_test(token_bucket_burst_and_time_going_back),
        cmocka_unit_test(token_bucket_fast_rate_does_not_overflow),
        cmocka_unit_test(dump_file_name_has_the_start_time),
        cmocka_unit_test(dump_rotates_and_keeps_the_newest_files),
        cmocka_unit_test(mirror_write_allocates_nothing_per_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
