/* rtp_stats.c - per-RTP-stream receive statistics, as promised by track.h.
 * Specs: RFC 3550 section 5.1 (header), 5.3.1 (header extension), appendix
 * A.1 (sequence number validation: probation, MAX_DROPOUT, MAX_MISORDER,
 * restart after a confirmed jump), A.3 (expected and lost), A.8 (interarrival
 * jitter); RFC 3551 section 6 (static payload types and their clock rates);
 * RFC 5761 section 4 (payload types 72-76 collide with RTCP); ITU-T G.107
 * (E-model) simplified as in Cole and Rosenbluth, "Voice over IP Performance
 * Monitoring", ACM SIGCOMM CCR 31(2), 2001, with codec values from ITU-T
 * G.113 Appendix I. docs/rtp-stats.md documents the report and the formulas.
 *
 * RTP header (RFC 3550 5.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |       contributing source (CSRC) identifiers: CC x 32 bits    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  defined by profile (X=1)     |   length (32-bit words)       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 header extension: length x 32 bits            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  payload ...                  | padding (P=1) ... |pad count  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Table: max_streams slots allocated once, found through a chained hash of
 * (family, src, dst, sport, dport, SSRC). Used slots sit on an LRU list
 * (least recently active first), so idle expiry and eviction are O(1) per
 * stream; free slots form a stack. Nothing is allocated after creation.
 *
 * Sequence accounting follows A.1 with two changes a passive monitor wants:
 * the packets that passed probation are counted (A.1 starts counting at the
 * packet that ends probation, so every stream would show one packet less),
 * and a restart folds the epoch's expected/received into running totals
 * instead of zeroing them. A 128-bit window of recently seen sequence numbers
 * behind the highest one tells duplicates from late (out-of-order) packets;
 * A.1 only needs MAX_MISORDER = 100 of it.
 */
#include "track.h"

#include <stdlib.h>

#define NIL UINT32_MAX
#define SEQ_MOD 65536u
#define MAX_DROPOUT 3000u  /* A.1 */
#define MAX_MISORDER 100u  /* A.1 */
#define MIN_SEQUENTIAL 2u  /* A.1: packets in sequence before a source is valid */
#define WINDOW 128u        /* duplicate window; must exceed MAX_MISORDER */

_Static_assert(WINDOW > MAX_MISORDER, "the window must cover every accepted late packet");

/* E-model constants: see emodel(). */
#define EM_R0_MINUS_IS 93.2   /* G.107 R with every parameter at its default */
#define EM_BASE_DELAY_MS 20.0 /* assumed packetisation delay (one 20 ms frame) */

/* ---------------------------------------------------------------- codecs */

struct codec {
    const char *name;
    uint32_t clock_hz;
    bool audio;
    float ie;  /* equipment impairment at zero loss (G.113 Table I.1) */
    float bpl; /* packet-loss robustness (G.113 Table I.3) */
};

/* RFC 3551 tables 4 and 5. Ie/Bpl: G.711 with PLC 0/25.1, G.729A+VAD 11/19.0,
 * G.723.1 (6.3 kbit/s) 15/16.1 from G.113 Appendix I; G.728 Ie 7 and GSM-FR
 * Ie 20 from G.113 Table I.1 with Bpl 10 assumed (G.113 gives none);
 * everything else gets the G.711 values, so its score reflects the network
 * only (loss and jitter), not the codec. */
