/* test_decode.c - the decode walk (src/decode/) through decode.h: every link
 * type, every encapsulation, every transport, and each way a frame can be
 * bad, asserted through the counters by their dotted names. Frames are built
 * byte by byte here, so each test shows exactly what it feeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "reasm/reasm.h"

/* ------------------------------------------------------------ frame builder */

#include "frame_builder.h"

static const char SIP[] = "OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: abc\r\n\r\n";
#define SIP_LEN (sizeof(SIP) - 1)

static const uint8_t V4_SRC[4] = {10, 0, 0, 1}, V4_DST[4] = {10, 0, 0, 2};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static void eth(struct fb *f, unsigned type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    put(f, macs, sizeof(macs));
    be16(f, type);
}

static void vlan(struct fb *f, unsigned tci, unsigned type)
{
    be16(f, tci);
    be16(f, type);
}

static void mpls(struct fb *f, uint32_t label, bool bottom)
{
    be32(f, label << 12 | (bottom ? 0x100u : 0) | 64);
}

/* PPPoE session header + PPP protocol; returns where the length goes. */
static size_t pppoe(struct fb *f, unsigned ppp_proto)
{
    u8(f, 0x11);
    u8(f, 0);
    be16(f, 0x1234);
    size_t at = f->len;
    be16(f, 0);
    be16(f, ppp_proto);
    return at;
}

static void pppoe_done(struct fb *f, size_t at)
{
    set16(f, at, (unsigned)(f->len - at - 2));
}

/* IPv4 header with IHL words (options are NOPs); total length set by ip4_done. */
static size_t ip4(struct fb *f, unsigned proto, unsigned ihl, unsigned id, unsigned frag)
{
    size_t at = f->len;
    u8(f, 0x40 | ihl);
    u8(f, 0);
    be16(f, 0); /* total length, later */
    be16(f, id);
    be16(f, frag);
    u8(f, 64);
    u8(f, proto);
    be16(f, 0);
    put(f, V4_SRC, 4);
    put(f, V4_DST, 4);
    if (ihl > 5)
        fill(f, 1, (ihl - 5) * 4);
    return at;
}

static void ip4_done(struct fb *f, size_t at)
{
    set16(f, at + 2, (unsigned)(f->len - at));
}

static size_t ip6(struct fb *f, unsigned nh)
{
    size_t at = f->len;
    be32(f, 0x60000000u);
    be16(f, 0); /* payload length, later */
    u8(f, nh);
    u8(f, 64);
    put(f, V6_SRC, 16);
    put(f, V6_DST, 16);
    return at;
}

static void ip6_done(struct fb *f, size_t at)
{
    set16(f, at + 4, (unsigned)(f->len - at - 40));
}

/* Hop-by-hop / routing / destination options: (units + 1) * 8 bytes of PadN. */
static void ip6_ext(struct fb *f, unsigned nh, unsigned units)
{
    u8(f, nh);
    u8(f, units);
    u8(f, 1); /* PadN */
    u8(f, (units + 1) * 8 - 4);
    fill(f, 0, (units + 1) * 8 - 4);
}

static void ip6_frag(struct fb *f, unsigned nh, unsigned offset, bool more, uint32_t id)
{
    u8(f, nh);
    u8(f, 0);
    be16(f, offset | (more ? 1u : 0));
    be32(f, id);
}

static size_t udp(struct fb *f, unsigned sport, unsigned dport)
{
    size_t at = f->len;
    be16(f, sport);
    be16(f, dport);
    be16(f, 0); /* length, later */
    be16(f, 0);
    return at;
}

static void udp_done(struct fb *f, size_t at)
{
    set16(f, at + 4, (unsigned)(f->len - at));
}

static void tcp(struct fb *f, unsigned sport, unsigned dport, uint32_t seq, unsigned doff,
                unsigned flags)
{
    be16(f, sport);
    be16(f, dport);
    be32(f, seq);
    be32(f, 0);
    u8(f, doff << 4);
    u8(f, flags);
    be16(f, 65535);
    be32(f, 0);
    if (doff > 5)
        fill(f, 1, (doff - 5) * 4); /* NOP options */
}

static void sctp(struct fb *f, unsigned sport, unsigned dport)
{
    be16(f, sport);
    be16(f, dport);
    be32(f, 0xdeadbeef);
    be32(f, 0);
}

static void sctp_data(struct fb *f, unsigned flags, const void *data, size_t n)
{
    u8(f, 0);
    u8(f, flags);
    be16(f, (unsigned)(16 + n));
    be32(f, 1); /* TSN */
    be16(f, 0); /* stream */
    be16(f, 0); /* stream sequence */
    be32(f, 0); /* PPID */
    put(f, data, n);
    fill(f, 0, (4 - n % 4) % 4);
}

static void sip(struct fb *f)
{
    put(f, SIP, SIP_LEN);
}

/* eth / IPv4 / UDP 5060 / SIP, the most common frame. */
static void eth_ip4_udp_sip(struct fb *f)
{
    eth(f, 0x0800);
    size_t ip = ip4(f, 17, 5, 1, 0);
    size_t u = udp(f, 5060, 5062);
    sip(f);
    udp_done(f, u);
    ip4_done(f, ip);
}

/* ------------------------------------------------------------ walk harness */

static struct tr_decode_stats st;
static struct tr_decode_ctx ctx;
static struct tr_packet pkt;
static struct tr_defrag *defrag;

static int setup(void **state)
{
    (void)state;
    memset(&st, 0, sizeof(st));
    memset(&pkt, 0, sizeof(pkt));
    tr_defrag_free(defrag); /* loops inside a test call setup() again */
    defrag = tr_defrag_new(NULL);
    assert_non_null(defrag);
    ctx = (struct tr_decode_ctx){.defrag = defrag, .stats = &st, .now_ns = 1000000000u};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tr_defrag_free(defrag);
    defrag = NULL;
    return 0;
}

/* Decodes the first caplen bytes of a frame that was f->len bytes on the wire. */
static int decode_cut(const struct fb *f, int linktype, size_t caplen)
{
    pkt.frame = f->b;
    pkt.caplen = (uint32_t)caplen;
    pkt.wire_len = (uint32_t)f->len;
    pkt.linktype = linktype;
    ctx.now_ns += 1000;
    return tr_decode_packet(&ctx, &pkt);
}

static int decode(const struct fb *f, int linktype)
{
    return decode_cut(f, linktype, f->len);
}

