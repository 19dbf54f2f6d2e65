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

/* graph.c: the decoder for (space, key), or NULL when nothing follows. */
const struct tr_decoder *tr_decode_graph_lookup(enum tr_key_space space, uint32_t key);

/* Keys that are not numbers from the wire but name "what follows" for
 * encapsulations that carry no type field of their own. Both are real
 * ethertypes, so GRE (a later decoder) lands on the same rows. */
#define TR_ETHERTYPE_TEB 0x6558u /* Transparent Ethernet Bridging: an Ethernet frame follows */
#define TR_ETHERTYPE_PPP 0x880bu /* a PPP frame follows (PPPoE session payload, PPTP GRE) */

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
