/* ipip.c - IP in IP: an IPv4 or IPv6 packet carried as the payload of
 * another IPv4 or IPv6 packet (RFC 2003 section 3 for IPv4 in IPv4, IP
 * protocol 4; RFC 4213 section 3.5 for IPv6 in IPv4 and RFC 2473 section 3
 * for either in IPv6, IP protocol 41 for an inner IPv6 header).
 *
 *   +--------------------+--------------------+---------------
 *   | outer IPv4 / IPv6  | inner IPv4 / IPv6  | inner transport ...
 *   | protocol 4 or 41   |                    |
 *   +--------------------+--------------------+---------------
 *
 * There is no tunnel header: this decoder reads no bytes. It records the
 * tunnel (the outer addresses are still in pkt, the inner header has not
 * overwritten them yet) and names the inner IP version by the protocol
 * number the outer header gave. The inner header's own version nibble is
 * checked by the IP decoder that follows. Outer fragments were reassembled
 * by the outer IP decoder before this runs; inner ones are reassembled by
 * the inner IP decoder (decode.c refuses only a fragment inside a
 * reassembled datagram).
 */
#include "decode_priv.h"

#define IPPROTO_IPV4_IN_IP 4
#define IPPROTO_IPV6_IN_IP 41

static int ipip_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                       struct tr_decode_ctx *ctx)
{
    (void)cur;
    if (!tr_decode_decap_on(ctx, TR_TUN_IPIP)) {
        ctx->stats->other_transport++; /* left encapsulated, like any protocol we skip */
        return TR_DECODE_DONE;
    }
    int rc = tr_decode_tunnel_push(pkt, ctx, TR_TUN_IPIP, false, 0);
    if (rc < 0)
        return rc;
    next->space = TR_KS_ETHERTYPE;
    next->key = pkt->ip_proto == IPPROTO_IPV4_IN_IP ? 0x0800u : 0x86ddu;
    return TR_DECODE_NEXT;
}

const struct tr_decoder tr_decoder_ipip = {TR_DEC_IPIP, "ipip", ipip_decode};