/* A counter by its stable name: "frames", "not_ip", ..., "udp.malformed". */
static uint64_t counter(const char *name)
{
    if (strcmp(name, "frames") == 0)
        return st.frames;
    if (strcmp(name, "decoded") == 0)
        return st.decoded;
    if (strcmp(name, "not_ip") == 0)
        return st.not_ip;
    if (strcmp(name, "other_transport") == 0)
        return st.other_transport;
    if (strcmp(name, "fragments") == 0)
        return st.fragments;
    for (int d = 0; d < TR_DEC_COUNT; d++) {
        for (int r = 0; r < TR_DR_COUNT; r++) {
            char full[64];
            snprintf(full, sizeof(full), "%s.%s", tr_decoder_name((enum tr_decoder_id)d),
                     tr_decode_reason_name((enum tr_decode_reason)r));
            if (strcmp(full, name) == 0)
                return st.err[d][r];
        }
    }
    fail_msg("no counter named %s", name);
    return 0;
}

/* Every error counter is zero except `name` (if given), which is `n`. */
static void assert_errors(const char *name, uint64_t n)
{
    uint64_t total = 0;
    for (int d = 0; d < TR_DEC_COUNT; d++)
        for (int r = 0; r < TR_DR_COUNT; r++)
            total += st.err[d][r];
    if (name) {
        assert_int_equal(counter(name), n);
        assert_int_equal(total, n);
    } else {
        assert_int_equal(total, 0);
    }
}

static void assert_sip_payload(void)
{
    assert_int_equal(pkt.payload.len, SIP_LEN);
    assert_memory_equal(pkt.payload.ptr, SIP, SIP_LEN);
}

static void assert_v4_addrs(void)
{
    assert_int_equal(pkt.src.family, TR_AF_INET);
    assert_int_equal(pkt.dst.family, TR_AF_INET);
    assert_memory_equal(pkt.src.a, V4_SRC, 4);
    assert_memory_equal(pkt.dst.a, V4_DST, 4);
}

static void assert_v6_addrs(void)
{
    assert_int_equal(pkt.src.family, TR_AF_INET6);
    assert_memory_equal(pkt.src.a, V6_SRC, 16);
    assert_memory_equal(pkt.dst.a, V6_DST, 16);
}

/* Expects a decoded IPv4/UDP 5060->5062 SIP frame, nothing counted as bad. */
static void assert_udp_sip_ok(int rc)
{
    assert_int_equal(rc, TR_OK);
    assert_int_equal(pkt.ip_proto, 17);
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(pkt.dport, 5062);
    assert_sip_payload();
    assert_int_equal(counter("decoded"), 1);
    assert_errors(NULL, 0);
}

/* ------------------------------------------------------------ link types */

static void ethernet_ipv4_udp_sip_payload_is_found(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    assert_udp_sip_ok(decode(&f, 1));
    assert_v4_addrs();
    assert_int_equal(pkt.n_layers, 3);
    assert_int_equal(pkt.flags, 0);
    assert_ptr_equal(pkt.payload.ptr, f.b + 14 + 20 + 8); /* a view into the frame */
    assert_int_equal(counter("frames"), 1);
}

static void ethernet_padding_after_ip_total_length_is_trimmed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    fill(&f, 0xee, 4); /* Ethernet trailer / FCS */
    assert_udp_sip_ok(decode(&f, 1));
    assert_int_equal(pkt.flags & TR_PKT_L4_TRUNCATED, 0);
}

static void linux_sll_ipv4_udp_is_decoded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    be16(&f, 0); /* packet type: to us */
    be16(&f, 1); /* ARPHRD_ETHER */
    be16(&f, 6); /* address length */
    fill(&f, 0xaa, 8);
    be16(&f, 0x0800);
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 113));
    assert_v4_addrs();
}

static void linux_sll2_ipv6_udp_is_decoded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    be16(&f, 0x86dd); /* protocol */
    be16(&f, 0);      /* reserved */
    be32(&f, 3);      /* interface index */
    be16(&f, 1);      /* ARPHRD_ETHER */
    u8(&f, 4);        /* packet type: outgoing */
    u8(&f, 6);
    fill(&f, 0xbb, 8);
    size_t ip = ip6(&f, 17);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 276));
    assert_v6_addrs();
}

static void sll_non_ethertype_protocol_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    be16(&f, 0);
    be16(&f, 824); /* ARPHRD_NETLINK */
    be16(&f, 0);
    fill(&f, 0, 8);
    be16(&f, 0); /* NETLINK_ROUTE */
    fill(&f, 0, 20);
    assert_int_equal(decode(&f, 113), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 1);
    assert_errors(NULL, 0);
}

/* BSD loopback: the AF value in either byte order, all AF_INET6 variants. */
static void null_loopback_families_in_both_byte_orders_are_decoded(void **state)
{
    (void)state;
    static const struct {
        uint32_t af;
        bool v6;
    } fams[] = {{2, false}, {24, true}, {28, true}, {30, true}};
    for (size_t i = 0; i < TR_ARRAY_LEN(fams); i++) {
        for (int big = 0; big < 2; big++) {
            for (int lt = 0; lt < 2; lt++) {
                setup(NULL);
                struct fb f = {.len = 0};
                if (big)
                    be32(&f, fams[i].af);
                else
                    put(&f, (uint8_t[4]){(uint8_t)fams[i].af, 0, 0, 0}, 4);
                size_t ip = fams[i].v6 ? ip6(&f, 17) : ip4(&f, 17, 5, 1, 0);
                size_t u = udp(&f, 5060, 5062);
                sip(&f);
                udp_done(&f, u);
                if (fams[i].v6)
                    ip6_done(&f, ip);
                else
                    ip4_done(&f, ip);
                assert_udp_sip_ok(decode(&f, lt ? 108 : 0));
                assert_int_equal(pkt.src.family, fams[i].v6 ? TR_AF_INET6 : TR_AF_INET);
                teardown(NULL);
            }
        }
    }
}

static void null_loopback_unknown_family_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    put(&f, (uint8_t[4]){7, 0, 0, 0}, 4); /* AF_7: not IP */
    fill(&f, 0x45, 30);
    assert_int_equal(decode(&f, 0), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 1);
    assert_errors(NULL, 0);
}

