/* null.c - BSD loopback encapsulation (pcap LINKTYPE_NULL 0 and
 * LINKTYPE_LOOP 108; https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html).
 *
 *   0                 4
 *   +-----------------+-----------
 *   | address family  | IP packet ...
 *   +-----------------+-----------
 *
 * LINKTYPE_NULL stores the AF_ value in the byte order of the machine that
 * captured (so a file from a big-endian host reads differently), LINKTYPE_LOOP
 * in network order. Every AF_ value is below 256, so the order that yields a
 * small number is the right one: read little-endian and fall back to
 * big-endian when the low half is empty. AF_INET is 2 everywhere; AF_INET6 is
 * 24, 28 or 30 depending on the BSD, and graph.c lists all three.
 */
#include "decode_priv.h"

static int null_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    uint32_t af = tr_cur_le32(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if (af > 0xffffu) /* written big-endian: swap */
        af = ((af & 0xffu) << 24) | ((af & 0xff00u) << 8) | ((af >> 8) & 0xff00u) | (af >> 24);
    next->space = TR_KS_NULLFAM;
    next->key = af;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_null = {TR_DEC_NULLLOOP, "null", null_decode};
