/* tcp.c - TCP header (RFC 9293 section 3.1).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (data offset > 5)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Data offset < 5 is malformed; a header (with options) longer than what is
 * there is truncated. The payload is the rest of the IP payload, which the IP
 * layer already cut to its length (and flagged if snaplen cut it). An empty
 * payload (SYN, ACK, FIN) still reaches the transport: stream tracking wants
 * the flags. Options are not interpreted.
 */
#include "decode_priv.h"

static int tcp_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
    (void)next;
    (void)ctx;
    uint16_t sport = tr_cur_be16(cur);
    uint16_t dport = tr_cur_be16(cur);
    uint32_t seq = tr_cur_be32(cur);
    (void)tr_cur_be32(cur); /* ack */
    uint8_t off = tr_cur_u8(cur);
    uint8_t flags = tr_cur_u8(cur);
    (void)tr_cur_skip(cur, 6); /* window, checksum, urgent pointer */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    size_t hlen = (size_t)(off >> 4) * 4;
    if (hlen < 20)
        return -TR_E_MALFORMED;
    if (!tr_cur_skip(cur, hlen - 20))
        return -TR_E_TRUNCATED;
    pkt->sport = sport;
    pkt->dport = dport;
    pkt->tcp_seq = seq;
    pkt->tcp_flags = flags;
    pkt->payload = tr_cur_take(cur, tr_cur_left(cur));
    return TR_DECODE_DONE;
}

const struct tr_decoder tr_decoder_tcp = {TR_DEC_TCP, "tcp", tcp_decode};