#define G711_IE 0.0f
#define G711_BPL 25.1f
static const struct codec static_pt[35] = {
    [0] = { "PCMU", 8000, true, G711_IE, G711_BPL },
    [3] = { "GSM", 8000, true, 20.0f, 10.0f },
    [4] = { "G723", 8000, true, 15.0f, 16.1f },
    [5] = { "DVI4", 8000, true, G711_IE, G711_BPL },
    [6] = { "DVI4", 16000, true, G711_IE, G711_BPL },
    [7] = { "LPC", 8000, true, G711_IE, G711_BPL },
    [8] = { "PCMA", 8000, true, G711_IE, G711_BPL },
    /* G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 4.5.2).
     * G.107 is narrowband; the wideband G.107.1 scale is not applied. */
    [9] = { "G722", 8000, true, G711_IE, G711_BPL },
    [10] = { "L16", 44100, true, G711_IE, G711_BPL },
    [11] = { "L16", 44100, true, G711_IE, G711_BPL },
    [12] = { "QCELP", 8000, true, G711_IE, G711_BPL },
    [13] = { "CN", 8000, true, G711_IE, G711_BPL },
    [14] = { "MPA", 90000, true, G711_IE, G711_BPL },
    [15] = { "G728", 8000, true, 7.0f, 10.0f },
    [16] = { "DVI4", 11025, true, G711_IE, G711_BPL },
    [17] = { "DVI4", 22050, true, G711_IE, G711_BPL },
    [18] = { "G729", 8000, true, 11.0f, 19.0f },
    [25] = { "CelB", 90000, false, 0, 0 },
    [26] = { "JPEG", 90000, false, 0, 0 },
    [28] = { "nv", 90000, false, 0, 0 },
    [31] = { "H261", 90000, false, 0, 0 },
    [32] = { "MPV", 90000, false, 0, 0 },
    [33] = { "MP2T", 90000, false, 0, 0 },
    [34] = { "H263", 90000, false, 0, 0 },
};

static const struct codec *codec_of(uint8_t pt)
{
    if (pt < TR_ARRAY_LEN(static_pt) && static_pt[pt].name)
        return &static_pt[pt];
    return NULL;
}

const char *tr_rtp_codec_name(uint8_t pt)
{
    const struct codec *c = codec_of(pt);
    return c ? c->name : NULL;
}

const char *tr_rtp_end_name(enum tr_rtp_end e)
{
    switch (e) {
    case TR_RTP_END_IDLE: return "idle";
    case TR_RTP_END_EVICTED: return "evicted";
    case TR_RTP_END_FLUSH: return "eof";
    case TR_RTP_END_NONE: break;
    }
    return "";
}

/* ---------------------------------------------------------------- probe */

bool tr_rtp_probe(struct tr_bytes p, struct tr_rtp_hdr *out)
{
    struct tr_cursor c = tr_cur_init(p.ptr, p.len);
    uint8_t b0 = tr_cur_u8(&c);
    uint8_t b1 = tr_cur_u8(&c);
    uint16_t seq = tr_cur_be16(&c);
    uint32_t ts = tr_cur_be32(&c);
    uint32_t ssrc = tr_cur_be32(&c);
    if (c.short_read || (b0 >> 6) != 2)
        return false;
    uint8_t pt = b1 & 0x7f;
    /* RTCP SR/RR/SDES/BYE/APP (200-204) with the marker bit masked off read
     * as 72-76; RFC 5761 4 forbids these for RTP so the two can share a port. */
    if (pt >= 72 && pt <= 76)
        return false;
    uint8_t n_csrc = b0 & 0x0f;
    if (!tr_cur_skip(&c, 4u * n_csrc))
        return false;
    bool has_ext = b0 & 0x10;
    if (has_ext) {
        (void)tr_cur_be16(&c); /* profile-defined */
        uint16_t words = tr_cur_be16(&c);
        if (c.short_read || !tr_cur_skip(&c, 4u * words))
            return false;
    }
    size_t len = tr_cur_left(&c);
    if (b0 & 0x20) {
        /* The last octet counts the padding, itself included (5.1), so it is
         * at least 1 and cannot reach back into the header. */
        if (len == 0)
            return false;
        uint8_t pad = c.end[-1];
        if (pad == 0 || pad > len)
            return false;
        len -= pad;
    }
    if (out) {
        out->pt = pt;
        out->marker = b1 & 0x80;
        out->n_csrc = n_csrc;
        out->has_ext = has_ext;
        out->seq = seq;
        out->ts = ts;
        out->ssrc = ssrc;
        out->payload = (struct tr_bytes){ c.pos, len };
    }
    return true;
}

