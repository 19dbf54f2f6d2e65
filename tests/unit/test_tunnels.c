/* test_tunnels.c - decapsulation in the decode walk (src/decode/ipip.c,
 * gre.c, erspan.c, vxlan.c, geneve.c and udp.c's tunnel ports): each tunnel
 * with its flag combinations, what the packet records about the layers
 * removed, switches and ports from struct tr_decode_conf, nesting and its
 * cap, reassembly inside and outside a tunnel, and malformed tunnel headers
 * (short, wrong flags, bogus lengths) counted under "<tunnel>.<reason>".
 * Frames are built byte by byte so each test shows what it feeds.
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

/* Outer (delivery) and inner addresses differ in the first byte. */
static const uint8_t OUT_SRC[4] = {192, 0, 2, 1}, OUT_DST[4] = {192, 0, 2, 2};
static const uint8_t IN_SRC[4] = {10, 0, 0, 1}, IN_DST[4] = {10, 0, 0, 2};
static const uint8_t OUT6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xa1};
static const uint8_t OUT6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xa2};
static const uint8_t IN6_SRC[16] = {0xfd, 0, [15] = 1};
static const uint8_t IN6_DST[16] = {0xfd, 0, [15] = 2};

static void eth(struct fb *f, unsigned type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    put(f, macs, sizeof(macs));
    be16(f, type);
}

static size_t ip4a(struct fb *f, unsigned proto, const uint8_t *src, const uint8_t *dst,
                   unsigned id, unsigned frag)
{
    size_t at = f->len;
    u8(f, 0x45);
    u8(f, 0);
    be16(f, 0);
    be16(f, id);
    be16(f, frag);
    u8(f, 64);
    u8(f, proto);
    be16(f, 0);
    put(f, src, 4);
    put(f, dst, 4);
    return at;
}

static size_t ip4_out(struct fb *f, unsigned proto) { return ip4a(f, proto, OUT_SRC, OUT_DST, 1, 0); }
static size_t ip4_in(struct fb *f, unsigned proto) { return ip4a(f, proto, IN_SRC, IN_DST, 2, 0); }

static void ip4_done(struct fb *f, size_t at) { set16(f, at + 2, (unsigned)(f->len - at)); }

static size_t ip6a(struct fb *f, unsigned nh, const uint8_t *src, const uint8_t *dst)
{
    size_t at = f->len;
    be32(f, 0x60000000u);
    be16(f, 0);
    u8(f, nh);
    u8(f, 64);
    put(f, src, 16);
    put(f, dst, 16);
    return at;
}

static void ip6_done(struct fb *f, size_t at) { set16(f, at + 4, (unsigned)(f->len - at - 40)); }

static size_t udp(struct fb *f, unsigned sport, unsigned dport)
{
    size_t at = f->len;
    be16(f, sport);
    be16(f, dport);
    be16(f, 0);
    be16(f, 0);
    return at;
}

static void udp_done(struct fb *f, size_t at) { set16(f, at + 4, (unsigned)(f->len - at)); }

/* Inner IPv4 / UDP 5060 -> 5062 / SIP. */
static void inner_sip4(struct fb *f)
{
    size_t ip = ip4_in(f, 17);
    size_t u = udp(f, 5060, 5062);
    put(f, SIP, SIP_LEN);
    udp_done(f, u);
    ip4_done(f, ip);
}

static void inner_sip6(struct fb *f)
{
    size_t ip = ip6a(f, 17, IN6_SRC, IN6_DST);
    size_t u = udp(f, 5060, 5062);
    put(f, SIP, SIP_LEN);
    udp_done(f, u);
    ip6_done(f, ip);
}

static void inner_eth_sip4(struct fb *f)
{
    eth(f, 0x0800);
    inner_sip4(f);
}

static void gre(struct fb *f, unsigned flags, unsigned proto, uint32_t key, uint32_t seq)
{
    be16(f, flags);
    be16(f, proto);
    if (flags & 0x8000u)
        be32(f, 0xabcd0000u); /* checksum + reserved1 */
    if (flags & 0x2000u)
        be32(f, key);
    if (flags & 0x1000u)
        be32(f, seq);
}

static void vxlan(struct fb *f, unsigned flags, uint32_t vni)
{
    u8(f, flags);
    u8(f, 0);
    be16(f, 0);
    be32(f, vni << 8);
}

/* ------------------------------------------------------------ walk harness */

static struct tr_decode_stats st;
static struct tr_decode_ctx ctx;
static struct tr_decode_conf conf;
static struct tr_packet pkt;
static struct tr_defrag *defrag;