/* LINKTYPE_RAW 101 and DLT_RAW 12/14 pick the IP version from the first nibble. */
static void raw_link_types_pick_ip_version_from_first_nibble(void **state)
{
    (void)state;
    static const int lts[] = {101, 12, 14};
    for (size_t i = 0; i < TR_ARRAY_LEN(lts); i++) {
        for (int v6 = 0; v6 < 2; v6++) {
            setup(NULL);
            struct fb f = {.len = 0};
            size_t ip = v6 ? ip6(&f, 17) : ip4(&f, 17, 5, 1, 0);
            size_t u = udp(&f, 5060, 5062);
            sip(&f);
            udp_done(&f, u);
            if (v6)
                ip6_done(&f, ip);
            else
                ip4_done(&f, ip);
            assert_udp_sip_ok(decode(&f, lts[i]));
            assert_int_equal(pkt.src.family, v6 ? TR_AF_INET6 : TR_AF_INET);
            assert_int_equal(pkt.n_layers, 3);
            teardown(NULL);
        }
    }
}

static void raw_with_version_5_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    fill(&f, 0x55, 40);
    assert_int_equal(decode(&f, 101), -TR_E_MALFORMED);
    assert_errors("raw.malformed", 1);
}

static void linktype_ipv4_and_ipv6_go_straight_to_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 228));
    assert_int_equal(pkt.n_layers, 2);

    setup(NULL);
    struct fb g = {.len = 0};
    ip = ip6(&g, 17);
    u = udp(&g, 5060, 5062);
    sip(&g);
    udp_done(&g, u);
    ip6_done(&g, ip);
    assert_udp_sip_ok(decode(&g, 229));
    assert_int_equal(pkt.n_layers, 2);
    teardown(NULL);
}

static void ipv4_on_ipv6_link_type_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    struct fb g = {.len = 0};
    put(&g, f.b + 14, f.len - 14);
    assert_int_equal(decode(&g, 229), -TR_E_MALFORMED);
    assert_errors("ipv6.malformed", 1);
}

static void unknown_link_type_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    assert_int_equal(decode(&f, 105), TR_DECLINED); /* 802.11 */
    assert_int_equal(counter("not_ip"), 1);
    assert_int_equal(decode(&f, -1), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 2);
    assert_errors(NULL, 0);
}

static void supported_link_types_are_reported(void **state)
{
    (void)state;
    static const int yes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
    for (size_t i = 0; i < TR_ARRAY_LEN(yes); i++)
        assert_true(tr_decode_linktype_supported(yes[i]));
    static const int no[] = {-1, 9, 105, 127, 147, 100000};
    for (size_t i = 0; i < TR_ARRAY_LEN(no); i++)
        assert_false(tr_decode_linktype_supported(no[i]));
}

static void arp_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0806);
    fill(&f, 0, 28);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 1);
    assert_int_equal(counter("decoded"), 0);
    assert_errors(NULL, 0);
}

static void ieee_802_3_length_field_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 38); /* 802.3 length, LLC follows */
    fill(&f, 0x42, 38);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 1);
}

/* ------------------------------------------------------------ encapsulations */

static void vlan_id_is_recorded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8100);
    vlan(&f, 0x2000 | 10, 0x0800); /* PCP 1, VID 10 */
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_true(pkt.flags & TR_PKT_HAS_VLAN);
    assert_int_equal(pkt.vlan, 10);
    assert_int_equal(pkt.n_layers, 4);
}

/* QinQ keeps the outer (service) tag, for both S-tag ethertypes. */
static void qinq_records_outermost_vlan_id(void **state)
{
    (void)state;
    static const unsigned stag[] = {0x88a8, 0x9100};
    for (size_t i = 0; i < TR_ARRAY_LEN(stag); i++) {
        setup(NULL);
        struct fb f = {.len = 0};
        eth(&f, stag[i]);
        vlan(&f, 100, 0x8100);
        vlan(&f, 200, 0x0800);
        size_t ip = ip4(&f, 17, 5, 1, 0);
        size_t u = udp(&f, 5060, 5062);
        sip(&f);
        udp_done(&f, u);
        ip4_done(&f, ip);
        assert_udp_sip_ok(decode(&f, 1));
        assert_true(pkt.flags & TR_PKT_HAS_VLAN);
        assert_int_equal(pkt.vlan, 100);
        assert_int_equal(pkt.n_layers, 5);
        teardown(NULL);
    }
}

static void reused_packet_forgets_previous_vlan(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8100);
    vlan(&f, 7, 0x0806);
    fill(&f, 0, 28);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_true(pkt.flags & TR_PKT_HAS_VLAN);

    struct fb g = {.len = 0};
    eth_ip4_udp_sip(&g);
    assert_int_equal(decode(&g, 1), TR_OK);
    assert_false(pkt.flags & TR_PKT_HAS_VLAN);
    assert_int_equal(pkt.vlan, 0);
}

static void mpls_stack_of_two_over_ipv4_is_decoded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8847);
    mpls(&f, 1000, false);
    mpls(&f, 2000, true);
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_int_equal(pkt.n_layers, 4); /* the whole stack is one layer */
}

static void mpls_multicast_over_ipv6_is_decoded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8848);
    mpls(&f, 2, true);
    size_t ip = ip6(&f, 17);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_v6_addrs();
}

static void mpls_control_word_leads_to_ethernet_pseudowire(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8847);
    mpls(&f, 77, true);
    be32(&f, 0); /* control word */
    eth(&f, 0x8100);
    vlan(&f, 42, 0x0800);
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_int_equal(pkt.vlan, 42);
    assert_int_equal(pkt.n_layers, 6);
}

static void mpls_unknown_payload_nibble_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8847);
    mpls(&f, 13, true);
    be32(&f, 0x10000000u); /* associated channel header */
    fill(&f, 0, 20);
    assert_int_equal(decode(&f, 1), -TR_E_UNSUPPORTED);
    assert_errors("mpls.unsupported", 1);
}

static void pppoe_session_ipv4_and_ipv6_are_decoded(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8864);
    size_t l = pppoe(&f, 0x0021);
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    pppoe_done(&f, l);
    fill(&f, 0, 6); /* Ethernet padding beyond the PPPoE length */
    assert_udp_sip_ok(decode(&f, 1));
    assert_int_equal(pkt.n_layers, 5);

    setup(NULL);
    struct fb g = {.len = 0};
    eth(&g, 0x8864);
    l = pppoe(&g, 0x0057);
    ip = ip6(&g, 17);
    u = udp(&g, 5060, 5062);
    sip(&g);
    udp_done(&g, u);
    ip6_done(&g, ip);
    pppoe_done(&g, l);
    assert_udp_sip_ok(decode(&g, 1));
    assert_v6_addrs();
    teardown(NULL);
}

