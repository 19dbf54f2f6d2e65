/* api.c - the HTTP control API on libmicrohttpd (docs/api.md):
 *
 *   GET  /stats                 200 JSON: every counter of the summary, the inputs
 *   GET  /metrics               200 Prometheus text format 0.0.4
 *   PUT  /inputs/NAME/filter    body = BPF expression (empty: none); 200 when the
 *                               engine applied it, 400 with pcap's message when it
 *                               does not compile, 404 unknown input, 409 the input
 *                               takes no filter
 *   POST /reload                200 when the config file was reloaded and swapped
 *                               in, 400 with the loader's error (the old config
 *                               keeps running), 409 when no config file was loaded
 *   anything else               404 (405 for a known path with another method)
 *   bad or missing token        401 (Authorization: Bearer TOKEN), before anything
 *
 * Threads: libmicrohttpd runs one thread per connection (at most
 * TR_CTL_MAX_CONNS), so a handler may block while the engine applies its
 * request. GETs read the snapshot the engine publishes each tick; changes go
 * through a queue of at most TR_CTL_QUEUE requests the engine takes between
 * batches. A handler waits up to TR_CTL_WAIT_S for its request to be taken
 * (503 if the engine is stuck or stopping); once taken, it waits until the
 * engine answers (the request lives on the handler's stack, so it must).
 *
 * Binds 127.0.0.1 unless told otherwise: the API changes what is captured,
 * so it is not exposed by accident.
 */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#define TR_CTL_QUEUE 16
#define TR_CTL_MAX_CONNS 32
#define TR_CTL_MAX_BODY 65536
#define TR_CTL_WAIT_S 10

struct tr_control {
    struct MHD_Daemon *d;
    char token[256];
    bool has_token;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* snapshot */
    struct tr_stat *items;
    size_t n_items, cap_items;
    double uptime_s;
    char *inputs_json;
    /* requests */
    struct tr_control_req *q[TR_CTL_QUEUE];
    unsigned n_q;
    bool stopping;       /* no more requests are queued: nobody would take them */
    atomic_uint pending;
};

/* Per connection: the request body as it arrives. */
struct conn_state {
    char *body;
    size_t len;
    bool too_big;
};

int tr_control_parse_listen(const char *spec, struct sockaddr_storage *ss, struct tr_err *err)
{
    char host[128] = "127.0.0.1";
    const char *port_s = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        size_t hl = (size_t)(colon - spec);
        const char *h = spec;
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        if (hl == 0 || hl >= sizeof(host))
            return tr_err_set(err, -TR_E_USAGE, "--http %s: bad address", spec);
        memcpy(host, h, hl);
        host[hl] = '\0';
        port_s = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(port_s, &end, 10);
    if (!*port_s || *end || errno || port == 0 || port > 65535)
        return tr_err_set(err, -TR_E_USAGE, "--http %s: expected [ADDR:]PORT", spec);
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
    } else {
        return tr_err_set(err, -TR_E_USAGE, "--http %s: '%s' is not a numeric address", spec,
                          host);
    }
    return TR_OK;
}

/* ------------------------------------------------------------ responses */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, size_t len, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"trawl\"");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                  ...) __attribute__((format(printf, 3, 4)));
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                  ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    return reply(conn, status, "text/plain; charset=utf-8", buf, (size_t)n, false);
}

/* GET /stats and /metrics: printed from the snapshot under the lock. */
static enum MHD_Result reply_snapshot(struct tr_control *c, struct MHD_Connection *conn,
                                      bool prometheus)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    pthread_mutex_lock(&c->mu);
    if (prometheus)
        tr_stats_write_prometheus(f, c->items, c->n_items, c->uptime_s);
    else
        tr_stats_write_json(f, c->items, c->n_items, c->uptime_s, c->inputs_json);
    pthread_mutex_unlock(&c->mu);
    if (fclose(f) != 0) {
        free(text);
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    return reply(conn, MHD_HTTP_OK,
                 prometheus ? "text/plain; version=0.0.4; charset=utf-8" : "application/json",
                 text, len, true);
}

