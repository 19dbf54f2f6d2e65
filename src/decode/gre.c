/* gre.c - Generic Routing Encapsulation, version 0 (RFC 2784 section 2,
 * with the key and sequence number extensions of RFC 2890 section 2).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|R|K|S|s|Recur|  Reserved0  | Ver |         Protocol Type         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Checksum (optional, C)       |       Reserved1 (optional)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Key (optional, K)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Sequence Number (optional, S)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 2784 section 2.3: a receiver that does not implement RFC 1701 must
 * discard a packet with any of bits 1-5 set; RFC 2890 gave bits 2 and 3 to K
 * and S, which leaves R (routing present, bit 1), s (strict source route,
 * bit 4) and the top bit of Recur (bit 5): any of them set is malformed.
 * Bits 6-12 "MUST be ignored on receipt" (same section), and are. Version 1 is PPTP's enhanced GRE
 * (RFC 2637 section 4.1), not a mirror tunnel: unsupported. The checksum is
 * not verified (a capture agent reports, it does not drop).
 *
 * What follows is named by Protocol Type, an ethertype: IPv4, IPv6,
 * transparent Ethernet bridging (0x6558), MPLS and VLAN go to the ethertype
 * rows of the graph. ERSPAN is the exception: 0x88be means type II with a
 * sequence number and type I without (the ERSPAN draft, section 4.1-4.2),
 * 0x22eb type III; those go to the TR_KS_GRE rows. GRE that carries ERSPAN
 * is recorded as that ERSPAN tunnel alone (its session id is the useful
 * id); any other GRE is recorded as "gre" with its key when K is set.
 */
#include "decode_priv.h"

#define GRE_C 0x8000u
#define GRE_R 0x4000u
#define GRE_K 0x2000u
#define GRE_S 0x1000u
#define GRE_SSR 0x0800u
#define GRE_BIT5 0x0400u /* top bit of RFC 1701's recursion control */
#define GRE_VER 0x0007u

static int gre_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    uint16_t flags = tr_cur_be16(cur);
    uint16_t proto = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if ((flags & GRE_VER) != 0)
        return -TR_E_UNSUPPORTED;
    if (flags & (GRE_R | GRE_SSR | GRE_BIT5))
        return -TR_E_MALFORMED;

    bool erspan = proto == TR_GRE_ERSPAN2 || proto == TR_GRE_ERSPAN3;
    if (!tr_decode_decap_on(ctx, erspan ? TR_TUN_ERSPAN1 : TR_TUN_GRE)) {
        ctx->stats->other_transport++; /* left encapsulated, like any protocol we skip */
        return TR_DECODE_DONE;
    }

    if (flags & GRE_C)
        (void)tr_cur_be32(cur); /* checksum + reserved1 */
    uint32_t key = (flags & GRE_K) ? tr_cur_be32(cur) : 0;
    if (flags & GRE_S)
        (void)tr_cur_be32(cur); /* sequence number */
    if (cur->short_read)
        return -TR_E_TRUNCATED;

    if (erspan) {
        next->space = TR_KS_GRE;
        next->key = proto == TR_GRE_ERSPAN3 ? TR_GRE_ERSPAN3
                    : (flags & GRE_S)       ? TR_GRE_ERSPAN2
                                            : TR_GRE_ERSPAN1;
        return TR_DECODE_NEXT;
    }
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_GRE, (flags & GRE_K) != 0, key);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = proto;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_gre = {TR_DEC_GRE, "gre", gre_decode};