static int setup(void **state)
{
    (void)state;
    memset(&st, 0, sizeof(st));
    memset(&pkt, 0, sizeof(pkt));
    memset(&conf, 0, sizeof(conf));
    tr_defrag_free(defrag);
    defrag = tr_defrag_new(NULL);
    assert_non_null(defrag);
    ctx = (struct tr_decode_ctx){
        .defrag = defrag, .stats = &st, .conf = &conf, .now_ns = 1000000000u};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tr_defrag_free(defrag);
    defrag = NULL;
    return 0;
}

static int decode_cut(const struct fb *f, size_t caplen)
{
    pkt.frame = f->b;
    pkt.caplen = (uint32_t)caplen;
    pkt.wire_len = (uint32_t)f->len; /* a cut is the snaplen's, as in a capture */
    pkt.linktype = 1;
    ctx.now_ns += 1000;
    return tr_decode_packet(&ctx, &pkt);
}

static int decode(const struct fb *f) { return decode_cut(f, f->len); }

static uint64_t errors(void)
{
    uint64_t n = 0;
    for (int d = 0; d < TR_DEC_COUNT; d++)
        for (int r = 0; r < TR_DR_COUNT; r++)
            n += st.err[d][r];
    return n;
}

/* Only err[d][r] is non-zero, and it is 1. */
static void assert_one_error(enum tr_decoder_id d, enum tr_decode_reason r)
{
    assert_int_equal(st.err[d][r], 1);
    assert_int_equal(errors(), 1);
}

/* The packet reached the inner SIP over IPv4 with the inner 5-tuple. */
static void assert_inner_sip4(int rc)
{
    assert_int_equal(rc, TR_OK);
    assert_int_equal(errors(), 0);
    assert_int_equal(pkt.src.family, TR_AF_INET);
    assert_memory_equal(pkt.src.a, IN_SRC, 4);
    assert_memory_equal(pkt.dst.a, IN_DST, 4);
    assert_int_equal(pkt.sport, 5060);
    assert_int_equal(pkt.dport, 5062);
    assert_int_equal(pkt.ip_proto, 17);
    assert_int_equal(pkt.payload.len, SIP_LEN);
    assert_memory_equal(pkt.payload.ptr, SIP, SIP_LEN);
}

static void assert_tunnel4(unsigned i, enum tr_tunnel_type type, bool has_id, uint32_t id)
{
    assert_true(i < pkt.n_tunnels);
    const struct tr_tunnel *t = &pkt.tunnels[i];
    assert_string_equal(tr_tunnel_name(t->type), tr_tunnel_name(type));
    assert_int_equal(t->has_id, has_id);
    if (has_id)
        assert_int_equal(t->id, id);
    assert_int_equal(t->src.family, TR_AF_INET);
    assert_memory_equal(t->src.a, OUT_SRC, 4);
    assert_memory_equal(t->dst.a, OUT_DST, 4);
}

/* ------------------------------------------------------------ IP in IP */

static void ipv4_in_ipv4_yields_inner_addresses_and_records_outer(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 4);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 1);
    assert_tunnel4(0, TR_TUN_IPIP, false, 0);
    assert_int_equal(st.decap[TR_TUN_IPIP], 1);
}

static void ipv6_in_ipv4_protocol_41_is_decapsulated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 41);
    inner_sip6(&f);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), TR_OK);
    assert_int_equal(pkt.src.family, TR_AF_INET6);
    assert_memory_equal(pkt.src.a, IN6_SRC, 16);
    assert_int_equal(pkt.dport, 5062);
    assert_tunnel4(0, TR_TUN_IPIP, false, 0);
}

static void ipv4_in_ipv6_records_ipv6_outer_addresses(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x86dd);
    size_t o = ip6a(&f, 4, OUT6_SRC, OUT6_DST);
    inner_sip4(&f);
    ip6_done(&f, o);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 1);
    assert_int_equal(pkt.tunnels[0].src.family, TR_AF_INET6);
    assert_memory_equal(pkt.tunnels[0].src.a, OUT6_SRC, 16);
    assert_memory_equal(pkt.tunnels[0].dst.a, OUT6_DST, 16);
}

static void ipip_with_wrong_inner_version_is_counted_by_inner_ip(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 4); /* says IPv4 inside ... */
    inner_sip6(&f);            /* ... but carries IPv6 */
    ip4_done(&f, o);
    assert_int_equal(decode(&f), -TR_E_MALFORMED);
    assert_one_error(TR_DEC_IPV4, TR_DR_MALFORMED);
}

static void ipip_switched_off_is_another_transport(void **state)
{
    (void)state;
    conf.decap_off = TR_DECAP_BIT(TR_TUN_IPIP);
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 4);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), TR_DECLINED);
    assert_int_equal(st.other_transport, 1);
    assert_int_equal(pkt.n_tunnels, 0);
    assert_int_equal(errors(), 0);
}