/* ---------------------------------------------------------------- table */

struct stream_key {
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t ssrc;
    uint8_t family;
};

struct stream {
    struct stream_key key;
    uint32_t hash;
    uint32_t hnext;
    uint32_t prev, next; /* LRU list when used, free stack (next) when free */

    uint64_t first_ns, last_ns, last_report_ns;
    uint64_t packets, octets;

    /* A.1 state (16-bit sequence space extended by cycles) */
    uint16_t max_seq;
    uint32_t cycles;     /* multiples of SEQ_MOD */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint64_t received;   /* this epoch, duplicates included (A.3) */
    uint64_t duplicates_epoch;
    uint64_t win[2];     /* bit i: max_seq - i was seen (i < WINDOW) */
    /* earlier epochs (before a restart) */
    uint64_t acc_expected, acc_received, acc_duplicates;

    uint64_t duplicates, out_of_order, seq_errors, restarts;

    /* A.8 state, in timestamp units of clock_hz */
    uint32_t clock_hz;
    bool have_transit;
    uint32_t transit;
    double jitter;       /* J */
    double jitter_sum_ms;
    double jitter_max_ms;
    uint64_t n_jitter;

    uint8_t pt;
    uint8_t call_id_len;
    char call_id[TR_RTP_CALL_ID_MAX];
};

struct tr_rtp_table {
    struct tr_rtp_conf conf;
    struct tr_rtp_stats stats;
    struct stream *s;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t lru_head, lru_tail;
    uint32_t free_top;
    uint32_t n_fresh; /* slots [n_fresh, max_streams) never used: untouched memory */
    uint64_t seed;
    uint32_t clock_override[128]; /* 0: RFC 3551 or default_clock_hz */
};

struct tr_rtp_table *tr_rtp_table_new(const struct tr_rtp_conf *conf)
{
    struct tr_rtp_table *t = calloc(1, sizeof(*t));
    if (!t)
        goto fail;
    if (conf)
        t->conf = *conf;
    if (t->conf.max_streams == 0)
        t->conf.max_streams = 16384;
    if (t->conf.max_streams > (1u << 24))
        t->conf.max_streams = 1u << 24;
    if (t->conf.idle_ns == 0)
        t->conf.idle_ns = 30ull * 1000000000u;
    if (t->conf.default_clock_hz == 0)
        t->conf.default_clock_hz = 8000;

    uint32_t n = t->conf.max_streams, nb = 16;
    while (nb < n)
        nb <<= 1;
    t->s = calloc(n, sizeof(*t->s));
    t->buckets = malloc(nb * sizeof(*t->buckets));
    if (!t->s || !t->buckets)
        goto fail;
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = NIL;
    t->bucket_mask = nb - 1;
    t->free_top = NIL; /* fresh slots (n_fresh) are taken before any is reused */
    t->lru_head = t->lru_tail = NIL;
    t->seed = tr_now_mono_ns() ^ (uint64_t)(uintptr_t)t;
    return t;

fail:
    tr_rtp_table_free(t);
    return NULL;
}

void tr_rtp_table_free(struct tr_rtp_table *t)
{
    if (!t)
        return;
    free(t->s);
    free(t->buckets);
    free(t);
}

const struct tr_rtp_stats *tr_rtp_stats(const struct tr_rtp_table *t)
{
    return &t->stats;
}

void tr_rtp_set_clock(struct tr_rtp_table *t, uint8_t pt, uint32_t clock_hz)
{
    if (pt < 128)
        t->clock_override[pt] = clock_hz;
}

static uint32_t clock_of(const struct tr_rtp_table *t, uint8_t pt)
{
    if (t->clock_override[pt & 0x7f])
        return t->clock_override[pt & 0x7f];
    const struct codec *c = codec_of(pt);
    return c ? c->clock_hz : t->conf.default_clock_hz;
}