/* Queues r for the engine and waits for its answer. */
static void submit(struct tr_control *c, struct tr_control_req *r)
{
    pthread_mutex_lock(&c->mu);
    if (c->n_q == TR_CTL_QUEUE || c->stopping) {
        pthread_mutex_unlock(&c->mu);
        r->status = MHD_HTTP_SERVICE_UNAVAILABLE;
        snprintf(r->msg, sizeof(r->msg), "%s",
                 c->stopping ? "trawl is stopping" : "too many requests waiting");
        return;
    }
    c->q[c->n_q++] = r;
    atomic_store(&c->pending, 1);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TR_CTL_WAIT_S;
    while (!r->done) {
        if (r->taken) {
            pthread_cond_wait(&c->cv, &c->mu); /* the engine always answers what it took */
            continue;
        }
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT && !r->taken &&
            !r->done) {
            for (unsigned i = 0; i < c->n_q; i++)
                if (c->q[i] == r) {
                    memmove(&c->q[i], &c->q[i + 1], (c->n_q - i - 1) * sizeof(c->q[0]));
                    c->n_q--;
                    break;
                }
            r->status = MHD_HTTP_SERVICE_UNAVAILABLE;
            snprintf(r->msg, sizeof(r->msg), "the engine did not take the request within %d s",
                     TR_CTL_WAIT_S);
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* Constant time in the token's content. */
static bool token_ok(const struct tr_control *c, struct MHD_Connection *conn)
{
    if (!c->has_token)
        return true;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    size_t want = strlen(c->token), got = strlen(h);
    unsigned diff = (unsigned)(want ^ got);
    for (size_t i = 0; i < want; i++)
        diff |= (unsigned)(uint8_t)c->token[i] ^ (unsigned)(uint8_t)(i < got ? h[i] : 0);
    return diff == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **con_cls)
{
    (void)version;
    struct tr_control *c = cls;
    struct conn_state *cs = *con_cls;
    if (!cs) { /* first call: headers only */
        cs = calloc(1, sizeof(*cs));
        if (!cs)
            return MHD_NO;
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_len > 0) {
        if (cs->len + *upload_len > TR_CTL_MAX_BODY) {
            cs->too_big = true;
        } else {
            char *nb = realloc(cs->body, cs->len + *upload_len + 1);
            if (!nb)
                return MHD_NO;
            cs->body = nb;
            memcpy(cs->body + cs->len, upload, *upload_len);
            cs->len += *upload_len;
            cs->body[cs->len] = '\0';
        }
        *upload_len = 0;
        return MHD_YES;
    }
    if (!token_ok(c, conn))
        return reply_text(conn, MHD_HTTP_UNAUTHORIZED, "missing or wrong bearer token");
    bool get = strcmp(method, "GET") == 0;
    if (strcmp(url, "/stats") == 0 || strcmp(url, "/metrics") == 0) {
        if (!get)
            return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use GET", method, url);
        return reply_snapshot(c, conn, url[1] == 'm');
    }
    if (strcmp(url, "/reload") == 0) {
        if (strcmp(method, "POST") != 0)
            return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use POST", method, url);
        struct tr_control_req r = { .kind = TR_CTL_RELOAD };
        submit(c, &r);
        return reply_text(conn, (unsigned)r.status, "%s", r.msg);
    }
    static const char pre[] = "/inputs/", suf[] = "/filter";
    size_t ulen = strlen(url);
    if (ulen > sizeof(pre) - 1 + sizeof(suf) - 1 && strncmp(url, pre, sizeof(pre) - 1) == 0 &&
        strcmp(url + ulen - (sizeof(suf) - 1), suf) == 0) {
        if (strcmp(method, "PUT") != 0)
            return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use PUT", method, url);
        if (cs->too_big)
            return reply_text(conn, 413, "filter longer than %d bytes",
                              TR_CTL_MAX_BODY);
        char name[256];
        size_t nl = ulen - (sizeof(pre) - 1) - (sizeof(suf) - 1);
        if (nl >= sizeof(name))
            return reply_text(conn, MHD_HTTP_NOT_FOUND, "no such input");
        memcpy(name, url + sizeof(pre) - 1, nl);
        name[nl] = '\0';
        if (cs->body && strlen(cs->body) != cs->len)
            return reply_text(conn, MHD_HTTP_BAD_REQUEST, "NUL byte in the filter");
        /* The body is the expression; a trailing newline (curl -d @file, echo) is not. */
        char empty[1] = "";
        char *body = cs->body ? cs->body : empty;
        size_t bl = strlen(body);
        while (bl > 0 && (body[bl - 1] == '\n' || body[bl - 1] == '\r' || body[bl - 1] == ' '))
            body[--bl] = '\0';
        struct tr_control_req r = { .kind = TR_CTL_SET_FILTER, .input = name, .filter = body };
        submit(c, &r);
        return reply_text(conn, (unsigned)r.status, "%s", r.msg);
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "%s: no such resource", url);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct conn_state *cs = *con_cls;
    if (cs) {
        free(cs->body);
        free(cs);
        *con_cls = NULL;
    }
}

struct tr_control *tr_control_start(const char *listen, const char *token, struct tr_err *err)
{
    struct sockaddr_storage ss;
    if (tr_control_parse_listen(listen, &ss, err) != TR_OK)
        return NULL;
    struct tr_control *c = calloc(1, sizeof(*c));
    if (!c) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    if (token && token[0]) {
        if (strlen(token) >= sizeof(c->token)) {
            free(c);
            tr_err_set(err, -TR_E_USAGE, "--http-token: longer than %zu bytes",
                       sizeof(c->token) - 1);
            return NULL;
        }
        strcpy(c->token, token);
        c->has_token = true;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    c->d = MHD_start_daemon(flags, port, NULL, NULL, handle, c, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)TR_CTL_MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED, completed, c,
                            MHD_OPTION_END);
    if (!c->d) {
        tr_err_set(err, -TR_E_IO, "--http %s: cannot listen (address in use or not local?)",
                   listen);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
        return NULL;
    }
    tr_log(TR_LOG_INFO, "HTTP API on %s%s", listen, c->has_token ? " (token required)" : "");
    return c;
}

void tr_control_stop(struct tr_control *c)
{
    if (!c)
        return;
    /* Answer whatever still waits, so no handler thread blocks the stop. */
    pthread_mutex_lock(&c->mu);
    for (unsigned i = 0; i < c->n_q; i++) {
        c->q[i]->status = MHD_HTTP_SERVICE_UNAVAILABLE;
        snprintf(c->q[i]->msg, sizeof(c->q[i]->msg), "trawl is stopping");
        c->q[i]->done = true;
    }
    c->n_q = 0;
    c->stopping = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    MHD_stop_daemon(c->d);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->items);
    free(c->inputs_json);
    free(c);
}

void tr_control_publish(struct tr_control *c, const struct tr_stat *items, size_t n,
                        double uptime_s, const char *inputs_json)
{
    char *ij = inputs_json ? strdup(inputs_json) : NULL;
    pthread_mutex_lock(&c->mu);
    if (n > c->cap_items) {
        struct tr_stat *ni = realloc(c->items, n * sizeof(*ni));
        if (!ni) {
            pthread_mutex_unlock(&c->mu);
            free(ij);
            return;
        }
        c->items = ni;
        c->cap_items = n;
    }
    if (n)
        memcpy(c->items, items, n * sizeof(*items));
    c->n_items = n;
    c->uptime_s = uptime_s;
    free(c->inputs_json);
    c->inputs_json = ij;
    pthread_mutex_unlock(&c->mu);
}

bool tr_control_pending(const struct tr_control *c)
{
    return c && atomic_load(&((struct tr_control *)c)->pending) != 0;
}

struct tr_control_req *tr_control_next(struct tr_control *c)
{
    struct tr_control_req *r = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->n_q > 0) {
        r = c->q[0];
        memmove(&c->q[0], &c->q[1], (c->n_q - 1) * sizeof(c->q[0]));
        c->n_q--;
        r->taken = true;
    }
    if (c->n_q == 0)
        atomic_store(&c->pending, 0);
    pthread_mutex_unlock(&c->mu);
    return r;
}

void tr_control_done(struct tr_control *c, struct tr_control_req *r, int status, const char *fmt,
                     ...)
{
    char msg[sizeof(r->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->mu);
    r->status = status;
    memcpy(r->msg, msg, sizeof(msg));
    r->done = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}