/* ------------------------------------------------------------ GRE */

static void gre_plain_ipv4_is_decapsulated_without_key(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0, 0x0800, 0, 0);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 1);
    assert_tunnel4(0, TR_TUN_GRE, false, 0);
}

static void gre_checksum_key_and_sequence_are_skipped_and_key_recorded(void **state)
{
    (void)state;
    static const unsigned combos[] = {0x8000, 0x2000, 0x1000, 0xa000, 0x3000, 0xb000, 0x9000};
    for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
        setup(state);
        struct fb f = {0};
        eth(&f, 0x0800);
        size_t o = ip4_out(&f, 47);
        gre(&f, combos[i], 0x0800, 0x01020304u, 77);
        inner_sip4(&f);
        ip4_done(&f, o);
        assert_inner_sip4(decode(&f));
        assert_tunnel4(0, TR_TUN_GRE, (combos[i] & 0x2000u) != 0, 0x01020304u);
    }
}

static void gre_reserved_bits_6_to_12_are_ignored(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0x03f8, 0x0800, 0, 0); /* low recursion bits and reserved0 */
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_inner_sip4(decode(&f));
}

static void gre_ipv6_payload_is_decoded(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0x2000, 0x86dd, 9, 0);
    inner_sip6(&f);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), TR_OK);
    assert_memory_equal(pkt.dst.a, IN6_DST, 16);
    assert_tunnel4(0, TR_TUN_GRE, true, 9);
}

static void gre_transparent_ethernet_bridging_with_vlan_inside(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0, 0x6558, 0, 0);
    eth(&f, 0x8100);
    be16(&f, 300);
    be16(&f, 0x0800);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_inner_sip4(decode(&f));
    assert_true(pkt.flags & TR_PKT_HAS_VLAN);
    assert_int_equal(pkt.vlan, 300);
}

static void gre_carrying_mpls_uses_the_mpls_decoder(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0, 0x8847, 0, 0);
    be32(&f, 100u << 12 | 0x100u | 64);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_inner_sip4(decode(&f));
}

static void gre_version_1_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0x0001, 0x880b, 0, 0);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), -TR_E_UNSUPPORTED);
    assert_one_error(TR_DEC_GRE, TR_DR_UNSUPPORTED);
}

static void gre_rfc1701_bits_1_4_and_5_are_malformed(void **state)
{
    (void)state;
    static const unsigned bad[] = {0x4000, 0x0800, 0x0400, 0x4c00};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup(state);
        struct fb f = {0};
        eth(&f, 0x0800);
        size_t o = ip4_out(&f, 47);
        gre(&f, bad[i], 0x0800, 0, 0);
        inner_sip4(&f);
        ip4_done(&f, o);
        assert_int_equal(decode(&f), -TR_E_MALFORMED);
        assert_one_error(TR_DEC_GRE, TR_DR_MALFORMED);
    }
}

static void gre_optional_fields_past_the_end_are_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    be16(&f, 0xb000); /* C, K, S: 12 more bytes promised */
    be16(&f, 0x0800);
    be32(&f, 0);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), -TR_E_TRUNCATED);
    assert_one_error(TR_DEC_GRE, TR_DR_TRUNCATED);
}

static void gre_switched_off_is_another_transport(void **state)
{
    (void)state;
    assert_int_equal(tr_decode_decap_parse("gre", &conf.decap_off, NULL), TR_OK);
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 47);
    gre(&f, 0, 0x0800, 0, 0);
    inner_sip4(&f);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), TR_DECLINED);
    assert_int_equal(st.other_transport, 1);
    assert_int_equal(pkt.n_tunnels, 0);
}

/* ------------------------------------------------------------ ERSPAN */

static void erspan_frame(struct fb *f, unsigned gre_flags, unsigned proto)
{
    eth(f, 0x0800);
    ip4_out(f, 47);
    gre(f, gre_flags, proto, 0, 5);
}

static void erspan1_has_no_header_and_no_session(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0, 0x88be);
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 1);
    assert_tunnel4(0, TR_TUN_ERSPAN1, false, 0);
    assert_int_equal(st.decap[TR_TUN_ERSPAN1], 1);
    assert_int_equal(st.decap[TR_TUN_GRE], 0);
}

static void erspan2_with_sequence_records_session_id(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x88be);
    be16(&f, 0x1000 | 12); /* ver 1, vlan 12 */
    be16(&f, 0xfc00 | 0x3ff); /* cos, en, t all set, session 1023 */
    be32(&f, 0x00012345);     /* index */
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_inner_sip4(decode(&f));
    assert_tunnel4(0, TR_TUN_ERSPAN2, true, 1023);
    assert_false(pkt.flags & TR_PKT_HAS_VLAN); /* the ERSPAN vlan field is the port's */
}

