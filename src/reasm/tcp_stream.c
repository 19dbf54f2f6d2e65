/* tcp_stream.c - TCP stream reassembly and SIP framing, as promised by
 * reasm.h. Specs: RFC 9293 section 3.4 (sequence numbers, modulo 2^32
 * comparison), 3.5 (SYN: data starts at ISN + 1), 3.6 (FIN takes one sequence
 * number after the data), 3.5.3 (RST); RFC 3261 section 18.3 (on a stream,
 * Content-Length frames the body and is 0 when absent), RFC 5626 section
 * 3.5.1 (CRLF keep-alives between messages).
 *
 * Table: max_flows slots allocated once, found through a chained hash keyed
 * by the flow's two endpoints in a fixed order (lower address/port first), so
 * both directions land on one slot. Used slots sit on an LRU list (least
 * recently active first): idle expiry and "evict the oldest" are O(1). Free
 * slots form a LIFO stack so the slot just released, with its warm buffers,
 * is the next one used.
 *
 * One direction ("half") keeps one buffer, indexed by sequence number minus
 * base_seq:
 *
 *   base_seq
 *   |  consumed  | pending (contiguous) |  hole  | ooo range |  hole | ooo |
 *   0          start                  have      r[0].off  r[0].end  ...  cap
 *
 * [start, have) is in-order data not yet a whole message; next expected
 * sequence number is base_seq + have. Out-of-order bytes are copied to their
 * place and remembered as at most MAX_RANGES sorted, disjoint ranges; when
 * in-order data reaches a range, have jumps over it. Bytes before have are
 * never written again: retransmissions are trimmed (first copy wins, as the
 * receiver's stack would have done). The common case, an in-order segment on
 * an empty half, is framed straight from the packet without a copy; only an
 * unfinished tail is kept.
 *
 * Limits, and what each counts (never a silent drop):
 *   (have - start) + ooo span > max_stream_bytes      the first hole is given
 *       up (gaps, gap_bytes; the partial message before it: incomplete) and
 *       framing resynchronises on the next SIP start line (resync_skipped)
 *   more than MAX_RANGES holes                        same as above
 *   a message longer than max_stream_bytes           too_big; its bytes are
 *       skipped without buffering when Content-Length is known, otherwise the
 *       stream resynchronises
 *   a buffer would take all buffers over max_bytes    other flows evicted,
 *       least recently used first (evicted_memory)
 *   no free slot                                      LRU flow evicted (evicted_full)
 *   no segment for idle_ns                            flows_idle
 * A flow given up (eviction, idle, RST, end of input) first delivers every
 * whole message it still holds behind holes, then counts what is partial.
 *
 * Mid-stream pickup: a direction first seen without a SYN starts at the first
 * segment's sequence number in resync mode: bytes are skipped up to the first
 * line that tr_sip_parse accepts as a SIP start line. A segment that starts
 * at a message boundary (the usual case) loses nothing. A body line that
 * happens to look like a start line (message/sipfrag) can be mistaken for
 * one; that is the price of picking up a stream at all.
 *
 * Timestamp rule: a message carries the packet (and so the time) of the
 * segment that completed it; with out-of-order arrival that is the segment
 * that filled the last hole, not the one that carried the last bytes.
 *
 * Closed flows keep their slot (without buffers) until idle or evicted, so a
 * retransmitted last segment after the FIN is recognised as a retransmission
 * instead of starting a new flow that would deliver the message twice.
 */
#include "reasm.h"

#include "../proto/proto.h"

#include <stdlib.h>

#define NIL UINT32_MAX
#define MAX_RANGES 16
#define BUF_MIN 4096u
#define SKIP_MAX (16u << 20) /* largest oversized message skipped by length */
#define SPARE_MAX 256        /* spare buffers kept for reuse (see put_spare) */

struct range {
    uint32_t off, end; /* relative to base_seq */
};

struct half {
    uint8_t *buf;
    uint32_t cap;
    uint32_t base_seq; /* sequence number of buf[0] */
    uint32_t start;    /* first byte not yet framed */
    uint32_t have;     /* end of contiguous data */
    uint32_t want;     /* pending bytes needed before parsing again (0: parse) */
    uint64_t skip;     /* bytes of an oversized message still to skip */
    struct range r[MAX_RANGES];
    uint8_t n_r;
    bool seq_known;
    bool syn_seen;
    bool resync;    /* looking for a SIP start line (or WebSocket frame) */
    bool ws;        /* WebSocket framing (RFC 6455) instead of SIP framing */
    bool after_gap; /* the next message follows lost bytes */
    bool fin_known;
    bool closed;
    uint32_t isn;
    uint32_t fin_seq;
    uint64_t last_ns;
    struct tr_ws_asm wsa; /* joins WebSocket fragments; its buffer is kept like buf */
};

struct flow_key {
    uint8_t a[16], b[16]; /* a: the lower endpoint (address, then port) */
    uint16_t pa, pb;
    uint8_t family;
};

struct flow {
    struct flow_key key;
    uint32_t hash;
    uint32_t hnext;
    uint32_t prev, next; /* LRU list when used, free stack (next) when free */
    bool used;
    bool closed;
    uint64_t last_ns;
    struct half h[2]; /* h[0]: a -> b, h[1]: b -> a */
};

struct tr_tcp_table {
    struct tr_tcp_conf conf;
    struct tr_tcp_stats stats;
    struct flow *flows;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t lru_head, lru_tail;
    uint32_t free_top;
    uint64_t seed;
    uint8_t *spare[SPARE_MAX]; /* BUF_MIN buffers of closed flows, for the next flow */
    unsigned n_spare;
};

/* What a delivery needs besides the half. */
struct ctx {
    struct tr_tcp_table *t;
    struct flow *f;
    int dir;
    const struct tr_packet *pkt; /* NULL: build a synthetic one on delivery */
    tr_tcp_msg_fn cb;
    void *user;
    bool flushed;
    int n;
};

static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* ---------------------------------------------------------------- table */

