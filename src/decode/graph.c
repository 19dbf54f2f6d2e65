/* graph.c - the decode graph: the one table of who follows whom.
 *
 * A row says "in key space S, key K is decoded by D". Decoders only name the
 * next key (an ethertype, an IP protocol, ...); tr_decode_packet() looks the
 * key up here. A key with no row ends the walk: not IP (unknown link type,
 * ethertype, PPP protocol or loopback family) or another transport (unknown
 * IP protocol). Adding a protocol is one decoder file and one row.
 *
 * Key values: pcap LINKTYPE_* (https://www.tcpdump.org/linktypes.html),
 * IEEE ethertypes, IANA IP protocol numbers, PPP DLL protocol numbers
 * (RFC 1661 section 2, IANA "PPP DLL Protocol Numbers"), BSD AF_* values.
 *
 * Lookup cost: one small static const array of rows per key space, picked
 * by index; a lookup scans only that space's rows (2 to 10), and the common
 * case is first in each (Ethernet, IPv4, UDP), so Ethernet/IPv4/UDP costs
 * three compares in all. If a space ever grows large, it can become a
 * sorted array or a switch without touching any decoder.
 */
#include "decode_priv.h"

struct tr_decode_edge {
    uint32_t key;
    const struct tr_decoder *to;
};

/* ---- link types (pcap LINKTYPE_* / DLT_*) */
static const struct tr_decode_edge linktypes[] = {
    {1, &tr_decoder_ethernet}, /* LINKTYPE_ETHERNET */
    {113, &tr_decoder_sll},    /* LINKTYPE_LINUX_SLL */
    {276, &tr_decoder_sll2},   /* LINKTYPE_LINUX_SLL2 */
    {0, &tr_decoder_null},     /* LINKTYPE_NULL: host-order AF */
    {108, &tr_decoder_null},   /* LINKTYPE_LOOP: network-order AF */
    {101, &tr_decoder_raw},    /* LINKTYPE_RAW */
    {12, &tr_decoder_raw},     /* DLT_RAW on most BSDs */
    {14, &tr_decoder_raw},     /* DLT_RAW on OpenBSD */
    {228, &tr_decoder_ipv4},   /* LINKTYPE_IPV4 */
    {229, &tr_decoder_ipv6},   /* LINKTYPE_IPV6 */
};

/* ---- ethertypes (also the SLL/SLL2 protocol field) */
static const struct tr_decode_edge ethertypes[] = {
    {0x0800, &tr_decoder_ipv4},               /* IPv4 */
    {0x86dd, &tr_decoder_ipv6},               /* IPv6 */
    {0x8100, &tr_decoder_vlan},               /* 802.1Q C-tag */
    {0x88a8, &tr_decoder_vlan},               /* 802.1ad S-tag */
    {0x9100, &tr_decoder_vlan},               /* pre-802.1ad QinQ */
    {0x8847, &tr_decoder_mpls},               /* MPLS unicast */
    {0x8848, &tr_decoder_mpls},               /* MPLS multicast */
    {0x8864, &tr_decoder_pppoe},              /* PPPoE session stage */
    {TR_ETHERTYPE_PPP, &tr_decoder_ppp},      /* PPP frame: PPPoE payload, PPTP GRE */
    {TR_ETHERTYPE_TEB, &tr_decoder_ethernet}, /* MPLS pseudowire, GRE TEB, VXLAN, ERSPAN */
};

/* ---- IP protocol / IPv6 next header */
static const struct tr_decode_edge ipprotos[] = {
    {17, &tr_decoder_udp},   /* UDP */
    {6, &tr_decoder_tcp},    /* TCP */
    {132, &tr_decoder_sctp}, /* SCTP */
    {47, &tr_decoder_gre},   /* GRE (RFC 2784) */
    {4, &tr_decoder_ipip},   /* IPv4 in IP (RFC 2003) */
    {41, &tr_decoder_ipip},  /* IPv6 in IP (RFC 4213, RFC 2473) */
};

/* ---- GRE protocol types that mean more than their ethertype (gre.c);
 * every other GRE protocol type is looked up among the ethertypes. */
static const struct tr_decode_edge gre_protos[] = {
    {TR_GRE_ERSPAN2, &tr_decoder_erspan2}, /* 0x88be with a GRE sequence number */
    {TR_GRE_ERSPAN3, &tr_decoder_erspan3}, /* 0x22eb */
    {TR_GRE_ERSPAN1, &tr_decoder_erspan1}, /* 0x88be without: type I */
};

/* ---- UDP tunnels, by IANA destination port (udp.c maps configured ports) */
static const struct tr_decode_edge udp_ports[] = {
    {TR_UDP_VXLAN, &tr_decoder_vxlan},   /* 4789, RFC 7348 */
    {TR_UDP_GENEVE, &tr_decoder_geneve}, /* 6081, RFC 8926 */
};

/* ---- PPP protocol */
static const struct tr_decode_edge ppp_protos[] = {
    {0x0021, &tr_decoder_ipv4}, /* IPv4 */
    {0x0057, &tr_decoder_ipv6}, /* IPv6 */
};

/* ---- BSD loopback address family (null.c normalises the byte order) */
static const struct tr_decode_edge null_families[] = {
    {2, &tr_decoder_ipv4},  /* AF_INET everywhere */
    {24, &tr_decoder_ipv6}, /* AF_INET6: NetBSD, OpenBSD */
    {28, &tr_decoder_ipv6}, /* AF_INET6: FreeBSD, DragonFly */
    {30, &tr_decoder_ipv6}, /* AF_INET6: macOS */
};

#define TR_SPACE(name, rows) [name] = {rows, TR_ARRAY_LEN(rows)}
static const struct {
    const struct tr_decode_edge *rows;
    size_t n_rows;
} graph[TR_KS_COUNT] = {
    TR_SPACE(TR_KS_LINKTYPE, linktypes),    /* start of every walk */
    TR_SPACE(TR_KS_ETHERTYPE, ethertypes),  /* Ethernet, VLAN, SLL, MPLS, PPPoE */
    TR_SPACE(TR_KS_IPPROTO, ipprotos),      /* IPv4 protocol, IPv6 next header */
    TR_SPACE(TR_KS_PPP, ppp_protos),        /* PPP */
    TR_SPACE(TR_KS_NULLFAM, null_families), /* BSD loopback */
    TR_SPACE(TR_KS_GRE, gre_protos),        /* ERSPAN inside GRE */
    TR_SPACE(TR_KS_UDP_PORT, udp_ports),    /* VXLAN, GENEVE */
};

const struct tr_decoder *tr_decode_graph_lookup(enum tr_key_space space, uint32_t key)
{
    if ((unsigned)space >= TR_KS_COUNT)
        return NULL;
    const struct tr_decode_edge *rows = graph[space].rows;
    for (size_t i = 0; i < graph[space].n_rows; i++) {
        if (rows[i].key == key)
            return rows[i].to;
    }
    return NULL;
}
