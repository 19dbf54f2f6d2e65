/* track.h - bounded tables that follow calls and media across packets: the
 * call table (Call-ID <-> media endpoints learned from SDP and from the wire,
 * used to tag RTCP with its call) and RTP stream statistics. Every table has
 * a cap, an idle timeout and counted evictions; a warm table does not
 * allocate.
 */
#ifndef TRAWL_TRACK_H
#define TRAWL_TRACK_H

#include "../core/core.h"
#include "../proto/proto.h"

/* ================================================================ Calls
 * (calls.c):
 * Call-ID -> media endpoints of both sides, from the SDP of the dialog's
 * offer/answer exchanges (RFC 3264) and, for NAT'd parties, learned from
 * the wire; used to give RTP/RTCP packets the Call-ID of their call. A side
 * is the caller (From of the first INVITE seen) or the callee; each side's
 * newest SDP replaces its endpoints (re-INVITE, UPDATE). Per media line a
 * side has its RTP endpoint and its RTCP endpoint (a=rtcp, else RTP port + 1;
 * the RTP endpoint itself with rtcp-mux). An endpoint (address, port) names
 * at most one call: a newer SDP takes it from an older call (port reuse).
 *
 * Lifetime: BYE ends a call; CANCEL and a final failure (>= 300) to an
 * INVITE before any 2xx end it too, but a later 2xx or a new INVITE (auth
 * challenge retry) revives it. An ended call still matches media for
 * linger_ns (late RTCP), then goes; a call that never ends goes after idle_ns
 * without SIP or matched media. Expiry is applied lazily on lookup too, so
 * results depend only on packet times, never on when tr_calls_expire runs.
 * When the table is full the least recently ended call is evicted, else the
 * least recently active one; every eviction is counted.
 *
 * Memory: everything is allocated by tr_calls_new; observe and match never
 * allocate. Single-threaded: one table per worker.
 */

#define TR_CALLS_CALL_ID_MAX 128 /* Call-ID bytes kept. A longer one is kept as its
                                  * first 111 bytes + '~' + 16 hex digits of a hash
                                  * of the whole, so distinct long ids stay distinct */
#define TR_CALLS_MAX_MEDIA 8     /* upper bound of tr_calls_conf.max_media */

struct tr_calls_conf {
    unsigned max_calls;       /* table slots; 0: 32768 (at most 1 << 22) */
    unsigned max_media;       /* media lines kept per side of a call; 0: 2
                               * (at most TR_CALLS_MAX_MEDIA); more are counted.
                               * Memory: about 210 + 300 * max_media bytes per
                               * slot (820 B with 2: 27 MB for 32768 calls) */
    uint64_t idle_ns;         /* a call never ended goes after this long without SIP
                               * or matched media; 0: 600 s */
    uint64_t linger_ns;       /* an ended call still matches media this long; 0: 30 s */
    uint64_t learn_window_ns; /* NAT learning only this long after the latest SDP
                               * of the call; 0: 10 s */
    bool no_learn;            /* disable NAT learning */
};

struct tr_calls_stats {
    uint64_t sip_messages;     /* messages offered to tr_calls_observe_sip */
    uint64_t created;          /* calls created */
    uint64_t ended;            /* calls ended (BYE, CANCEL, final failure to INVITE) */
    uint64_t revived;          /* ended by CANCEL/failure, then a 2xx or new INVITE */
    uint64_t closed;           /* ended calls removed after their linger */
    uint64_t expired_idle;     /* calls never ended, removed after idle_ns */
    uint64_t evicted;          /* calls removed to make room (table full) */
    uint64_t evicted_active;   /* of those, calls that had not ended */
    uint64_t sdp_bodies;       /* SDP bodies parsed */
    uint64_t sdp_failures;     /* bodies announced as SDP that did not parse */
    uint64_t sdp_cut;          /* SDP bodies cut short (used up to the last whole line) */
    uint64_t media_dropped;    /* media lines beyond max_media (or TR_SDP_MAX_MEDIA) */
    uint64_t long_call_ids;    /* Call-IDs longer than TR_CALLS_CALL_ID_MAX */
    uint64_t endpoints_taken;  /* endpoints taken over by a newer call's SDP */
    uint64_t rtp_matched;      /* tr_calls_match: non-RTCP packets matched */
    uint64_t rtp_unmatched;
    uint64_t rtcp_matched;     /* tr_calls_match with is_rtcp */
    uint64_t rtcp_unmatched;
    uint64_t learned;          /* endpoints learned from the wire (NAT rule) */
    uint64_t learned_guessed;  /* RTCP endpoints guessed as learned RTP port + 1 */
    uint64_t calls;            /* calls in the table now (gauge) */
    uint64_t endpoints;        /* endpoints indexed now (gauge) */
};