static uint32_t key_hash(const struct tr_tcp_table *t, const struct flow_key *k)
{
    uint64_t h = t->seed ^ ((uint64_t)k->family << 32 | (uint64_t)k->pa << 16 | k->pb);
    return tr_hash_addr_pair(h, k->a, k->b);
}

static bool key_eq(const struct flow_key *x, const struct flow_key *y)
{
    return x->pa == y->pa && x->pb == y->pb && x->family == y->family &&
           memcmp(x->a, y->a, 16) == 0 && memcmp(x->b, y->b, 16) == 0;
}

/* Fills k from pkt and returns the direction (0: pkt goes a -> b). */
static int make_key(const struct tr_packet *pkt, struct flow_key *k)
{
    memset(k, 0, sizeof(*k));
    size_t alen = pkt->src.family == TR_AF_INET ? 4 : 16;
    int c = memcmp(pkt->src.a, pkt->dst.a, alen);
    int dir = c > 0 || (c == 0 && pkt->sport > pkt->dport);
    const struct tr_addr *lo = dir ? &pkt->dst : &pkt->src, *hi = dir ? &pkt->src : &pkt->dst;
    memcpy(k->a, lo->a, alen);
    memcpy(k->b, hi->a, alen);
    k->pa = dir ? pkt->dport : pkt->sport;
    k->pb = dir ? pkt->sport : pkt->dport;
    k->family = pkt->src.family;
    return dir;
}

struct tr_tcp_table *tr_tcp_table_new(const struct tr_tcp_conf *conf)
{
    struct tr_tcp_table *t = calloc(1, sizeof(*t));
    if (!t)
        goto fail;
    if (conf)
        t->conf = *conf;
    if (t->conf.max_flows == 0)
        t->conf.max_flows = 4096;
    if (t->conf.max_flows > (1u << 24))
        t->conf.max_flows = 1u << 24;
    if (t->conf.max_bytes == 0)
        t->conf.max_bytes = 64u << 20;
    if (t->conf.max_bytes < 2 * BUF_MIN)
        t->conf.max_bytes = 2 * BUF_MIN;
    if (t->conf.max_stream_bytes == 0)
        t->conf.max_stream_bytes = 256u << 10;
    /* One flow must fit in the budget with both directions full. */
    if (t->conf.max_stream_bytes > t->conf.max_bytes / 2)
        t->conf.max_stream_bytes = t->conf.max_bytes / 2;
    if (t->conf.max_stream_bytes > (1u << 30))
        t->conf.max_stream_bytes = 1u << 30;
    if (t->conf.max_stream_bytes < BUF_MIN)
        t->conf.max_stream_bytes = BUF_MIN;
    if (t->conf.idle_ns == 0)
        t->conf.idle_ns = 300ull * 1000000000u;

    uint32_t n = t->conf.max_flows, nb = 16;
    while (nb < n)
        nb <<= 1;
    t->flows = calloc(n, sizeof(*t->flows));
    t->buckets = malloc(nb * sizeof(*t->buckets));
    if (!t->flows || !t->buckets)
        goto fail;
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = NIL;
    t->bucket_mask = nb - 1;
    for (uint32_t i = 0; i < n; i++)
        t->flows[i].next = i + 1 < n ? i + 1 : NIL;
    t->free_top = 0;
    t->lru_head = t->lru_tail = NIL;
    t->seed = tr_now_mono_ns() ^ (uint64_t)(uintptr_t)t;
    return t;

fail:
    tr_tcp_table_free(t);
    return NULL;
}

void tr_tcp_table_free(struct tr_tcp_table *t)
{
    if (!t)
        return;
    if (t->flows) {
        for (uint32_t i = 0; i < t->conf.max_flows; i++) {
            for (int d = 0; d < 2; d++) {
                free(t->flows[i].h[d].buf);
                free(t->flows[i].h[d].wsa.buf);
            }
        }
    }
    for (unsigned i = 0; i < t->n_spare; i++)
        free(t->spare[i]);
    free(t->flows);
    free(t->buckets);
    free(t);
}

const struct tr_tcp_stats *tr_tcp_stats(const struct tr_tcp_table *t)
{
    return &t->stats;
}

static void free_buf(struct tr_tcp_table *t, struct half *h)
{
    if (h->buf) {
        t->stats.buffer_bytes -= h->cap;
        free(h->buf);
        h->buf = NULL;
        h->cap = 0;
    }
    if (h->wsa.buf) {
        t->stats.buffer_bytes -= h->wsa.cap;
        free(h->wsa.buf);
        tr_ws_asm_init(&h->wsa, NULL, 0);
    }
}

/* A closed flow keeps its slot for a while (late retransmissions), but not
 * its buffers: small ones go to a spare list that the next flow takes from,
 * so a table that sees many short connections holds about as many buffers
 * as it has connections open at once, and a new flow does not allocate.
 * Spare buffers still count in buffer_bytes. */
static void put_spare(struct tr_tcp_table *t, struct half *h)
{
    if (h->buf && h->cap == BUF_MIN && t->n_spare < SPARE_MAX) {
        t->spare[t->n_spare++] = h->buf;
        h->buf = NULL;
        h->cap = 0;
    }
    if (h->wsa.buf && h->wsa.cap == BUF_MIN && t->n_spare < SPARE_MAX) {
        t->spare[t->n_spare++] = h->wsa.buf;
        tr_ws_asm_init(&h->wsa, NULL, 0);
    }
}

static uint8_t *take_spare(struct tr_tcp_table *t)
{
    return t->n_spare ? t->spare[--t->n_spare] : NULL;
}

/* Clears a half's stream state; its buffers stay for reuse. */
static void half_reset(struct half *h)
{
    uint8_t *buf = h->buf, *ws_buf = h->wsa.buf;
    uint32_t cap = h->cap;
    size_t ws_cap = h->wsa.cap;
    memset(h, 0, sizeof(*h));
    h->buf = buf;
    h->cap = cap;
    tr_ws_asm_init(&h->wsa, ws_buf, ws_cap);
}

static void lru_unlink(struct tr_tcp_table *t, uint32_t idx)
{
    struct flow *f = &t->flows[idx];
    if (f->prev != NIL)
        t->flows[f->prev].next = f->next;
    else
        t->lru_head = f->next;
    if (f->next != NIL)
        t->flows[f->next].prev = f->prev;
    else
        t->lru_tail = f->prev;
}

