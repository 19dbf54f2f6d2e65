/* erspan.c - Cisco ERSPAN, the GRE-carried remote mirror of a switch port
 * (draft-foschiano-erspan-03, sections 4.1 to 4.3). gre.c has already read
 * the GRE header and picked the type: I and II share GRE protocol 0x88be
 * (type I has no GRE sequence number and no ERSPAN header), III is 0x22eb.
 *
 * Type I: no header of its own; the mirrored Ethernet frame follows GRE.
 *
 * Type II (8 bytes), Ver = 1:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Reserved         |                  Index                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type III (12 bytes), Ver = 2, then 8 more when O is set:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Timestamp                            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Platf ID  |        Platform Specific Info (optional, O)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             Platform Specific Info (optional, O)              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A Ver that does not match the GRE protocol type is malformed. Type III
 * FT (frame type) 0 is an Ethernet frame, 2 a bare IP packet (told by its
 * version nibble); other frame types are unsupported. The session id is the
 * tunnel's id; the VLAN field describes the mirrored port and is not the
 * frame's own tag (a tag the switch kept is decoded from the frame).
 */
#include "decode_priv.h"

#define ERSPAN_SESSION 0x03ffu
#define ERSPAN3_O 0x1u
#define ERSPAN3_FT(w) (((w) >> 10) & 0x1fu)

static int erspan1_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                          struct tr_decode_ctx *ctx)
{
    (void)cur;
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_ERSPAN1, false, 0);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = TR_ETHERTYPE_TEB;
    return TR_DECODE_NEXT;
}

static int erspan2_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                          struct tr_decode_ctx *ctx)
{
    uint16_t ver_vlan = tr_cur_be16(cur);
    uint16_t session = tr_cur_be16(cur);
    (void)tr_cur_be32(cur); /* reserved, index */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if ((ver_vlan >> 12) != 1)
        return -TR_E_MALFORMED;
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_ERSPAN2, true, session & ERSPAN_SESSION);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = TR_ETHERTYPE_TEB;
    return TR_DECODE_NEXT;
}

static int erspan3_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                          struct tr_decode_ctx *ctx)
{
    uint16_t ver_vlan = tr_cur_be16(cur);
    uint16_t session = tr_cur_be16(cur);
    (void)tr_cur_be32(cur); /* timestamp */
    (void)tr_cur_be16(cur); /* security group tag */
    uint16_t w = tr_cur_be16(cur);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if ((ver_vlan >> 12) != 2)
        return -TR_E_MALFORMED;
    if ((w & ERSPAN3_O) && !tr_cur_skip(cur, 8)) /* platform specific subheader */
        return -TR_E_TRUNCATED;

    switch (ERSPAN3_FT(w)) {
    case 0:
        next->key = TR_ETHERTYPE_TEB;
        break;
    case 2:
        if (!tr_cur_need(cur, 1))
            return -TR_E_TRUNCATED;
        next->key = tr_decode_ip_version_key(cur);
        if (next->key == 0)
            return -TR_E_MALFORMED;
        break;
    default:
        return -TR_E_UNSUPPORTED;
    }
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_ERSPAN3, true, session & ERSPAN_SESSION);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_erspan1 = {TR_DEC_ERSPAN1, "erspan1", erspan1_decode};
const struct tr_decoder tr_decoder_erspan2 = {TR_DEC_ERSPAN2, "erspan2", erspan2_decode};
const struct tr_decoder tr_decoder_erspan3 = {TR_DEC_ERSPAN3, "erspan3", erspan3_decode};