static uint32_t key_hash(const struct tr_rtp_table *t, const struct stream_key *k)
{
    uint64_t h = t->seed ^ ((uint64_t)k->ssrc << 32 | (uint64_t)k->sport << 16 | k->dport);
    h = (h ^ k->family) * 0x9e3779b97f4a7c15u;
    return tr_hash_addr_pair(h, k->src, k->dst);
}

static bool key_eq(const struct stream_key *x, const struct stream_key *y)
{
    return x->ssrc == y->ssrc && x->sport == y->sport && x->dport == y->dport &&
           x->family == y->family && memcmp(x->src, y->src, 16) == 0 &&
           memcmp(x->dst, y->dst, 16) == 0;
}

static void lru_unlink(struct tr_rtp_table *t, uint32_t idx)
{
    struct stream *s = &t->s[idx];
    if (s->prev != NIL)
        t->s[s->prev].next = s->next;
    else
        t->lru_head = s->next;
    if (s->next != NIL)
        t->s[s->next].prev = s->prev;
    else
        t->lru_tail = s->prev;
}

static void lru_append(struct tr_rtp_table *t, uint32_t idx)
{
    struct stream *s = &t->s[idx];
    s->next = NIL;
    s->prev = t->lru_tail;
    if (t->lru_tail != NIL)
        t->s[t->lru_tail].next = idx;
    else
        t->lru_head = idx;
    t->lru_tail = idx;
}

static void release(struct tr_rtp_table *t, uint32_t idx)
{
    struct stream *s = &t->s[idx];
    uint32_t *link = &t->buckets[s->hash & t->bucket_mask];
    while (*link != idx)
        link = &t->s[*link].hnext;
    *link = s->hnext;
    lru_unlink(t, idx);
    t->stats.streams--;
    s->next = t->free_top;
    t->free_top = idx;
}

/* ---------------------------------------------------------------- E-model */

/* Simplified ITU-T G.107 E-model, as used for VoIP monitoring by Cole and
 * Rosenbluth (2001):
 *
 *   R      = 93.2 - Id - Ie_eff                       (Ro - Is = 93.2, A = 0)
 *   Id     = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)  (H: step function)
 *   Ie_eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl)         (G.107 7-29, BurstR = 1)
 *   MOS    = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R)   (G.107 Annex B, 0 < R < 100)
 *
 * Ppl is the effective loss in percent (packets missing after discounting
 * duplicates). One-way delay is not observable from one capture point, so d
 * stands in with what the receiver adds: a 20 ms frame plus a jitter buffer
 * of twice the mean A.8 jitter. The result estimates listening quality from
 * network impairments; it is not a measured MOS. */
static void emodel(const struct codec *c, double ppl, double jitter_ms, double *r_out,
                   double *mos_out)
{
    double ie = c ? c->ie : G711_IE, bpl = c ? c->bpl : G711_BPL;
    double d = EM_BASE_DELAY_MS + 2.0 * jitter_ms;
    double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
    double ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    double r = EM_R0_MINUS_IS - id - ie_eff;
    if (r < 0)
        r = 0;
    if (r > 100)
        r = 100;
    double mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
    /* The polynomial dips under 1 for 0 < R < 6.5 (found by fuzz_rtp); a
     * MOS is 1..4.5 by definition. */
    if (mos < 1.0)
        mos = 1.0;
    if (mos > 4.5)
        mos = 4.5;
    *r_out = r;
    *mos_out = mos;
}

/* ---------------------------------------------------------------- reports */