static void lru_append(struct tr_tcp_table *t, uint32_t idx)
{
    struct flow *f = &t->flows[idx];
    f->next = NIL;
    f->prev = t->lru_tail;
    if (t->lru_tail != NIL)
        t->flows[t->lru_tail].next = idx;
    else
        t->lru_head = idx;
    t->lru_tail = idx;
}

/* Returns a used slot to the free stack. Buffers are kept while all buffers
 * together stay under half the budget (warm reuse), freed otherwise. */
static void release(struct tr_tcp_table *t, uint32_t idx, bool free_bufs)
{
    struct flow *f = &t->flows[idx];
    uint32_t *link = &t->buckets[f->hash & t->bucket_mask];
    while (*link != idx)
        link = &t->flows[*link].hnext;
    *link = f->hnext;
    lru_unlink(t, idx);
    for (int d = 0; d < 2; d++) {
        if (free_bufs || t->stats.buffer_bytes > t->conf.max_bytes / 2)
            free_buf(t, &f->h[d]);
        half_reset(&f->h[d]);
    }
    f->used = false;
    f->closed = false;
    t->stats.flows--;
    f->next = t->free_top;
    t->free_top = idx;
}

/* ---------------------------------------------------------------- buffers */

static void release_idx(struct tr_tcp_table *t, uint32_t idx, struct ctx *outer, uint64_t *counter);

/* Makes room for extra more buffer bytes in the budget: other flows are
 * evicted, least recently used first, then buffers kept warm on free slots
 * are freed. */
static bool make_budget(struct ctx *c, size_t extra)
{
    struct tr_tcp_table *t = c->t;
    while (t->n_spare && t->stats.buffer_bytes + extra > t->conf.max_bytes) {
        free(take_spare(t));
        t->stats.buffer_bytes -= BUF_MIN;
    }
    uint32_t i;
    for (i = t->free_top; i != NIL && t->stats.buffer_bytes + extra > t->conf.max_bytes;
         i = t->flows[i].next) {
        free_buf(t, &t->flows[i].h[0]);
        free_buf(t, &t->flows[i].h[1]);
    }
    uint32_t self = (uint32_t)(c->f - t->flows);
    i = t->lru_head;
    while (i != NIL && t->stats.buffer_bytes + extra > t->conf.max_bytes) {
        uint32_t nxt = t->flows[i].next;
        struct flow *o = &t->flows[i];
        if (i != self && (o->h[0].buf || o->h[1].buf || o->h[0].wsa.buf || o->h[1].wsa.buf))
            release_idx(t, i, c, o->closed ? NULL : &t->stats.evicted_memory);
        i = nxt;
    }
    return t->stats.buffer_bytes + extra <= t->conf.max_bytes;
}

/* The capacity a buffer of cap bytes grows to for need bytes: doubling from
 * BUF_MIN, at most max_stream_bytes (so possibly less than need). */
static uint32_t grown_cap(const struct tr_tcp_table *t, uint32_t cap, size_t need)
{
    if (cap == 0)
        cap = BUF_MIN;
    while (cap < need && cap < t->conf.max_stream_bytes)
        cap <<= 1;
    if (cap > t->conf.max_stream_bytes)
        cap = (uint32_t)t->conf.max_stream_bytes;
    return cap;
}

/* Makes the WebSocket assembler's buffer hold need bytes, within the
 * per-stream bound and the budget. False leaves it as it was: the assembler
 * then drops the message as too big (counted). */
static bool ws_room(struct ctx *c, struct half *h, size_t need)
{
    struct tr_ws_asm *a = &h->wsa;
    if (need <= a->cap)
        return true;
    if (!a->buf && need <= BUF_MIN && (a->buf = take_spare(c->t)) != NULL) {
        a->cap = BUF_MIN;
        return true;
    }
    uint32_t cap = grown_cap(c->t, (uint32_t)a->cap, need);
    if (cap < need || !make_budget(c, cap - a->cap))
        return false;
    uint8_t *nb = realloc(a->buf, cap);
    if (!nb) {
        c->t->stats.no_memory++;
        return false;
    }
    c->t->stats.buffer_bytes += cap - a->cap;
    a->buf = nb;
    a->cap = cap;
    return true;
}

/* ---------------------------------------------------------------- delivery */

static void deliver(struct ctx *c, struct half *h, const uint8_t *p, size_t len,
                    const struct tr_sip_msg *msg, int rc)
{
    struct tr_packet synth;
    const struct tr_packet *pkt = c->pkt;
    if (!pkt) {
        /* Flushed: the flow's addresses in this half's direction. */
        const struct flow_key *k = &c->f->key;
        memset(&synth, 0, sizeof(synth));
        synth.ip_proto = 6;
        synth.ts_ns = h->last_ns;
        synth.src.family = synth.dst.family = k->family;
        memcpy(synth.src.a, c->dir ? k->b : k->a, 16);
        memcpy(synth.dst.a, c->dir ? k->a : k->b, 16);
        synth.sport = c->dir ? k->pb : k->pa;
        synth.dport = c->dir ? k->pa : k->pb;
        synth.payload = (struct tr_bytes){p, len};
        pkt = &synth;
    }
    struct tr_tcp_msg m = {
        .pkt = pkt,
        .data = {p, len},
        .sip = msg,
        .parse_rc = rc,
        .after_gap = h->after_gap,
        .flushed = c->flushed,
        .websocket = h->ws,
    };
    h->after_gap = false;
    c->t->stats.messages++;
    if (h->ws)
        c->t->stats.ws_messages++;
    if (rc != TR_OK)
        c->t->stats.malformed++;
    c->n++;
    if (c->cb)
        c->cb(c->user, &m);
}

/* Resync helpers. A candidate start line must parse as SIP and, for a
 * request, have a method of upper-case letters (every registered method is
 * one): after a lost segment the body of the broken message often runs into
 * the next start line without a line end, and "xyzINVITE sip:..." parses as
 * a request with a strange method. */
