/* defrag.c - IPv4 and IPv6 fragment reassembly (RFC 791 section 3.2,
 * RFC 8200 section 4.5, RFC 5722 for overlaps), as promised by reasm.h.
 *
 * Table: max_datagrams slots allocated once. A slot is found through a small
 * chained hash keyed by (family, src, dst, id, proto), with a per-table seed.
 * A linear scan would do for a few hundred slots, but the default is 1024 and
 * a fragment flood is exactly when reassembly runs hottest; the hash keeps a
 * lookup at a couple of compares for the price of one index per slot.
 * Used slots also sit on an age list (oldest first, by first fragment), which
 * gives both timeouts and "evict the oldest" in O(1); free slots form a LIFO
 * stack, so the slot (and warm buffer) just released is the next one used.
 *
 * Slot buffer, one allocation, kept when the slot is released:
 *   +------------------------------------+----------------------+
 *   | data: cap bytes (datagram payload) | bitmap: cap/64 bytes |
 *   +------------------------------------+----------------------+
 * One bit per 8-byte unit. Fragment offsets are multiples of 8 and only the
 * last fragment may end off a unit boundary, at the datagram's end, so a
 * unit is either wholly received or not at all: the bitmap is an exact hole
 * list at 1/64 of the data's size, with no fragment-count limit to attack.
 * cap grows by doubling from 2 KiB to 64 KiB (the largest datagram).
 *
 * Limits and what they count (never a silent drop):
 *   datagram payload > 65535 bytes (offset + len)       too_big, fragment dropped
 *   empty, unaligned offset, non-last len % 8 != 0        malformed, fragment dropped
 *   conflicting ends, data past a known end               malformed, datagram dropped
 *   overlap whose bytes differ from those held            overlaps, datagram dropped
 *   fragment repeating only bytes already held            duplicates, accepted
 *   no free slot, or byte budget exceeded                 evicted (oldest first)
 *   first fragment older than timeout                     timeouts
 * The byte budget counts each datagram's span (0 .. highest byte received):
 * that is the buffer it pins, holes included, so sparse fragments cannot dodge
 * the budget. Buffers of released slots are freed while the sum of all
 * capacities is over max_bytes, which keeps memory within a small multiple
 * of max_bytes, and keeps a steady state free of malloc.
 *
 * The 65535 limit holds for IPv6 too: RFC 8200 section 4.5 discards a
 * fragment whose reassembled Payload Length would pass 65535, and the
 * fragmentable part is only a piece of that payload (reasm.h's "65535 + 40"
 * would admit datagrams no sender can build).
 *
 * IPv6 note: keys include proto (the fragment header's next header) as the
 * contract says; RFC 8200 allows later fragments to carry a different value,
 * which nobody sends in practice.
 */
#include "reasm.h"

#include <stdlib.h>

#define DG_MAX_PAYLOAD 65535u
#define BUF_MIN 2048u
#define BUF_MAX 65536u
#define NIL UINT32_MAX

struct dg_key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t family, proto;
};

struct dg {
    struct dg_key key;
    uint32_t hash;
    uint32_t hnext;      /* hash chain */
    uint32_t prev, next; /* age list when used, free stack (next) when free */
    bool used;
    bool have_last;
    uint32_t total_len;  /* valid with have_last */
    uint32_t span;       /* highest byte end received; counted in held_bytes */
    uint32_t units_have; /* 8-byte units received */
    uint64_t first_ns;
    uint32_t cap; /* data capacity of buf; bitmap follows it */
    uint8_t *buf;
};

struct tr_defrag {
    struct tr_defrag_conf conf;
    struct tr_defrag_stats stats;
    struct dg *slots;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t age_head, age_tail; /* oldest, newest */
    uint32_t free_top;
    uint32_t trim_pending; /* slot released by a completion, trimmed at the next call */
    uint64_t seed;
    size_t total_cap; /* sum of slot data capacities */
};

static uint64_t *bitmap_of(const struct dg *g)
{
    return (uint64_t *)(void *)(g->buf + g->cap);
}

static size_t bitmap_bytes(uint32_t cap)
{
    return cap / 64;
}

static uint32_t key_hash(const struct tr_defrag *d, const struct dg_key *k)
{
    uint64_t h = d->seed ^ ((uint64_t)k->family << 40 | (uint64_t)k->proto << 32 | k->id);
    return tr_hash_addr_pair(h, k->src, k->dst);
}