static uint64_t expected_of(const struct stream *s)
{
    uint64_t e = s->acc_expected;
    if (s->probation == 0)
        e += (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
    return e;
}

static void fill_report(const struct stream *s, enum tr_rtp_end end, bool final,
                        struct tr_rtp_report *r)
{
    memset(r, 0, sizeof(*r));
    r->call_id = (struct tr_str){ s->call_id, s->call_id_len };
    r->src.family = r->dst.family = s->key.family;
    memcpy(r->src.a, s->key.src, 16);
    memcpy(r->dst.a, s->key.dst, 16);
    r->sport = s->key.sport;
    r->dport = s->key.dport;
    r->ssrc = s->key.ssrc;
    r->pt = s->pt;
    r->codec = tr_rtp_codec_name(s->pt);
    r->clock_hz = s->clock_hz;
    r->first_ns = s->first_ns;
    r->last_ns = s->last_ns;
    r->packets = s->packets;
    r->octets = s->octets;
    uint64_t expected = expected_of(s);
    uint64_t received = s->acc_received + s->received;
    uint64_t unique = received - (s->acc_duplicates + s->duplicates_epoch);
    r->expected = expected;
    r->lost = (int64_t)expected - (int64_t)received;
    double ppl = 0;
    if (expected > 0 && unique < expected)
        ppl = 100.0 * (double)(expected - unique) / (double)expected;
    r->loss_pct = ppl;
    r->duplicates = s->duplicates;
    r->out_of_order = s->out_of_order;
    r->seq_errors = s->seq_errors;
    r->restarts = s->restarts;
    r->jitter_ms = s->clock_hz ? s->jitter * 1000.0 / s->clock_hz : 0;
    r->jitter_avg_ms = s->n_jitter ? s->jitter_sum_ms / (double)s->n_jitter : 0;
    r->jitter_max_ms = s->jitter_max_ms;
    const struct codec *c = codec_of(s->pt);
    bool audio = c ? c->audio : s->clock_hz != 90000;
    r->has_mos = audio && expected > 0;
    if (r->has_mos)
        emodel(c, ppl, r->jitter_avg_ms, &r->r_factor, &r->mos);
    r->final = final;
    r->end = end;
}

static void report(struct tr_rtp_table *t, const struct stream *s, enum tr_rtp_end end,
                   tr_rtp_report_fn cb, void *user)
{
    bool final = end != TR_RTP_END_NONE;
    t->stats.reports++;
    if (!final)
        t->stats.periodic_reports++;
    if (!cb)
        return;
    struct tr_rtp_report r;
    fill_report(s, end, final, &r);
    cb(user, &r);
}

static void end_stream(struct tr_rtp_table *t, uint32_t idx, enum tr_rtp_end end,
                       tr_rtp_report_fn cb, void *user)
{
    report(t, &t->s[idx], end, cb, user);
    if (end == TR_RTP_END_EVICTED)
        t->stats.streams_evicted++;
    else
        t->stats.streams_ended++;
    release(t, idx);
}

/* ---------------------------------------------------------------- sequence (A.1) */

enum seq_result { SEQ_OK, SEQ_PROBATION, SEQ_BAD, SEQ_RESTART };

static bool win_test(const struct stream *s, uint32_t back)
{
    return (s->win[back >> 6] >> (back & 63)) & 1;
}

static void win_set(struct stream *s, uint32_t back)
{
    s->win[back >> 6] |= 1ull << (back & 63);
}

/* Moves the window forward by n (the highest sequence number grew by n). */
static void win_shift(struct stream *s, uint32_t n)
{
    if (n >= WINDOW) {
        s->win[0] = s->win[1] = 0;
    } else if (n >= 64) {
        s->win[1] = s->win[0] << (n - 64);
        s->win[0] = 0;
    } else if (n > 0) {
        s->win[1] = (s->win[1] << n) | (s->win[0] >> (64 - n));
        s->win[0] <<= n;
    }
}

/* A.1 init_seq, starting the epoch at first (the earliest packet of the run
 * that validated it) with last as the highest sequence number so far. */
static void init_seq(struct stream *s, uint16_t first, uint16_t last)
{
    s->base_seq = first;
    s->max_seq = last;
    s->cycles = last < first ? SEQ_MOD : 0;
    s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->received = 0;
    s->duplicates_epoch = 0;
    s->win[0] = s->win[1] = 0;
    for (uint32_t i = 0; i <= (uint16_t)(last - first) && i < WINDOW; i++)
        win_set(s, i);
}

static enum seq_result update_seq(struct stream *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);

    if (s->probation) {
        if (seq == (uint16_t)(s->max_seq + 1)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                init_seq(s, (uint16_t)(seq - (MIN_SEQUENTIAL - 1)), seq);
                s->received = MIN_SEQUENTIAL;
                return SEQ_OK;
            }
        } else {
            s->probation = MIN_SEQUENTIAL - 1;
            s->max_seq = seq;
        }
        return SEQ_PROBATION;
    }
    if (udelta == 0) {
        /* the highest sequence number again */
        s->duplicates++;
        s->duplicates_epoch++;
    } else if (udelta < MAX_DROPOUT) {
        /* in order, with a permissible gap */
        if (seq < s->max_seq)
            s->cycles += SEQ_MOD;
        win_shift(s, udelta);
        win_set(s, 0);
        s->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        /* a very large jump: accept it only when the next packet confirms it */
        if (seq == s->bad_seq) {
            s->acc_expected += (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
            s->acc_received += s->received;
            s->acc_duplicates += s->duplicates_epoch;
            init_seq(s, seq, seq);
            s->restarts++;
            s->received = 1;
            return SEQ_RESTART;
        }
        s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
        s->seq_errors++;
        return SEQ_BAD;
    } else {
        /* up to MAX_MISORDER behind: a duplicate or a late packet */
        uint32_t back = (uint16_t)(s->max_seq - seq);
        if (win_test(s, back)) {
            s->duplicates++;
            s->duplicates_epoch++;
        } else {
            win_set(s, back);
            s->out_of_order++;
        }
    }
    s->received++;
    return SEQ_OK;
}