static bool plausible_start(const uint8_t *p, size_t len)
{
    struct tr_sip_msg m;
    if (tr_sip_parse((struct tr_bytes){p, len}, &m) == TR_DECLINED)
        return false;
    for (size_t i = 0; i < m.method.len; i++)
        if (m.method.ptr[i] < 'A' || m.method.ptr[i] > 'Z')
            return false;
    return true;
}

/* A start line glued to the end of other bytes: the last known method (or
 * "SIP/2.0 " status line) inside the line [p, p + n) that parses. */
static size_t find_inside_line(const uint8_t *p, size_t n, size_t len)
{
    static const char *const methods[] = {
        "INVITE ", "ACK ", "BYE ", "CANCEL ", "OPTIONS ", "REGISTER ", "PRACK ", "SUBSCRIBE ",
        "NOTIFY ", "PUBLISH ", "INFO ", "REFER ", "MESSAGE ", "UPDATE ", "SIP/2.0 ",
    };
    for (size_t q = 1; q < n; q++) {
        if (p[q] != 'I' && p[q] != 'A' && p[q] != 'B' && p[q] != 'C' && p[q] != 'O' &&
            p[q] != 'R' && p[q] != 'P' && p[q] != 'S' && p[q] != 'N' && p[q] != 'M' && p[q] != 'U')
            continue;
        for (size_t i = 0; i < TR_ARRAY_LEN(methods); i++) {
            size_t ml = strlen(methods[i]);
            if (n - q >= ml && memcmp(p + q, methods[i], ml) == 0 &&
                plausible_start(p + q, len - q))
                return q;
        }
    }
    return n;
}

/* Resync: the offset of the first place in [0, len) where a SIP start line
 * begins or may still begin (the line is unfinished). len when there is none
 * yet; then *keep says where the unfinished last line starts. */
static size_t find_start_line(const uint8_t *p, size_t len, size_t *keep)
{
    size_t ls = 0;
    *keep = len;
    while (ls < len) {
        const uint8_t *nl = memchr(p + ls, '\n', len - ls);
        if (!nl) {
            *keep = ls;
            /* An unfinished line: tr_sip_parse declines it at once unless
             * it could still become a start line. */
            struct tr_sip_msg m;
            struct tr_ws_upgrade up;
            struct tr_bytes rest = {p + ls, len - ls};
            if (tr_sip_parse(rest, &m) != TR_DECLINED ||
                tr_ws_upgrade_parse(rest, &up) != TR_DECLINED)
                return ls;
            return len;
        }
        struct tr_ws_upgrade up;
        if (plausible_start(p + ls, len - ls) ||
            tr_ws_upgrade_parse((struct tr_bytes){p + ls, len - ls}, &up) != TR_DECLINED)
            return ls;
        size_t n = (size_t)(nl - p) - ls;
        size_t in = find_inside_line(p + ls, n, len - ls);
        if (in < n)
            return ls + in;
        ls = (size_t)(nl - p) + 1;
    }
    return len;
}

enum ws_guess { WS_NO, WS_SIP, WS_WAIT };

/* Whether [p, p + len) starts with a WebSocket frame that begins a data
 * message whose payload starts with a SIP start line; WS_WAIT when its
 * header or the first bytes of its payload are still missing. */
static enum ws_guess ws_frame_with_sip(const uint8_t *p, size_t len)
{
    enum { PROBE = 256, MIN_SIP = 16 };
    uint8_t b = p[0] & 0x7f;
    if (b != TR_WS_OP_TEXT && b != TR_WS_OP_BINARY)
        return WS_NO;
    struct tr_ws_frame wf;
    int rc = tr_ws_frame_parse((struct tr_bytes){p, len}, &wf);
    /* The same bounds frame_ws() applies: a frame it would reject must not
     * be taken as a resync point, or resync would stop on it forever. */
    if (rc == -TR_E_MALFORMED ||
        (wf.header_len && (wf.payload_len < MIN_SIP ||
                            wf.header_len + wf.payload_len > SKIP_MAX)))
        return WS_NO;
    if (wf.header_len == 0)
        return WS_WAIT;
    size_t avail = len - wf.header_len;
    if (avail > wf.payload_len)
        avail = (size_t)wf.payload_len;
    if (avail < MIN_SIP)
        return WS_WAIT;
    uint8_t head[PROBE];
    size_t n = avail < PROBE ? avail : PROBE;
    if (wf.masked)
        tr_ws_unmask(head, p + wf.header_len, n, wf.mask, 0);
    else
        memcpy(head, p + wf.header_len, n);
    return plausible_start(head, n) ? WS_SIP : WS_NO;
}

/* WebSocket resync: the offset of the first frame in [0, len) that starts a
 * data message whose payload begins with a SIP start line, len when there is
 * none. *keep is where a frame that cannot be judged yet (its header or the
 * first bytes of its payload are still missing) begins, len if none. Only
 * bytes 0x01, 0x02, 0x81, 0x82 (text or binary, RSV clear) can start such a
 * frame, and they never occur in SIP text, so scanning plain SIP is cheap. */
static size_t find_ws_start(const uint8_t *p, size_t len, size_t *keep)
{
    *keep = len;
    for (size_t i = 0; i < len; i++) {
        enum ws_guess g = ws_frame_with_sip(p + i, len - i);
        if (g == WS_SIP)
            return i;
        if (g == WS_WAIT) {
            *keep = i;
            return len;
        }
    }
    return len;
}

/* Counts the partial WebSocket message being joined (if any) as lost. */
static void ws_lose(struct tr_tcp_stats *st, struct half *h)
{
    if (h->wsa.active && !h->wsa.discarding)
        st->incomplete++;
    h->wsa.active = h->wsa.discarding = false;
    h->wsa.len = 0;
}

/* One whole WebSocket frame: joined into its message; a complete data
 * message is parsed and delivered as SIP. */
