/* ipv4.c - IPv4 header (RFC 791 section 3.1) and hand-off of fragments to
 * reassembly (RFC 791 section 3.2, reasm/).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (IHL > 5)          |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length rules, in order:
 *   fewer than 20 bytes, or fewer than IHL*4   -> truncated
 *   version != 4, IHL < 5, total < IHL*4       -> malformed
 *   total <= captured   -> the window is cut to total (drops Ethernet padding
 *                          and trailers)
 *   total >  captured   -> if snaplen explains the shortfall (wire_len), the
 *                          transport is decoded from what there is and
 *                          TR_PKT_L4_TRUNCATED set; a truncated fragment cannot
 *                          be reassembled -> truncated. If even the wire did
 *                          not carry that much, the length lies -> malformed.
 * The header checksum is not verified: captures taken on the sending host see
 * it before offload fills it in, and a capture agent reports, never drops.
 * Options are skipped via IHL, not interpreted.
 */
#include "decode_priv.h"

#define IP4_MF 0x2000u
#define IP4_OFFSET_MASK 0x1fffu

static int ipv4_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    size_t avail = tr_cur_left(cur); /* from the first header byte */
    uint8_t vihl = tr_cur_u8(cur);
    (void)tr_cur_u8(cur); /* type of service */
    uint16_t total = tr_cur_be16(cur);
    uint16_t id = tr_cur_be16(cur);
    uint16_t frag = tr_cur_be16(cur);
    (void)tr_cur_u8(cur); /* ttl */
    uint8_t proto = tr_cur_u8(cur);
    (void)tr_cur_be16(cur); /* checksum */
    struct tr_bytes src = tr_cur_take(cur, 4);
    struct tr_bytes dst = tr_cur_take(cur, 4);
    if (cur->short_read)
        return -TR_E_TRUNCATED;

    size_t hlen = (size_t)(vihl & 0x0fu) * 4;
    if ((vihl >> 4) != 4 || hlen < 20 || total < hlen)
        return -TR_E_MALFORMED;
    if (!tr_cur_skip(cur, hlen - 20)) /* options */
        return -TR_E_TRUNCATED;

    bool cut = false;
    if (avail >= total)
        tr_cur_limit(cur, total - hlen);
    else if (total - avail <= tr_decode_uncaptured(pkt))
        cut = true;
    else
        return -TR_E_MALFORMED;

    pkt->src.family = pkt->dst.family = TR_AF_INET;
    memset(pkt->src.a, 0, sizeof(pkt->src.a));
    memset(pkt->dst.a, 0, sizeof(pkt->dst.a));
    memcpy(pkt->src.a, src.ptr, 4);
    memcpy(pkt->dst.a, dst.ptr, 4);
    pkt->ip_proto = proto;
    pkt->ip_len = total;

    if (frag & (IP4_MF | IP4_OFFSET_MASK)) {
        ctx->stats->fragments++;
        if (cut)
            return -TR_E_TRUNCATED; /* a partial fragment would poison the datagram */
        struct tr_frag f = {
            .src = pkt->src,
            .dst = pkt->dst,
            .id = id,
            .proto = proto,
            .offset = (uint32_t)(frag & IP4_OFFSET_MASK) * 8,
            .more = (frag & IP4_MF) != 0,
            .data = {cur->pos, tr_cur_left(cur)},
            .hdr_len = (uint32_t)hlen,
        };
        int rc = tr_decode_fragment(pkt, cur, ctx, &f);
        if (rc != TR_DECODE_NEXT)
            return rc;
    } else if (cut) {
        pkt->flags |= TR_PKT_L4_TRUNCATED;
    }

    next->space = TR_KS_IPPROTO;
    next->key = proto;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_ipv4 = {TR_DEC_IPV4, "ipv4", ipv4_decode};