/* ---------------------------------------------------------------- jitter (A.8) */

/* Arrival time since the stream's first packet in units of clock_hz, modulo
 * 2^32 like an RTP timestamp. Split so that ns * clock cannot overflow. */
static uint32_t arrival_units(uint64_t rel_ns, uint32_t clock_hz)
{
    uint64_t sec = rel_ns / 1000000000u, rem = rel_ns % 1000000000u;
    return (uint32_t)(sec * clock_hz + rem * clock_hz / 1000000000u);
}

static void update_jitter(struct stream *s, const struct tr_rtp_hdr *h, uint64_t ts_ns,
                          uint32_t clock_hz)
{
    if (clock_hz != s->clock_hz) {
        /* another clock (payload type switch): transit times do not compare */
        s->clock_hz = clock_hz;
        s->have_transit = false;
    }
    uint64_t rel = ts_ns > s->first_ns ? ts_ns - s->first_ns : 0;
    uint32_t transit = arrival_units(rel, clock_hz) - h->ts;
    if (s->have_transit) {
        int32_t d = (int32_t)(transit - s->transit);
        double ad = d < 0 ? -(double)d : (double)d;
        s->jitter += (ad - s->jitter) / 16.0;
        double ms = s->jitter * 1000.0 / clock_hz;
        s->jitter_sum_ms += ms;
        s->n_jitter++;
        if (ms > s->jitter_max_ms)
            s->jitter_max_ms = ms;
    }
    s->transit = transit;
    s->have_transit = true;
}

/* ---------------------------------------------------------------- observe */

static void make_key(const struct tr_packet *pkt, uint32_t ssrc, struct stream_key *k)
{
    memset(k, 0, sizeof(*k));
    size_t alen = pkt->src.family == TR_AF_INET ? 4 : 16;
    memcpy(k->src, pkt->src.a, alen);
    memcpy(k->dst, pkt->dst.a, alen);
    k->sport = pkt->sport;
    k->dport = pkt->dport;
    k->ssrc = ssrc;
    k->family = pkt->src.family;
}