static void ws_take(struct ctx *c, struct half *h, const struct tr_ws_frame *wf)
{
    struct tr_tcp_stats *st = &c->t->stats;
    if (wf->opcode >= TR_WS_OP_CLOSE) {
        st->ws_control_frames++;
        return;
    }
    size_t have = wf->opcode == TR_WS_OP_CONT ? h->wsa.len : 0;
    if (!h->wsa.discarding || wf->opcode != TR_WS_OP_CONT)
        ws_room(c, h, have + (size_t)wf->payload_len);
    struct tr_bytes msg;
    int rc = tr_ws_asm_add(&h->wsa, wf, &msg);
    if (rc == -TR_E_FULL) {
        st->too_big++;
    } else if (rc == -TR_E_MALFORMED) {
        st->ws_errors++;
    } else if (rc == 1) {
        /* The WebSocket message is the SIP message (RFC 7118 5.2): one
         * whose headers never end is malformed SIP, not a partial one. */
        struct tr_sip_msg sip;
        int prc = tr_sip_parse(msg, &sip);
        if (prc == -TR_E_TRUNCATED) {
            sip.header_len = sip.msg_len = msg.len;
            prc = -TR_E_MALFORMED;
        }
        if (prc == TR_OK || prc == -TR_E_MALFORMED)
            deliver(c, h, msg.ptr, msg.len, &sip, prc);
        else
            st->ws_not_sip++;
    }
}

/* A frame too big to buffer: skipped by its length, and the message it
 * belongs to is dropped (counted once, as too_big). */
static void ws_skip_frame(struct ctx *c, struct half *h, const struct tr_ws_frame *wf)
{
    struct tr_ws_asm *a = &h->wsa;
    c->t->stats.too_big += !(a->discarding && wf->opcode == TR_WS_OP_CONT);
    if (wf->opcode != TR_WS_OP_CONT)
        a->active = true;
    a->len = 0;
    a->discarding = !wf->fin;
    if (wf->fin)
        a->active = false;
}

/* An HTTP Upgrade at p switches the direction to WebSocket framing after
 * it: the client's request at once, the server's response only when it is
 * 101. Returns the bytes to consume (the header block), 0 to wait for more,
 * or -1 when p is not an Upgrade. */
static long take_upgrade(struct ctx *c, struct half *h, const uint8_t *p, size_t len)
{
    struct tr_ws_upgrade up;
    int rc = tr_ws_upgrade_parse((struct tr_bytes){p, len}, &up);
    if (rc == -TR_E_TRUNCATED)
        return 0;
    if (rc != TR_OK)
        return -1;
    if (up.is_request || up.status == 101) {
        h->ws = true;
        ws_lose(&c->t->stats, h);
        c->t->stats.ws_upgrades++;
    }
    return (long)up.header_len;
}

/* Frames a direction that carries WebSocket: whole frames at the start of
 * [p, p + len). Returns the bytes consumed. */
static size_t frame_ws(struct ctx *c, struct half *h, const uint8_t *p, size_t len)
{
    struct tr_tcp_stats *st = &c->t->stats;
    size_t max = c->t->conf.max_stream_bytes;
    size_t pos = 0;
    while (pos < len && !h->skip && !h->resync) {
        struct tr_ws_frame wf;
        int rc = tr_ws_frame_parse((struct tr_bytes){p + pos, len - pos}, &wf);
        uint64_t total = wf.header_len + wf.payload_len;
        if (rc == -TR_E_MALFORMED || (wf.header_len && total > SKIP_MAX)) {
            st->ws_errors++;
            ws_lose(st, h);
            h->resync = true;
            h->after_gap = true;
            break;
        }
        if (wf.header_len && total > max) {
            ws_skip_frame(c, h, &wf);
            if (total <= len - pos) {
                pos += (size_t)total;
            } else {
                h->skip = total - (len - pos);
                pos = len;
            }
            continue;
        }
        if (rc == -TR_E_TRUNCATED)
            break;
        pos += (size_t)total;
        ws_take(c, h, &wf);
    }
    return pos;
}

/* Frames whole SIP messages at the start of [p, p + len) (contiguous stream
 * bytes of half h) and delivers them. Returns the bytes consumed; the rest is
 * an unfinished message (or line, in resync) to keep. */
static size_t frame(struct ctx *c, struct half *h, const uint8_t *p, size_t len)
{
    struct tr_tcp_stats *st = &c->t->stats;
    size_t max = c->t->conf.max_stream_bytes;
    size_t pos = 0;
    while (pos < len) {
        size_t left = len - pos;
        if (h->skip) {
            size_t n = h->skip < left ? (size_t)h->skip : left;
            h->skip -= n;
            pos += n;
            continue;
        }
        if (h->resync) {
            /* A SIP start line (or HTTP Upgrade) unless the direction is
             * known to carry WebSocket, or a WebSocket frame with SIP in
             * it, whichever comes first. */
            size_t keep = left, ws_keep;
            size_t at = h->ws ? left : find_start_line(p + pos, left, &keep);
            size_t ws_at = find_ws_start(p + pos, left, &ws_keep);
            if (ws_at < at)
                at = ws_at;
            if (at == left) {
                /* Nothing yet: keep what may still become a start, unless
                 * it is already too long to be worth waiting for. */
                if (ws_keep < keep)
                    keep = ws_keep;
                if (left - keep >= max)
                    keep = left;
                st->resync_skipped += keep;
                pos += keep;
                return pos;
            }
            st->resync_skipped += at;
            pos += at;
            if (at)
                h->after_gap = true;
            h->resync = false;
            h->want = 0;
            if (at == ws_at && !h->ws) {
                h->ws = true;
                st->ws_midstream++;
            }
            continue;
        }
        if (h->ws) {
            size_t n = frame_ws(c, h, p + pos, left);
            if (n == 0 && h->resync) {
                /* The frame resync stopped on was rejected after all:
                 * step past its first byte so the scan moves on. */
                st->resync_skipped++;
                n = 1;
            }
            pos += n;
            if (h->resync || h->skip)
                continue;
            return pos;
        }
        if (p[pos] == '\r' || p[pos] == '\n') {
            st->keepalive_bytes++;
            pos++;
            continue;
        }
        if (h->want && left < h->want)
            return pos;
        struct tr_sip_msg msg;
        int rc = tr_sip_parse((struct tr_bytes){p + pos, left}, &msg);
        if (rc == TR_DECLINED) {
            long n = take_upgrade(c, h, p + pos, left);
            if (n == 0)
                return pos;
            if (n > 0) {
                pos += (size_t)n;
                continue;
            }
            h->resync = true;
            h->after_gap = true;
            continue; /* find_start_line skips at least this line */
        }
        if (rc == -TR_E_TRUNCATED) {
            if (left >= max) {
                /* Headers that never end within the bound. */
                st->too_big++;
                st->resync_skipped += left;
                h->resync = true;
                h->after_gap = true;
                return len;
            }
            h->want = 0;
            return pos;
        }
        /* TR_OK or -TR_E_MALFORMED: the headers are whole. Absent (or
         * unreadable) Content-Length means no body on a stream. */
        uint64_t need = msg.header_len;
        if (msg.content_length > 0)
            need += (uint64_t)msg.content_length;
        if (need > max) {
            st->too_big++;
            h->after_gap = true;
            h->want = 0;
            if (need > SKIP_MAX) {
                /* A Content-Length that large is more likely garbage than a
                 * body: look for the next start line instead. */
                h->resync = true;
                st->resync_skipped++;
                pos++;
                continue;
            }
            if (need <= left) {
                pos += (size_t)need;
            } else {
                h->skip = need - left;
                pos = len;
            }
            continue;
        }
        if (need > left) {
            h->want = (uint32_t)need;
            return pos;
        }
        h->want = 0;
        if (msg.content_length < 0) {
            msg.body = (struct tr_bytes){p + pos + msg.header_len, 0};
            msg.msg_len = msg.header_len;
        }
        deliver(c, h, p + pos, (size_t)need, &msg, rc);
        pos += (size_t)need;
    }
    return pos;
}