static void erspan2_wrong_version_is_malformed(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x88be);
    be16(&f, 0x2000);
    be16(&f, 1);
    be32(&f, 0);
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_MALFORMED);
    assert_one_error(TR_DEC_ERSPAN2, TR_DR_MALFORMED);
}

static void erspan2_short_header_is_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x88be);
    be16(&f, 0x1000);
    be16(&f, 1);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_TRUNCATED);
    assert_one_error(TR_DEC_ERSPAN2, TR_DR_TRUNCATED);
}

static void erspan3_header(struct fb *f, unsigned session, unsigned ft, bool o)
{
    be16(f, 0x2000 | 7);
    be16(f, session);
    be32(f, 0x11223344); /* timestamp */
    be16(f, 0xbeef);     /* SGT */
    be16(f, (ft << 10) | (o ? 1u : 0));
}

static void erspan3_without_and_with_platform_subheader(void **state)
{
    (void)state;
    for (int o = 0; o < 2; o++) {
        setup(state);
        struct fb f = {0};
        erspan_frame(&f, 0x1000, 0x22eb);
        erspan3_header(&f, 0x155, 0, o);
        if (o) {
            be32(&f, 0x0c000000u | 0x42); /* platform id 3 */
            be32(&f, 0xdeadbeefu);
        }
        inner_eth_sip4(&f);
        ip4_done(&f, 14);
        assert_inner_sip4(decode(&f));
        assert_tunnel4(0, TR_TUN_ERSPAN3, true, 0x155);
    }
}

static void erspan3_frame_type_2_carries_bare_ip(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x22eb);
    erspan3_header(&f, 3, 2, false);
    inner_sip4(&f);
    ip4_done(&f, 14);
    assert_inner_sip4(decode(&f));
}

static void erspan3_unknown_frame_type_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x22eb);
    erspan3_header(&f, 3, 5, false);
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_UNSUPPORTED);
    assert_one_error(TR_DEC_ERSPAN3, TR_DR_UNSUPPORTED);
}

static void erspan3_platform_subheader_past_the_end_is_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x22eb);
    erspan3_header(&f, 3, 0, true);
    be32(&f, 0);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_TRUNCATED);
    assert_one_error(TR_DEC_ERSPAN3, TR_DR_TRUNCATED);
}

static void erspan3_wrong_version_is_malformed(void **state)
{
    (void)state;
    struct fb f = {0};
    erspan_frame(&f, 0x1000, 0x22eb);
    be16(&f, 0x1000); /* type II's version in a type III header */
    be16(&f, 3);
    be32(&f, 0);
    be32(&f, 0);
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_MALFORMED);
    assert_one_error(TR_DEC_ERSPAN3, TR_DR_MALFORMED);
}

static void erspan_switched_off_leaves_gre_undecoded_but_plain_gre_still_works(void **state)
{
    (void)state;
    assert_int_equal(tr_decode_decap_parse("erspan", &conf.decap_off, NULL), TR_OK);
    struct fb f = {0};
    erspan_frame(&f, 0, 0x88be);
    inner_eth_sip4(&f);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), TR_DECLINED);
    assert_int_equal(st.other_transport, 1);

    struct fb g = {0};
    eth(&g, 0x0800);
    size_t o = ip4_out(&g, 47);
    gre(&g, 0, 0x0800, 0, 0);
    inner_sip4(&g);
    ip4_done(&g, o);
    assert_inner_sip4(decode(&g));
}

/* ------------------------------------------------------------ VXLAN */

static void vxlan_frame(struct fb *f, unsigned dport, unsigned flags, uint32_t vni)
{
    eth(f, 0x0800);
    ip4_out(f, 17);
    udp(f, 54321, dport);
    vxlan(f, flags, vni);
    inner_eth_sip4(f);
    udp_done(f, 34);
    ip4_done(f, 14);
}

static void vxlan_records_vni_and_reports_inner_ports_not_outer(void **state)
{
    (void)state;
    struct fb f = {0};
    vxlan_frame(&f, 4789, 0x08, 0xabcdef);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 1);
    assert_tunnel4(0, TR_TUN_VXLAN, true, 0xabcdef);
    assert_int_equal(st.decap[TR_TUN_VXLAN], 1);
    assert_int_equal(st.decoded, 1);
}

static void vxlan_reserved_bits_are_ignored(void **state)
{
    (void)state;
    struct fb f = {0};
    vxlan_frame(&f, 4789, 0xff, 42);
    assert_inner_sip4(decode(&f));
}

