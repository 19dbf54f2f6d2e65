/* ethernet.c - Ethernet II / IEEE 802.3 MAC header (IEEE 802.3 clause 3.1.1).
 *
 *   0                   6                  12       14
 *   +------------------+------------------+--------+------------
 *   | destination MAC  |   source MAC     |  type  | payload ...
 *   +------------------+------------------+--------+------------
 *
 * type >= 0x0600 is an ethertype and names the next layer. Values up to 1500
 * are an 802.3 length followed by LLC (STP, CDP, IPX ...): they match no row
 * in the graph, so such frames end as not_ip. The frame check sequence is
 * normally not captured; when it is, the IP total length trims it off.
 */
#include "decode_priv.h"

#define ETH_HDR_LEN 14

static int eth_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    if (!tr_cur_skip(cur, 12))
        return -TR_E_TRUNCATED;
    uint16_t type = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    next->space = TR_KS_ETHERTYPE;
    next->key = type;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_ethernet = {TR_DEC_ETHERNET, "eth", eth_decode};