/* ---------------------------------------------------------------- halves */

static uint32_t half_end(const struct half *h)
{
    return h->n_r ? h->r[h->n_r - 1].end : h->have;
}

/* Drops consumed bytes and normalises offsets so that start == 0. */
static void compact(struct half *h)
{
    if (h->start == 0)
        return;
    uint32_t s = h->start, e = half_end(h);
    if (h->buf && e > s)
        memmove(h->buf, h->buf + s, e - s);
    h->base_seq += s;
    h->have -= s;
    for (unsigned i = 0; i < h->n_r; i++) {
        h->r[i].off -= s;
        h->r[i].end -= s;
    }
    h->start = 0;
}

/* Makes buf hold offsets up to end (end - start <= max_stream_bytes). Other
 * flows are evicted, least recently used first, to stay in the byte budget. */
static bool ensure_room(struct ctx *c, struct half *h, uint32_t *end)
{
    struct tr_tcp_table *t = c->t;
    if (*end <= h->cap)
        return true;
    uint32_t s = h->start;
    compact(h);
    *end -= s;
    if (*end <= h->cap)
        return true;
    if (!h->buf && *end <= BUF_MIN && (h->buf = take_spare(t)) != NULL) {
        h->cap = BUF_MIN;
        return true;
    }
    uint32_t cap = grown_cap(t, h->cap, *end);
    if (cap < *end)
        return false;
    size_t extra = cap - h->cap;
    if (!make_budget(c, extra))
        return false;
    uint8_t *nb = realloc(h->buf, cap);
    if (!nb) {
        t->stats.no_memory++;
        return false;
    }
    h->buf = nb;
    h->cap = cap;
    t->stats.buffer_bytes += extra;
    return true;
}

/* Frames what is contiguous in the buffer. */
static void frame_buffered(struct ctx *c, struct half *h)
{
    if (h->have > h->start)
        h->start += (uint32_t)frame(c, h, h->buf + h->start, h->have - h->start);
    if (h->start == h->have && h->n_r == 0) {
        h->base_seq += h->have;
        h->start = h->have = 0;
    }
}

/* Absorbs ranges that in-order data has reached. */
static void absorb_ranges(struct half *h)
{
    while (h->n_r && h->r[0].off <= h->have) {
        if (h->r[0].end > h->have)
            h->have = h->r[0].end;
        memmove(h->r, h->r + 1, (h->n_r - 1) * sizeof(h->r[0]));
        h->n_r--;
    }
}

/* Counts the unfinished message in [start, have) as lost. */
static void lose_pending(struct tr_tcp_stats *st, struct half *h)
{
    bool ws_partial = h->ws && h->wsa.active && !h->wsa.discarding;
    ws_lose(st, h);
    if (h->have > h->start && (h->resync || h->skip))
        st->resync_skipped += h->have - h->start;
    else if (h->have > h->start && !ws_partial)
        st->incomplete++;
    h->want = 0;
    h->skip = 0;
}

/* Gives up the first hole: the partial message before it is lost, framing
 * resynchronises at the first out-of-order range, which becomes in-order. */
static void skip_gap(struct ctx *c, struct half *h)
{
    struct tr_tcp_stats *st = &c->t->stats;
    lose_pending(st, h);
    st->gaps++;
    st->gap_bytes += h->r[0].off - h->have;
    h->start = h->have = h->r[0].off;
    absorb_ranges(h);
    h->resync = true;
    h->after_gap = true;
    frame_buffered(c, h);
}

/* Delivers what a half still holds behind holes, counts the rest, clears it. */
static void flush_half(struct ctx *c, struct half *h)
{
    frame_buffered(c, h);
    while (h->n_r)
        skip_gap(c, h);
    lose_pending(&c->t->stats, h);
    h->start = h->have;
    h->base_seq += h->have;
    h->start = h->have = 0;
}

static void flush_flow(struct tr_tcp_table *t, uint32_t idx, struct ctx *outer)
{
    struct flow *f = &t->flows[idx];
    for (int d = 0; d < 2; d++) {
        if (!f->h[d].buf && !f->h[d].n_r && !f->h[d].wsa.active)
            continue;
        struct ctx c = {t, f, d, NULL, outer ? outer->cb : NULL, outer ? outer->user : NULL,
                        true, 0};
        flush_half(&c, &f->h[d]);
    }
}