static void vxlan_without_i_flag_is_malformed(void **state)
{
    (void)state;
    struct fb f = {0};
    vxlan_frame(&f, 4789, 0x00, 42);
    assert_int_equal(decode(&f), -TR_E_MALFORMED);
    assert_one_error(TR_DEC_VXLAN, TR_DR_MALFORMED);
    assert_int_equal(st.decap[TR_TUN_VXLAN], 0);
}

static void vxlan_short_header_is_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ip4_out(&f, 17);
    udp(&f, 1, 4789);
    be32(&f, 0x08000000u);
    udp_done(&f, 34);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_TRUNCATED);
    assert_one_error(TR_DEC_VXLAN, TR_DR_TRUNCATED);
}

static void vxlan_source_port_4789_is_not_a_tunnel(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    size_t o = ip4_out(&f, 17);
    size_t u = udp(&f, 4789, 5060);
    put(&f, SIP, SIP_LEN);
    udp_done(&f, u);
    ip4_done(&f, o);
    assert_int_equal(decode(&f), TR_OK);
    assert_int_equal(pkt.n_tunnels, 0);
    assert_int_equal(pkt.payload.len, SIP_LEN);
}

static void vxlan_configured_ports_replace_the_default(void **state)
{
    (void)state;
    conf.vxlan_ports[0] = 8472; /* Linux's historic VXLAN port */
    conf.vxlan_ports[1] = 4790;
    conf.n_vxlan_ports = 2;
    struct fb f = {0};
    vxlan_frame(&f, 8472, 0x08, 7);
    assert_inner_sip4(decode(&f));
    assert_tunnel4(0, TR_TUN_VXLAN, true, 7);

    struct fb g = {0};
    vxlan_frame(&g, 4789, 0x08, 7); /* no longer a VXLAN port: plain UDP */
    assert_int_equal(decode(&g), TR_OK);
    assert_int_equal(pkt.n_tunnels, 0);
    assert_int_equal(pkt.dport, 4789);
}

static void vxlan_switched_off_is_plain_udp(void **state)
{
    (void)state;
    assert_int_equal(tr_decode_decap_parse("vxlan,gre", &conf.decap_off, NULL), TR_OK);
    struct fb f = {0};
    vxlan_frame(&f, 4789, 0x08, 42);
    assert_int_equal(decode(&f), TR_OK);
    assert_int_equal(pkt.n_tunnels, 0);
    assert_int_equal(pkt.dport, 4789);
    assert_memory_equal(pkt.src.a, OUT_SRC, 4);
}

static void no_conf_means_every_tunnel_on_with_iana_ports(void **state)
{
    (void)state;
    ctx.conf = NULL;
    struct fb f = {0};
    vxlan_frame(&f, 4789, 0x08, 42);
    assert_inner_sip4(decode(&f));
    assert_tunnel4(0, TR_TUN_VXLAN, true, 42);
}

/* ------------------------------------------------------------ GENEVE */

static void geneve_frame(struct fb *f, unsigned ver, unsigned opt_words, unsigned proto,
                         const uint8_t *opts, size_t opts_len)
{
    eth(f, 0x0800);
    ip4_out(f, 17);
    udp(f, 40000, 6081);
    u8(f, ver << 6 | opt_words);
    u8(f, 0);
    be16(f, proto);
    be32(f, 0x123456u << 8);
    put(f, opts, opts_len);
    if (proto == 0x6558)
        inner_eth_sip4(f);
    else
        inner_sip4(f);
    udp_done(f, 34);
    ip4_done(f, 14);
}

/* Two options: class 0x0102 type 1 with 4 bytes, class 0xffff type 0x80 with 8. */
static const uint8_t GENEVE_OPTS[] = {0x01, 0x02, 0x01, 0x01, 1, 2, 3, 4,
                                      0xff, 0xff, 0x80, 0x02, 1, 2, 3, 4, 5, 6, 7, 8};

static void geneve_options_are_skipped_by_opt_len(void **state)
{
    (void)state;
    struct fb f = {0};
    geneve_frame(&f, 0, sizeof(GENEVE_OPTS) / 4, 0x6558, GENEVE_OPTS, sizeof(GENEVE_OPTS));
    assert_inner_sip4(decode(&f));
    assert_tunnel4(0, TR_TUN_GENEVE, true, 0x123456);
}

static void geneve_carries_ipv4_directly(void **state)
{
    (void)state;
    struct fb f = {0};
    geneve_frame(&f, 0, 0, 0x0800, NULL, 0);
    assert_inner_sip4(decode(&f));
}

static void geneve_option_longer_than_opt_len_is_malformed(void **state)
{
    (void)state;
    static const uint8_t opt[] = {0x01, 0x02, 0x01, 0x03, 1, 2, 3, 4}; /* says 12 data bytes */
    struct fb f = {0};
    geneve_frame(&f, 0, 2, 0x6558, opt, sizeof(opt));
    assert_int_equal(decode(&f), -TR_E_MALFORMED);
    assert_one_error(TR_DEC_GENEVE, TR_DR_MALFORMED);
}