struct tr_calls;

/* Returns owned; free with tr_calls_free. NULL on allocation failure. */
struct tr_calls *tr_calls_new(const struct tr_calls_conf *conf);
void tr_calls_free(struct tr_calls *t); /* accepts NULL */

/* Applies one parsed SIP message (tr_sip_parse returned TR_OK or
 * -TR_E_MALFORMED with a Call-ID) seen at packet time now_ns. Creates the
 * call on an INVITE, or on any INVITE/UPDATE/PRACK/ACK message with SDP;
 * reads the SDP (Content-Type application/sdp, a multipart body's SDP part,
 * or a body starting with "v=") of INVITE, ACK, UPDATE, PRACK and of 1xx/2xx
 * responses to INVITE, UPDATE, PRACK; ends calls as described above. pkt may
 * be NULL; its addresses are not used (SIP and media often take different
 * paths), only its payload: a UDP datagram with bytes after Content-Length
 * means an unterminated last SDP line was cut. Returns TR_OK when the message was applied to a call, TR_DECLINED
 * when it concerns no call (REGISTER, OPTIONS, unknown Call-ID, ...). */
int tr_calls_observe_sip(struct tr_calls *t, const struct tr_packet *pkt,
                         const struct tr_sip_msg *sip, uint64_t now_ns);

/* Finds the call of a UDP media packet (pkt: addresses, ports, payload) by
 * its source, else its destination endpoint; is_rtcp says the caller
 * recognised RTCP (else it is taken as RTP). May learn a NAT'd endpoint
 * (rule in calls.c). On a match sets *call_id to the call's id (a view into
 * the table, valid until the next tr_calls_observe_sip, tr_calls_expire or
 * tr_calls_free) and returns true. */
bool tr_calls_match(struct tr_calls *t, const struct tr_packet *pkt, bool is_rtcp,
                    uint64_t now_ns, struct tr_str *call_id);

/* Removes calls past their linger or idle time (counted). Packet time. */
void tr_calls_expire(struct tr_calls *t, uint64_t now_ns);

const struct tr_calls_stats *tr_calls_stats(const struct tr_calls *t);

/* ================================================================ RTP streams
 * (rtp_stats.c):
 *
 * Per-stream RTP receive statistics as a monitor on the path sees them: the
 * receiver algorithms of RFC 3550 appendix A (A.1 sequence validation with
 * probation and restart, A.3 expected/lost, A.8 interarrival jitter) run on
 * every stream, keyed by (addresses, ports, SSRC), plus a simplified ITU-T
 * G.107 E-model (R-factor, MOS) for audio. Schema and formulas:
 * docs/rtp-stats.md.
 *
 * Limits: max_streams slots allocated at creation; a new stream in a full
 * table evicts the least recently active one (its final report is delivered
 * first, and the eviction counted). A warm table does not allocate.
 */

/* One RTP header (RFC 3550 section 5.1). Views point into the probed bytes. */
struct tr_rtp_hdr {
    uint8_t pt;              /* payload type 0..127 (never 72..76: RTCP, RFC 5761 4) */
    bool marker;
    uint8_t n_csrc;          /* CC */
    bool has_ext;            /* X: a header extension was skipped */
    uint16_t seq;
    uint32_t ts;             /* RTP timestamp, in the payload type's clock */
    uint32_t ssrc;
    struct tr_bytes payload; /* after header, CSRCs and extension; padding removed */
};

/* True if p starts a well-formed RTP packet: version 2, CSRC list, header
 * extension and padding all inside p, payload type not an RTCP one. Fills out
 * (may be NULL). Reads only inside p. */
bool tr_rtp_probe(struct tr_bytes p, struct tr_rtp_hdr *out);

/* Codec name of a static payload type (RFC 3551 tables 4 and 5), NULL for
 * dynamic or unassigned ones. */
const char *tr_rtp_codec_name(uint8_t pt);

struct tr_rtp_conf {
    unsigned max_streams;        /* table slots; 0: 16384 */
    uint64_t idle_ns;            /* no packet for this long ends a stream; 0: 30 s */
    uint64_t report_interval_ns; /* periodic (non-final) reports; 0: only when a stream ends */
    uint32_t default_clock_hz;   /* clock of dynamic/unknown payload types; 0: 8000 */
};

#define TR_RTP_CALL_ID_MAX 128 /* longer Call-IDs are cut (counted in call_id_truncated) */

enum tr_rtp_end {
    TR_RTP_END_NONE = 0, /* periodic report: the stream goes on */
    TR_RTP_END_IDLE,     /* tr_rtp_expire: no packet for idle_ns */
    TR_RTP_END_EVICTED,  /* the table was full and this was the least recently active stream */
    TR_RTP_END_FLUSH,    /* tr_rtp_flush: end of input */
};

