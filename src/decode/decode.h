/* decode.h - from a captured frame to the innermost transport payload.
 *
 * A decoder reads one header through a cursor, records what it learned in the
 * packet and names what comes next by key (an ethertype, an IP protocol
 * number, ...). It never calls the next decoder: graph.c holds the one table
 * of who follows whom, and tr_decode_packet() walks it in a loop with a depth
 * cap. Every failure is counted under "<decoder>.<reason>"; nothing is logged
 * per packet.
 */
#ifndef TRAWL_DECODE_H
#define TRAWL_DECODE_H

#include "../core/core.h"

struct tr_defrag; /* reasm/reasm.h */
struct tr_decode_ctx;

enum tr_key_space {
    TR_KS_LINKTYPE,  /* pcap LINKTYPE_* value */
    TR_KS_ETHERTYPE, /* Ethernet type (also SLL protocol, GRE protocol later) */
    TR_KS_IPPROTO,   /* IP protocol / IPv6 next header */
    TR_KS_PPP,       /* PPP protocol field */
    TR_KS_NULLFAM,   /* BSD loopback address family */
    TR_KS_GRE,       /* GRE protocol types with a meaning beyond the ethertype (ERSPAN) */
    TR_KS_UDP_PORT,  /* UDP destination port of a tunnel (VXLAN, GENEVE) */
    TR_KS_COUNT
};

struct tr_next {
    enum tr_key_space space;
    uint32_t key;
};

enum {
    TR_DECODE_DONE = 0, /* transport payload reached (or nothing more to decode) */
    TR_DECODE_NEXT = 1, /* *next is set: keep walking */
    /* negative: -TR_E_TRUNCATED, -TR_E_MALFORMED, -TR_E_UNSUPPORTED, -TR_E_TOO_DEEP */
};

/* Identifies each decoder, for counters. Add a row here and in graph.c. */
#define TR_DECODERS(X)                                                      \
    X(ETHERNET, "eth")                                                      \
    X(SLL, "sll")                                                           \
    X(SLL2, "sll2")                                                         \
    X(NULLLOOP, "null")                                                     \
    X(RAW, "raw")                                                           \
    X(VLAN, "vlan")                                                         \
    X(MPLS, "mpls")                                                         \
    X(PPPOE, "pppoe")                                                       \
    X(PPP, "ppp")                                                           \
    X(IPV4, "ipv4")                                                         \
    X(IPV6, "ipv6")                                                         \
    X(UDP, "udp")                                                           \
    X(TCP, "tcp")                                                           \
    X(SCTP, "sctp")                                                         \
    X(IPIP, "ipip")                                                         \
    X(GRE, "gre")                                                           \
    X(ERSPAN1, "erspan1")                                                   \
    X(ERSPAN2, "erspan2")                                                   \
    X(ERSPAN3, "erspan3")                                                   \
    X(VXLAN, "vxlan")                                                       \
    X(GENEVE, "geneve")                                                     \
    X(GRAPH, "graph") /* the walk itself: depth cap, unknown keys */

#define TR_DEC_ENUM(id, name) TR_DEC_##id,
enum tr_decoder_id { TR_DECODERS(TR_DEC_ENUM) TR_DEC_COUNT };
#undef TR_DEC_ENUM

/* Why a decoder gave up. The counter is err[decoder][reason]. */
#define TR_DECODE_REASONS(X)                                                \
    X(TRUNCATED, "truncated")                                               \
    X(MALFORMED, "malformed")                                               \
    X(UNSUPPORTED, "unsupported")                                           \
    X(TOO_DEEP, "too_deep")

#define TR_DR_ENUM(id, name) TR_DR_##id,
enum tr_decode_reason { TR_DECODE_REASONS(TR_DR_ENUM) TR_DR_COUNT };
#undef TR_DR_ENUM

struct tr_decode_stats {
    uint64_t frames;            /* frames offered */
    uint64_t decoded;           /* frames that reached a transport payload */
    uint64_t not_ip;            /* ARP, LLDP, ...: nothing for us, not an error */
    uint64_t other_transport;   /* IP with a protocol we do not parse (ICMP, ESP, ...) */
    uint64_t fragments;         /* IP fragments seen (reassembly counts itself) */
    uint64_t decap[TR_TUN_COUNT]; /* tunnel layers removed, by TR_TUN_* */
    uint64_t err[TR_DEC_COUNT][TR_DR_COUNT];
};

struct tr_decoder {
    enum tr_decoder_id id;
    const char *name;
    int (*decode)(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                  struct tr_decode_ctx *ctx);
};

/* Decapsulation switches, one bit per tunnel type: TR_DECAP_BIT(TR_TUN_GRE).
 * ERSPAN I/II/III share the "erspan" switch, and it decides for GRE that
 * carries ERSPAN. A switched-off tunnel is left as it is: IP-in-IP and GRE
 * end as other_transport, VXLAN and GENEVE as plain UDP payload. */
#define TR_DECAP_BIT(tun) (1u << (tun))
#define TR_DECODE_MAX_TUN_PORTS 8

struct tr_decode_conf {
    uint32_t decap_off;                               /* TR_DECAP_BITs switched off; 0: all on */
    uint16_t vxlan_ports[TR_DECODE_MAX_TUN_PORTS];    /* destination ports read as VXLAN */
    uint16_t geneve_ports[TR_DECODE_MAX_TUN_PORTS];   /* ... as GENEVE */
    uint8_t n_vxlan_ports, n_geneve_ports;            /* 0: the IANA port (4789, 6081) */
};

/* What a walk may touch besides the packet. Owned by the worker. */
struct tr_decode_ctx {
    struct tr_defrag *defrag;      /* NULL: fragments are counted and skipped */
    struct tr_decode_stats *stats; /* required */
    const struct tr_decode_conf *conf; /* borrowed; NULL: every tunnel on, IANA ports */
    unsigned max_layers;           /* 0: TR_DECODE_MAX_LAYERS */
    uint64_t now_ns;               /* packet time, drives reassembly timeouts */
};

#define TR_DECODE_MAX_LAYERS 16

/* Decodes pkt->frame according to pkt->linktype and fills the layer fields of
 * pkt. Returns:
 *   TR_OK        pkt->payload is the transport payload (UDP, TCP or SCTP data)
 *   TR_DECLINED  nothing to hand on: not IP, another IP protocol, or a
 *                fragment held for reassembly (pkt->flags & TR_PKT_FRAG_HELD)
 *   -TR_E_*      the frame is bad; already counted in ctx->stats
 * A frame completing a fragmented datagram returns TR_OK with
 * TR_PKT_REASSEMBLED set; the payload then points into reassembly storage,
 * valid until the next call with the same ctx. */
int tr_decode_packet(struct tr_decode_ctx *ctx, struct tr_packet *pkt);

/* Name of a counter slot, e.g. "udp" and "truncated". */
const char *tr_decoder_name(enum tr_decoder_id id);
const char *tr_decode_reason_name(enum tr_decode_reason r);

/* "vxlan", "erspan2", ... for a TR_TUN_* value ("unknown" otherwise). */
const char *tr_tunnel_name(unsigned type);

/* Parses a comma-separated list of switch names (ipip, gre, erspan, vxlan,
 * geneve, all) into TR_DECAP_BITs. Returns 0, or -TR_E_CONFIG with err set
 * naming the bad entry. */
int tr_decode_decap_parse(const char *list, uint32_t *bits, struct tr_err *err);

/* True if the link type is one trawl decodes. */
bool tr_decode_linktype_supported(int linktype);

#endif
