/* geneve.c - Generic Network Virtualization Encapsulation (RFC 8926
 * section 3.4 header, 3.5 options).
 *
 * UDP (destination port 6081 by default, others configurable) carries:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Variable-Length Options                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Opt Len counts the options in 4-byte words. Each option is
 *  |          Option Class         |      Type     |R|R|R| Length  |
 *  |                 Variable-Length Option Data (Length words)    |
 * The options are walked, not interpreted: each must fit inside Opt Len
 * exactly, so a length that overshoots is malformed. Version other than 0
 * "MUST be dropped" (section 3.4): unsupported. Protocol Type is an
 * ethertype: 0x6558 (Ethernet), IPv4 and IPv6 are decoded. The O (control)
 * bit is not a reason to stop: a mirror may well carry control packets,
 * and whatever follows is decoded by the same rules.
 */
#include "decode_priv.h"

static int geneve_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                         struct tr_decode_ctx *ctx)
{
    uint8_t ver_len = tr_cur_u8(cur);
    (void)tr_cur_u8(cur); /* O, C, reserved */
    uint16_t proto = tr_cur_be16(cur);
    uint32_t vni = tr_cur_be24(cur);
    (void)tr_cur_u8(cur); /* reserved */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if ((ver_len >> 6) != 0)
        return -TR_E_UNSUPPORTED;

    size_t opt_len = (size_t)(ver_len & 0x3fu) * 4;
    struct tr_bytes opts = tr_cur_take(cur, opt_len);
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    struct tr_cursor oc = tr_cur_init(opts.ptr, opts.len);
    while (tr_cur_left(&oc) > 0) {
        (void)tr_cur_be16(&oc); /* class */
        (void)tr_cur_u8(&oc);   /* type */
        uint8_t len = tr_cur_u8(&oc);
        if (oc.short_read || !tr_cur_skip(&oc, (size_t)(len & 0x1fu) * 4))
            return -TR_E_MALFORMED; /* an option runs past Opt Len */
    }

    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_GENEVE, true, vni);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = proto;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_geneve = {TR_DEC_GENEVE, "geneve", geneve_decode};