const char *tr_rtp_end_name(enum tr_rtp_end e); /* "", "idle", "evicted", "eof" */

/* A stream's statistics so far. Counters are cumulative from the stream's
 * first packet. Views are valid only during the report callback. */
struct tr_rtp_report {
    struct tr_str call_id;      /* may be empty: no call known for the stream */
    struct tr_addr src, dst;
    uint16_t sport, dport;
    uint32_t ssrc;
    uint8_t pt;                 /* payload type of the first packet */
    const char *codec;          /* tr_rtp_codec_name(pt); NULL if dynamic/unassigned */
    uint32_t clock_hz;          /* clock used for jitter (of the latest packet's type) */
    uint64_t first_ns, last_ns; /* capture times of the first and latest packet */
    uint64_t packets;           /* every packet of the stream, valid or not */
    uint64_t octets;            /* payload octets of those packets (no header, no padding) */
    uint64_t expected;          /* RFC 3550 A.3: extended highest seq - base + 1 (over restarts) */
    int64_t lost;               /* A.3: expected - received (duplicates count as received) */
    double loss_pct;            /* 100 * (expected - unique received) / expected, >= 0 */
    uint64_t duplicates;        /* a sequence number seen again (within 128 of the highest) */
    uint64_t out_of_order;      /* late packets: behind the highest sequence number, not seen before */
    uint64_t seq_errors;        /* A.1 "bad" jumps (> 3000 ahead or > 100 behind) */
    uint64_t restarts;          /* A.1 resynchronisations after a confirmed jump */
    double jitter_ms;           /* A.8 estimate after the latest packet */
    double jitter_avg_ms;       /* mean of the estimate over the stream's packets */
    double jitter_max_ms;
    bool has_mos;               /* audio with expected > 0 */
    double r_factor;            /* simplified G.107 E-model, 0..100 */
    double mos;                 /* G.107 Annex B, 1..4.5 */
    bool final;                 /* the stream has ended (end says why) */
    enum tr_rtp_end end;
};

/* Called once per report. Must not call back into the table. */
typedef void (*tr_rtp_report_fn)(void *user, const struct tr_rtp_report *r);

struct tr_rtp_stats {
    uint64_t packets;           /* observed */
    uint64_t streams_created;
    uint64_t streams_ended;     /* by idle timeout or flush */
    uint64_t streams_evicted;   /* LRU, to make room in a full table */
    uint64_t reports;           /* delivered: periodic and final */
    uint64_t periodic_reports;  /* of those, non-final */
    uint64_t call_id_truncated; /* Call-IDs longer than TR_RTP_CALL_ID_MAX, cut */
    uint64_t streams;           /* in the table now (gauge) */
};

struct tr_rtp_table;

/* Returns owned; free with tr_rtp_table_free. NULL on allocation failure. */
struct tr_rtp_table *tr_rtp_table_new(const struct tr_rtp_conf *conf);
void tr_rtp_table_free(struct tr_rtp_table *t); /* accepts NULL; reports nothing */

/* Clock rate for a payload type, overriding RFC 3551 / the default (e.g. from
 * an SDP a=rtpmap); 0 restores the default. Applies to packets from now on. */
void tr_rtp_set_clock(struct tr_rtp_table *t, uint8_t pt, uint32_t clock_hz);

/* Accounts one RTP packet (h from tr_rtp_probe on pkt->payload; pkt gives
 * addresses, ports and ts_ns). call_id (NULL or empty: unknown) is copied
 * into the stream; a later non-empty one replaces it. May call cb (NULL: no
 * reports) with a periodic report of this stream, or the final report of a
 * stream evicted to make room. */
void tr_rtp_observe(struct tr_rtp_table *t, const struct tr_packet *pkt,
                    const struct tr_rtp_hdr *h, const struct tr_str *call_id,
                    tr_rtp_report_fn cb, void *user);

/* Ends streams idle for idle_ns at packet time now_ns, least recently active
 * first, each with its final report. Call from a periodic tick. */
void tr_rtp_expire(struct tr_rtp_table *t, uint64_t now_ns, tr_rtp_report_fn cb, void *user);

/* End of input: every stream ends with its final report; the table is empty. */
void tr_rtp_flush(struct tr_rtp_table *t, tr_rtp_report_fn cb, void *user);

const struct tr_rtp_stats *tr_rtp_stats(const struct tr_rtp_table *t);

/* Writes r as one JSON object (no newline, NUL-terminated) into buf; returns
 * its length, or -TR_E_FULL if it does not fit. Never writes past cap. */
int tr_rtp_report_json(const struct tr_rtp_report *r, char *buf, size_t cap);

#endif