static void set_call_id(struct tr_rtp_table *t, struct stream *s, const struct tr_str *call_id)
{
    if (!call_id || call_id->len == 0 || !call_id->ptr)
        return;
    size_t n = call_id->len;
    if (n > TR_RTP_CALL_ID_MAX) {
        n = TR_RTP_CALL_ID_MAX;
        if (s->call_id_len != n || memcmp(s->call_id, call_id->ptr, n) != 0)
            t->stats.call_id_truncated++;
    }
    if (s->call_id_len == n && memcmp(s->call_id, call_id->ptr, n) == 0)
        return;
    memcpy(s->call_id, call_id->ptr, n);
    s->call_id_len = (uint8_t)n;
}

static uint32_t new_stream(struct tr_rtp_table *t, const struct stream_key *k, uint32_t hash,
                           tr_rtp_report_fn cb, void *user)
{
    if (t->free_top == NIL && t->n_fresh < t->conf.max_streams) {
        t->s[t->n_fresh].next = NIL;
        t->free_top = t->n_fresh++;
    }
    if (t->free_top == NIL)
        end_stream(t, t->lru_head, TR_RTP_END_EVICTED, cb, user);
    uint32_t idx = t->free_top;
    struct stream *s = &t->s[idx];
    t->free_top = s->next;
    memset(s, 0, sizeof(*s));
    s->key = *k;
    s->hash = hash;
    uint32_t *b = &t->buckets[hash & t->bucket_mask];
    s->hnext = *b;
    *b = idx;
    lru_append(t, idx);
    t->stats.streams++;
    t->stats.streams_created++;
    return idx;
}

void tr_rtp_observe(struct tr_rtp_table *t, const struct tr_packet *pkt,
                    const struct tr_rtp_hdr *h, const struct tr_str *call_id,
                    tr_rtp_report_fn cb, void *user)
{
    t->stats.packets++;
    struct stream_key k;
    make_key(pkt, h->ssrc, &k);
    uint32_t hash = key_hash(t, &k);
    uint32_t idx = t->buckets[hash & t->bucket_mask];
    while (idx != NIL && !(t->s[idx].hash == hash && key_eq(&t->s[idx].key, &k)))
        idx = t->s[idx].hnext;

    struct stream *s;
    if (idx == NIL) {
        idx = new_stream(t, &k, hash, cb, user);
        s = &t->s[idx];
        s->first_ns = s->last_ns = s->last_report_ns = pkt->ts_ns;
        s->pt = h->pt;
        /* A.1: the first packet starts probation */
        s->probation = MIN_SEQUENTIAL;
        s->max_seq = (uint16_t)(h->seq - 1);
    } else {
        s = &t->s[idx];
        lru_unlink(t, idx);
        lru_append(t, idx);
        if (pkt->ts_ns > s->last_ns)
            s->last_ns = pkt->ts_ns;
    }
    set_call_id(t, s, call_id);
    s->packets++;
    s->octets += h->payload.len;

    enum seq_result sr = update_seq(s, h->seq);
    if (sr == SEQ_RESTART)
        s->have_transit = false; /* the sender restarted: its timestamps did too */
    if (sr != SEQ_BAD)
        update_jitter(s, h, pkt->ts_ns, clock_of(t, h->pt));

    if (t->conf.report_interval_ns && s->last_ns - s->last_report_ns >= t->conf.report_interval_ns) {
        s->last_report_ns = s->last_ns;
        report(t, s, TR_RTP_END_NONE, cb, user);
    }
}

void tr_rtp_expire(struct tr_rtp_table *t, uint64_t now_ns, tr_rtp_report_fn cb, void *user)
{
    /* LRU order is observe order; with packet times that go backwards (merged
     * inputs) an expired stream may wait behind a fresher one until the next tick. */
    while (t->lru_head != NIL) {
        const struct stream *s = &t->s[t->lru_head];
        if (now_ns < s->last_ns || now_ns - s->last_ns < t->conf.idle_ns)
            break;
        end_stream(t, t->lru_head, TR_RTP_END_IDLE, cb, user);
    }
}

void tr_rtp_flush(struct tr_rtp_table *t, tr_rtp_report_fn cb, void *user)
{
    while (t->lru_head != NIL)
        end_stream(t, t->lru_head, TR_RTP_END_FLUSH, cb, user);
}

