/* decode.c - the decode walk: from (LINKTYPE, pkt->linktype) through the
 * graph (graph.c) to the transport payload, one decoder per layer, in a loop
 * with a depth cap. No recursion, no allocation, no logging: every way a
 * frame can end is a counter in struct tr_decode_stats.
 *
 *   key = (LINKTYPE, linktype)
 *   loop: decoder = graph[key]      no row  -> not_ip / other_transport
 *         layers++ > cap            -> graph.too_deep
 *         rc = decoder(pkt, cursor) NEXT    -> key = *next, loop
 *                                   DONE    -> transport reached (or fragment)
 *                                   <0      -> err[decoder][reason]
 *
 * Tunnels are ordinary layers: a tunnel decoder records what it removed in
 * pkt->tunnels and names the inner frame's key, so a nesting costs one or
 * two layers per level under the same cap, plus TR_PKT_MAX_TUNNELS.
 */
#include "decode_priv.h"

#define TR_DR_NAME(id, name) name,
static const char *const reason_names[TR_DR_COUNT] = {TR_DECODE_REASONS(TR_DR_NAME)};
#undef TR_DR_NAME

#define TR_DEC_NAME(id, name) name,
static const char *const decoder_names[TR_DEC_COUNT] = {TR_DECODERS(TR_DEC_NAME)};
#undef TR_DEC_NAME

const char *tr_decoder_name(enum tr_decoder_id id)
{
    if ((unsigned)id >= TR_DEC_COUNT)
        return "unknown";
    return decoder_names[id];
}

const char *tr_decode_reason_name(enum tr_decode_reason r)
{
    if ((unsigned)r >= TR_DR_COUNT)
        return "unknown";
    return reason_names[r];
}

static const char *const tunnel_names[TR_TUN_COUNT] = {
    [TR_TUN_NONE] = "none",       [TR_TUN_IPIP] = "ipip",       [TR_TUN_GRE] = "gre",
    [TR_TUN_ERSPAN1] = "erspan1", [TR_TUN_ERSPAN2] = "erspan2", [TR_TUN_ERSPAN3] = "erspan3",
    [TR_TUN_VXLAN] = "vxlan",     [TR_TUN_GENEVE] = "geneve",
};

const char *tr_tunnel_name(unsigned type)
{
    if (type >= TR_TUN_COUNT)
        return "unknown";
    return tunnel_names[type];
}

/* Switch names for --no-decap: one per tunnel family, ERSPAN's three types
 * under one name. */
static const struct {
    const char *name;
    uint32_t bits;
} decap_switches[] = {
    {"ipip", TR_DECAP_BIT(TR_TUN_IPIP)},
    {"gre", TR_DECAP_BIT(TR_TUN_GRE)},
    {"erspan", TR_DECAP_BIT(TR_TUN_ERSPAN1) | TR_DECAP_BIT(TR_TUN_ERSPAN2) |
                   TR_DECAP_BIT(TR_TUN_ERSPAN3)},
    {"vxlan", TR_DECAP_BIT(TR_TUN_VXLAN)},
    {"geneve", TR_DECAP_BIT(TR_TUN_GENEVE)},
    {"all", ~0u},
};

int tr_decode_decap_parse(const char *list, uint32_t *bits, struct tr_err *err)
{
    uint32_t out = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t i;
        for (i = 0; i < TR_ARRAY_LEN(decap_switches); i++)
            if (strlen(decap_switches[i].name) == n && memcmp(decap_switches[i].name, p, n) == 0)
                break;
        if (i == TR_ARRAY_LEN(decap_switches))
            return tr_err_set(err, -TR_E_CONFIG,
                              "unknown tunnel '%.*s' (ipip, gre, erspan, vxlan, geneve, all)",
                              (int)n, p);
        out |= decap_switches[i].bits;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *bits = out;
    return TR_OK;
}

bool tr_decode_linktype_supported(int linktype)
{
    return linktype >= 0 && tr_decode_graph_lookup(TR_KS_LINKTYPE, (uint32_t)linktype) != NULL;
}

/* Decoders return -TR_E_*; the counters are indexed by reason. */
static enum tr_decode_reason reason_of(int rc)
{
    switch (-rc) {
    case TR_E_TRUNCATED:
        return TR_DR_TRUNCATED;
    case TR_E_UNSUPPORTED:
        return TR_DR_UNSUPPORTED;
    case TR_E_TOO_DEEP:
        return TR_DR_TOO_DEEP;
    default:
        return TR_DR_MALFORMED; /* decoders return only the four; anything else is a bad frame */
    }
}

static bool is_transport(enum tr_decoder_id id)
{
    return id == TR_DEC_UDP || id == TR_DEC_TCP || id == TR_DEC_SCTP;
}

