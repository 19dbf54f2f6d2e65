/* calls.c - the call table, as promised by track.h: Call-ID -> media
 * endpoints of both sides, used to tag RTP/RTCP with the Call-ID of its call.
 * Specs: RFC 3261 sections 12 (dialogs: From tag names the caller), 9
 * (CANCEL), 15 (BYE), 13.2.2.4/13.3.1.4 (2xx and final failures to INVITE),
 * 22.2 (a 401/407 challenge is retried as a new INVITE with a higher CSeq);
 * RFC 3264 sections 6 and 8 (offer/answer: media lines pair up by index; a
 * new offer replaces a side's media; port 0 disables a stream; c=0.0.0.0
 * holds); RFC 3262 and 3311 (offer/answer in PRACK and UPDATE); RFC 3550
 * section 11 (RTCP on RTP port + 1); RFC 3605 (a=rtcp); RFC 5761 (rtcp-mux:
 * used only when offer and answer both carry it, section 5.1.1).
 *
 * Tables (preallocated by tr_calls_new, never grown, like reasm/tcp_stream.c):
 *   calls[max_calls]     slots found through a chained hash on the Call-ID;
 *                        a used slot sits on one of two LRU lists: "active"
 *                        (ordered by last SIP or matched media) or "ended"
 *                        (ordered by end time). Free slots form a stack.
 *   media[max_calls][2][max_media]   per side and media line: the SDP RTP
 *                        endpoint, the SDP RTCP endpoint (a=rtcp, else port
 *                        + 1), a learned RTP and a learned RTCP endpoint.
 *   eps[...][4]          one hash entry per endpoint above, in a second
 *                        chained hash keyed by (address, port). An entry's
 *                        position says whose endpoint it is, so it stores no
 *                        key: the key is read back from media[].
 * A key is indexed at most once: when a newer SDP announces an address:port
 * that an older call holds (ports come round on media servers; B2BUAs reuse
 * one media address in two calls), the newer call takes it (counted). "Newer"
 * compares the SDP (or learning) packet times, so re-indexing an old call
 * never takes an endpoint back. Chains therefore hold distinct keys only and
 * a flood of identical SDPs cannot make one long chain.
 *
 * Matching a media packet: its source endpoint, else its destination.
 * When both name different calls, a call that has not ended wins, then an
 * SDP endpoint over a learned one, then the newer claim, then the source.
 * Roles (RTP/RTCP) do not restrict matching; they only steer learning.
 *
 * NAT learning (the rule; deterministic: packet times only, no wall clock,
 * no dependence on when expiry runs):
 *   A side O of a call C is *learnable* on media line m when O's SDP gave m a
 *   port and either the address is private (10/8, 172.16/12, 192.168/16,
 *   100.64/10, 169.254/16, fc00::/7, fe80::/10), unusable (missing c=, host
 *   name, 0.0.0.0) or O's SDP endpoints for m have not been seen as source
 *   or destination of any media packet yet.
 *   A UDP packet P with an RTP/RTCP version-2 first byte teaches C one
 *   endpoint of O when:
 *     1. one end of P is an SDP endpoint A of the other side S of C on media
 *        line m (the anchor: the side whose SDP is true), and the other end X
 *        of P is in no call's table;
 *     2. C has not ended, O has SDP for line m with a non-zero port, and O is
 *        learnable on m;
 *     3. P's time is within learn_window_ns after the later of the two
 *        sides' latest SDP (before it: not learned);
 *     4. P's kind fits the anchor's role: RTCP only at an RTCP (or muxed)
 *        anchor, RTP only at an RTP anchor;
 *     5. O has not learned that endpoint yet on m (one learned RTP and one
 *        learned RTCP endpoint per media line; a new SDP of O that changes
 *        m's address or port forgets them and opens a new window).
 *   Then X is O's RTP endpoint (RTP packet, or RTCP when m is muxed) or O's
 *   RTCP endpoint (RTCP packet, not muxed); counted as "learned". Both
 *   directions teach: X -> A (NAT'd party sends to the public side) and
 *   A -> X (public side answers the NAT'd party's real address, symmetric
 *   RTP). When X is learned as RTP and m is not muxed, X's port + 1 is also
 *   indexed as O's RTCP endpoint ("learned_guessed": NATs usually keep the
 *   RTP/RTCP pair adjacent) unless that key is already someone's; a real
 *   RTCP packet later learned by rule 1-4 replaces the guess.
 *
 * Call-IDs: kept up to TR_CALLS_CALL_ID_MAX bytes; a longer one becomes its
 * first bytes + '~' + 16 hex digits of a fixed (unseeded) 64-bit FNV-1a hash
 * of the whole id, so the stored id is a pure function of the full Call-ID.
 * Hash seeds (bucket placement) are random per table; no result depends on
 * them.
 */
#include "track.h"

#include <stdlib.h>

#define NIL UINT32_MAX

enum { K_RTP, K_RTCP, K_LRTP, K_LRTCP, N_KINDS }; /* endpoint kinds per media line */
enum { R_RTP = 1, R_RTCP = 2 };                   /* roles of an indexed endpoint */
enum { ST_FREE, ST_ACTIVE, ST_ENDED };

