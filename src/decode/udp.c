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
 *
 * Tunnels over UDP (VXLAN, GENEVE) are told by the destination port only:
 * their source port is a flow hash (RFC 7348 section 5, RFC 8926 section
 * 3.3) and may be anything. On a tunnel port this decoder names the tunnel
 * in TR_KS_UDP_PORT by its IANA port, whatever port was configured, and the
 * walk goes on with the cursor cut to the UDP payload; the inner transport
 * later sets the packet's ports and payload.
 */
#include "decode_priv.h"

static bool port_in(uint16_t port, const uint16_t *ports, unsigned n, uint16_t dflt)
{
    if (n == 0)
        return port == dflt;
    for (unsigned i = 0; i < n && i < TR_DECODE_MAX_TUN_PORTS; i++)
        if (ports[i] == port)
            return true;
    return false;
}

/* The TR_KS_UDP_PORT key for a tunnel on dport, or 0. */
static uint32_t tunnel_key(uint16_t dport, const struct tr_decode_ctx *ctx)
{
    const struct tr_decode_conf *c = ctx->conf;
    if (tr_decode_decap_on(ctx, TR_TUN_VXLAN) &&
        (c ? port_in(dport, c->vxlan_ports, c->n_vxlan_ports, TR_UDP_VXLAN)
           : dport == TR_UDP_VXLAN))
        return TR_UDP_VXLAN;
    if (tr_decode_decap_on(ctx, TR_TUN_GENEVE) &&
        (c ? port_in(dport, c->geneve_ports, c->n_geneve_ports, TR_UDP_GENEVE)
           : dport == TR_UDP_GENEVE))
        return TR_UDP_GENEVE;
    return 0;
}

static int udp_decode(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_next *next,
                      struct tr_decode_ctx *ctx)
{
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
    uint32_t tun = tunnel_key(dport, ctx);
    if (tun) {
        tr_cur_limit(cur, want);
        next->space = TR_KS_UDP_PORT;
        next->key = tun;
        return TR_DECODE_NEXT;
    }
    pkt->payload = tr_cur_take(cur, want);
    return TR_DECODE_DONE;
}

const struct tr_decoder tr_decoder_udp = {TR_DEC_UDP, "udp", udp_decode};
