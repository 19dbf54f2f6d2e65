/* ipv6.c - IPv6 header and extension header chain (RFC 8200 sections 3, 4),
 * AH (RFC 4302 section 2), fragments handed to reassembly (RFC 8200 4.5).
 *
 * Fixed header:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Source Address (16) / Destination Address (16)|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers walked here (anything else is the upper layer):
 *   0  hop-by-hop, 43 routing, 60 destination options:
 *      | next hdr | hdr ext len | ...  length (hdr ext len + 1) * 8
 *   51 AH: | next hdr | payload len | ...  length (payload len + 2) * 4
 *   44 fragment (8 bytes):
 *      | next hdr | reserved | fragment offset (13) |res|M| identification (32) |
 * ESP (50) and no-next-header (59) end the walk as "another transport".
 * Hop-by-hop is only valid first (RFC 8200 section 4.1). A fragment header
 * with offset 0 and M clear is an atomic fragment (RFC 6946): decoded as is.
 * After reassembly the walk continues on the reassembled fragmentable part,
 * which may start with more extension headers (e.g. destination options);
 * a second fragment header there is malformed.
 *
 * Payload length follows the same rules as the IPv4 total length (ipv4.c):
 * trim to it, accept a snaplen shortfall (TR_PKT_L4_TRUNCATED, but never for
 * a fragment), reject one the wire cannot explain. Payload length 0 with a
 * hop-by-hop header is a jumbogram (RFC 2675): unsupported.
 */
#include "decode_priv.h"

enum {
    NH_HOPOPTS = 0,
    NH_ROUTING = 43,
    NH_FRAGMENT = 44,
    NH_AH = 51,
    NH_DSTOPTS = 60,
};

static int ipv6_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    size_t avail = tr_cur_left(cur);
    const uint8_t *ip_start = cur->pos;
    uint32_t vtf = tr_cur_be32(cur);
    uint16_t plen = tr_cur_be16(cur);
    uint8_t nh = tr_cur_u8(cur);
    (void)tr_cur_u8(cur); /* hop limit */
    struct tr_bytes src = tr_cur_take(cur, 16);
    struct tr_bytes dst = tr_cur_take(cur, 16);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if ((vtf >> 28) != 6)
        return -TR_E_MALFORMED;
    if (plen == 0 && nh == NH_HOPOPTS)
        return -TR_E_UNSUPPORTED; /* jumbogram */

    bool cut = false;
    if (avail - 40 >= plen)
        tr_cur_limit(cur, plen);
    else if (plen - (avail - 40) <= tr_decode_uncaptured(pkt))
        cut = true;
    else
        return -TR_E_MALFORMED;

    pkt->src.family = pkt->dst.family = TR_AF_INET6;
    memcpy(pkt->src.a, src.ptr, 16);
    memcpy(pkt->dst.a, dst.ptr, 16);
    pkt->ip_len = 40u + plen;

    bool first = true, reassembled = false;
    for (;; first = false) {
        size_t len;
        uint8_t hnh;
        switch (nh) {
        case NH_HOPOPTS:
            if (!first)
                return -TR_E_MALFORMED;
            /* fallthrough */
        case NH_ROUTING:
        case NH_DSTOPTS:
            if (!tr_cur_need(cur, 2))
                return -TR_E_TRUNCATED;
            hnh = cur->pos[0];
            len = ((size_t)cur->pos[1] + 1) * 8;
            break;
        case NH_AH:
            if (!tr_cur_need(cur, 2))
                return -TR_E_TRUNCATED;
            hnh = cur->pos[0];
            len = ((size_t)cur->pos[1] + 2) * 4;
            break;
        case NH_FRAGMENT: {
            if (reassembled)
                return -TR_E_MALFORMED; /* fragment inside a reassembled fragment */
            hnh = tr_cur_u8(cur);
            (void)tr_cur_u8(cur);
            uint16_t offm = tr_cur_be16(cur);
            uint32_t ident = tr_cur_be32(cur);
            if (cur->short_read)
                return -TR_E_TRUNCATED;
            nh = hnh;
            if ((offm & 0xfff9u) == 0)
                continue; /* atomic fragment: offset 0, M clear */
            ctx->stats->fragments++;
            if (cut)
                return -TR_E_TRUNCATED;
            pkt->ip_proto = nh;
            struct tr_frag f = {
                .src = pkt->src,
                .dst = pkt->dst,
                .id = ident,
                .proto = nh,
                .offset = (uint32_t)(offm & 0xfff8u),
                .more = (offm & 1u) != 0,
                .data = {cur->pos, tr_cur_left(cur)},
                /* everything before the fragment header (8 bytes, just read) */
                .hdr_len = (uint32_t)(cur->pos - ip_start) - 8,
            };
            int rc = tr_decode_fragment(pkt, cur, ctx, &f);
            if (rc != TR_DECODE_NEXT)
                return rc;
            reassembled = true;
            continue;
        }
        default:
            goto upper;
        }
        if (!tr_cur_skip(cur, len))
            return -TR_E_TRUNCATED;
        nh = hnh;
    }

upper:
    if (cut)
        pkt->flags |= TR_PKT_L4_TRUNCATED;
    pkt->ip_proto = nh;
    next->space = TR_KS_IPPROTO;
    next->key = nh;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_ipv6 = {TR_DEC_IPV6, "ipv6", ipv6_decode};
