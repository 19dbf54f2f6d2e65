/* decode_priv.h - private to src/decode/: the decoder objects graph.c points
 * at, the graph lookup decode.c walks with, and small helpers every decoder
 * shares. Nothing outside src/decode/ includes this; the stage's contract is
 * decode.h.
 */
#ifndef TRAWL_DECODE_PRIV_H
#define TRAWL_DECODE_PRIV_H

#include "../reasm/reasm.h"
#include "decode.h"

/* One object per decoder, defined in the decoder's own file. */
extern const struct tr_decoder tr_decoder_ethernet; /* ethernet.c */
extern const struct tr_decoder tr_decoder_sll;      /* sll.c */
extern const struct tr_decoder tr_decoder_sll2;     /* sll.c */
extern const struct tr_decoder tr_decoder_null;     /* null.c */
extern const struct tr_decoder tr_decoder_raw;      /* raw.c */
extern const struct tr_decoder tr_decoder_vlan;     /* vlan.c */
extern const struct tr_decoder tr_decoder_mpls;     /* mpls.c */
extern const struct tr_decoder tr_decoder_pppoe;    /* pppoe.c */
extern const struct tr_decoder tr_decoder_ppp;      /* pppoe.c */
extern const struct tr_decoder tr_decoder_ipv4;     /* ipv4.c */
extern const struct tr_decoder tr_decoder_ipv6;     /* ipv6.c */
extern const struct tr_decoder tr_decoder_udp;      /* udp.c */
extern const struct tr_decoder tr_decoder_tcp;      /* tcp.c */
extern const struct tr_decoder tr_decoder_sctp;     /* sctp.c */
extern const struct tr_decoder tr_decoder_ipip;     /* ipip.c */
extern const struct tr_decoder tr_decoder_gre;      /* gre.c */
extern const struct tr_decoder tr_decoder_erspan1;  /* erspan.c */
extern const struct tr_decoder tr_decoder_erspan2;  /* erspan.c */
extern const struct tr_decoder tr_decoder_erspan3;  /* erspan.c */
extern const struct tr_decoder tr_decoder_vxlan;    /* vxlan.c */
extern const struct tr_decoder tr_decoder_geneve;   /* geneve.c */

/* graph.c: the decoder for (space, key), or NULL when nothing follows. */
const struct tr_decoder *tr_decode_graph_lookup(enum tr_key_space space, uint32_t key);

/* Keys that are not numbers from the wire but name "what follows" for
 * encapsulations that carry no type field of their own. Both are real
 * ethertypes, so GRE (a later decoder) lands on the same rows. */
#define TR_ETHERTYPE_TEB 0x6558u /* Transparent Ethernet Bridging: an Ethernet frame follows */
#define TR_ETHERTYPE_PPP 0x880bu /* a PPP frame follows (PPPoE session payload, PPTP GRE) */

/* Keys of TR_KS_GRE. ERSPAN types I and II share GRE protocol 0x88be and
 * differ only by GRE's S flag, so gre.c names type I by a key no 16-bit
 * protocol field can hold. */
#define TR_GRE_ERSPAN2 0x88beu          /* ERSPAN type II (S set) */
#define TR_GRE_ERSPAN3 0x22ebu          /* ERSPAN type III */
#define TR_GRE_ERSPAN1 0x188beu         /* 0x88be without a sequence number: type I */

/* Keys of TR_KS_UDP_PORT: udp.c maps every configured tunnel port to the
 * IANA port of its tunnel, so the graph keeps one row per tunnel. */
#define TR_UDP_VXLAN 4789u  /* RFC 7348 section 5 */
#define TR_UDP_GENEVE 6081u /* RFC 8926 section 3.3 */

static inline bool tr_decode_decap_on(const struct tr_decode_ctx *ctx, unsigned tun)
{
    return !ctx->conf || !(ctx->conf->decap_off & TR_DECAP_BIT(tun));
}

/* Records a tunnel layer being removed: its type, the outer addresses the
 * IP decoder left in pkt (the inner IP header overwrites them later) and
 * its id. A nesting deeper than TR_PKT_MAX_TUNNELS is -TR_E_TOO_DEEP. */
static inline int tr_decode_tunnel_push(struct tr_packet *pkt, struct tr_decode_ctx *ctx,
                                        enum tr_tunnel_type type, bool has_id, uint32_t id)
{
    if (pkt->n_tunnels >= TR_PKT_MAX_TUNNELS)
        return -TR_E_TOO_DEEP;
    struct tr_tunnel *t = &pkt->tunnels[pkt->n_tunnels++];
    t->type = (uint8_t)type;
    t->has_id = has_id;
    t->id = id;
    t->src = pkt->src;
    t->dst = pkt->dst;
    ctx->stats->decap[type]++;
    return 0;
}

/* Bytes of the frame that were on the wire but not captured (snaplen). A
 * length field that overshoots what is captured by no more than this is a
 * capture cut, not a lie. Inside a reassembled datagram nothing is missing. */
/* The ethertype for the IP header at the cursor, told by its version
 * nibble (raw IP link types and MPLS carry no type field); 0 if neither
 * IPv4 nor IPv6. The caller has checked that one byte is there. */
static inline uint32_t tr_decode_ip_version_key(const struct tr_cursor *cur)
{
    switch (cur->pos[0] >> 4) {
    case 4:
        return 0x0800;
    case 6:
        return 0x86dd;
    default:
        return 0;
    }
}

static inline size_t tr_decode_uncaptured(const struct tr_packet *pkt)
{
    if ((pkt->flags & TR_PKT_REASSEMBLED) || pkt->wire_len <= pkt->caplen)
        return 0;
    return (size_t)(pkt->wire_len - pkt->caplen);
}

/* decode.c: hands an IP fragment to reassembly. Returns TR_DECODE_DONE when
 * the walk stops here (held, dropped by reassembly, or no reassembly table:
 * each already counted), TR_DECODE_NEXT when f completed its datagram: *cur
 * then reads the reassembled upper-layer bytes and TR_PKT_REASSEMBLED is set.
 * Negative on a fragment that cannot be reassembled at all. */
int tr_decode_fragment(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_decode_ctx *ctx,
                       const struct tr_frag *f);

#endif