static void pppoe_lcp_is_not_ip(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8864);
    size_t l = pppoe(&f, 0xc021);
    fill(&f, 0, 10);
    pppoe_done(&f, l);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_int_equal(counter("not_ip"), 1);
    assert_errors(NULL, 0);
}

static void pppoe_bad_version_or_length_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8864);
    size_t l = pppoe(&f, 0x0021);
    fill(&f, 0, 30);
    pppoe_done(&f, l);
    f.b[14] = 0x21;
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("pppoe.malformed", 1);

    f.b[14] = 0x11;
    set16(&f, l, 500); /* longer than the frame, which was captured whole */
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("pppoe.malformed", 2);
}

/* Twenty stacked VLAN tags go past the cap of 16 layers. */
static void depth_cap_stops_twenty_stacked_vlan_tags(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8100);
    for (int i = 0; i < 20; i++)
        vlan(&f, (unsigned)i + 1, i < 19 ? 0x8100 : 0x0800);
    size_t ip = ip4(&f, 17, 5, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_TOO_DEEP);
    assert_errors("graph.too_deep", 1);
    assert_int_equal(pkt.n_layers, TR_DECODE_MAX_LAYERS);
    assert_int_equal(pkt.vlan, 1);
}

static void depth_cap_follows_max_layers(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    ctx.max_layers = 3;
    assert_udp_sip_ok(decode(&f, 1));
    ctx.max_layers = 2;
    assert_int_equal(decode(&f, 1), -TR_E_TOO_DEEP);
    assert_errors("graph.too_deep", 1);
}

/* ------------------------------------------------------------ IP */

static void ipv4_options_are_skipped_via_ihl(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 17, 15, 1, 0); /* 40 bytes of options */
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_ptr_equal(pkt.payload.ptr, f.b + 14 + 60 + 8);
}

static void ipv4_ihl_below_five_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    f.b[14] = 0x44;
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv4.malformed", 1);
}

static void ipv4_version_other_than_four_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    f.b[14] = 0x65;
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv4.malformed", 1);
}

static void ipv4_total_length_shorter_than_header_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 16, 19);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv4.malformed", 1);
}

/* The frame was captured whole, yet the total length claims more. */
static void ipv4_total_length_beyond_the_wire_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 16, (unsigned)(f.len - 14 + 1));
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv4.malformed", 1);
}

static void ipv4_options_longer_than_frame_are_truncated(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 17, 15, 1, 0);
    ip4_done(&f, ip);
    f.len -= 4;
    assert_int_equal(decode(&f, 1), -TR_E_TRUNCATED);
    assert_errors("ipv4.truncated", 1);
}

static void ipv4_icmp_is_another_transport(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 1, 5, 1, 0);
    fill(&f, 0, 8);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_int_equal(counter("other_transport"), 1);
    assert_int_equal(pkt.ip_proto, 1);
    assert_v4_addrs();
    assert_errors(NULL, 0);
}

/* Hop-by-hop then destination options, then UDP. */
static void ipv6_hop_by_hop_and_destination_options_are_walked(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 0);
    ip6_ext(&f, 60, 0);
    ip6_ext(&f, 17, 1);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_v6_addrs();
    assert_int_equal(pkt.n_layers, 3);
}

static void ipv6_routing_and_ah_headers_are_walked(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 43);
    ip6_ext(&f, 51, 2); /* routing header, 24 bytes */
    u8(&f, 17);         /* AH: next header */
    u8(&f, 4);          /* (4 + 2) * 4 = 24 bytes */
    fill(&f, 0, 22);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
}

static void ipv6_hop_by_hop_after_another_header_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 60);
    ip6_ext(&f, 0, 0);
    ip6_ext(&f, 17, 0);
    fill(&f, 0, 8);
    ip6_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv6.malformed", 1);
}

static void ipv6_esp_and_no_next_header_are_other_transport(void **state)
{
    (void)state;
    static const unsigned nhs[] = {50, 59};
    for (size_t i = 0; i < TR_ARRAY_LEN(nhs); i++) {
        struct fb f = {.len = 0};
        eth(&f, 0x86dd);
        size_t ip = ip6(&f, 60);
        ip6_ext(&f, nhs[i], 0);
        fill(&f, 0xcc, 16);
        ip6_done(&f, ip);
        assert_int_equal(decode(&f, 1), TR_DECLINED);
        assert_int_equal(counter("other_transport"), i + 1);
        assert_int_equal(pkt.ip_proto, nhs[i]);
    }
    assert_errors(NULL, 0);
}

static void ipv6_jumbogram_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    ip6(&f, 0); /* payload length stays 0 */
    u8(&f, 17);
    u8(&f, 0);
    u8(&f, 0xc2); /* jumbo payload option */
    u8(&f, 4);
    be32(&f, 100000);
    fill(&f, 0, 8);
    assert_int_equal(decode(&f, 1), -TR_E_UNSUPPORTED);
    assert_errors("ipv6.unsupported", 1);
}

static void ipv6_payload_length_beyond_the_wire_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 17);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    set16(&f, ip + 4, 1000);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("ipv6.malformed", 1);
}

static void ipv6_atomic_fragment_is_decoded_in_place(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 44);
    ip6_frag(&f, 17, 0, false, 0x12345678);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_udp_sip_ok(decode(&f, 1));
    assert_int_equal(counter("fragments"), 0);
    assert_int_equal(pkt.flags & TR_PKT_REASSEMBLED, 0);
}

/* ------------------------------------------------------------ fragments */

/* UDP/SIP split in two IPv4 fragments at byte 24 of the UDP datagram. */
static void ipv4_fragments(struct fb *first, struct fb *second, unsigned id)
{
    struct fb whole = {.len = 0};
    size_t u = udp(&whole, 5060, 5062);
    sip(&whole);
    udp_done(&whole, u);

    eth(first, 0x0800);
    size_t ip = ip4(first, 17, 5, id, 0x2000); /* MF, offset 0 */
    put(first, whole.b, 24);
    ip4_done(first, ip);

    eth(second, 0x0800);
    ip = ip4(second, 17, 5, id, 24 / 8);
    put(second, whole.b + 24, whole.len - 24);
    ip4_done(second, ip);
}

