/* sll.c - Linux "cooked" capture headers, v1 and v2 (pcap LINKTYPE_LINUX_SLL
 * 113 and LINKTYPE_LINUX_SLL2 276; https://www.tcpdump.org/linktypes/
 * LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html). Captures on "any"
 * or on interfaces without a link header look like this.
 *
 * SLL (16 bytes, all big-endian):
 *   0        2        4        6                          14       16
 *   +--------+--------+--------+--------------------------+--------+
 *   | pkttype| ARPHRD | addrlen|  link-layer address (8)  |protocol|
 *   +--------+--------+--------+--------------------------+--------+
 *
 * SLL2 (20 bytes):
 *   0        2        4                 8        10   11   12                  20
 *   +--------+--------+-----------------+--------+----+----+-------------------+
 *   |protocol|reserved| interface index | ARPHRD |type|alen| link-layer addr(8)|
 *   +--------+--------+-----------------+--------+----+----+-------------------+
 *
 * The protocol field is an ethertype for IP, VLAN, MPLS, PPPoE. Linux also
 * puts non-ethertype values there (1 = Novell 802.3, 4 = 802.2 LLC, netlink
 * and CAN families): all are below 0x0600, match no graph row, and so end as
 * not_ip, which is what they are.
 */
#include "decode_priv.h"

static int sll_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    if (!tr_cur_skip(cur, 14))
        return -TR_E_TRUNCATED;
    uint16_t proto = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    next->space = TR_KS_ETHERTYPE;
    next->key = proto;
    return TR_DECODE_NEXT;
}

static int sll2_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    uint16_t proto = tr_cur_be16(cur);
    if (!tr_cur_skip(cur, 18))
        return -TR_E_TRUNCATED;
    next->space = TR_KS_ETHERTYPE;
    next->key = proto;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_sll = {TR_DEC_SLL, "sll", sll_decode};
const struct tr_decoder tr_decoder_sll2 = {TR_DEC_SLL2, "sll2", sll2_decode};
