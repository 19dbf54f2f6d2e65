/* rules.h - capture-plan rules: which message events go to which outputs.
 *
 * A rule set is built once (by the config loader, src/config) and is
 * read-only afterwards; everything that changes while messages flow (sample
 * counters, rate-limit buckets, hit counters, Lua interpreters) lives in a
 * struct tr_rules_state that each engine creates for itself. A reload
 * (engine.c swap_in) builds a new state from the new rules and swaps it in
 * with the pipeline: counters, sample counters, rate buckets and Lua
 * interpreters START CLEAN (nothing is carried over).
 *
 * Evaluation (tr_rules_eval), per message event (SIP, RTCP, reports, HEP
 * relays; never per TR_EV_PACKET): rules are tried in order; the first rule
 * whose match holds decides, unless it says `continue`, in which case its
 * sends and tags are kept and the next rules are tried too. A message goes to
 * the union of the `send` lists of the rules it matched; a matched `drop`
 * (or a message left out by `sample`, or over a `rate`) discards it entirely.
 * When no rule decides, rules->default_send_all says: every output, or none.
 * docs/rules.md is the user's reference; captagent's capture-plan functions
 * map to match keys and actions there.
 *
 * No allocation per message: match data is compiled at load (regcomp,
 * CIDRs, output masks); header lookups scan the SIP header block in place
 * (bounded by TR_RULE_HDR_SCAN lines); a Lua action runs inside its own
 * interpreter, whose heap is capped and whose run time is bounded by an
 * instruction-count hook.
 */
#ifndef TRAWL_RULES_H
#define TRAWL_RULES_H

#include "../core/core.h"
#include "../output/output.h"

#include <regex.h>

#define TR_RULES_MAX 256        /* rules in a set (allocated as many as the config has) */
#define TR_RULE_MAX_LIST 16     /* entries of each list in a match (methods, CIDRs, ...) */
#define TR_RULE_MAX_HDR 8       /* header conditions per rule */
#define TR_RULE_MAX_TAGS 8      /* tags per rule */
#define TR_RULES_MAX_TAGS 16    /* tags one message can collect (rules + Lua) */
#define TR_RULE_HDR_SCAN 256    /* header lines a header condition looks at */
#define TR_RULE_REGEX_MAX 4096  /* bytes of a header value a regex sees */
#define TR_RULES_LUA_TAG_BYTES 2048 /* tag text one Lua call may return */

struct tr_cidr {
    struct tr_addr net; /* host bits cleared */
    uint8_t prefix;     /* 0..32 or 0..128 */
};

struct tr_range16 {
    uint16_t lo, hi;    /* inclusive */
};

enum tr_hdr_op { TR_HDR_EXISTS, TR_HDR_EXACT, TR_HDR_PREFIX, TR_HDR_CONTAINS, TR_HDR_REGEX };

struct tr_hdr_cond {
    struct tr_str name;  /* header name ("X-Foo"); "user_agent" pseudo-name: sip->user_agent */
    char compact;        /* RFC 3261 7.3.3 compact form letter, 0 if none */
    uint32_t name_hash;  /* of the full name, lower case (the per-message header index) */
    bool user_agent;     /* the parsed User-Agent (or Server) field */
    enum tr_hdr_op op;
    bool nocase;         /* exact/prefix/contains ignore ASCII case; regex REG_ICASE */
    bool negate;         /* the condition holds when no value matches */
    struct tr_str value; /* exact/prefix/contains text; regex source (NUL-terminated) */
    regex_t re;          /* op == TR_HDR_REGEX, compiled at load */
    bool re_compiled;
    /* A cheap pre-check for the regex: literals of which every match holds
     * at least one (one per top-level alternative); no literal seen in the
     * value means no match without running regexec. n_lits 0: always run. */
    uint8_t n_lits;
    uint8_t lit_len[8];
    char lits[8][32];
};

enum tr_direction {
    TR_DIR_ANY = 0,
    TR_DIR_INBOUND,  /* destination in local_networks, source outside */
    TR_DIR_OUTBOUND, /* source in local_networks, destination outside */
    TR_DIR_INTERNAL, /* both inside */
    TR_DIR_EXTERNAL, /* both outside */
};

struct tr_rule_match {
    uint32_t kinds;         /* bit (1 << enum tr_event_kind); 0: any */
    unsigned n_hep_types;   /* hep_type: the event's HEP protocol type */
    uint8_t hep_types[TR_RULE_MAX_LIST];
    uint8_t transports;     /* bit 0 udp, 1 tcp, 2 sctp; 0: any */
    unsigned n_methods;
    struct tr_str methods[TR_RULE_MAX_LIST];   /* SIP request methods, exact (case-sensitive) */
    bool requests_only, responses_only;        /* type: request | response */
    unsigned n_status;
    struct tr_range16 status[TR_RULE_MAX_LIST]; /* "200", "4xx", "500-599" */
    unsigned n_hdr;
    struct tr_hdr_cond hdr[TR_RULE_MAX_HDR];   /* all must hold */
    unsigned n_src, n_dst, n_addr;
    struct tr_cidr src[TR_RULE_MAX_LIST], dst[TR_RULE_MAX_LIST];
    struct tr_cidr addr[TR_RULE_MAX_LIST];     /* either end */
    unsigned n_sport, n_dport, n_port;
    struct tr_range16 sport[TR_RULE_MAX_LIST], dport[TR_RULE_MAX_LIST];
    struct tr_range16 port[TR_RULE_MAX_LIST];  /* either end */
    enum tr_direction direction;
    uint32_t inputs;        /* bit i: the engine's input i; 0: any */
    uint32_t size_min;      /* payload bytes; 0: no minimum */
    uint32_t size_max;      /* 0: no maximum */
    int8_t malformed;       /* -1 any, 0 well-formed SIP only, 1 malformed SIP only */
    int8_t has_sdp;         /* -1 any, 1: Content-Type application/sdp with a body, 0: not */
};