static void ipv4_fragments_are_held_then_reassembled(void **state)
{
    (void)state;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 0x4242);
    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_true(pkt.flags & TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.payload.len, 0); /* not parsed before reassembly ... */
    assert_int_equal(pkt.sport, 5060);    /* ... but the first fragment's ports are read */

    assert_int_equal(decode(&b, 1), TR_OK);
    assert_true(pkt.flags & TR_PKT_REASSEMBLED);
    assert_false(pkt.flags & TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(pkt.dport, 5062);
    assert_sip_payload();
    assert_v4_addrs();
    /* The payload lives in reassembly storage, not in either frame. */
    assert_true(pkt.payload.ptr < b.b || pkt.payload.ptr >= b.b + sizeof(b.b));
    assert_int_equal(counter("fragments"), 2);
    assert_int_equal(counter("decoded"), 1);
    assert_int_equal(tr_defrag_stats(defrag)->reassembled, 1);
    assert_errors(NULL, 0);
}

/* The second fragment's bytes look like a UDP header; it must not be read as one. */
static void non_first_fragment_is_never_parsed_as_transport(void **state)
{
    (void)state;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 7);
    assert_int_equal(decode(&b, 1), TR_DECLINED);
    assert_true(pkt.flags & TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.sport, 0);
    assert_int_equal(pkt.payload.len, 0);

    ctx.defrag = NULL;
    assert_int_equal(decode(&b, 1), TR_DECLINED);
    assert_false(pkt.flags & TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.sport, 0);
    assert_int_equal(counter("fragments"), 2);
    assert_errors(NULL, 0);
}

static void fragments_without_reassembly_are_counted_and_declined(void **state)
{
    (void)state;
    ctx.defrag = NULL;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 9);
    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_int_equal(decode(&b, 1), TR_DECLINED);
    assert_int_equal(counter("fragments"), 2);
    assert_int_equal(counter("decoded"), 0);
    assert_int_equal(pkt.flags & (TR_PKT_FRAG_HELD | TR_PKT_REASSEMBLED), 0);
    assert_errors(NULL, 0);
}

/* snaplen cut a fragment: it cannot be reassembled. */
static void truncated_ipv4_fragment_is_an_error(void **state)
{
    (void)state;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 11);
    assert_int_equal(decode_cut(&a, 1, a.len - 8), -TR_E_TRUNCATED);
    assert_errors("ipv4.truncated", 1);
    assert_int_equal(tr_defrag_stats(defrag)->fragments, 0);
}

static void ipv6_fragment_header_fragments_are_reassembled(void **state)
{
    (void)state;
    struct fb whole = {.len = 0};
    ip6_ext(&whole, 17, 0); /* a destination options header inside the fragmentable part */
    size_t u = udp(&whole, 5060, 5062);
    sip(&whole);
    udp_done(&whole, u);

    struct fb a = {.len = 0}, b = {.len = 0};
    eth(&a, 0x86dd);
    size_t ip = ip6(&a, 0);
    ip6_ext(&a, 44, 0); /* hop-by-hop stays unfragmentable */
    ip6_frag(&a, 60, 0, true, 0xfeed0001u);
    put(&a, whole.b, 32);
    ip6_done(&a, ip);

    eth(&b, 0x86dd);
    ip = ip6(&b, 0);
    ip6_ext(&b, 44, 0);
    ip6_frag(&b, 60, 32, false, 0xfeed0001u);
    put(&b, whole.b + 32, whole.len - 32);
    ip6_done(&b, ip);

    assert_int_equal(decode(&b, 1), TR_DECLINED); /* last first: reverse order */
    assert_true(pkt.flags & TR_PKT_FRAG_HELD);
    assert_int_equal(decode(&a, 1), TR_OK);
    assert_true(pkt.flags & TR_PKT_REASSEMBLED);
    assert_int_equal(pkt.ip_proto, 17);
    assert_int_equal(pkt.sport, 5060);
    assert_sip_payload();
    assert_v6_addrs();
    assert_int_equal(counter("fragments"), 2);
    assert_errors(NULL, 0);
}

/* ------------------------------------------- ip_len and fragment flags
 * (packet outputs: flow metadata lengths, PCapper's first-fragment mode) */

static void ipv4_ip_len_is_the_total_length_not_the_frame(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 17, 6, 1, 0); /* 4 bytes of options */
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    fill(&f, 0, 12); /* Ethernet trailer after the datagram */
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.ip_len, 24 + 8 + SIP_LEN);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED), 0);
}

static void ipv6_ip_len_is_40_plus_payload_length_with_extensions(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 0);
    ip6_ext(&f, 17, 1); /* 16-byte hop-by-hop header */
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip6_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.ip_len, 40 + 16 + 8 + SIP_LEN);
}

static void ip_len_is_set_for_protocols_without_a_decoder(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 1, 5, 1, 0); /* ICMP */
    fill(&f, 8, 16);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_DECLINED);
    assert_int_equal(pkt.ip_proto, 1);
    assert_int_equal(pkt.ip_len, 36);
    assert_int_equal(pkt.src.family, TR_AF_INET);
}

static void ipv4_fragment_flags_and_ip_len_follow_reassembly(void **state)
{
    (void)state;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 0x5151);
    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED),
                     TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.ip_len, 20 + 24); /* this fragment's own total length */
    assert_int_equal(pkt.dport, 5062);

    assert_int_equal(decode(&b, 1), TR_OK);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED),
                     TR_PKT_FRAGMENT | TR_PKT_REASSEMBLED);
    assert_int_equal(pkt.ip_len, 20 + 8 + SIP_LEN); /* the whole datagram */
}

static void first_fragment_arriving_last_is_first_and_reassembled(void **state)
{
    (void)state;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 0x5252);
    assert_int_equal(decode(&b, 1), TR_DECLINED);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD),
                     TR_PKT_FRAGMENT | TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.ip_len, 20 + 8 + SIP_LEN - 24);
    assert_int_equal(pkt.sport, 0); /* a later fragment has no ports */

    assert_int_equal(decode(&a, 1), TR_OK);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED),
                     TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_REASSEMBLED);
    assert_int_equal(pkt.ip_len, 20 + 8 + SIP_LEN);
}

static void fragment_flags_are_set_without_a_reassembly_table(void **state)
{
    (void)state;
    ctx.defrag = NULL;
    struct fb a = {.len = 0}, b = {.len = 0};
    ipv4_fragments(&a, &b, 0x5353);
    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED),
                     TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG);
    assert_int_equal(pkt.ip_len, 44);
    assert_int_equal(decode(&b, 1), TR_DECLINED);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD |
                                  TR_PKT_REASSEMBLED),
                     TR_PKT_FRAGMENT);
}