/* ---------------------------------------------------------------- JSON */

/* "<key>":"<time>","<key>_us":<microseconds> */
static void key_time(struct tr_json_buf *b, const char *key, uint64_t ts_ns)
{
    size_t n = strlen(key);
    tr_json_key(b, key, n);
    tr_json_time(b, ts_ns);
    TR_JSON_LIT(b, ",\"");
    tr_json_put(b, key, n);
    TR_JSON_LIT(b, "_us\":");
    tr_json_u64(b, ts_ns / 1000u);
}

/* A static ASCII name (codec, end reason) or an address as a JSON string. */
static void key_name(struct tr_json_buf *b, const char *key, const char *name)
{
    tr_json_key(b, key, strlen(key));
    tr_json_str(b, name, strlen(name));
}

static void key_u64(struct tr_json_buf *b, const char *key, uint64_t v)
{
    tr_json_key(b, key, strlen(key));
    tr_json_u64(b, v);
}

static void key_fixed(struct tr_json_buf *b, const char *key, double v, unsigned decimals)
{
    tr_json_key(b, key, strlen(key));
    tr_json_fixed(b, v, decimals);
}

/* Strings are escaped as in every trawl JSON (core.h, "JSON writer"):
 * Call-IDs are ASCII tokens (RFC 3261 25.1), so this only changes hostile
 * ones, and the output is always valid. */
int tr_rtp_report_json(const struct tr_rtp_report *r, char *buf, size_t cap)
{
    struct tr_json_buf b;
    tr_json_init(&b, buf, cap);
    char src[TR_ADDR_STRLEN], dst[TR_ADDR_STRLEN];
    tr_addr_format(&r->src, src, sizeof(src));
    tr_addr_format(&r->dst, dst, sizeof(dst));

    TR_JSON_LIT(&b, "{\"type\":\"rtp_stats\"");
    key_time(&b, "ts", r->last_ns);
    TR_JSON_KEY(&b, "call_id");
    tr_json_str(&b, r->call_id.ptr, r->call_id.len);
    key_u64(&b, "family", r->src.family);
    key_name(&b, "src", src);
    key_u64(&b, "sport", r->sport);
    key_name(&b, "dst", dst);
    key_u64(&b, "dport", r->dport);
    key_u64(&b, "ssrc", r->ssrc);
    key_u64(&b, "pt", r->pt);
    if (r->codec)
        key_name(&b, "codec", r->codec);
    key_u64(&b, "clock_hz", r->clock_hz);
    key_time(&b, "first_ts", r->first_ns);
    key_time(&b, "last_ts", r->last_ns);
    key_u64(&b, "packets", r->packets);
    key_u64(&b, "octets", r->octets);
    key_u64(&b, "expected", r->expected);
    TR_JSON_KEY(&b, "lost");
    tr_json_i64(&b, r->lost);
    key_fixed(&b, "loss_pct", r->loss_pct, 3);
    key_u64(&b, "duplicates", r->duplicates);
    key_u64(&b, "out_of_order", r->out_of_order);
    key_u64(&b, "seq_errors", r->seq_errors);
    key_u64(&b, "restarts", r->restarts);
    key_fixed(&b, "jitter_ms", r->jitter_ms, 3);
    key_fixed(&b, "jitter_avg_ms", r->jitter_avg_ms, 3);
    key_fixed(&b, "jitter_max_ms", r->jitter_max_ms, 3);
    if (r->has_mos) {
        key_fixed(&b, "r_factor", r->r_factor, 1);
        key_fixed(&b, "mos", r->mos, 2);
    } else {
        TR_JSON_LIT(&b, ",\"r_factor\":null,\"mos\":null");
    }
    if (r->final) {
        TR_JSON_LIT(&b, ",\"final\":true");
        key_name(&b, "end", tr_rtp_end_name(r->end));
    } else {
        TR_JSON_LIT(&b, ",\"final\":false");
    }
    TR_JSON_LIT(&b, "}");
    return tr_json_finish(&b);
}