/* Flushes a flow and frees its slot, counting it under counter (if any). */
static void release_idx(struct tr_tcp_table *t, uint32_t idx, struct ctx *outer, uint64_t *counter)
{
    flush_flow(t, idx, outer);
    if (counter)
        (*counter)++;
    release(t, idx, counter == &t->stats.evicted_memory);
}

/* Places len bytes at sequence number seq. */
static void place(struct ctx *c, struct half *h, uint32_t seq, const uint8_t *p, size_t len)
{
    struct tr_tcp_table *t = c->t;
    struct tr_tcp_stats *st = &t->stats;
    size_t max = t->conf.max_stream_bytes;
    if (len > max) {
        /* Bigger than any buffer: keep its tail only (a jumbo GRO segment
         * never happens for SIP; it is still bounded). */
        st->gaps++;
        st->gap_bytes += len - max;
        seq += (uint32_t)(len - max);
        p += len - max;
        len = max;
    }
    for (;;) {
        uint32_t next = h->base_seq + h->have;
        int32_t rel = seq_diff(seq, next);
        if (rel < 0) {
            if ((uint64_t)-(int64_t)rel >= len) {
                st->retransmissions++;
                return;
            }
            st->overlap_bytes += (uint64_t)-(int64_t)rel;
            p += -(int64_t)rel;
            len -= (size_t)-(int64_t)rel;
            seq = next;
            rel = 0;
        }
        if (rel == 0 && h->start == h->have && h->n_r == 0) {
            /* Fast path: frame from the packet, keep only the tail. */
            size_t used = frame(c, h, p, len);
            h->base_seq = seq + (uint32_t)used;
            h->start = h->have = 0;
            if (used == len)
                return;
            p += used;
            len -= used;
            seq += (uint32_t)used;
            uint32_t end = (uint32_t)len;
            if (!ensure_room(c, h, &end)) {
                lose_pending(st, h);
                st->gaps++;
                st->gap_bytes += len;
                h->base_seq = seq + (uint32_t)len;
                h->resync = true;
                h->after_gap = true;
                return;
            }
            memcpy(h->buf, p, len);
            h->have = (uint32_t)len;
            return;
        }
        uint64_t off = (uint64_t)h->have + (uint64_t)rel;
        uint64_t end64 = off + len;
        if (end64 - h->start > max || (rel > 0 && h->n_r == MAX_RANGES)) {
            /* Over the per-stream bound: give up the first hole. */
            if (h->n_r) {
                skip_gap(c, h);
                continue;
            }
            if (rel > 0) {
                /* Pending data plus a far-ahead segment: lose the pending
                 * message and the hole, start over at this segment. */
                lose_pending(st, h);
                st->gaps++;
                st->gap_bytes += (uint64_t)rel;
                h->base_seq = seq;
                h->start = h->have = 0;
                h->resync = true;
                h->after_gap = true;
                continue;
            }
            /* In-order bytes that would make the pending message too big. */
            st->too_big++;
            lose_pending(st, h);
            h->start = h->have;
            h->resync = true;
            h->after_gap = true;
            frame_buffered(c, h);
            continue;
        }
        uint32_t end = (uint32_t)end64;
        uint32_t old_start = h->start;
        if (!ensure_room(c, h, &end)) {
            if (rel > 0) {
                st->no_memory++; /* the hole it would have filled is counted later */
                return;
            }
            lose_pending(st, h);
            st->gaps++;
            st->gap_bytes += len;
            h->base_seq += h->have + (uint32_t)len;
            h->start = h->have = 0;
            h->n_r = 0;
            h->resync = true;
            h->after_gap = true;
            return;
        }
        off -= old_start - h->start; /* compact may have moved everything */
        memcpy(h->buf + off, p, len);
        if (rel == 0) {
            h->have = end;
            absorb_ranges(h);
            frame_buffered(c, h);
            return;
        }
        /* Out of order: merge [off, end) into the sorted ranges. */
        uint32_t a = (uint32_t)off, b = end;
        unsigned i = 0;
        while (i < h->n_r && h->r[i].end < a)
            i++;
        if (i < h->n_r && h->r[i].off <= a && h->r[i].end >= b) {
            st->retransmissions++;
            return;
        }
        st->out_of_order++;
        unsigned j = i;
        while (j < h->n_r && h->r[j].off <= b) {
            if (h->r[j].off < a)
                a = h->r[j].off;
            if (h->r[j].end > b)
                b = h->r[j].end;
            j++;
        }
        /* ranges i..j-1 merge into one */
        unsigned n_after = h->n_r - j;
        memmove(h->r + i + 1, h->r + j, n_after * sizeof(h->r[0]));
        h->r[i] = (struct range){a, b};
        h->n_r = (uint8_t)(i + 1 + n_after);
        return;
    }
}

/* ---------------------------------------------------------------- API */

static void expire(struct tr_tcp_table *t, uint64_t now_ns, struct ctx *outer)
{
    while (t->lru_head != NIL) {
        struct flow *f = &t->flows[t->lru_head];
        if (!(now_ns > f->last_ns && now_ns - f->last_ns > t->conf.idle_ns))
            break;
        release_idx(t, t->lru_head, outer, f->closed ? NULL : &t->stats.flows_idle);
    }
}

void tr_tcp_stream_expire(struct tr_tcp_table *t, uint64_t now_ns, tr_tcp_msg_fn cb, void *user)
{
    struct ctx c = {.t = t, .cb = cb, .user = user, .dir = 0};
    expire(t, now_ns, &c);
}

void tr_tcp_stream_flush(struct tr_tcp_table *t, tr_tcp_msg_fn cb, void *user)
{
    struct ctx c = {.t = t, .cb = cb, .user = user, .dir = 0};
    while (t->lru_head != NIL)
        release_idx(t, t->lru_head, &c, NULL);
}