/* RFC 8200 4.5: the reassembled packet is the unfragmentable part (with
 * its Next Header fixed up) followed by the fragmentable part; the
 * Fragment header itself is gone, so it is not in the length. */
static void ipv6_reassembled_ip_len_excludes_the_fragment_header(void **state)
{
    (void)state;
    struct fb whole = {.len = 0};
    size_t u = udp(&whole, 5060, 5062);
    sip(&whole);
    udp_done(&whole, u);

    struct fb a = {.len = 0}, b = {.len = 0};
    eth(&a, 0x86dd);
    size_t ip = ip6(&a, 0);
    ip6_ext(&a, 44, 0); /* 8-byte hop-by-hop: unfragmentable */
    ip6_frag(&a, 17, 0, true, 0xfeed0002u);
    put(&a, whole.b, 32);
    ip6_done(&a, ip);

    eth(&b, 0x86dd);
    ip = ip6(&b, 0);
    ip6_ext(&b, 44, 0);
    ip6_frag(&b, 17, 32, false, 0xfeed0002u);
    put(&b, whole.b + 32, whole.len - 32);
    ip6_done(&b, ip);

    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_int_equal(pkt.flags & (TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD),
                     TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG | TR_PKT_FRAG_HELD);
    assert_int_equal(pkt.ip_len, 40 + 8 + 8 + 32); /* as on the wire */
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(decode(&b, 1), TR_OK);
    assert_true(pkt.flags & TR_PKT_REASSEMBLED);
    assert_false(pkt.flags & TR_PKT_FIRST_FRAG);
    assert_int_equal(pkt.ip_len, 40 + 8 + 8 + SIP_LEN);
}

static void fragment_header_inside_reassembled_datagram_is_malformed(void **state)
{
    (void)state;
    struct fb whole = {.len = 0};
    ip6_frag(&whole, 17, 8, false, 1); /* nested fragment header */
    fill(&whole, 0, 16);

    struct fb a = {.len = 0};
    eth(&a, 0x86dd);
    size_t ip = ip6(&a, 44);
    ip6_frag(&a, 44, 0, false, 2); /* atomic: not a fragment */
    ip6_frag(&a, 44, 0, true, 3);  /* real fragment, offset 0 */
    put(&a, whole.b, 8);
    ip6_done(&a, ip);
    struct fb b = {.len = 0};
    eth(&b, 0x86dd);
    ip = ip6(&b, 44);
    ip6_frag(&b, 44, 8, false, 3);
    put(&b, whole.b + 8, whole.len - 8);
    ip6_done(&b, ip);
    assert_int_equal(decode(&a, 1), TR_DECLINED);
    assert_int_equal(decode(&b, 1), -TR_E_MALFORMED);
    assert_errors("ipv6.malformed", 1);
}

/* ------------------------------------------------------------ transports */

static void udp_length_below_eight_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 14 + 20 + 4, 7);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("udp.malformed", 1);
}

static void udp_length_below_ip_payload_trims_payload(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 14 + 20 + 4, 8 + 7);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.payload.len, 7);
    assert_memory_equal(pkt.payload.ptr, "OPTIONS", 7);
}

/* snaplen cut the datagram: decode what was captured, flag it. */
static void udp_length_beyond_capture_gives_captured_payload(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    assert_int_equal(decode_cut(&f, 1, f.len - 10), TR_OK);
    assert_true(pkt.flags & TR_PKT_L4_TRUNCATED);
    assert_int_equal(pkt.payload.len, SIP_LEN - 10);
    assert_memory_equal(pkt.payload.ptr, SIP, SIP_LEN - 10);
    assert_errors(NULL, 0);
}

/* snaplen cut only the Ethernet trailer: the IP datagram is whole, so a UDP
 * length beyond it is a lie even though bytes are missing from the frame. */
static void udp_length_beyond_whole_ip_payload_is_malformed_despite_snaplen(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 14 + 20 + 4, (unsigned)(8 + SIP_LEN + 1));
    fill(&f, 0, 4);
    assert_int_equal(decode_cut(&f, 1, f.len - 2), -TR_E_MALFORMED);
    assert_errors("udp.malformed", 1);
}

/* Captured whole, yet UDP claims more than its IP datagram holds. */
static void udp_length_beyond_ip_payload_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth_ip4_udp_sip(&f);
    set16(&f, 14 + 20 + 4, (unsigned)(8 + SIP_LEN + 1));
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("udp.malformed", 1);
}

static void tcp_ports_flags_sequence_and_payload_are_set(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 6, 5, 1, 0);
    tcp(&f, 5060, 40000, 0x01020304u, 8, 0x18); /* PSH ACK, 12 bytes options */
    sip(&f);
    ip4_done(&f, ip);
    fill(&f, 0xee, 4); /* Ethernet trailer: not TCP payload */
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.ip_proto, 6);
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(pkt.dport, 40000);
    assert_int_equal(pkt.tcp_seq, 0x01020304u);
    assert_int_equal(pkt.tcp_flags, 0x18);
    assert_sip_payload();
    assert_errors(NULL, 0);
}

static void tcp_without_data_reaches_transport_with_empty_payload(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x86dd);
    size_t ip = ip6(&f, 6);
    tcp(&f, 1, 2, 5, 5, 0x02); /* SYN */
    ip6_done(&f, ip);
    fill(&f, 0, 6); /* padding beyond the IPv6 payload */
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.tcp_flags, 0x02);
    assert_int_equal(pkt.payload.len, 0);
}

static void tcp_data_offset_below_five_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 6, 5, 1, 0);
    tcp(&f, 5060, 40000, 1, 4, 0x18);
    sip(&f);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("tcp.malformed", 1);
}

static void tcp_options_past_the_end_are_truncated(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 6, 5, 1, 0);
    tcp(&f, 5060, 40000, 1, 5, 0x18);
    f.b[f.len - 8] = 0xf0; /* data offset 15: 40 bytes of options that are not there */
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_TRUNCATED);
    assert_errors("tcp.truncated", 1);
}

static void sctp_data_chunk_user_data_is_the_payload(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    u8(&f, 10); /* COOKIE ECHO first, to be skipped */
    u8(&f, 0);
    be16(&f, 6);
    be16(&f, 0xabcd);
    be16(&f, 0); /* padding to 8 */
    sctp_data(&f, 0x03, SIP, SIP_LEN);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.ip_proto, 132);
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(pkt.dport, 5062);
    assert_sip_payload();
    assert_errors(NULL, 0);
}