enum {
    M_RTP = 1 << 0,     /* RTP profile (RTCP applies) */
    M_MUX = 1 << 1,     /* this side offered/accepted rtcp-mux */
    M_PRIVATE = 1 << 2, /* SDP address is private */
    M_NOADDR = 1 << 3,  /* SDP address unusable (none, host name, unspecified) */
    M_SEEN = 1 << 4,    /* an SDP endpoint of this line was seen on the wire */
    M_GUESS = 1 << 5,   /* the learned RTCP endpoint is the port + 1 guess */
};

struct endpoint {
    struct tr_addr addr;
    uint16_t port; /* 0: none */
};

struct media {
    struct endpoint ep[N_KINDS];
    uint16_t sdp_port; /* m= port; 0: no such line, or disabled */
    uint8_t flags;     /* M_* */
    uint64_t learned_ns;
};

struct hent {
    uint32_t hnext;
    uint32_t hash;
    uint8_t roles; /* R_*; 0: not indexed */
};

struct side {
    bool has_sdp;
    uint8_t n_media;
    uint64_t sdp_ns; /* packet time of this side's latest SDP */
};

struct call {
    uint32_t hash, hnext;
    uint32_t prev, next; /* active or ended list; free stack (next) */
    uint8_t state;       /* ST_* */
    uint8_t id_len;
    bool hard_end;    /* ended by BYE: not revived */
    bool established; /* a 2xx to INVITE was seen */
    uint32_t end_cseq;
    uint64_t caller_tag; /* FNV-1a of the caller's From tag */
    uint64_t last_ns, end_ns;
    struct side side[2]; /* 0: caller, 1: callee */
    char id[TR_CALLS_CALL_ID_MAX];
};

struct list {
    uint32_t head, tail;
};

struct tr_calls {
    struct tr_calls_conf conf;
    struct tr_calls_stats stats;
    struct call *calls;
    struct media *media; /* [call][side][max_media] */
    struct hent *eps;    /* [call][side][max_media][N_KINDS] */
    uint32_t *cbuckets, *ebuckets;
    uint32_t cmask, emask;
    struct list lists[3]; /* indexed by ST_ACTIVE, ST_ENDED */
    uint32_t free_top;
    uint32_t n_fresh;    /* slots [n_fresh, max_calls) never used: not yet initialised,
                          * so a big table costs memory only as calls arrive */
    uint64_t seed;
};

/* ---------------------------------------------------------------- hashing */

static uint64_t fnv1a(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static uint32_t mix(uint64_t seed, const uint8_t *p, size_t n, uint64_t extra)
{
    uint64_t h = seed ^ extra ^ ((uint64_t)n << 56);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    uint64_t v = 0;
    for (size_t k = 0; i < n; i++, k++)
        v |= (uint64_t)p[i] << (8 * k);
    h = (h ^ v) * 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return (uint32_t)h;
}

static size_t alen(const struct tr_addr *a)
{
    return a->family == TR_AF_INET ? 4 : 16;
}

static uint32_t ep_hash(const struct tr_calls *t, const struct tr_addr *a, uint16_t port)
{
    return mix(t->seed, a->a, alen(a), (uint64_t)a->family << 16 | port);
}

static bool ep_eq(const struct endpoint *e, const struct tr_addr *a, uint16_t port)
{
    return e->port == port && e->addr.family == a->family && memcmp(e->addr.a, a->a, alen(a)) == 0;
}

/* ---------------------------------------------------------------- addresses */

static bool addr_usable(const struct tr_addr *a)
{
    if (a->family != TR_AF_INET && a->family != TR_AF_INET6)
        return false;
    for (size_t i = 0; i < alen(a); i++)
        if (a->a[i])
            return true;
    return false; /* 0.0.0.0 or :: (hold, RFC 3264 8.4; WebRTC's placeholder) */
}

static bool addr_private(const struct tr_addr *a)
{
    const uint8_t *b = a->a;
    if (a->family == TR_AF_INET)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254);
    if (a->family == TR_AF_INET6)
        return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
    return false;
}

