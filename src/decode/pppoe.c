/* pppoe.c - PPPoE session stage (RFC 2516 section 4) and the PPP protocol
 * field it carries (RFC 1661 section 2).
 *
 * PPPoE header (ethertype 0x8864):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  VER  | TYPE  |      CODE     |          SESSION_ID           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            LENGTH             |           payload             ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * VER = TYPE = 1 and CODE = 0 in the session stage; LENGTH counts the
 * payload (a PPP frame starting with its protocol field).
 *
 * PPP frame as it follows here (or inside GRE for PPTP, later):
 *  +----------+----------+----------------+-------------
 *  | 0xff     | 0x03     | protocol (1|2) | information ...
 *  +----------+----------+----------------+-------------
 *  (address and control only with HDLC-like framing, RFC 1662 section 3.1;
 *  PPPoE omits them). The protocol is 1 byte when compressed (RFC 1661
 *  section 6.5): the least significant bit of its last byte is always 1, so
 *  an odd first byte is a whole protocol number.
 */
#include "decode_priv.h"

static int pppoe_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                        struct tr_decode_ctx *ctx)
{
    (void)ctx;
    uint8_t vt = tr_cur_u8(cur);
    uint8_t code = tr_cur_u8(cur);
    (void)tr_cur_be16(cur); /* session id */
    uint16_t len = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if (vt != 0x11 || code != 0)
        return -TR_E_MALFORMED;
    /* Trim Ethernet padding; a length beyond the capture is fine only when
     * snaplen explains it (the IP layer then marks the cut). */
    if (!tr_cur_limit(cur, len) && len - tr_cur_left(cur) > tr_decode_uncaptured(pkt))
        return -TR_E_MALFORMED;
    next->space = TR_KS_ETHERTYPE;
    next->key = TR_ETHERTYPE_PPP;
    return TR_DECODE_NEXT;
}

static int ppp_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)pkt;
    (void)ctx;
    if (tr_cur_left(cur) >= 2 && cur->pos[0] == 0xff && cur->pos[1] == 0x03)
        (void)tr_cur_skip(cur, 2); /* HDLC-like address and control */
    uint16_t proto = tr_cur_u8(cur);
    if (!(proto & 1u))
        proto = (uint16_t)(proto << 8 | tr_cur_u8(cur));
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    next->space = TR_KS_PPP;
    next->key = proto;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_pppoe = {TR_DEC_PPPOE, "pppoe", pppoe_decode};
const struct tr_decoder tr_decoder_ppp = {TR_DEC_PPP, "ppp", ppp_decode};