static void geneve_opt_len_past_the_datagram_is_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ip4_out(&f, 17);
    udp(&f, 40000, 6081);
    u8(&f, 0x3f); /* 252 bytes of options */
    u8(&f, 0);
    be16(&f, 0x6558);
    be32(&f, 0);
    be32(&f, 0x01020100u);
    udp_done(&f, 34);
    ip4_done(&f, 14);
    assert_int_equal(decode(&f), -TR_E_TRUNCATED);
    assert_one_error(TR_DEC_GENEVE, TR_DR_TRUNCATED);
}

static void geneve_version_1_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {0};
    geneve_frame(&f, 1, 0, 0x6558, NULL, 0);
    assert_int_equal(decode(&f), -TR_E_UNSUPPORTED);
    assert_one_error(TR_DEC_GENEVE, TR_DR_UNSUPPORTED);
}

/* ------------------------------------------------------------ nesting */

/* VXLAN (VNI 100) carrying an Ethernet frame tagged VLAN 20 with GRE (key 5)
 * carrying IPv4/UDP/SIP: two tunnel records, outermost first. */
static void build_vxlan_vlan_gre(struct fb *f)
{
    static const uint8_t MID_SRC[4] = {172, 16, 0, 1}, MID_DST[4] = {172, 16, 0, 2};
    eth(f, 0x0800);
    ip4_out(f, 17);
    udp(f, 1234, 4789);
    vxlan(f, 0x08, 100);
    eth(f, 0x8100);
    be16(f, 20);
    be16(f, 0x0800);
    size_t mid = ip4a(f, 47, MID_SRC, MID_DST, 3, 0);
    gre(f, 0x2000, 0x0800, 5, 0);
    inner_sip4(f);
    ip4_done(f, mid);
    udp_done(f, 34);
    ip4_done(f, 14);
}

static void vxlan_carrying_vlan_tagged_gre_records_both_layers_in_order(void **state)
{
    (void)state;
    struct fb f = {0};
    build_vxlan_vlan_gre(&f);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, 2);
    assert_tunnel4(0, TR_TUN_VXLAN, true, 100);
    assert_int_equal(pkt.tunnels[1].type, TR_TUN_GRE);
    assert_int_equal(pkt.tunnels[1].id, 5);
    assert_int_equal(pkt.tunnels[1].src.a[0], 172);
    assert_int_equal(pkt.vlan, 20);
}

/* n levels of IPv4 in IPv4 around inner SIP. */
static void build_ipip_nest(struct fb *f, unsigned n)
{
    size_t at[16];
    eth(f, 0x0800);
    for (unsigned i = 0; i < n; i++)
        at[i] = ip4_out(f, 4);
    inner_sip4(f);
    for (unsigned i = n; i-- > 0;)
        ip4_done(f, at[i]);
}

static void tunnels_up_to_the_record_cap_are_decoded(void **state)
{
    (void)state;
    struct fb f = {0};
    build_ipip_nest(&f, TR_PKT_MAX_TUNNELS);
    assert_inner_sip4(decode(&f));
    assert_int_equal(pkt.n_tunnels, TR_PKT_MAX_TUNNELS);
}

static void one_tunnel_past_the_cap_is_too_deep(void **state)
{
    (void)state;
    struct fb f = {0};
    build_ipip_nest(&f, TR_PKT_MAX_TUNNELS + 1);
    assert_int_equal(decode(&f), -TR_E_TOO_DEEP);
    assert_one_error(TR_DEC_IPIP, TR_DR_TOO_DEEP);
}

static void layer_cap_stops_a_nesting_before_the_tunnel_cap(void **state)
{
    (void)state;
    ctx.max_layers = 6;
    struct fb f = {0};
    build_vxlan_vlan_gre(&f); /* 11 layers */
    assert_int_equal(decode(&f), -TR_E_TOO_DEEP);
    assert_one_error(TR_DEC_GRAPH, TR_DR_TOO_DEEP);
}

static void a_reused_packet_forgets_its_tunnels(void **state)
{
    (void)state;
    struct fb f = {0};
    build_vxlan_vlan_gre(&f);
    assert_int_equal(decode(&f), TR_OK);
    assert_int_equal(pkt.n_tunnels, 2);
    struct fb g = {0};
    eth(&g, 0x0800);
    size_t o = ip4_in(&g, 17);
    size_t u = udp(&g, 5060, 5062);
    put(&g, SIP, SIP_LEN);
    udp_done(&g, u);
    ip4_done(&g, o);
    assert_inner_sip4(decode(&g));
    assert_int_equal(pkt.n_tunnels, 0);
}