int tr_decode_fragment(struct tr_packet *pkt, struct tr_cursor *cur, struct tr_decode_ctx *ctx,
                       const struct tr_frag *f)
{
    /* The walk already reads a reassembly buffer: handing a fragment of it
     * back to the table would copy the buffer into itself. Only an IP tunnel
     * inside a reassembled datagram can get here. */
    if (pkt->flags & TR_PKT_REASSEMBLED)
        return -TR_E_UNSUPPORTED;
    pkt->flags |= TR_PKT_FRAGMENT | (f->offset == 0 ? TR_PKT_FIRST_FRAG : 0);
    /* The first fragment carries the TCP/UDP/SCTP ports (source and
     * destination are the first 4 bytes of each): packet outputs that
     * account a datagram at its first fragment (PCapper's way) need them.
     * The transport decoder overwrites them when the datagram completes. */
    if (f->offset == 0 && f->data.len >= 4 &&
        (f->proto == 6 || f->proto == 17 || f->proto == 132)) {
        struct tr_cursor pc = tr_cur_init(f->data.ptr, f->data.len);
        pkt->sport = tr_cur_be16(&pc);
        pkt->dport = tr_cur_be16(&pc);
    }
    if (!ctx->defrag)
        return TR_DECODE_DONE; /* counted in stats->fragments by the IP decoder */

    struct tr_bytes out;
    int rc = tr_defrag_add(ctx->defrag, f, ctx->now_ns, &out);
    if (rc == 0) {
        pkt->flags |= TR_PKT_FRAG_HELD;
        return TR_DECODE_DONE;
    }
    if (rc < 0)
        return TR_DECODE_DONE; /* dropped; the table counted why */
    *cur = tr_cur_init(out.ptr, out.len);
    pkt->flags |= TR_PKT_REASSEMBLED;
    pkt->ip_len = f->hdr_len + (uint32_t)out.len;
    return TR_DECODE_NEXT;
}

int tr_decode_packet(struct tr_decode_ctx *ctx, struct tr_packet *pkt)
{
    struct tr_decode_stats *st = ctx->stats;
    st->frames++;

    /* Reset what the walk fills, so a reused packet struct carries nothing over. */
    pkt->flags &=
        (uint16_t) ~(TR_PKT_FRAG_HELD | TR_PKT_REASSEMBLED | TR_PKT_HAS_VLAN | TR_PKT_L4_TRUNCATED |
                     TR_PKT_FRAGMENT | TR_PKT_FIRST_FRAG);
    pkt->vlan = 0;
    pkt->ip_proto = 0;
    pkt->tcp_flags = 0;
    pkt->n_layers = 0;
    pkt->n_tunnels = 0;
    pkt->tcp_seq = 0;
    pkt->ip_len = 0;
    memset(&pkt->src, 0, sizeof(pkt->src));
    memset(&pkt->dst, 0, sizeof(pkt->dst));
    pkt->sport = pkt->dport = 0;
    pkt->payload = (struct tr_bytes){NULL, 0};

    if (pkt->linktype < 0) {
        st->not_ip++;
        return TR_DECLINED;
    }

    unsigned cap = ctx->max_layers ? ctx->max_layers : TR_DECODE_MAX_LAYERS;
    if (cap > UINT8_MAX)
        cap = UINT8_MAX; /* n_layers is a uint8_t */

    /* No frame at all reads as an empty one (NULL + 0 is not valid C). */
    static const uint8_t no_frame[1];
    struct tr_cursor cur =
        pkt->frame ? tr_cur_init(pkt->frame, pkt->caplen) : tr_cur_init(no_frame, 0);
    struct tr_next next = {TR_KS_LINKTYPE, (uint32_t)pkt->linktype};

    for (;;) {
        const struct tr_decoder *d = tr_decode_graph_lookup(next.space, next.key);
        if (!d) {
            if (next.space == TR_KS_IPPROTO)
                st->other_transport++;
            else
                st->not_ip++;
            return TR_DECLINED;
        }
        if (pkt->n_layers >= cap) {
            st->err[TR_DEC_GRAPH][TR_DR_TOO_DEEP]++;
            return -TR_E_TOO_DEEP;
        }
        pkt->n_layers++;

        int rc = d->decode(pkt, &cur, &next, ctx);
        if (rc == TR_DECODE_NEXT)
            continue;
        if (rc == TR_DECODE_DONE) {
            if (is_transport(d->id)) {
                st->decoded++;
                return TR_OK;
            }
            /* Only the IP decoders stop short of a transport: a fragment
             * held, dropped by reassembly or not reassembled at all. */
            return TR_DECLINED;
        }
        if (rc < 0) {
            st->err[d->id][reason_of(rc)]++;
            return rc;
        }
        /* A decoder returning anything else is a bug in this stage; count
         * it rather than loop on a stale key. */
        st->err[d->id][TR_DR_MALFORMED]++;
        return -TR_E_MALFORMED;
    }
}