static void sctp_fragmented_user_message_is_unsupported_and_skipped(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    sctp_data(&f, 0x02, "first half", 10); /* B only */
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.payload.len, 0);
    assert_errors("sctp.unsupported", 1);
}

static void sctp_bundled_data_chunks_count_all_but_first(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    sctp_data(&f, 0x01, "tail", 4); /* E only: fragment, skipped */
    sctp_data(&f, 0x03, SIP, SIP_LEN);
    sctp_data(&f, 0x03, "second message", 14);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_sip_payload();
    assert_errors("sctp.unsupported", 2);
}

static void sctp_chunk_length_below_four_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    be32(&f, 0x0e000002u); /* chunk length 2 */
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("sctp.malformed", 1);
}

static void sctp_chunk_past_the_datagram_is_malformed(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    sctp_data(&f, 0x03, SIP, SIP_LEN);
    set16(&f, f.len - ((SIP_LEN + 3) & ~3u) - 14, 200);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), -TR_E_MALFORMED);
    assert_errors("sctp.malformed", 1);
}

static void sctp_without_data_reaches_transport_with_empty_payload(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x0800);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5062);
    be32(&f, 0x04000008u); /* HEARTBEAT */
    be32(&f, 0);
    ip4_done(&f, ip);
    assert_int_equal(decode(&f, 1), TR_OK);
    assert_int_equal(pkt.payload.len, 0);
    assert_errors(NULL, 0);
}

/* ------------------------------------------------------------ truncation */

static void zero_length_frame_is_truncated_for_every_link_type(void **state)
{
    (void)state;
    static const struct {
        int lt;
        const char *counter;
    } cases[] = {
        {1, "eth.truncated"},    {113, "sll.truncated"},  {276, "sll2.truncated"},
        {0, "null.truncated"},   {108, "null.truncated"}, {101, "raw.truncated"},
        {12, "raw.truncated"},   {14, "raw.truncated"},   {228, "ipv4.truncated"},
        {229, "ipv6.truncated"},
    };
    struct fb f = {.len = 0};
    for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
        setup(NULL);
        assert_int_equal(decode(&f, cases[i].lt), -TR_E_TRUNCATED);
        assert_errors(cases[i].counter, 1);
        teardown(NULL);
    }
    /* Also with no frame pointer at all. */
    setup(NULL);
    pkt.frame = NULL;
    pkt.caplen = 0;
    pkt.linktype = 1;
    assert_int_equal(tr_decode_packet(&ctx, &pkt), -TR_E_TRUNCATED);
}

struct cut {
    size_t below;        /* caplen < below ... */
    const char *counter; /* ... fails with this counter */
};

/* Every prefix of f (snaplen cut: wire_len stays f->len) fails at the layer
 * the cut falls in; once the transport header is whole it decodes, with
 * TR_PKT_L4_TRUNCATED while bytes are missing. */
static void check_every_cut(const struct fb *f, int lt, const struct cut *cuts, size_t n)
{
    for (size_t caplen = 0; caplen <= f->len; caplen++) {
        setup(NULL);
        int rc = decode_cut(f, lt, caplen);
        const char *want = NULL;
        for (size_t i = 0; i < n && !want; i++)
            if (caplen < cuts[i].below)
                want = cuts[i].counter;
        if (want) {
            if (rc != -TR_E_TRUNCATED)
                fail_msg("caplen %zu: rc %d, want truncated at %s", caplen, rc, want);
            assert_errors(want, 1);
        } else {
            if (rc != TR_OK)
                fail_msg("caplen %zu: rc %d, want ok", caplen, rc);
            assert_errors(NULL, 0);
            assert_int_equal((pkt.flags & TR_PKT_L4_TRUNCATED) != 0, caplen < f->len);
        }
        teardown(NULL);
    }
}

static void truncation_is_counted_at_every_layer_eth_vlan_ipv4_udp(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8100);
    vlan(&f, 5, 0x0800);
    size_t ip = ip4(&f, 17, 6, 1, 0);
    size_t u = udp(&f, 5060, 5062);
    sip(&f);
    udp_done(&f, u);
    ip4_done(&f, ip);
    const struct cut cuts[] = {
        {14, "eth.truncated"},
        {18, "vlan.truncated"},
        {18 + 24, "ipv4.truncated"},
        {18 + 24 + 8, "udp.truncated"},
    };
    check_every_cut(&f, 1, cuts, TR_ARRAY_LEN(cuts));
}

static void truncation_is_counted_at_every_layer_mpls_ipv6_ext_tcp(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8847);
    mpls(&f, 1, false);
    mpls(&f, 2, true);
    size_t ip = ip6(&f, 0);
    ip6_ext(&f, 6, 0);
    tcp(&f, 5060, 5060, 1, 6, 0x18);
    sip(&f);
    ip6_done(&f, ip);
    const struct cut cuts[] = {
        {14, "eth.truncated"},
        {14 + 8 + 1, "mpls.truncated"},
        {22 + 48, "ipv6.truncated"},
        {22 + 48 + 24, "tcp.truncated"},
    };
    check_every_cut(&f, 1, cuts, TR_ARRAY_LEN(cuts));
}

static void truncation_is_counted_at_every_layer_pppoe_sctp(void **state)
{
    (void)state;
    struct fb f = {.len = 0};
    eth(&f, 0x8864);
    size_t l = pppoe(&f, 0x0021);
    size_t ip = ip4(&f, 132, 5, 1, 0);
    sctp(&f, 5060, 5060);
    sctp_data(&f, 0x03, SIP, SIP_LEN);
    ip4_done(&f, ip);
    pppoe_done(&f, l);
    const struct cut cuts[] = {
        {14, "eth.truncated"},  {20, "pppoe.truncated"}, {22, "ppp.truncated"},
        {42, "ipv4.truncated"}, {54, "sctp.truncated"},
    };
    check_every_cut(&f, 1, cuts, TR_ARRAY_LEN(cuts));
}