/* ------------------------------------------------------------ fragments */

static void inner_fragments_inside_vxlan_are_reassembled(void **state)
{
    (void)state;
    /* inner datagram: UDP header + SIP, split at 16 bytes */
    struct fb d = {0};
    size_t u = udp(&d, 5060, 5062);
    put(&d, SIP, SIP_LEN);
    udp_done(&d, u);
    int rc = 0;
    for (int part = 0; part < 2; part++) {
        struct fb f = {0};
        eth(&f, 0x0800);
        ip4_out(&f, 17);
        udp(&f, 999, 4789);
        vxlan(&f, 0x08, 9);
        eth(&f, 0x0800);
        size_t in = ip4a(&f, 17, IN_SRC, IN_DST, 77, part == 0 ? 0x2000 : 2);
        if (part == 0)
            put(&f, d.b, 16);
        else
            put(&f, d.b + 16, d.len - 16);
        ip4_done(&f, in);
        udp_done(&f, 34);
        ip4_done(&f, 14);
        rc = decode(&f);
        if (part == 0) {
            assert_int_equal(rc, TR_DECLINED);
            assert_true(pkt.flags & TR_PKT_FRAG_HELD);
        }
    }
    assert_inner_sip4(rc);
    assert_true(pkt.flags & TR_PKT_REASSEMBLED);
    assert_tunnel4(0, TR_TUN_VXLAN, true, 9);
}

static void outer_fragments_of_a_gre_packet_are_reassembled_first(void **state)
{
    (void)state;
    struct fb d = {0}; /* the outer datagram's payload: GRE + inner IPv4/UDP/SIP */
    gre(&d, 0x2000, 0x0800, 31, 0);
    inner_sip4(&d);
    int rc = 0;
    for (int part = 0; part < 2; part++) {
        struct fb f = {0};
        eth(&f, 0x0800);
        size_t o = ip4a(&f, 47, OUT_SRC, OUT_DST, 55, part == 0 ? 0x2000 : 4);
        if (part == 0)
            put(&f, d.b, 32);
        else
            put(&f, d.b + 32, d.len - 32);
        ip4_done(&f, o);
        rc = decode(&f);
    }
    assert_inner_sip4(rc);
    assert_tunnel4(0, TR_TUN_GRE, true, 31);
}

/* ------------------------------------------------------------ robustness */

/* Every cut of every tunnel frame decodes to a result the contract allows,
 * with exactly one error counted per failure, and never reads outside. */
static void every_truncation_of_every_tunnel_is_counted_once(void **state)
{
    (void)state;
    struct fb frames[6];
    memset(frames, 0, sizeof(frames));
    build_vxlan_vlan_gre(&frames[0]);
    geneve_frame(&frames[1], 0, sizeof(GENEVE_OPTS) / 4, 0x6558, GENEVE_OPTS,
                 sizeof(GENEVE_OPTS));
    erspan_frame(&frames[2], 0x1000, 0x22eb);
    erspan3_header(&frames[2], 3, 0, true);
    be32(&frames[2], 0);
    be32(&frames[2], 0);
    inner_eth_sip4(&frames[2]);
    ip4_done(&frames[2], 14);
    erspan_frame(&frames[3], 0x1000, 0x88be);
    be16(&frames[3], 0x1000);
    be16(&frames[3], 1);
    be32(&frames[3], 0);
    inner_eth_sip4(&frames[3]);
    ip4_done(&frames[3], 14);
    build_ipip_nest(&frames[4], 3);
    eth(&frames[5], 0x86dd);
    size_t o = ip6a(&frames[5], 41, OUT6_SRC, OUT6_DST);
    inner_sip6(&frames[5]);
    ip6_done(&frames[5], o);

    uint64_t tunnel_truncated[TR_DEC_COUNT] = {0};
    for (size_t i = 0; i < 6; i++) {
        for (size_t cut = 0; cut <= frames[i].len; cut++) {
            setup(state);
            int rc = decode_cut(&frames[i], cut);
            for (int d = 0; d < TR_DEC_COUNT; d++)
                tunnel_truncated[d] += st.err[d][TR_DR_TRUNCATED];
            if (cut == frames[i].len) {
                assert_int_equal(rc, TR_OK);
            } else if (rc < 0) {
                assert_int_equal(errors(), 1);
            } else {
                assert_int_equal(errors(), 0);
                if (rc == TR_OK)
                    assert_true(pkt.payload.ptr + pkt.payload.len <= frames[i].b + cut);
            }
        }
    }
    /* the cuts did reach every tunnel header, not just the outer IP */
    assert_true(tunnel_truncated[TR_DEC_VXLAN] > 0);
    assert_true(tunnel_truncated[TR_DEC_GRE] > 0);
    assert_true(tunnel_truncated[TR_DEC_GENEVE] > 0);
    assert_true(tunnel_truncated[TR_DEC_ERSPAN2] > 0);
    assert_true(tunnel_truncated[TR_DEC_ERSPAN3] > 0);
}

