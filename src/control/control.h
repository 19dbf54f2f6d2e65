/* control.h - run-time control: the HTTP API (api.c, libmicrohttpd) and the
 * one table of counters that the summary, GET /stats (JSON) and GET /metrics
 * (Prometheus text 0.0.4) are all printed from (stats.c), so the three never
 * disagree. docs/api.md.
 *
 * Threads: the HTTP server runs its own threads and never touches engine
 * state. The engine publishes a snapshot of the table (once per tick, under
 * the control's mutex) that GET requests serve, and takes the requests that
 * change something (set a filter, reload) from a small locked queue between
 * two batches; the HTTP request is answered when the engine has applied it.
 */
#ifndef TRAWL_CONTROL_H
#define TRAWL_CONTROL_H

#include "../core/core.h"

#include <stdio.h>
#include <sys/socket.h>

/* ------------------------------------------------------------ counters */

enum {
    TR_STAT_GAUGE = 1u << 0,     /* a level (table size, queue depth), not a counter */
    TR_STAT_SPARSE = 1u << 1,    /* the summary prints it only when non-zero */
    TR_STAT_NOSUMMARY = 1u << 2, /* JSON and Prometheus only */
};

struct tr_stat {
    char name[320];   /* the summary's dotted name: "sip.messages", "iface:eth0.packets" */
    char metric[64];  /* Prometheus family without "trawl_" and "_total": "sip_messages" */
    char labels[224]; /* Prometheus labels, escaped: input="iface:eth0",reason="x"; or "" */
    uint64_t v;
    unsigned flags;   /* TR_STAT_* */
};

/* Appends one item (name and metric given; labels as key/value pairs,
 * NULL-terminated, values escaped here). Returns false when full. */
struct tr_stat_table {
    struct tr_stat *items;
    size_t n, cap;
};
bool tr_stat_add(struct tr_stat_table *t, const char *name, const char *metric, uint64_t v,
                 unsigned flags, ...);

/* "  name   value" lines, as the summary always printed them. */
void tr_stats_write_summary(FILE *f, const struct tr_stat *items, size_t n);
/* {"uptime_s":..,"counters":{"name":v,...},"inputs":[...]} (inputs_json:
 * a JSON array or NULL). */
void tr_stats_write_json(FILE *f, const struct tr_stat *items, size_t n, double uptime_s,
                         const char *inputs_json);
/* Prometheus text format 0.0.4: each family once with # HELP and # TYPE,
 * counters as trawl_<metric>_total, gauges as trawl_<metric>. */
void tr_stats_write_prometheus(FILE *f, const struct tr_stat *items, size_t n, double uptime_s);

/* ------------------------------------------------------------ HTTP API */

enum tr_control_req_kind { TR_CTL_SET_FILTER, TR_CTL_RELOAD };

struct tr_control_req {
    enum tr_control_req_kind kind;
    const char *input;   /* SET_FILTER: the input's config name or its trawl name */
    const char *filter;  /* SET_FILTER: BPF text ("" clears it) */
    /* the engine's answer */
    int status;          /* HTTP status: 200, 400, 404, 409, 500 */
    char msg[1024];
    /* private to api.c */
    bool taken, done;
};

struct tr_control;

/* Starts the server on listen ("PORT", "ADDR:PORT", "[v6]:PORT"; ADDR
 * default 127.0.0.1). token: required as "Authorization: Bearer TOKEN", or
 * NULL for none. Returns owned; NULL with err set. */
struct tr_control *tr_control_start(const char *listen, const char *token, struct tr_err *err);
void tr_control_stop(struct tr_control *c); /* accepts NULL */

/* Engine side. publish replaces the snapshot (copies everything). */
void tr_control_publish(struct tr_control *c, const struct tr_stat *items, size_t n,
                        double uptime_s, const char *inputs_json);
/* true when a request is waiting (cheap: one atomic load). */
bool tr_control_pending(const struct tr_control *c);
/* The next request or NULL; the engine answers each with tr_control_done. */
struct tr_control_req *tr_control_next(struct tr_control *c);
void tr_control_done(struct tr_control *c, struct tr_control_req *r, int status, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

/* Parses "PORT" or "ADDR:PORT" / "[ADDR]:PORT" for --http. */
int tr_control_parse_listen(const char *spec, struct sockaddr_storage *ss, struct tr_err *err);

#endif