static bool key_eq(const struct dg_key *a, const struct dg_key *b)
{
    return a->id == b->id && a->family == b->family && a->proto == b->proto &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

struct tr_defrag *tr_defrag_new(const struct tr_defrag_conf *conf)
{
    struct tr_defrag *d = calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    if (conf)
        d->conf = *conf;
    if (d->conf.max_datagrams == 0)
        d->conf.max_datagrams = 1024;
    if (d->conf.max_datagrams > (1u << 24))
        d->conf.max_datagrams = 1u << 24;
    if (d->conf.max_bytes == 0)
        d->conf.max_bytes = 16u << 20;
    if (d->conf.timeout_ns == 0)
        d->conf.timeout_ns = 30ull * 1000000000u;

    uint32_t n = d->conf.max_datagrams, nb = 16;
    while (nb < n)
        nb <<= 1;
    d->slots = calloc(n, sizeof(*d->slots));
    d->buckets = malloc(nb * sizeof(*d->buckets));
    if (!d->slots || !d->buckets)
        goto fail;
    for (uint32_t i = 0; i < nb; i++)
        d->buckets[i] = NIL;
    d->bucket_mask = nb - 1;
    /* Free stack: slot 0 on top. */
    for (uint32_t i = 0; i < n; i++)
        d->slots[i].next = i + 1 < n ? i + 1 : NIL;
    d->free_top = 0;
    d->age_head = d->age_tail = NIL;
    d->trim_pending = NIL;
    d->seed = tr_now_mono_ns() ^ (uint64_t)(uintptr_t)d;
    return d;

fail:
    tr_defrag_free(d);
    return NULL;
}

void tr_defrag_free(struct tr_defrag *d)
{
    if (!d)
        return;
    if (d->slots) {
        for (uint32_t i = 0; i < d->conf.max_datagrams; i++)
            free(d->slots[i].buf);
    }
    free(d->slots);
    free(d->buckets);
    free(d);
}

const struct tr_defrag_stats *tr_defrag_stats(const struct tr_defrag *d)
{
    return &d->stats;
}

static void trim(struct tr_defrag *d, struct dg *g)
{
    if (g->buf && d->total_cap > d->conf.max_bytes) {
        d->total_cap -= g->cap;
        free(g->buf);
        g->buf = NULL;
        g->cap = 0;
    }
}

/* Takes a used slot out of the hash and the age list and returns it to the
 * free stack with a clean bitmap. The data area is left alone: after a
 * completion it holds the caller's output until the next call. */
static void release(struct tr_defrag *d, uint32_t idx, bool may_trim)
{
    struct dg *g = &d->slots[idx];

    uint32_t *link = &d->buckets[g->hash & d->bucket_mask];
    while (*link != idx)
        link = &d->slots[*link].hnext;
    *link = g->hnext;

    if (g->prev != NIL)
        d->slots[g->prev].next = g->next;
    else
        d->age_head = g->next;
    if (g->next != NIL)
        d->slots[g->next].prev = g->prev;
    else
        d->age_tail = g->prev;

    d->stats.held--;
    d->stats.held_bytes -= g->span;
    if (g->buf && g->span)
        memset(bitmap_of(g), 0, ((size_t)g->span + 511) / 512 * 8);
    g->used = false;
    g->have_last = false;
    g->span = g->units_have = g->total_len = 0;
    if (may_trim)
        trim(d, g);

    g->next = d->free_top;
    d->free_top = idx;
}

static bool expired(const struct tr_defrag *d, const struct dg *g, uint64_t now_ns)
{
    /* Capture time can step back (merged files, clock fixes): never expire
     * on a negative age. */
    return now_ns > g->first_ns && now_ns - g->first_ns > d->conf.timeout_ns;
}

void tr_defrag_expire(struct tr_defrag *d, uint64_t now_ns)
{
    if (d->trim_pending != NIL) {
        struct dg *g = &d->slots[d->trim_pending];
        if (!g->used)
            trim(d, g);
        d->trim_pending = NIL;
    }
    while (d->age_head != NIL && expired(d, &d->slots[d->age_head], now_ns)) {
        release(d, d->age_head, true);
        d->stats.timeouts++;
    }
}

static uint32_t lookup(struct tr_defrag *d, const struct dg_key *k, uint32_t h)
{
    for (uint32_t i = d->buckets[h & d->bucket_mask]; i != NIL; i = d->slots[i].hnext) {
        if (d->slots[i].hash == h && key_eq(&d->slots[i].key, k))
            return i;
    }
    return NIL;
}

static uint32_t acquire(struct tr_defrag *d, const struct dg_key *k, uint32_t h, uint64_t now_ns)
{
    if (d->free_top == NIL) {
        release(d, d->age_head, true); /* the table is full: the oldest goes */
        d->stats.evicted++;
    }
    uint32_t idx = d->free_top;
    struct dg *g = &d->slots[idx];
    d->free_top = g->next;
    if (d->trim_pending == idx)
        d->trim_pending = NIL;

    g->key = *k;
    g->hash = h;
    g->used = true;
    g->first_ns = now_ns;
    g->hnext = d->buckets[h & d->bucket_mask];
    d->buckets[h & d->bucket_mask] = idx;
    g->next = NIL;
    g->prev = d->age_tail;
    if (d->age_tail != NIL)
        d->slots[d->age_tail].next = idx;
    else
        d->age_head = idx;
    d->age_tail = idx;
    d->stats.held++;
    return idx;
}

/* Makes room for span bytes. The bitmap moves to the end of the new data
 * area; its new part is cleared. */
static bool grow(struct tr_defrag *d, struct dg *g, uint32_t span)
{
    if (g->cap >= span)
        return true;
    uint32_t cap = g->cap ? g->cap : BUF_MIN;
    while (cap < span)
        cap <<= 1;
    if (cap > BUF_MAX)
        cap = BUF_MAX;
    uint8_t *nb = realloc(g->buf, cap + bitmap_bytes(cap));
    if (!nb)
        return false;
    size_t old_bm = g->buf ? bitmap_bytes(g->cap) : 0;
    if (old_bm)
        memmove(nb + cap, nb + g->cap, old_bm);
    memset(nb + cap + old_bm, 0, bitmap_bytes(cap) - old_bm);
    d->total_cap += cap - g->cap;
    g->buf = nb;
    g->cap = cap;
    return true;
}

static bool unit_has(const uint64_t *bm, uint32_t u)
{
    return (bm[u / 64] >> (u % 64)) & 1u;
}

static void drop(struct tr_defrag *d, uint32_t idx, uint64_t *counter)
{
    release(d, idx, true);
    (*counter)++;
}

int tr_defrag_add(struct tr_defrag *d, const struct tr_frag *f, uint64_t now_ns,
                  struct tr_bytes *out)
{
    d->stats.fragments++;
    tr_defrag_expire(d, now_ns);

    /* Checks on the fragment alone: it goes, any datagram stays. */
    size_t len = f->data.len;
    if (len == 0 || !f->data.ptr || f->offset % 8 != 0 || (f->more && len % 8 != 0) ||
        (f->src.family != TR_AF_INET && f->src.family != TR_AF_INET6)) {
        d->stats.malformed++;
        return -TR_E_MALFORMED;
    }
    if (f->offset > DG_MAX_PAYLOAD || len > DG_MAX_PAYLOAD - f->offset) {
        d->stats.too_big++;
        return -TR_E_MALFORMED;
    }
    uint32_t off = f->offset, end = (uint32_t)(off + len);

    struct dg_key k;
    memset(&k, 0, sizeof(k));
    size_t alen = f->src.family == TR_AF_INET ? 4 : 16;
    memcpy(k.src, f->src.a, alen);
    memcpy(k.dst, f->dst.a, alen);
    k.id = f->id;
    k.family = f->src.family;
    k.proto = f->proto;
    uint32_t h = key_hash(d, &k);

    uint32_t idx = lookup(d, &k, h);
    if (idx != NIL && expired(d, &d->slots[idx], now_ns)) {
        drop(d, idx, &d->stats.timeouts); /* out of age order after a clock step */
        idx = NIL;
    }
    if (idx == NIL)
        idx = acquire(d, &k, h, now_ns);
    struct dg *g = &d->slots[idx];

    /* Checks against what is held: the datagram no longer adds up. */
    bool new_last = false;
    if (!f->more) {
        if (g->have_last ? g->total_len != end : g->span > end) {
            drop(d, idx, &d->stats.malformed);
            return -TR_E_MALFORMED;
        }
        new_last = !g->have_last;
    } else if (g->have_last && end > g->total_len) {
        drop(d, idx, &d->stats.malformed);
        return -TR_E_MALFORMED;
    }

    /* Byte budget: oldest other datagrams make room; if this one alone is
     * too big for it, it goes too. */
    uint32_t span = end > g->span ? end : g->span;
    size_t delta = span - g->span;
    for (uint32_t i = d->age_head; i != NIL && d->stats.held_bytes + delta > d->conf.max_bytes;) {
        uint32_t nxt = d->slots[i].next;
        if (i != idx)
            drop(d, i, &d->stats.evicted);
        i = nxt;
    }
    if (d->stats.held_bytes + delta > d->conf.max_bytes) {
        drop(d, idx, &d->stats.evicted);
        return -TR_E_FULL;
    }
    if (!grow(d, g, span)) {
        drop(d, idx, &d->stats.evicted);
        return -TR_E_NOMEM;
    }

    /* Overlaps: every unit already held must carry the same bytes. */
    uint64_t *bm = bitmap_of(g);
    uint32_t u0 = off / 8, u1 = (end + 7) / 8, n_new = 0;
    for (uint32_t u = u0; u < u1;) {
        if (!unit_has(bm, u)) {
            n_new++;
            u++;
            continue;
        }
        uint32_t r = u;
        while (r < u1 && unit_has(bm, r))
            r++;
        uint32_t a = u * 8, b = r * 8 < end ? r * 8 : end;
        if (memcmp(g->buf + a, f->data.ptr + (a - off), b - a) != 0) {
            drop(d, idx, &d->stats.overlaps);
            return -TR_E_MALFORMED;
        }
        u = r;
    }
    if (n_new == 0 && !new_last) {
        d->stats.duplicates++;
        return 0;
    }

    memcpy(g->buf + off, f->data.ptr, len);
    for (uint32_t u = u0; u < u1; u++)
        bm[u / 64] |= (uint64_t)1 << (u % 64);
    g->units_have += n_new;
    d->stats.held_bytes += delta;
    g->span = span;
    if (new_last) {
        g->have_last = true;
        g->total_len = end;
    }

    if (g->have_last && g->units_have == (g->total_len + 7) / 8) {
        *out = (struct tr_bytes){g->buf, g->total_len};
        d->stats.reassembled++;
        release(d, idx, false);
        d->trim_pending = idx;
        return 1;
    }
    return 0;
}
