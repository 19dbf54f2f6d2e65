/* mpls.c - MPLS label stack (RFC 3032 section 2.1) and what sits under it.
 *
 * Label stack entry, repeated until S (bottom of stack) is set:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Label                 | TC  |S|      TTL      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * MPLS carries no payload type: the label's meaning is signalled out of
 * band. Like every passive decoder we guess from the first nibble after the
 * stack (RFC 4385 section 2 and RFC 4928 make this reliable for IP):
 *   4        IPv4
 *   6        IPv6
 *   0        pseudowire control word (RFC 4385 section 3): skip its 4 bytes
 *            and decode an Ethernet pseudowire (RFC 4448), the common case
 *   other    unsupported (e.g. 1 = associated channel, RFC 5586)
 * An Ethernet pseudowire without a control word whose destination MAC starts
 * with 4 or 6 is misread as IP; the IP decoder then usually rejects it.
 * The whole stack is one layer; its length is bounded by the frame.
 */
#include "decode_priv.h"

#define MPLS_BOS 0x100u /* S bit in the label stack entry */

static int mpls_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    uint32_t lse;
    do {
        lse = tr_cur_be32(cur);
        if (cur->short_read)
            return -TR_E_TRUNCATED;
    } while (!(lse & MPLS_BOS));

    if (!tr_cur_need(cur, 1))
        return -TR_E_TRUNCATED;
    next->key = tr_decode_ip_version_key(cur);
    if (next->key == 0) {
        if (cur->pos[0] >> 4 != 0)
            return -TR_E_UNSUPPORTED;
        /* first nibble 0: a pseudowire control word, then an Ethernet frame */
        if (!tr_cur_skip(cur, 4))
            return -TR_E_TRUNCATED;
        next->key = TR_ETHERTYPE_TEB;
    }
    next->space = TR_KS_ETHERTYPE;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_mpls = {TR_DEC_MPLS, "mpls", mpls_decode};