static void decap_switch_names_parse_and_unknown_names_fail(void **state)
{
    (void)state;
    uint32_t bits = 0;
    assert_int_equal(tr_decode_decap_parse("vxlan,geneve", &bits, NULL), TR_OK);
    assert_int_equal(bits, TR_DECAP_BIT(TR_TUN_VXLAN) | TR_DECAP_BIT(TR_TUN_GENEVE));
    assert_int_equal(tr_decode_decap_parse("erspan", &bits, NULL), TR_OK);
    assert_int_equal(bits, TR_DECAP_BIT(TR_TUN_ERSPAN1) | TR_DECAP_BIT(TR_TUN_ERSPAN2) |
                               TR_DECAP_BIT(TR_TUN_ERSPAN3));
    struct tr_err err;
    bits = 5;
    assert_int_equal(tr_decode_decap_parse("gre,mpls", &bits, &err), -TR_E_CONFIG);
    assert_non_null(strstr(err.msg, "mpls"));
    assert_int_equal(bits, 5);
    assert_int_equal(tr_decode_decap_parse("", &bits, &err), -TR_E_CONFIG);
    assert_string_equal(tr_tunnel_name(TR_TUN_ERSPAN3), "erspan3");
    assert_string_equal(tr_tunnel_name(TR_TUN_COUNT), "unknown");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(ipv4_in_ipv4_yields_inner_addresses_and_records_outer),
        T(ipv6_in_ipv4_protocol_41_is_decapsulated),
        T(ipv4_in_ipv6_records_ipv6_outer_addresses),
        T(ipip_with_wrong_inner_version_is_counted_by_inner_ip),
        T(ipip_switched_off_is_another_transport),
        T(gre_plain_ipv4_is_decapsulated_without_key),
        T(gre_checksum_key_and_sequence_are_skipped_and_key_recorded),
        T(gre_reserved_bits_6_to_12_are_ignored),
        T(gre_ipv6_payload_is_decoded),
        T(gre_transparent_ethernet_bridging_with_vlan_inside),
        T(gre_carrying_mpls_uses_the_mpls_decoder),
        T(gre_version_1_is_unsupported),
        T(gre_rfc1701_bits_1_4_and_5_are_malformed),
        T(gre_optional_fields_past_the_end_are_truncated),
        T(gre_switched_off_is_another_transport),
        T(erspan1_has_no_header_and_no_session),
        T(erspan2_with_sequence_records_session_id),
        T(erspan2_wrong_version_is_malformed),
        T(erspan2_short_header_is_truncated),
        T(erspan3_without_and_with_platform_subheader),
        T(erspan3_frame_type_2_carries_bare_ip),
        T(erspan3_unknown_frame_type_is_unsupported),
        T(erspan3_platform_subheader_past_the_end_is_truncated),
        T(erspan3_wrong_version_is_malformed),
        T(erspan_switched_off_leaves_gre_undecoded_but_plain_gre_still_works),
        T(vxlan_records_vni_and_reports_inner_ports_not_outer),
        T(vxlan_reserved_bits_are_ignored),
        T(vxlan_without_i_flag_is_malformed),
        T(vxlan_short_header_is_truncated),
        T(vxlan_source_port_4789_is_not_a_tunnel),
        T(vxlan_configured_ports_replace_the_default),
        T(vxlan_switched_off_is_plain_udp),
        T(no_conf_means_every_tunnel_on_with_iana_ports),
        T(geneve_options_are_skipped_by_opt_len),
        T(geneve_carries_ipv4_directly),
        T(geneve_option_longer_than_opt_len_is_malformed),
        T(geneve_opt_len_past_the_datagram_is_truncated),
        T(geneve_version_1_is_unsupported),
        T(vxlan_carrying_vlan_tagged_gre_records_both_layers_in_order),
        T(tunnels_up_to_the_record_cap_are_decoded),
        T(one_tunnel_past_the_cap_is_too_deep),
        T(layer_cap_stops_a_nesting_before_the_tunnel_cap),
        T(a_reused_packet_forgets_its_tunnels),
        T(inner_fragments_inside_vxlan_are_reassembled),
        T(outer_fragments_of_a_gre_packet_are_reassembled_first),
        T(every_truncation_of_every_tunnel_is_counted_once),
        T(decap_switch_names_parse_and_unknown_names_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
