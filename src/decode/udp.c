/* udp.c - UDP header (RFC 768).
 *
 *   0      7 8     15 16    23 24    31
 *  +--------+--------+--------+--------+
 *  |   Source Port   |   Dest. Port    |
 *  +--------+--------+--------+--------+
 *  |     Length      |    Checksum     |
 *  +--------+--------+--------+--------+
 *  |     data ...
 *
 * Length counts header and data. Below 8 it is malformed. Below what the IP
 * layer holds, the rest is padding and the payload is cut to it. Above it:
 * when the IP layer already found a snaplen cut (TR_PKT_L4_TRUNCATED) and the
 * wire carried the missing bytes, the payload is what was captured;
 * otherwise the length lies about its own datagram -> malformed. The
 * checksum is not verified (see ipv4.c on offload).
 */
#include "decode_priv.h"

static int udp_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)next;
    (void)ctx;
    uint16_t sport = tr_cur_be16(cur);
    uint16_t dport = tr_cur_be16(cur);
    uint16_t len = tr_cur_be16(cur);
    (void)tr_cur_be16(cur); /* checksum */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    if (len < 8)
        return -TR_E_MALFORMED;

    size_t want = (size_t)len - 8, have = tr_cur_left(cur);
    if (want > have) {
        if (!(pkt->flags & TR_PKT_L4_TRUNCATED) || want - have > tr_decode_uncaptured(pkt))
            return -TR_E_MALFORMED;
        want = have;
    }
    pkt->sport = sport;
    pkt->dport = dport;
    pkt->payload = tr_cur_take(cur, want);
    return TR_DECODE_DONE;
}

const struct tr_decoder tr_decoder_udp = {TR_DEC_UDP, "udp", udp_decode};