/* now - then, 0 when packet times go backwards. */
static uint64_t since(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

/* ---------------------------------------------------------------- layout */

static uint32_t n_media_slots(const struct tr_calls *t)
{
    return 2 * t->conf.max_media;
}

static struct media *media_of(struct tr_calls *t, uint32_t ci, int side, unsigned m)
{
    return &t->media[((size_t)ci * 2 + (size_t)side) * t->conf.max_media + m];
}

static uint32_t ep_index_of(const struct tr_calls *t, uint32_t ci, int side, unsigned m, int kind)
{
    return (uint32_t)((((size_t)ci * 2 + (size_t)side) * t->conf.max_media + m) * N_KINDS +
                      (size_t)kind);
}

struct ep_pos {
    uint32_t ci;
    int side;
    unsigned m;
    int kind;
};

static struct ep_pos ep_pos(const struct tr_calls *t, uint32_t e)
{
    struct ep_pos p;
    p.kind = (int)(e % N_KINDS);
    uint32_t ms = e / N_KINDS; /* media slot */
    p.m = ms % t->conf.max_media;
    p.side = (int)(ms / t->conf.max_media % 2);
    p.ci = ms / n_media_slots(t);
    return p;
}

static const struct endpoint *ep_key(struct tr_calls *t, uint32_t e)
{
    struct ep_pos p = ep_pos(t, e);
    return &media_of(t, p.ci, p.side, p.m)->ep[p.kind];
}

/* When an endpoint was announced (SDP) or learned: newer claims win. */
static uint64_t ep_claim(struct tr_calls *t, uint32_t e)
{
    struct ep_pos p = ep_pos(t, e);
    if (p.kind == K_RTP || p.kind == K_RTCP)
        return t->calls[p.ci].side[p.side].sdp_ns;
    return media_of(t, p.ci, p.side, p.m)->learned_ns;
}

/* ---------------------------------------------------------------- endpoint hash */

static uint32_t ep_find(struct tr_calls *t, const struct tr_addr *a, uint16_t port)
{
    if (a->family != TR_AF_INET && a->family != TR_AF_INET6)
        return NIL;
    uint32_t h = ep_hash(t, a, port);
    for (uint32_t e = t->ebuckets[h & t->emask]; e != NIL; e = t->eps[e].hnext)
        if (t->eps[e].hash == h && ep_eq(ep_key(t, e), a, port))
            return e;
    return NIL;
}

static void ep_unindex(struct tr_calls *t, uint32_t e)
{
    struct hent *he = &t->eps[e];
    if (!he->roles)
        return;
    uint32_t *link = &t->ebuckets[he->hash & t->emask];
    while (*link != e)
        link = &t->eps[*link].hnext;
    *link = he->hnext;
    he->roles = 0;
    he->hnext = NIL;
    t->stats.endpoints--;
}

/* Indexes endpoint e (its key is in media[]) with roles, unless the key is
 * unusable or already held by a newer claim. Returns true if e is indexed
 * (or its roles were merged into the same line's other endpoint). */
static bool ep_index(struct tr_calls *t, uint32_t e, uint8_t roles, uint64_t claim_ns)
{
    const struct endpoint *k = ep_key(t, e);
    if (k->port == 0 || !addr_usable(&k->addr))
        return false;
    uint32_t other = ep_find(t, &k->addr, k->port);
    if (other == e)
        return true;
    if (other != NIL) {
        struct ep_pos a = ep_pos(t, e), b = ep_pos(t, other);
        if (a.ci == b.ci) {
            /* Same call: the RTCP port equals the RTP port of the same line
             * (mux without the attribute) merges; otherwise the first stays. */
            if (a.side == b.side && a.m == b.m) {
                t->eps[other].roles |= roles;
                return true;
            }
            return false;
        }
        if (claim_ns < ep_claim(t, other))
            return false;
        ep_unindex(t, other);
        t->stats.endpoints_taken++;
    }
    struct hent *he = &t->eps[e];
    he->hash = ep_hash(t, &k->addr, k->port);
    he->roles = roles;
    uint32_t *b = &t->ebuckets[he->hash & t->emask];
    he->hnext = *b;
    *b = e;
    t->stats.endpoints++;
    return true;
}

/* ---------------------------------------------------------------- lists */

static void list_unlink(struct tr_calls *t, uint32_t ci)
{
    struct call *c = &t->calls[ci];
    struct list *l = &t->lists[c->state];
    if (c->prev != NIL)
        t->calls[c->prev].next = c->next;
    else
        l->head = c->next;
    if (c->next != NIL)
        t->calls[c->next].prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NIL;
}

static void list_append(struct tr_calls *t, uint32_t ci)
{
    struct call *c = &t->calls[ci];
    struct list *l = &t->lists[c->state];
    c->next = NIL;
    c->prev = l->tail;
    if (l->tail != NIL)
        t->calls[l->tail].next = ci;
    else
        l->head = ci;
    l->tail = ci;
}

static void set_state(struct tr_calls *t, uint32_t ci, uint8_t state)
{
    list_unlink(t, ci);
    t->calls[ci].state = state;
    list_append(t, ci);
}

/* ---------------------------------------------------------------- calls */

/* Fills key/len with the stored form of a Call-ID. */
static size_t call_key(struct tr_str id, char key[TR_CALLS_CALL_ID_MAX])
{
    if (id.len <= TR_CALLS_CALL_ID_MAX) {
        memcpy(key, id.ptr, id.len);
        return id.len;
    }
    static const char hex[] = "0123456789abcdef";
    uint64_t h = fnv1a(id.ptr, id.len);
    size_t keep = TR_CALLS_CALL_ID_MAX - 17;
    memcpy(key, id.ptr, keep);
    key[keep] = '~';
    for (int i = 0; i < 16; i++)
        key[keep + 1 + (size_t)i] = hex[(h >> (60 - 4 * i)) & 15];
    return TR_CALLS_CALL_ID_MAX;
}

static uint32_t call_find(struct tr_calls *t, const char *key, size_t len, uint32_t h)
{
    for (uint32_t ci = t->cbuckets[h & t->cmask]; ci != NIL; ci = t->calls[ci].hnext) {
        struct call *c = &t->calls[ci];
        if (c->hash == h && c->id_len == len && memcmp(c->id, key, len) == 0)
            return ci;
    }
    return NIL;
}

static void clear_media(struct tr_calls *t, uint32_t ci, int side, unsigned m)
{
    for (int k = 0; k < N_KINDS; k++)
        ep_unindex(t, ep_index_of(t, ci, side, m, k));
    memset(media_of(t, ci, side, m), 0, sizeof(struct media));
}

static void call_release(struct tr_calls *t, uint32_t ci)
{
    struct call *c = &t->calls[ci];
    for (int s = 0; s < 2; s++)
        for (unsigned m = 0; m < t->conf.max_media; m++)
            clear_media(t, ci, s, m);
    uint32_t *link = &t->cbuckets[c->hash & t->cmask];
    while (*link != ci)
        link = &t->calls[*link].hnext;
    *link = c->hnext;
    list_unlink(t, ci);
    c->state = ST_FREE;
    c->next = t->free_top;
    t->free_top = ci;
    t->stats.calls--;
}

static bool call_stale(const struct tr_calls *t, const struct call *c, uint64_t now_ns)
{
    if (c->state == ST_ENDED)
        return since(now_ns, c->end_ns) > t->conf.linger_ns;
    return since(now_ns, c->last_ns) > t->conf.idle_ns;
}

/* Releases ci if its time is over (counted); returns true if it did. */
static bool reap_if_stale(struct tr_calls *t, uint32_t ci, uint64_t now_ns)
{
    struct call *c = &t->calls[ci];
    if (!call_stale(t, c, now_ns))
        return false;
    if (c->state == ST_ENDED)
        t->stats.closed++;
    else
        t->stats.expired_idle++;
    call_release(t, ci);
    return true;
}

/* A slot for a new call: a free one, else the oldest ended call, else the
 * least recently active one (stale ones are counted as closed/expired). */
static uint32_t call_alloc(struct tr_calls *t, uint64_t now_ns)
{
    if (t->free_top == NIL && t->n_fresh < t->conf.max_calls) {
        uint32_t ci = t->n_fresh++;
        size_t per_call = (size_t)n_media_slots(t) * N_KINDS;
        for (size_t e = ci * per_call; e < (ci + 1) * per_call; e++)
            t->eps[e].hnext = NIL;
        t->calls[ci].prev = NIL;
        t->calls[ci].next = NIL;
        t->free_top = ci;
    }
    if (t->free_top == NIL) {
        uint32_t victim = t->lists[ST_ENDED].head;
        if (victim == NIL)
            victim = t->lists[ST_ACTIVE].head;
        if (!reap_if_stale(t, victim, now_ns)) {
            t->stats.evicted++;
            if (t->calls[victim].state == ST_ACTIVE)
                t->stats.evicted_active++;
            call_release(t, victim);
        }
    }
    uint32_t ci = t->free_top;
    t->free_top = t->calls[ci].next;
    return ci;
}

/* ---------------------------------------------------------------- setup */

struct tr_calls *tr_calls_new(const struct tr_calls_conf *conf)
{
    struct tr_calls *t = calloc(1, sizeof(*t));
    if (!t)
        goto fail;
    if (conf)
        t->conf = *conf;
    if (t->conf.max_calls == 0)
        t->conf.max_calls = 32768;
    if (t->conf.max_calls > (1u << 22))
        t->conf.max_calls = 1u << 22;
    if (t->conf.max_media == 0)
        t->conf.max_media = 2;
    if (t->conf.max_media > TR_CALLS_MAX_MEDIA)
        t->conf.max_media = TR_CALLS_MAX_MEDIA;
    if (t->conf.idle_ns == 0)
        t->conf.idle_ns = 600ull * 1000000000u;
    if (t->conf.linger_ns == 0)
        t->conf.linger_ns = 30ull * 1000000000u;
    if (t->conf.learn_window_ns == 0)
        t->conf.learn_window_ns = 10ull * 1000000000u;

    uint32_t n = t->conf.max_calls;
    size_t n_media = (size_t)n * n_media_slots(t), n_eps = n_media * N_KINDS;
    uint32_t nb = 16, neb = 16;
    while (nb < n)
        nb <<= 1;
    while (neb < n_eps / 2)
        neb <<= 1;
    t->calls = calloc(n, sizeof(*t->calls));
    t->media = calloc(n_media, sizeof(*t->media));
    t->eps = calloc(n_eps, sizeof(*t->eps));
    t->cbuckets = malloc(nb * sizeof(*t->cbuckets));
    t->ebuckets = malloc(neb * sizeof(*t->ebuckets));
    if (!t->calls || !t->media || !t->eps || !t->cbuckets || !t->ebuckets)
        goto fail;
    for (uint32_t i = 0; i < nb; i++)
        t->cbuckets[i] = NIL;
    for (uint32_t i = 0; i < neb; i++)
        t->ebuckets[i] = NIL;
    t->cmask = nb - 1;
    t->emask = neb - 1;
    t->free_top = NIL; /* slots are taken fresh (n_fresh) before any is reused */
    for (int i = 0; i < 3; i++)
        t->lists[i].head = t->lists[i].tail = NIL;
    t->seed = tr_now_mono_ns() ^ (uint64_t)(uintptr_t)t;
    return t;

fail:
    tr_calls_free(t);
    return NULL;
}

void tr_calls_free(struct tr_calls *t)
{
    if (!t)
        return;
    free(t->calls);
    free(t->media);
    free(t->eps);
    free(t->cbuckets);
    free(t->ebuckets);
    free(t);
}

const struct tr_calls_stats *tr_calls_stats(const struct tr_calls *t)
{
    return &t->stats;
}

/* ---------------------------------------------------------------- SDP -> endpoints */

/* rtcp-mux is in use on line m when this side asked for it and the other
 * side either has not answered that line yet or agreed (RFC 5761 5.1.1). */
static bool line_muxed(struct tr_calls *t, uint32_t ci, int side, unsigned m)
{
    const struct call *c = &t->calls[ci];
    if (!(media_of(t, ci, side, m)->flags & M_MUX))
        return false;
    const struct side *o = &c->side[1 - side];
    if (!o->has_sdp || m >= o->n_media)
        return true;
    const struct media *om = media_of(t, ci, 1 - side, m);
    return om->sdp_port == 0 || (om->flags & M_MUX);
}

/* (Re)indexes the SDP endpoints of both sides: mux depends on both. */
static void index_call(struct tr_calls *t, uint32_t ci)
{
    struct call *c = &t->calls[ci];
    for (int s = 0; s < 2; s++)
        for (unsigned m = 0; m < t->conf.max_media; m++) {
            ep_unindex(t, ep_index_of(t, ci, s, m, K_RTP));
            ep_unindex(t, ep_index_of(t, ci, s, m, K_RTCP));
        }
    for (int s = 0; s < 2; s++) {
        if (!c->side[s].has_sdp)
            continue;
        for (unsigned m = 0; m < c->side[s].n_media; m++) {
            const struct media *md = media_of(t, ci, s, m);
            if (md->sdp_port == 0)
                continue;
            bool mux = line_muxed(t, ci, s, m);
            ep_index(t, ep_index_of(t, ci, s, m, K_RTP), (uint8_t)(R_RTP | (mux ? R_RTCP : 0)),
                     c->side[s].sdp_ns);
            if ((md->flags & M_RTP) && !mux)
                ep_index(t, ep_index_of(t, ci, s, m, K_RTCP), R_RTCP, c->side[s].sdp_ns);
        }
    }
}

static bool is_rtp_profile(struct tr_str proto)
{
    /* RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVP(F), ... */
    for (size_t i = 0; i + 3 <= proto.len; i++)
        if ((proto.ptr[i] | 0x20) == 'r' && (proto.ptr[i + 1] | 0x20) == 't' &&
            (proto.ptr[i + 2] | 0x20) == 'p' && (i + 3 == proto.len || proto.ptr[i + 3] == '/'))
            return true;
    return false;
}

/* Side s of call ci sent sdp at now_ns: replace that side's media. */
static void apply_sdp(struct tr_calls *t, uint32_t ci, int s, const struct tr_sdp *sdp,
                      uint64_t now_ns)
{
    struct call *c = &t->calls[ci];
    struct side *sd = &c->side[s];
    unsigned keep = sdp->n_media < t->conf.max_media ? sdp->n_media : t->conf.max_media;
    t->stats.media_dropped += sdp->n_media_total - keep;

    for (unsigned m = 0; m < t->conf.max_media; m++) {
        struct media *md = media_of(t, ci, s, m);
        if (m >= keep) {
            clear_media(t, ci, s, m);
            continue;
        }
        const struct tr_sdp_media *sm = &sdp->media[m];
        struct endpoint rtp = {.addr = sm->addr, .port = sm->port};
        /* Hold with c=0.0.0.0 keeps the line's previous address: the party
         * still sends from it (RFC 3264 8.4). */
        if (!addr_usable(&rtp.addr) && rtp.addr.family != TR_AF_NONE &&
            addr_usable(&md->ep[K_RTP].addr))
            rtp.addr = md->ep[K_RTP].addr;
        bool same = md->sdp_port != 0 && ep_eq(&md->ep[K_RTP], &rtp.addr, rtp.port);
        if (!same) {
            /* Moved (or new): forget what was learned or seen for the old place. */
            clear_media(t, ci, s, m);
        }
        md->sdp_port = sm->port;
        md->ep[K_RTP] = rtp;
        struct endpoint rtcp = {.addr = rtp.addr, .port = 0};
        if (sm->rtcp_port) {
            rtcp.port = sm->rtcp_port;
            if (addr_usable(&sm->rtcp_addr))
                rtcp.addr = sm->rtcp_addr;
        } else if (sm->port != 0 && sm->port < 65535) {
            rtcp.port = (uint16_t)(sm->port + 1);
        }
        md->ep[K_RTCP] = rtcp;
        uint8_t keep_flags = md->flags & (M_SEEN | M_GUESS);
        md->flags = keep_flags;
        if (is_rtp_profile(sm->proto))
            md->flags |= M_RTP;
        if (sm->rtcp_mux)
            md->flags |= M_MUX;
        if (!addr_usable(&rtp.addr))
            md->flags |= M_NOADDR;
        else if (addr_private(&rtp.addr))
            md->flags |= M_PRIVATE;
        if (sm->port == 0) {
            /* Disabled line: nothing to index, nothing to learn. */
            for (int k = K_LRTP; k <= K_LRTCP; k++)
                ep_unindex(t, ep_index_of(t, ci, s, m, k));
            memset(&md->ep[K_LRTP], 0, 2 * sizeof(md->ep[0]));
        }
    }
    sd->has_sdp = true;
    sd->n_media = (uint8_t)keep;
    sd->sdp_ns = now_ns;
    index_call(t, ci);
}

/* ---------------------------------------------------------------- SIP */

static bool str_ieq_lit(struct tr_str s, const char *lit)
{
    return tr_str_ieq(s, (struct tr_str){lit, strlen(lit)});
}

static bool starts_with_ci(struct tr_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && tr_str_ieq((struct tr_str){s.ptr, n}, (struct tr_str){lit, n});
}

/* The media type of a Content-Type value: up to ';', trimmed. */
static struct tr_str media_type(struct tr_str ct)
{
    size_t i = 0;
    while (i < ct.len && ct.ptr[i] != ';')
        i++;
    ct.len = i;
    while (ct.len > 0 && (ct.ptr[0] == ' ' || ct.ptr[0] == '\t')) {
        ct.ptr++;
        ct.len--;
    }
    while (ct.len > 0 && (ct.ptr[ct.len - 1] == ' ' || ct.ptr[ct.len - 1] == '\t'))
        ct.len--;
    return ct;
}

static bool starts_v0(struct tr_bytes b)
{
    return b.len >= 3 && b.ptr[0] == 'v' && b.ptr[1] == '=' && b.ptr[2] == '0';
}

/* Finds the SDP in a SIP body: Content-Type application/sdp, the part of a
 * multipart body that starts with "v=", or (no or another type) a body that
 * starts with "v=0". Returns true with *sdp set. */
static bool find_sdp(const struct tr_sip_msg *sip, struct tr_bytes *sdp)
{
    struct tr_bytes b = sip->body;
    struct tr_str ct = media_type(sip->content_type);
    if (b.len == 0)
        return false;
    if (str_ieq_lit(ct, "application/sdp")) {
        *sdp = b;
        return true;
    }
    if (starts_with_ci(ct, "multipart/")) {
        /* RFC 2046 5.1: the SDP part starts at a line "v=..." and ends
         * before the next boundary line ("--..."), which no SDP line can
         * start with. Part headers are not needed to find it. */
        for (size_t i = 0; i + 2 <= b.len; i++) {
            if ((i == 0 || b.ptr[i - 1] == '\n') && b.ptr[i] == 'v' && b.ptr[i + 1] == '=') {
                size_t end = i;
                while (end < b.len) {
                    const uint8_t *nl = memchr(b.ptr + end, '\n', b.len - end);
                    size_t next = nl ? (size_t)(nl - b.ptr) + 1 : b.len;
                    if (end > i && next - end >= 2 && b.ptr[end] == '-' && b.ptr[end + 1] == '-')
                        break;
                    end = next;
                }
                *sdp = (struct tr_bytes){b.ptr + i, end - i};
                return true;
            }
        }
        return false;
    }
    if (starts_v0(b)) {
        *sdp = b;
        return true;
    }
    return false;
}

static bool method_is(const struct tr_sip_msg *sip, const char *m)
{
    return tr_str_eq(sip->is_request ? sip->method : sip->cseq_method,
                     (struct tr_str){m, strlen(m)});
}

/* Messages whose SDP is an offer or an answer (RFC 3261 13.2.1, 13.3.1;
 * RFC 3262 5; RFC 3311 5): INVITE, ACK, PRACK, UPDATE and their 1xx/2xx. */
static bool carries_offer_answer(const struct tr_sip_msg *sip)
{
    if (sip->is_request)
        return method_is(sip, "INVITE") || method_is(sip, "ACK") || method_is(sip, "UPDATE") ||
               method_is(sip, "PRACK");
    if (sip->status <= 100 || sip->status >= 300)
        return false;
    return method_is(sip, "INVITE") || method_is(sip, "UPDATE") || method_is(sip, "PRACK");
}

static void call_end(struct tr_calls *t, uint32_t ci, bool hard, uint64_t now_ns, uint32_t cseq)
{
    struct call *c = &t->calls[ci];
    if (hard)
        c->hard_end = true;
    if (c->state == ST_ENDED)
        return;
    c->end_ns = now_ns;
    c->end_cseq = cseq;
    set_state(t, ci, ST_ENDED);
    t->stats.ended++;
}

static void call_revive(struct tr_calls *t, uint32_t ci, uint64_t now_ns)
{
    struct call *c = &t->calls[ci];
    if (c->state != ST_ENDED || c->hard_end)
        return;
    c->last_ns = now_ns;
    set_state(t, ci, ST_ACTIVE);
    t->stats.revived++;
}

static void touch(struct tr_calls *t, uint32_t ci, uint64_t now_ns)
{
    struct call *c = &t->calls[ci];
    if (now_ns > c->last_ns)
        c->last_ns = now_ns;
    if (c->state == ST_ACTIVE && t->lists[ST_ACTIVE].tail != ci) {
        list_unlink(t, ci);
        list_append(t, ci);
    }
}

int tr_calls_observe_sip(struct tr_calls *t, const struct tr_packet *pkt,
                         const struct tr_sip_msg *sip, uint64_t now_ns)
{
    t->stats.sip_messages++;
    if (sip->call_id.len == 0 || (!sip->is_request && sip->status < 100))
        return TR_DECLINED;

    struct tr_bytes body = {NULL, 0};
    bool has_sdp = carries_offer_answer(sip) && find_sdp(sip, &body);
    bool invite_req = sip->is_request && method_is(sip, "INVITE");

    char key[TR_CALLS_CALL_ID_MAX];
    size_t klen = call_key(sip->call_id, key);
    uint32_t h = mix(t->seed, (const uint8_t *)key, klen, 0);
    uint32_t ci = call_find(t, key, klen, h);
    if (ci != NIL && reap_if_stale(t, ci, now_ns))
        ci = NIL;
    uint64_t from_tag = fnv1a(sip->from_tag.ptr, sip->from_tag.len);

    if (ci == NIL) {
        if (!invite_req && !has_sdp)
            return TR_DECLINED;
        ci = call_alloc(t, now_ns);
        struct call *c = &t->calls[ci];
        memset(c, 0, sizeof(*c));
        memcpy(c->id, key, klen);
        c->id_len = (uint8_t)klen;
        c->hash = h;
        c->hnext = t->cbuckets[h & t->cmask];
        t->cbuckets[h & t->cmask] = ci;
        /* The From tag of a request, or of a response to it, is the tag of
         * whoever sent the request: the caller for the first one we see. */
        c->caller_tag = from_tag;
        c->last_ns = now_ns;
        c->state = ST_ACTIVE;
        list_append(t, ci);
        t->stats.created++;
        t->stats.calls++;
        if (sip->call_id.len > TR_CALLS_CALL_ID_MAX)
            t->stats.long_call_ids++;
    } else {
        touch(t, ci, now_ns);
    }
    struct call *c = &t->calls[ci];

    /* Dialog state. */
    if (sip->is_request) {
        if (invite_req && c->state == ST_ENDED && sip->cseq > c->end_cseq)
            call_revive(t, ci, now_ns); /* e.g. the retry after a 401/407 */
        else if (method_is(sip, "BYE"))
            call_end(t, ci, true, now_ns, sip->cseq);
        else if (method_is(sip, "CANCEL"))
            call_end(t, ci, false, now_ns, sip->cseq);
    } else if (method_is(sip, "INVITE")) {
        if (sip->status >= 200 && sip->status < 300) {
            c->established = true;
            call_revive(t, ci, now_ns); /* a 2xx that crossed a CANCEL */
        } else if (sip->status >= 300 && !c->established) {
            call_end(t, ci, false, now_ns, sip->cseq);
        }
    }

    /* Media. */
    if (has_sdp && c->state == ST_ACTIVE) {
        bool from_caller = from_tag == c->caller_tag;
        int side = sip->is_request ? (from_caller ? 0 : 1) : (from_caller ? 1 : 0);
        /* A body cut short (snaplen, a lost segment), or a datagram with
         * bytes after a Content-Length that ends inside a line: use whole
         * lines only. (On a stream the next bytes are the next message, and
         * a last line without CRLF is whole.) */
        const uint8_t *body_end = sip->body.ptr + sip->body.len;
        bool cut_by_length = pkt && pkt->ip_proto == 17 && pkt->payload.ptr &&
                             body_end > pkt->payload.ptr &&
                             body_end < pkt->payload.ptr + pkt->payload.len;
        bool cut_short =
            sip->content_length >= 0 && (uint64_t)sip->content_length > sip->body.len;
        if ((cut_short || cut_by_length) && body.ptr + body.len == body_end &&
            body.len > 0 && body.ptr[body.len - 1] != '\n') {
            size_t n = body.len;
            while (n > 0 && body.ptr[n - 1] != '\n')
                n--;
            body.len = n;
            t->stats.sdp_cut++;
        }
        struct tr_sdp sdp;
        if (tr_sdp_parse(body, &sdp) != TR_OK) {
            t->stats.sdp_failures++;
        } else {
            t->stats.sdp_bodies++;
            apply_sdp(t, ci, side, &sdp, now_ns);
        }
    }
    return TR_OK;
}

/* ---------------------------------------------------------------- media */

/* The entry for (a, port), or NIL; a hit on a call whose time is over
 * releases that call (counted) and is a miss. */
static uint32_t find_live(struct tr_calls *t, const struct tr_addr *a, uint16_t port,
                          uint64_t now_ns)
{
    uint32_t e = ep_find(t, a, port);
    if (e != NIL && reap_if_stale(t, ep_pos(t, e).ci, now_ns))
        return NIL;
    return e;
}

static void mark_seen(struct tr_calls *t, uint32_t e)
{
    struct ep_pos p = ep_pos(t, e);
    if (p.kind == K_RTP || p.kind == K_RTCP)
        media_of(t, p.ci, p.side, p.m)->flags |= M_SEEN;
}

/* RTP and RTCP both start with version 2 (RFC 3550 5.1, 6.4.1). */
static bool looks_rtp_or_rtcp(const struct tr_packet *pkt, bool is_rtcp)
{
    struct tr_cursor cur = tr_cur_init(pkt->payload.ptr, pkt->payload.len);
    uint8_t b0 = tr_cur_u8(&cur);
    if (cur.short_read || b0 >> 6 != 2)
        return false;
    return pkt->payload.len >= (is_rtcp ? 8u : 12u);
}

/* The NAT rule of the file comment: anchor is an SDP endpoint on one end of
 * pkt, (x, xport) the unknown other end. */
static void learn(struct tr_calls *t, uint32_t anchor, const struct tr_addr *x, uint16_t xport,
                  const struct tr_packet *pkt, bool is_rtcp, uint64_t now_ns)
{
    struct ep_pos p = ep_pos(t, anchor);
    struct call *c = &t->calls[p.ci];
    int o = 1 - p.side;
    if (p.kind != K_RTP && p.kind != K_RTCP)
        return; /* only an SDP endpoint anchors */
    if (c->state != ST_ACTIVE || !c->side[o].has_sdp || p.m >= c->side[o].n_media)
        return;
    struct media *om = media_of(t, p.ci, o, p.m);
    bool learnable = (om->flags & (M_PRIVATE | M_NOADDR)) || !(om->flags & M_SEEN);
    if (om->sdp_port == 0 || !learnable)
        return;
    uint64_t exch = c->side[0].sdp_ns > c->side[1].sdp_ns ? c->side[0].sdp_ns : c->side[1].sdp_ns;
    if (now_ns < exch || now_ns - exch > t->conf.learn_window_ns)
        return;
    if (!(t->eps[anchor].roles & (is_rtcp ? R_RTCP : R_RTP)))
        return;
    if (!addr_usable(x) || xport == 0 || pkt->ip_proto != 17 || !looks_rtp_or_rtcp(pkt, is_rtcp))
        return;

    bool mux = line_muxed(t, p.ci, o, p.m);
    int kind = is_rtcp && !mux ? K_LRTCP : K_LRTP;
    if (om->ep[kind].port != 0) {
        if (kind != K_LRTCP || !(om->flags & M_GUESS))
            return; /* learned already */
        ep_unindex(t, ep_index_of(t, p.ci, o, p.m, K_LRTCP));
        om->flags &= (uint8_t)~M_GUESS;
    }
    om->ep[kind] = (struct endpoint){.addr = *x, .port = xport};
    om->learned_ns = now_ns;
    uint8_t roles = kind == K_LRTCP ? R_RTCP : (uint8_t)(R_RTP | (mux ? R_RTCP : 0));
    if (!ep_index(t, ep_index_of(t, p.ci, o, p.m, kind), roles, now_ns)) {
        om->ep[kind].port = 0;
        return;
    }
    t->stats.learned++;

    if (kind == K_LRTP && !mux && (om->flags & M_RTP) && om->ep[K_LRTCP].port == 0 &&
        xport < 65535 && ep_find(t, x, (uint16_t)(xport + 1)) == NIL) {
        om->ep[K_LRTCP] = (struct endpoint){.addr = *x, .port = (uint16_t)(xport + 1)};
        if (ep_index(t, ep_index_of(t, p.ci, o, p.m, K_LRTCP), R_RTCP, now_ns)) {
            om->flags |= M_GUESS;
            t->stats.learned_guessed++;
        } else {
            om->ep[K_LRTCP].port = 0;
        }
    }
}

bool tr_calls_match(struct tr_calls *t, const struct tr_packet *pkt, bool is_rtcp, uint64_t now_ns,
                    struct tr_str *call_id)
{
    uint32_t es = find_live(t, &pkt->src, pkt->sport, now_ns);
    uint32_t ed = find_live(t, &pkt->dst, pkt->dport, now_ns);
    if (es != NIL)
        mark_seen(t, es);
    if (ed != NIL)
        mark_seen(t, ed);

    if (!t->conf.no_learn) {
        if (es == NIL && ed != NIL) {
            learn(t, ed, &pkt->src, pkt->sport, pkt, is_rtcp, now_ns);
            es = ep_find(t, &pkt->src, pkt->sport);
        } else if (ed == NIL && es != NIL) {
            learn(t, es, &pkt->dst, pkt->dport, pkt, is_rtcp, now_ns);
            ed = ep_find(t, &pkt->dst, pkt->dport);
        }
    }

    uint32_t e = es != NIL ? es : ed;
    if (es != NIL && ed != NIL && ep_pos(t, es).ci != ep_pos(t, ed).ci) {
        /* Two calls: one not ended, then an SDP endpoint over a learned
         * one, then the newer claim, then the source. */
        struct ep_pos ps = ep_pos(t, es), pd = ep_pos(t, ed);
        bool as = t->calls[ps.ci].state == ST_ACTIVE, ad = t->calls[pd.ci].state == ST_ACTIVE;
        bool ls = ps.kind >= K_LRTP, ld = pd.kind >= K_LRTP;
        if (as != ad)
            e = as ? es : ed;
        else if (ls != ld)
            e = ls ? ed : es;
        else
            e = ep_claim(t, ed) > ep_claim(t, es) ? ed : es;
    }
    if (e == NIL) {
        if (is_rtcp)
            t->stats.rtcp_unmatched++;
        else
            t->stats.rtp_unmatched++;
        return false;
    }
    uint32_t ci = ep_pos(t, e).ci;
    touch(t, ci, now_ns);
    if (is_rtcp)
        t->stats.rtcp_matched++;
    else
        t->stats.rtp_matched++;
    if (call_id)
        *call_id = (struct tr_str){t->calls[ci].id, t->calls[ci].id_len};
    return true;
}

void tr_calls_expire(struct tr_calls *t, uint64_t now_ns)
{
    for (int l = ST_ACTIVE; l <= ST_ENDED; l++)
        while (t->lists[l].head != NIL && reap_if_stale(t, t->lists[l].head, now_ns))
            ;
}