static void truncation_is_counted_at_every_layer_sll_sll2_null(void **state)
{
    (void)state;
    struct fb body = {.len = 0};
    size_t ip = ip4(&body, 17, 5, 1, 0);
    size_t u = udp(&body, 5060, 5062);
    sip(&body);
    udp_done(&body, u);
    ip4_done(&body, ip);

    static const struct {
        int lt;
        size_t hdr;
        const char *counter;
    } links[] = {{113, 16, "sll.truncated"},
                 {276, 20, "sll2.truncated"},
                 {0, 4, "null.truncated"},
                 {101, 0, "raw.truncated"}};
    for (size_t i = 0; i < TR_ARRAY_LEN(links); i++) {
        struct fb f = {.len = 0};
        fill(&f, 0, links[i].hdr);
        if (links[i].lt == 113)
            set16(&f, 14, 0x0800);
        else if (links[i].lt == 276)
            set16(&f, 0, 0x0800);
        else if (links[i].lt == 0)
            f.b[0] = 2;
        put(&f, body.b, body.len);
        const struct cut cuts[] = {
            {links[i].hdr ? links[i].hdr : 1, links[i].counter},
            {links[i].hdr + 20, "ipv4.truncated"},
            {links[i].hdr + 28, "udp.truncated"},
        };
        check_every_cut(&f, links[i].lt, cuts, TR_ARRAY_LEN(cuts));
    }
}

/* ------------------------------------------------------------ names */

static void counter_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(tr_decoder_name(TR_DEC_ETHERNET), "eth");
    assert_string_equal(tr_decoder_name(TR_DEC_NULLLOOP), "null");
    assert_string_equal(tr_decoder_name(TR_DEC_UDP), "udp");
    assert_string_equal(tr_decoder_name(TR_DEC_GRAPH), "graph");
    assert_string_equal(tr_decoder_name(TR_DEC_COUNT), "unknown");
    assert_string_equal(tr_decode_reason_name(TR_DR_TRUNCATED), "truncated");
    assert_string_equal(tr_decode_reason_name(TR_DR_TOO_DEEP), "too_deep");
    assert_string_equal(tr_decode_reason_name(TR_DR_COUNT), "unknown");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(ethernet_ipv4_udp_sip_payload_is_found),
        T(ethernet_padding_after_ip_total_length_is_trimmed),
        T(linux_sll_ipv4_udp_is_decoded),
        T(linux_sll2_ipv6_udp_is_decoded),
        T(sll_non_ethertype_protocol_is_not_ip),
        T(null_loopback_families_in_both_byte_orders_are_decoded),
        T(null_loopback_unknown_family_is_not_ip),
        T(raw_link_types_pick_ip_version_from_first_nibble),
        T(raw_with_version_5_is_malformed),
        T(linktype_ipv4_and_ipv6_go_straight_to_ip),
        T(ipv4_on_ipv6_link_type_is_malformed),
        T(unknown_link_type_is_not_ip),
        T(supported_link_types_are_reported),
        T(arp_is_not_ip),
        T(ieee_802_3_length_field_is_not_ip),
        T(vlan_id_is_recorded),
        T(qinq_records_outermost_vlan_id),
        T(reused_packet_forgets_previous_vlan),
        T(mpls_stack_of_two_over_ipv4_is_decoded),
        T(mpls_multicast_over_ipv6_is_decoded),
        T(mpls_control_word_leads_to_ethernet_pseudowire),
        T(mpls_unknown_payload_nibble_is_unsupported),
        T(pppoe_session_ipv4_and_ipv6_are_decoded),
        T(pppoe_lcp_is_not_ip),
        T(pppoe_bad_version_or_length_is_malformed),
        T(depth_cap_stops_twenty_stacked_vlan_tags),
        T(depth_cap_follows_max_layers),
        T(ipv4_options_are_skipped_via_ihl),
        T(ipv4_ihl_below_five_is_malformed),
        T(ipv4_version_other_than_four_is_malformed),
        T(ipv4_total_length_shorter_than_header_is_malformed),
        T(ipv4_total_length_beyond_the_wire_is_malformed),
        T(ipv4_options_longer_than_frame_are_truncated),
        T(ipv4_icmp_is_another_transport),
        T(ipv6_hop_by_hop_and_destination_options_are_walked),
        T(ipv6_routing_and_ah_headers_are_walked),
        T(ipv6_hop_by_hop_after_another_header_is_malformed),
        T(ipv6_esp_and_no_next_header_are_other_transport),
        T(ipv6_jumbogram_is_unsupported),
        T(ipv6_payload_length_beyond_the_wire_is_malformed),
        T(ipv6_atomic_fragment_is_decoded_in_place),
        T(ipv4_fragments_are_held_then_reassembled),
        T(non_first_fragment_is_never_parsed_as_transport),
        T(fragments_without_reassembly_are_counted_and_declined),
        T(truncated_ipv4_fragment_is_an_error),
        T(ipv6_fragment_header_fragments_are_reassembled),
        T(ipv4_ip_len_is_the_total_length_not_the_frame),
        T(ipv6_ip_len_is_40_plus_payload_length_with_extensions),
        T(ip_len_is_set_for_protocols_without_a_decoder),
        T(ipv4_fragment_flags_and_ip_len_follow_reassembly),
        T(first_fragment_arriving_last_is_first_and_reassembled),
        T(fragment_flags_are_set_without_a_reassembly_table),
        T(ipv6_reassembled_ip_len_excludes_the_fragment_header),
        T(fragment_header_inside_reassembled_datagram_is_malformed),
        T(udp_length_below_eight_is_malformed),
        T(udp_length_below_ip_payload_trims_payload),
        T(udp_length_beyond_capture_gives_captured_payload),
        T(udp_length_beyond_ip_payload_is_malformed),
        T(udp_length_beyond_whole_ip_payload_is_malformed_despite_snaplen),
        T(tcp_ports_flags_sequence_and_payload_are_set),
        T(tcp_without_data_reaches_transport_with_empty_payload),
        T(tcp_data_offset_below_five_is_malformed),
        T(tcp_options_past_the_end_are_truncated),
        T(sctp_data_chunk_user_data_is_the_payload),
        T(sctp_fragmented_user_message_is_unsupported_and_skipped),
        T(sctp_bundled_data_chunks_count_all_but_first),
        T(sctp_chunk_length_below_four_is_malformed),
        T(sctp_chunk_past_the_datagram_is_malformed),
        T(sctp_without_data_reaches_transport_with_empty_payload),
        T(zero_length_frame_is_truncated_for_every_link_type),
        T(truncation_is_counted_at_every_layer_eth_vlan_ipv4_udp),
        T(truncation_is_counted_at_every_layer_mpls_ipv6_ext_tcp),
        T(truncation_is_counted_at_every_layer_pppoe_sctp),
        T(truncation_is_counted_at_every_layer_sll_sll2_null),
        T(counter_names_are_stable),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