enum tr_lua_verdict { TR_LUA_DEFAULT, TR_LUA_SEND, TR_LUA_DROP, TR_LUA_CONTINUE };

struct tr_rule_action {
    uint32_t send;          /* bit i: the engine's output i */
    bool drop;
    bool log;               /* one log line per match, at most 10 a second per rule */
    unsigned n_tags;
    struct tr_tag tags[TR_RULE_MAX_TAGS];
    uint32_t sample;        /* pass 1 in N matching messages; 0 or 1: all */
    uint32_t rate;          /* messages per second allowed through; 0: no limit */
    uint32_t burst;         /* bucket depth for rate; 0: rate (one second's worth) */
    const char *lua_script; /* path; NULL: no Lua */
    const char *lua_function; /* global function in the script; default "verdict" */
    uint32_t lua_max_instructions; /* per call; 0: 1000000 */
    uint32_t lua_max_kb;    /* interpreter heap cap; 0: 16384 KiB */
};

struct tr_rule {
    const char *name;       /* unique; "rule1"... when the config gave none */
    unsigned line;          /* where it was defined (0: not from a file) */
    struct tr_rule_match m;
    struct tr_rule_action a;
    bool cont;              /* continue: try the next rules after this one */
};

struct tr_rules {
    unsigned n_rules;
    struct tr_rule *rules;  /* n_cap slots (tr_rules_reserve), n_rules used */
    unsigned n_cap;
    bool default_send_all;  /* no rule decided: every output (true) or none (false) */
    unsigned n_local;
    struct tr_cidr local[TR_RULE_MAX_LIST]; /* local_networks, for direction */
    const char *input_names[32];  /* for Lua's msg.input; NULL: unnamed */
};

/* ---------------------------------------------------------- building */

/* A zeroed set (default: unmatched messages dropped). Returns owned; NULL on
 * memory shortage. Free with tr_rules_free. */
struct tr_rules *tr_rules_new(void);
/* Makes room for n rules (at most TR_RULES_MAX), zeroed; once, before
 * filling rules[]. TR_OK or -TR_E_NOMEM. */
int tr_rules_reserve(struct tr_rules *r, unsigned n);
/* Frees compiled regexes and the set; accepts NULL. Strings are borrowed. */
void tr_rules_free(struct tr_rules *r);

/* An empty match: any event (the -1 fields set to "any"). */
void tr_rule_match_init(struct tr_rule_match *m);

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" (a host). TR_OK or -TR_E_CONFIG. */
int tr_cidr_parse(const char *s, struct tr_cidr *out);
bool tr_cidr_contains(const struct tr_cidr *c, const struct tr_addr *a);
/* "200", "4xx" (400-499), "180-183". TR_OK or -TR_E_CONFIG. */
int tr_status_parse(const char *s, struct tr_range16 *out);
/* "5060", "5060-5070". TR_OK or -TR_E_CONFIG. */
int tr_port_range_parse(const char *s, struct tr_range16 *out);
/* Completes a header condition whose name, op, value (NUL-terminated) and
 * nocase are set: compact form, regcomp. TR_OK or -TR_E_CONFIG with err. */
int tr_hdr_cond_compile(struct tr_hdr_cond *h, struct tr_err *err);

/* --------------------------------------------------------- evaluating */

struct tr_rule_counters {
    uint64_t matched;       /* match held */
    uint64_t dropped;       /* drop action (or Lua verdict drop) */
    uint64_t sampled_out;   /* left out by sample */
    uint64_t rate_limited;  /* over rate */
    uint64_t logged;        /* log lines written */
    uint64_t log_suppressed; /* log lines over 10/s */
    uint64_t lua_calls;
    uint64_t lua_errors;    /* script errors, instruction/memory limit, bad return: default used */
};

struct tr_rules_state;

/* Builds the per-engine state for r (borrowed: must outlive the state),
 * loading every Lua script. Returns owned; NULL with err (-TR_E_CONFIG for a
 * script that does not load or lacks its function). */
struct tr_rules_state *tr_rules_state_new(const struct tr_rules *r, struct tr_err *err);
void tr_rules_state_free(struct tr_rules_state *s); /* accepts NULL */

struct tr_rules_verdict {
    uint32_t outputs;       /* bit i: write to output i; 0: nothing */
    const struct tr_rule *decided_by; /* NULL: no rule decided (default applied) */
    unsigned n_tags;
    struct tr_tag tags[TR_RULES_MAX_TAGS]; /* views into the rules or the state; valid
                                            * until the next evaluation */
};

/* Evaluates the rules for one event. Never allocates (Lua's own heap aside),
 * never fails: a Lua error counts and falls back to the rule's action. */
void tr_rules_eval(struct tr_rules_state *s, const struct tr_event *ev,
                   struct tr_rules_verdict *out);

/* Messages no rule decided (the default applied). */
uint64_t tr_rules_unmatched(const struct tr_rules_state *s);

/* Calls cb once per rule, in order, with its name and counters (for the
 * summary and /metrics). Reads counters the engine thread writes: take it
 * from that thread or accept counters a batch old. */
void tr_rules_foreach(const struct tr_rules_state *s,
                      void (*cb)(void *user, const char *name, const struct tr_rule_counters *c),
                      void *user);

#endif
