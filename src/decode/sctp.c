/* sctp.c - SCTP common header and chunks (RFC 9260 sections 3, 3.2, 3.3.1).
 *
 * Common header (12 bytes), then chunks to the end of the IP payload:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Source Port Number        |     Destination Port Number   |
 *  |                      Verification Tag                         |
 *  |                           Checksum                            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Chunk Type  | Chunk Flags   |        Chunk Length           |
 *  |                  value (Chunk Length - 4 bytes) + pad to 4    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * DATA chunk (type 0):
 *  |   Type = 0    |  Res  |I|U|B|E|         Length                |
 *  |                              TSN                              |
 *  |      Stream Identifier        |   Stream Sequence Number      |
 *  |                  Payload Protocol Identifier                  |
 *  |                 User Data (Length - 16 bytes)                 |
 *
 * pkt->payload is the user data of the first DATA chunk that carries a
 * whole user message (B and E set). What trawl cannot hand on yet is counted
 * under sctp.unsupported, once per chunk, and skipped: a fragmented user
 * message (not both B and E; SCTP-level reassembly is future work), every
 * further DATA chunk bundled in the packet, and I-DATA (type 64, RFC 8260).
 * A packet without user data (INIT, SACK, HEARTBEAT ...) still reaches the
 * transport with an empty payload, like a bare TCP ACK.
 *
 * Chunk length < 4 (or < 17 for DATA: empty DATA is a protocol violation,
 * RFC 9260 section 3.3.1) is malformed; a chunk reaching past the IP payload
 * is malformed unless snaplen cut it, in which case the walk stops there and
 * a cut first DATA chunk still gives its captured part. The CRC32c is not
 * verified (see ipv4.c on offload).
 */
#include "decode_priv.h"

#define SCTP_DATA 0
#define SCTP_IDATA 64
#define SCTP_DATA_B 0x02u
#define SCTP_DATA_E 0x01u
#define SCTP_DATA_HDR 16

static int sctp_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)next;
    uint16_t sport = tr_cur_be16(cur);
    uint16_t dport = tr_cur_be16(cur);
    (void)tr_cur_skip(cur, 8); /* verification tag, checksum */
    if (cur->short_read)
        return -TR_E_TRUNCATED;
    pkt->sport = sport;
    pkt->dport = dport;

    bool cut = (pkt->flags & TR_PKT_L4_TRUNCATED) != 0;
    bool have_data = false;
    while (tr_cur_left(cur) > 0) {
        size_t left = tr_cur_left(cur);
        if (left < 4) {
            if (cut)
                break;
            return -TR_E_TRUNCATED;
        }
        uint8_t type = cur->pos[0], flags = cur->pos[1];
        size_t clen = (size_t)cur->pos[2] << 8 | cur->pos[3];
        if (clen < 4 || (type == SCTP_DATA && clen <= SCTP_DATA_HDR))
            return -TR_E_MALFORMED;
        bool whole = clen <= left;
        if (!whole && !cut)
            return -TR_E_MALFORMED;
        bool data = type == SCTP_DATA;
        bool complete = (flags & (SCTP_DATA_B | SCTP_DATA_E)) == (SCTP_DATA_B | SCTP_DATA_E);
        if (!whole) {
            /* snaplen cut inside this chunk: a first whole-message DATA
             * chunk still gives what was captured of it; the walk ends. */
            if (data && complete && !have_data && left > SCTP_DATA_HDR) {
                have_data = true;
                pkt->payload = (struct tr_bytes){cur->pos + SCTP_DATA_HDR, left - SCTP_DATA_HDR};
            }
            break;
        }
        if (data && complete && !have_data) {
            have_data = true;
            pkt->payload = (struct tr_bytes){cur->pos + SCTP_DATA_HDR, clen - SCTP_DATA_HDR};
        } else if (data || type == SCTP_IDATA) {
            ctx->stats->err[TR_DEC_SCTP][TR_DR_UNSUPPORTED]++;
        }
        size_t padded = (clen + 3) & ~(size_t)3;
        (void)tr_cur_skip(cur, padded < left ? padded : left); /* last pad may be missing */
    }
    if (!have_data)
        pkt->payload = (struct tr_bytes){cur->pos, 0};
    return TR_DECODE_DONE;
}

const struct tr_decoder tr_decoder_sctp = {TR_DEC_SCTP, "sctp", sctp_decode};
