/* vlan.c - IEEE 802.1Q VLAN tag and its stacked forms: 802.1ad QinQ
 * (S-tag 0x88a8) and the older 0x9100 tag. Each tag is one layer, so a stack
 * walks this decoder once per tag and the graph's depth cap bounds it.
 *
 *   0                   2                   4
 *   +-----+-+-----------+-------------------+----------
 *   | PCP |D|  VLAN id  |  inner ethertype  | payload ...
 *   +-----+-+-----------+-------------------+----------
 *     3    1     12
 *
 * (the tag protocol identifier, 0x8100 and friends, was the previous
 * layer's ethertype). The OUTERMOST VLAN id is kept in pkt->vlan: for QinQ
 * that is the service tag, which is what the capture point's network sees.
 */
#include "decode_priv.h"

static int vlan_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)ctx;
    uint16_t tci = tr_cur_be16(cur);
    uint16_t type = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if (!(pkt->flags & TR_PKT_HAS_VLAN)) {
        pkt->vlan = tci & 0x0fffu;
        pkt->flags |= TR_PKT_HAS_VLAN;
    }
    next->space = TR_KS_ETHERTYPE;
    next->key = type;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_vlan = {TR_DEC_VLAN, "vlan", vlan_decode};
