/* engine.h - wires inputs, decode, TCP reassembly, SIP parsing and outputs together and runs
 * the loop. One worker thread does everything for its packets (no per-packet
 * handoff between threads): input batch -> decode -> parse -> every output's
 * write -> one flush per batch.
 */
#ifndef TRAWL_ENGINE_H
#define TRAWL_ENGINE_H

#include "../core/core.h"
#include "../decode/decode.h"
#include "../input/input.h"
#include "../output/output.h"
#include "../proto/proto.h"
#include "../reasm/reasm.h"
#include "../track/track.h"

struct tr_rules;
struct tr_rules_state;

#define TR_MAX_INPUTS 16
#define TR_MAX_OUTPUTS 16

struct tr_engine_conf {
    struct tr_input_conf inputs[TR_MAX_INPUTS];
    unsigned n_inputs;
    struct tr_output_conf outputs[TR_MAX_OUTPUTS];
    unsigned n_outputs;
    uint8_t sip_ports[65536 / 8]; /* fast path: always try a full SIP parse on these ports */
    bool sip_ports_only;          /* skip the content probe on other ports */
    bool drop_malformed;          /* default: malformed SIP is counted and still forwarded */
    struct tr_defrag_conf defrag;
    struct tr_decode_conf decode; /* tunnel switches and ports; zero: all on, IANA ports */
    struct tr_tcp_conf tcp;
    struct tr_calls_conf calls;
    struct tr_rtp_conf rtp;
    bool no_rtcp;           /* do not forward RTCP */
    bool rtcp_tracked_only; /* RTCP only on media endpoints learned from calls */
    bool no_rtp_stats;      /* no RTP stream statistics */
    int drain_ms;                 /* offline end: how long outputs may take to empty */
    bool progress;                /* show progress on stderr (a terminal) */
    /* Message routing (src/rules/rules.h), owned by the tr_config it came
     * from; NULL: every message event to every output (the CLI's model). */
    const struct tr_rules *rules;
    /* control: section of the config file (NULL: none); used by src/control. */
    const char *http_listen;      /* "127.0.0.1:8080" */
    const char *http_token;       /* bearer token the HTTP API requires; NULL: none */
    const char *config_path;      /* the config file loaded (-c); reload (SIGHUP, POST
                                   * /reload) loads it again; NULL: reload only reopens files */
};

void tr_engine_conf_init(struct tr_engine_conf *conf);
void tr_engine_conf_set_sip_port(struct tr_engine_conf *conf, uint16_t port);

struct tr_engine_stats {
    uint64_t sip_msgs;            /* SIP messages found (well formed and malformed) */
    uint64_t sip_malformed;        /* malformed as sent (not counting capture cuts) */
    uint64_t sip_cut_by_capture;   /* incomplete because the snap length cut the packet */
    uint64_t sip_defects[TR_SIP_DEFECT_COUNT];
    uint64_t sip_dropped_malformed; /* not forwarded (--drop-malformed) */
    uint64_t non_sip_on_sip_port; /* payloads on a SIP port that were not SIP */
    uint64_t empty_payloads;
    uint64_t events;              /* events handed to outputs */
    uint64_t rtcp_packets;        /* RTCP compound packets found */
    uint64_t rtcp_correlated;     /* of those, matched to a call (correlation id set) */
    uint64_t rtcp_uncorrelated;   /* sent with an empty correlation id: no call known */
    uint64_t rtcp_malformed;      /* probe passed, parse found a defect (still sent) */
    uint64_t rtcp_invalid;        /* look like RTCP (v2, type 192-223) but fail its checks: not sent */
    uint64_t rtcp_untracked;      /* not forwarded: off a tracked endpoint (--rtcp-tracked-only) */
    uint64_t rtp_packets;         /* RTP packets matched to a call */
    uint64_t rtp_reports;         /* RTP statistics reports emitted */
    uint64_t vq_reports;          /* vq-rtcpxr PUBLISH bodies sent as reports */
    uint64_t vq_unparsed;         /* vq-rtcpxr bodies that did not parse (SIP still sent) */
    uint64_t json_too_big;        /* events whose JSON did not fit (counted, not sent) */
    uint64_t hep_in;              /* messages from HEP inputs (valid; the inputs count the rest) */
    uint64_t hep_in_sip;          /* of those, SIP parsed for the JSON fields */
    uint64_t hep_in_other;        /* of those, not SIP (other types, or type 1 that is not SIP) */
    uint64_t rules_dropped;       /* message events the rules sent nowhere (rules.h) */
    uint64_t hepipe_lines;        /* log lines from HEPipe inputs sent on (HEP type 100) */
    uint64_t reloads_ok;          /* config reloads applied (SIGHUP, POST /reload) */
    uint64_t reloads_failed;      /* config reloads refused (the old config kept running) */
    uint64_t filter_changes;      /* run-time BPF filter changes applied (PUT .../filter) */
};

struct tr_engine;

/* Opens every input and output (live inputs get a filter that excludes the
 * engine's own HEP destinations). Returns owned; NULL with err set. */
struct tr_engine *tr_engine_open(const struct tr_engine_conf *conf, struct tr_err *err);

/* Runs until every file input is done and, with live inputs, until a stop is
 * requested. Returns 0, or 1 if something failed or was lost (the summary
 * says what). */
int tr_engine_run(struct tr_engine *e);

/* Writes the counters to f ("name value" lines under a header). */
void tr_engine_print_summary(struct tr_engine *e, FILE *f);

void tr_engine_close(struct tr_engine *e); /* accepts NULL */

/* The engine's rule state (per-rule counters for /metrics: tr_rules_foreach
 * in rules.h), or NULL when conf->rules was NULL. Borrowed: lives as long as
 * the engine. A new engine (reload) starts with fresh state. */
const struct tr_rules_state *tr_engine_rules_state(const struct tr_engine *e);

/* Loads conf->config_path again and swaps the new pipeline in between two
 * batches (docs/api.md "Reload"): inputs whose identity is unchanged stay
 * open (only their filter is set when it changed: the capture handle is
 * never closed, so nothing is lost or seen twice), outputs whose config is
 * unchanged stay open, new ones are opened beside the old before the swap,
 * removed ones are drained briefly and closed after it. Returns TR_OK, or an
 * error in err with the old pipeline untouched. Engine thread only. */
int tr_engine_reload(struct tr_engine *e, struct tr_err *err);

/* Async-signal-safe requests, set from signal handlers. */
void tr_engine_request_stop(void);
void tr_engine_request_summary(void);
void tr_engine_request_reload(void); /* reopen output files (and reload the config) */
/* Installs SIGINT/SIGTERM (stop), SIGUSR1 (summary), SIGHUP (reload)
 * handlers; ignores SIGPIPE. */
void tr_engine_install_signals(void);

#endif
