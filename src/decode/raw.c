/* raw.c - raw IP link types (pcap LINKTYPE_RAW 101, and DLT_RAW values 12 and
 * 14 found in files from BSDs; https://www.tcpdump.org/linktypes/
 * LINKTYPE_RAW.html). There is no link header: the frame starts with an IPv4
 * or IPv6 header, and the version nibble (RFC 791 section 3.1, RFC 8200
 * section 3) says which. Nothing is consumed here.
 *
 *   0   4
 *   +---+----
 *   |ver| rest of the IP header ...
 *   +---+----
 */
#include "decode_priv.h"

static int raw_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    if (!tr_cur_need(cur, 1))
        return -TR_E_TRUNCATED;
    next->key = tr_decode_ip_version_key(cur);
    if (next->key == 0)
        return -TR_E_MALFORMED; /* the link type promises IP */
    next->space = TR_KS_ETHERTYPE;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_raw = {TR_DEC_RAW, "raw", raw_decode};