static uint32_t acquire(struct tr_tcp_table *t, const struct flow_key *k, uint32_t hash,
                        struct ctx *outer)
{
    if (t->free_top == NIL) {
        struct flow *o = &t->flows[t->lru_head];
        release_idx(t, t->lru_head, outer, o->closed ? NULL : &t->stats.evicted_full);
    }
    uint32_t idx = t->free_top;
    struct flow *f = &t->flows[idx];
    t->free_top = f->next;
    f->key = *k;
    f->hash = hash;
    f->used = true;
    f->closed = false;
    f->hnext = t->buckets[hash & t->bucket_mask];
    t->buckets[hash & t->bucket_mask] = idx;
    lru_append(t, idx);
    t->stats.flows++;
    t->stats.flows_created++;
    return idx;
}

static uint32_t lookup(struct tr_tcp_table *t, const struct flow_key *k, uint32_t hash)
{
    for (uint32_t i = t->buckets[hash & t->bucket_mask]; i != NIL; i = t->flows[i].hnext)
        if (t->flows[i].hash == hash && key_eq(&t->flows[i].key, k))
            return i;
    return NIL;
}

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_ACK = 0x10 };

/* A half reaches its FIN: nothing more can complete its partial message. */
static void check_fin(struct ctx *c, struct half *h)
{
    if (!h->fin_known || h->closed || h->base_seq + h->have != h->fin_seq)
        return;
    flush_half(c, h);
    h->closed = true;
    struct flow *f = c->f;
    if (f->h[0].closed && f->h[1].closed && !f->closed) {
        f->closed = true;
        c->t->stats.flows_closed_fin++;
        for (int d = 0; d < 2; d++) {
            put_spare(c->t, &f->h[d]);
            if (c->t->stats.buffer_bytes > c->t->conf.max_bytes / 2)
                free_buf(c->t, &f->h[d]);
        }
    }
}

/* Whether a segment opening an unknown flow on a port not known for SIP
 * looks like the start of SIP, SIP over WebSocket or its Upgrade. */
static bool starts_like_sip(struct tr_bytes p)
{
    struct tr_ws_upgrade up;
    return tr_sip_probe(p) || tr_ws_upgrade_parse(p, &up) != TR_DECLINED ||
           ws_frame_with_sip(p.ptr, p.len) == WS_SIP;
}

static int add_segment(struct tr_tcp_table *t, const struct tr_packet *pkt, bool open_any,
                       tr_tcp_msg_fn cb, void *user);

int tr_tcp_stream_add(struct tr_tcp_table *t, const struct tr_packet *pkt, tr_tcp_msg_fn cb,
                      void *user)
{
    return add_segment(t, pkt, true, cb, user);
}

int tr_tcp_stream_offer(struct tr_tcp_table *t, const struct tr_packet *pkt, tr_tcp_msg_fn cb,
                        void *user)
{
    return add_segment(t, pkt, false, cb, user);
}

static int add_segment(struct tr_tcp_table *t, const struct tr_packet *pkt, bool open_any,
                       tr_tcp_msg_fn cb, void *user)
{
    t->stats.segments++;
    if ((pkt->src.family != TR_AF_INET && pkt->src.family != TR_AF_INET6) ||
        pkt->dst.family != pkt->src.family || (pkt->payload.len && !pkt->payload.ptr))
        return -TR_E_MALFORMED;

    struct ctx c = {.t = t, .pkt = pkt, .cb = cb, .user = user};
    expire(t, pkt->ts_ns, &c);
    c.n = 0; /* messages of expired flows are not this segment's */

    struct flow_key k;
    int dir = make_key(pkt, &k);
    uint32_t hash = key_hash(t, &k);
    uint32_t idx = lookup(t, &k, hash);
    uint8_t fl = pkt->tcp_flags;
    if (idx == NIL) {
        /* Only data or a SYN opens a flow: bare ACKs, FINs and RSTs of
         * unknown flows (and ACK floods) cost nothing. */
        if ((fl & F_RST) || (pkt->payload.len == 0 && !(fl & F_SYN)))
            return 0;
        if (!open_any && (pkt->payload.len == 0 || !starts_like_sip(pkt->payload)))
            return 0;
        idx = acquire(t, &k, hash, &c);
        c.n = 0;
    } else {
        lru_unlink(t, idx);
        lru_append(t, idx);
    }
    struct flow *f = &t->flows[idx];
    f->last_ns = pkt->ts_ns;
    c.f = f;
    c.dir = dir;
    struct half *h = &f->h[dir];
    h->last_ns = pkt->ts_ns;

    if (fl & F_RST) {
        c.pkt = NULL; /* what a reset flushes was completed by no segment */
        c.flushed = true;
        release_idx(t, idx, &c, f->closed ? NULL : &t->stats.flows_closed_rst);
        return c.n;
    }

    uint32_t seq = pkt->tcp_seq;
    if (fl & F_SYN) {
        if (!(h->syn_seen && h->isn == seq)) {
            /* A new connection (SYN) or its answer (SYN+ACK). A SYN on a
             * known flow is port reuse: the old connection is over. */
            struct ctx fc = c;
            fc.pkt = NULL;
            fc.flushed = true;
            for (int d = 0; d < 2; d++) {
                if (d != dir && (fl & F_ACK))
                    continue;
                struct half *x = &f->h[d];
                if (x->seq_known && !x->closed)
                    flush_half(&fc, x);
                half_reset(x);
            }
            c.n += fc.n;
            f->closed = false;
            h->syn_seen = true;
            h->isn = seq;
            h->seq_known = true;
            h->base_seq = seq + 1;
        }
        seq += 1;
    }

    if (h->closed) {
        if (pkt->payload.len && seq_diff(seq + (uint32_t)pkt->payload.len, h->fin_seq) > 0)
            t->stats.after_close++;
        else if (pkt->payload.len)
            t->stats.retransmissions++;
        return c.n;
    }
    if (!h->seq_known) {
        if (pkt->payload.len == 0)
            return c.n;
        h->seq_known = true;
        h->base_seq = seq;
        h->start = h->have = 0;
        h->resync = true;
        t->stats.midstream++;
    }
    if (pkt->payload.len)
        place(&c, h, seq, pkt->payload.ptr, pkt->payload.len);
    if (fl & F_FIN) {
        h->fin_known = true;
        h->fin_seq = seq + (uint32_t)pkt->payload.len;
    }
    check_fin(&c, h);
    return c.n;
}
