/* vxlan.c - Virtual eXtensible Local Area Network (RFC 7348 section 5).
 *
 * UDP (destination port 4789 by default, others configurable) carries:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  inner Ethernet frame ...
 *
 * The I flag "MUST be set to 1 for a valid VXLAN Network ID": a header
 * without it is malformed (most often it is not VXLAN at all, just some
 * other traffic to port 4789). The R bits and reserved fields are ignored
 * on receipt, as the RFC says. udp.c routes here and has cut the cursor to
 * the UDP length; the outer UDP ports are not the packet's ports, the inner
 * transport's overwrite them.
 */
#include "decode_priv.h"

#define VXLAN_I 0x08u

static int vxlan_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                        struct tr_decode_ctx *ctx)
{
    uint8_t flags = tr_cur_u8(cur);
    (void)tr_cur_be24(cur); /* reserved */
    uint32_t vni = tr_cur_be24(cur);
    (void)tr_cur_u8(cur); /* reserved */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if (!(flags & VXLAN_I))
        return -TR_E_MALFORMED;
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_VXLAN, true, vni);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = TR_ETHERTYPE_TEB;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_vxlan = {TR_DEC_VXLAN, "vxlan", vxlan_decode};
