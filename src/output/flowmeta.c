/* flowmeta.c - the flow metadata output (issue 9): PCapper's per-packet
 * metadata service, as one more packet output of trawl's pipeline.
 *
 * Spec: PCapper of the Fortian Utilization Monitor (fortian/mwmg pcapper.c,
 * ftfm.h), summarised in /work/shared/reference/pcapper.md; our forms and
 * options in docs/flowmeta.md; the line and record formatters are in
 * flowmeta_fmt.c, the MGEN detector in proto/mgen.c.
 *
 * For every captured IP frame (TR_EV_PACKET) one metadata item: the text
 * line (IPv4 and IPv6) and, for IPv4, PCapper's 28-byte record. They go to
 *   - every connected TCP client (PCapper's `recollect` protocol: a bare
 *     stream of 28-byte records, no handshake), from the moment trawl
 *     accepted it: before the first packet of each batch, and each tick;
 *   - the log file (-f), only while at least one client is connected
 *     (what PCapper's README promises), reopened on SIGHUP;
 *   - the lines file (--flowmeta-lines), always: every line, no host records;
 *   - a UDP (multicast) group: the records, up to 52 per datagram.
 * Once a second the CPU and memory host records (PCapper's watchstat) go to
 * clients, group and log.
 *
 * Never stall capture: write() only formats into memory (each client has a
 * bounded ring; a record that does not fit is lost for that client alone
 * and counted), flush() (once per batch) sends with non-blocking sockets,
 * tick() also accepts, notices clients that left and makes the host
 * records. The only syscalls are per batch or per tick, never per packet. The
 * record stream has no room to tell a client what it lost (a PCapper client
 * would read any extra record as traffic), so losses are logged: when they
 * start, every 10 s while they go on, and when the client leaves.
 *
 * Fragments: by default a fragmented datagram is one item when it completes
 * (its whole length, its ports, its MGEN flow id); held fragments give
 * nothing. first_frag gives PCapper's accounting instead: one item at the
 * first fragment with that fragment's IP length and ports, none for the
 * others (and none at completion, unless the first fragment completed it).
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FM_CLIENT_BUF_DEFAULT (1u << 20)
#define FM_MAX_CLIENTS_DEFAULT 1024
#define FM_CLIENT_SNDBUF (256 * 1024) /* per client socket; Linux doubles it */
/* PCapper's recollect reads each record with one recv(28) and drops the
 * connection on a short read, so a segment should never end inside a
 * record. Clamping the MSS to 1440 makes the payload of a full segment
 * 1428 = 51 records when TCP timestamps are on (12 option bytes; Linux's
 * default); a connection whose MSS still is not a multiple of 28 is logged. */
#ifndef FM_LISTEN_MSS
#define FM_LISTEN_MSS 1440 /* -DFM_LISTEN_MSS=0 leaves the MSS alone (to measure its cost) */
#endif
#define FM_MCAST_RECORDS 52 /* 1456 bytes: fits a 1500-byte MTU with IPv6 + UDP headers */
#define FM_NS_PER_SEC 1000000000ull
#define FM_LOSS_LOG_NS (10 * FM_NS_PER_SEC)
#define FM_FILE_BUF (256u * 1024u)

struct fm_client {
    int fd;
    uint8_t *ring; /* cap bytes; len bytes queued from head */
    size_t cap, head, len;
    uint64_t records;       /* queued for it */
    uint64_t lost;          /* did not fit in its ring */
    uint64_t lost_logged;   /* lost as of the last log line */
    uint64_t next_loss_log; /* monotonic ns */
    char peer[64];
};

struct fm_stats {
    uint64_t items;          /* packets described */
    uint64_t v6_text_only;   /* IPv6: no 28-byte record exists */
    uint64_t not_ip;         /* frames without an IP layer: skipped */
    uint64_t undecodable;    /* decode failed: skipped */
    uint64_t frag_held;      /* fragments waiting for their datagram */
    uint64_t frag_other;     /* first_frag: fragments after the first */
    uint64_t frag_dropped;   /* fragments the reassembly did not take */
    uint64_t mgen;           /* items with an MGEN flow id */
    uint64_t clients;        /* accepted over the run */
    uint64_t clients_refused; /* over max_clients */
    uint64_t lost;           /* records lost over all clients */
    uint64_t host_records;
    uint64_t mcast_datagrams, mcast_errors;
};

struct flowmeta {
    struct tr_flowmeta_conf conf;
    char log_path[4096];
    char lines_path[4096];
    int listen_fd;
    struct fm_client **clients;
    unsigned n_clients, clients_cap;
    FILE *log;   /* open while a client is connected */
    FILE *lines; /* NULL without --flowmeta-lines */
    bool lines_stdout;
    int mcast_fd;
    struct sockaddr_storage mcast_to;
    socklen_t mcast_to_len;
    uint8_t mbuf[FM_MCAST_RECORDS * TR_FLOWMETA_REC_LEN];
    size_t mlen;
    bool accept_due;       /* accept before the next record: set per batch and tick */
    uint64_t next_host_ns; /* monotonic */
    uint64_t cpu_prev;
    bool cpu_valid;
    struct fm_stats st;
};

/* --------------------------------------------------------------- clients */

static void client_queue(struct fm_client *c, const uint8_t *rec, size_t n)
{
    c->records++;
    if (c->cap - c->len < n) {
        c->lost++; /* whole records only: the stream stays aligned */
        return;
    }
    size_t tail = (c->head + c->len) % c->cap;
    size_t first = c->cap - tail < n ? c->cap - tail : n;
    memcpy(c->ring + tail, rec, first);
    memcpy(c->ring, rec + first, n - first);
    c->len += n;
}

/* Sends what the kernel takes now. false: the connection is gone. */
static bool client_send(struct fm_client *c)
{
    while (c->len > 0) {
        struct iovec iov[2];
        size_t first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
        iov[0] = (struct iovec){ c->ring + c->head, first };
        iov[1] = (struct iovec){ c->ring, c->len - first };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = c->len > first ? 2 : 1 };
        ssize_t n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        c->head = (c->head + (size_t)n) % c->cap;
        c->len -= (size_t)n;
    }
    c->head = 0; /* empty: start over, so most sends are one piece */
    return true;
}

static void log_losses(struct fm_client *c, uint64_t now)
{
    if (c->lost == c->lost_logged || now < c->next_loss_log)
        return;
    tr_log(TR_LOG_WARN,
           "flowmeta: client %s reads too slowly: %llu of %llu records lost so far (buffer full)",
           c->peer, (unsigned long long)c->lost, (unsigned long long)c->records);
    c->lost_logged = c->lost;
    c->next_loss_log = now + FM_LOSS_LOG_NS;
}

static void log_open(struct flowmeta *p)
{
    if (p->log || !p->log_path[0])
        return;
    p->log = fopen(p->log_path, "ae");
    if (!p->log) {
        tr_log(TR_LOG_ERROR, "flowmeta: cannot open log %s: %s", p->log_path, strerror(errno));
        return;
    }
    setvbuf(p->log, NULL, _IOFBF, FM_FILE_BUF);
}

static void log_close(struct tr_output *out, struct flowmeta *p)
{
    if (!p->log)
        return;
    if (fclose(p->log) != 0)
        out->c.write_errors++;
    p->log = NULL;
}

static void client_drop(struct tr_output *out, struct flowmeta *p, unsigned i, const char *why)
{
    struct fm_client *c = p->clients[i];
    tr_log(TR_LOG_INFO, "flowmeta: client %s left (%s): %llu records, %llu lost (buffer full)",
           c->peer, why, (unsigned long long)c->records, (unsigned long long)c->lost);
    p->st.lost += c->lost;
    close(c->fd);
    free(c->ring);
    free(c);
    p->clients[i] = p->clients[--p->n_clients];
    if (p->n_clients == 0)
        log_close(out, p); /* the log is written only while someone listens */
}

static void peer_text(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    struct tr_addr a = { 0 };
    uint16_t port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        a.family = TR_AF_INET;
        memcpy(a.a, &s4->sin_addr, 4);
        port = ntohs(s4->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        a.family = TR_AF_INET6;
        memcpy(a.a, &s6->sin6_addr, 16);
        port = ntohs(s6->sin6_port);
    }
    char text[TR_ADDR_STRLEN] = "?";
    if (a.family)
        tr_addr_format(&a, text, sizeof(text));
    snprintf(buf, cap, a.family == TR_AF_INET6 ? "[%s]:%u" : "%s:%u", text, port);
}

static void accept_clients(struct flowmeta *p)
{
    if (p->listen_fd < 0)
        return;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(p->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                tr_log(TR_LOG_WARN, "flowmeta: accept: %s", strerror(errno));
            return;
        }
        char peer[64];
        peer_text(&ss, peer, sizeof(peer));
        if (p->n_clients >= p->conf.max_clients) {
            p->st.clients_refused++;
            tr_log(TR_LOG_WARN, "flowmeta: client %s refused: %u clients already", peer,
                   p->n_clients);
            close(fd);
            continue;
        }
        if (p->n_clients == p->clients_cap) {
            unsigned ncap = p->clients_cap ? p->clients_cap * 2 : 8;
            struct fm_client **nc = realloc(p->clients, ncap * sizeof(*nc));
            if (!nc) {
                close(fd);
                continue;
            }
            p->clients = nc;
            p->clients_cap = ncap;
        }
        struct fm_client *c = calloc(1, sizeof(*c));
        uint8_t *ring = c ? malloc(p->conf.client_buf) : NULL;
        if (!ring) {
            free(c);
            tr_log(TR_LOG_WARN, "flowmeta: client %s refused: out of memory", peer);
            close(fd);
            continue;
        }
        int one = 1, sndbuf = FM_CLIENT_SNDBUF;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        /* A fixed kernel buffer (no autotuning up to tcp_wmem's 4 MiB) keeps
         * what a stalled client can pin to ring + this. */
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        int seg = 0;
        socklen_t seg_len = sizeof(seg);
        if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &seg, &seg_len) == 0 && seg > 0 &&
            seg % TR_FLOWMETA_REC_LEN != 0)
            tr_log(TR_LOG_WARN,
                   "flowmeta: client %s: %d-byte segments split records (PCapper's recollect "
                   "may drop the connection; trawl recollect does not mind)",
                   peer, seg);
        c->fd = fd;
        c->ring = ring;
        c->cap = p->conf.client_buf;
        memcpy(c->peer, peer, sizeof(c->peer));
        p->clients[p->n_clients++] = c;
        p->st.clients++;
        tr_log(TR_LOG_INFO, "flowmeta: client %s connected (%u now)", peer, p->n_clients);
        if (p->n_clients == 1)
            log_open(p);
    }
}

/* A client sends nothing: readable means it closed (or reset); whatever it
 * did send is read and thrown away. */
static void reap_clients(struct tr_output *out, struct flowmeta *p)
{
    for (unsigned i = 0; i < p->n_clients;) {
        struct fm_client *c = p->clients[i];
        uint8_t junk[512];
        ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            client_drop(out, p, i, n == 0 ? "closed" : strerror(errno));
            continue;
        }
        i++;
    }
}

/* ---------------------------------------------------------------- sinks */

static void mcast_send(struct flowmeta *p)
{
    if (p->mlen == 0)
        return;
    ssize_t n = sendto(p->mcast_fd, p->mbuf, p->mlen, MSG_DONTWAIT | MSG_NOSIGNAL,
                       (const struct sockaddr *)&p->mcast_to, p->mcast_to_len);
    if (n < 0)
        p->st.mcast_errors++;
    else
        p->st.mcast_datagrams++;
    p->mlen = 0;
}

/* One record to every client and the group. */
static void put_record(struct flowmeta *p, const uint8_t rec[TR_FLOWMETA_REC_LEN])
{
    for (unsigned i = 0; i < p->n_clients; i++)
        client_queue(p->clients[i], rec, TR_FLOWMETA_REC_LEN);
    if (p->mcast_fd >= 0) {
        memcpy(p->mbuf + p->mlen, rec, TR_FLOWMETA_REC_LEN);
        p->mlen += TR_FLOWMETA_REC_LEN;
        if (p->mlen + TR_FLOWMETA_REC_LEN > sizeof(p->mbuf))
            mcast_send(p); /* one syscall per 52 records */
    }
}

static void put_text(struct tr_output *out, FILE *f, const char *line, size_t n)
{
    if (fwrite(line, 1, n, f) != n)
        out->c.write_errors++;
}

/* ------------------------------------------------------------- per frame */

static uint32_t mgen_flow_id(const struct flowmeta *p, const struct tr_packet *pkt, int rc)
{
    if (pkt->ip_proto != 17 || rc != TR_OK || (pkt->flags & TR_PKT_L4_TRUNCATED))
        return 0;
    struct tr_mgen m;
    if (!tr_mgen_probe(pkt->payload, &m))
        return 0;
    if (p->conf.mgen_dst && !tr_mgen_dst_matches(&m, &pkt->dst, pkt->dport))
        return 0;
    return m.flow_id;
}

/* Whether this frame is an item, by the fragment accounting. */
static bool accounted(struct flowmeta *p, const struct tr_packet *pkt)
{
    uint16_t fl = pkt->flags;
    if (!(fl & TR_PKT_FRAGMENT))
        return true;
    if (p->conf.first_frag) {
        if (fl & TR_PKT_FIRST_FRAG)
            return true;
        p->st.frag_other++;
        return false;
    }
    if (fl & TR_PKT_REASSEMBLED)
        return true;
    if (fl & TR_PKT_FRAG_HELD)
        p->st.frag_held++;
    else
        p->st.frag_dropped++;
    return false;
}

static void fm_write(struct tr_output *out, const struct tr_event *ev)
{
    struct flowmeta *p = out->priv;
    if (ev->kind != TR_EV_PACKET)
        return;
    if (p->accept_due) {
        /* One accept per batch, before its first packet: a client that
         * connected before this packet was read gets it. */
        p->accept_due = false;
        accept_clients(p);
    }
    out->c.events++;
    const struct tr_packet *pkt = ev->pkt;
    if (ev->decode_rc < 0) {
        p->st.undecodable++; /* a bad frame, at whatever layer: counted by decode too */
        return;
    }
    if (pkt->src.family != TR_AF_INET && pkt->src.family != TR_AF_INET6) {
        p->st.not_ip++;
        return;
    }
    if (!accounted(p, pkt))
        return;

    uint32_t flow_id = mgen_flow_id(p, pkt, ev->decode_rc);
    if (flow_id)
        p->st.mgen++;
    p->st.items++;
    out->c.written++;

    if (pkt->src.family == TR_AF_INET) {
        uint8_t rec[TR_FLOWMETA_REC_LEN];
        if (tr_flowmeta_record(pkt, pkt->ip_len, flow_id, rec, sizeof(rec)) ==
            TR_FLOWMETA_REC_LEN)
            put_record(p, rec);
    } else {
        p->st.v6_text_only++;
    }
    if (!p->log && !p->lines)
        return;
    char line[TR_FLOWMETA_LINE_MAX];
    int n = tr_flowmeta_line(pkt, pkt->ip_len, flow_id, line, sizeof(line));
    if (n < 0) {
        out->c.encode_errors++;
        return;
    }
    if (p->log)
        put_text(out, p->log, line, (size_t)n);
    if (p->lines)
        put_text(out, p->lines, line, (size_t)n);
}

static void fm_flush(struct tr_output *out)
{
    struct flowmeta *p = out->priv;
    p->accept_due = true;
    for (unsigned i = 0; i < p->n_clients;) {
        if (!client_send(p->clients[i])) {
            client_drop(out, p, i, strerror(errno));
            continue;
        }
        i++;
    }
    if (p->mcast_fd >= 0)
        mcast_send(p);
    if (p->log && fflush(p->log) != 0)
        out->c.write_errors++;
    if (p->lines && fflush(p->lines) != 0)
        out->c.write_errors++;
}

/* ----------------------------------------------------------- host records */

/* Reads a small /proc file whole. Returns its length (0 on failure). */
static size_t read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return n;
}

/* PCapper's CPU figure: the non-idle jiffies of the "cpu" line (user nice
 * system iowait irq softirq), each divided by the number of CPUs. */
static bool cpu_jiffies(uint64_t *out)
{
    static char buf[16384];
    if (read_proc("/proc/stat", buf, sizeof(buf)) == 0 || strncmp(buf, "cpu ", 4) != 0)
        return false;
    unsigned ncpu = 0;
    for (const char *s = strstr(buf, "\ncpu"); s; s = strstr(s + 1, "\ncpu"))
        ncpu++;
    if (ncpu == 0)
        ncpu = 1;
    char *s = buf + 4;
    uint64_t sum = 0;
    for (int i = 0; i < 7; i++) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s)
            return false;
        if (i != 3) /* idle */
            sum += v / ncpu;
        s = end;
    }
    *out = sum;
    return true;
}

/* PCapper's memory figure: MemTotal - MemFree - Buffers - Cached -
 * SwapCached, in KiB. */
static uint64_t mem_used_kib(void)
{
    static char buf[8192];
    if (read_proc("/proc/meminfo", buf, sizeof(buf)) == 0)
        return 0;
    static const char *const keys[] = { "MemTotal:", "MemFree:", "Buffers:", "Cached:",
                                         "SwapCached:" };
    uint64_t v[5] = { 0 };
    for (size_t k = 0; k < TR_ARRAY_LEN(keys); k++) {
        const char *s = strstr(buf, keys[k]);
        if (s && (s == buf || s[-1] == '\n'))
            v[k] = strtoull(s + strlen(keys[k]), NULL, 10);
    }
    uint64_t freed = v[1] + v[2] + v[3] + v[4];
    return v[0] > freed ? v[0] - freed : 0;
}

static void host_record(struct tr_output *out, struct flowmeta *p, enum tr_flowmeta_host kind,
                        uint64_t ts, uint16_t value)
{
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    if (tr_flowmeta_host_record(kind, ts, value, rec, sizeof(rec)) != TR_FLOWMETA_REC_LEN)
        return;
    put_record(p, rec);
    p->st.host_records++;
    if (p->log) {
        char line[TR_FLOWMETA_LINE_MAX];
        int n = tr_flowmeta_host_line(kind, ts, value, line, sizeof(line));
        if (n > 0)
            put_text(out, p->log, line, (size_t)n);
    }
}

static void host_records(struct tr_output *out, struct flowmeta *p, uint64_t now)
{
    if (p->conf.no_host || now < p->next_host_ns)
        return;
    p->next_host_ns = now + FM_NS_PER_SEC;
    uint64_t cpu = 0;
    bool ok = cpu_jiffies(&cpu);
    bool had = p->cpu_valid;
    uint64_t prev = p->cpu_prev;
    p->cpu_valid = ok;
    p->cpu_prev = cpu;
    if (!ok || !had || (p->n_clients == 0 && p->mcast_fd < 0))
        return; /* the first sample is the baseline, as PCapper's */
    uint64_t ts = tr_now_real_ns();
    host_record(out, p, TR_FLOWMETA_HOST_CPU, ts, (uint16_t)((cpu - prev) & 0xffff));
    host_record(out, p, TR_FLOWMETA_HOST_MEM, ts, (uint16_t)(mem_used_kib() >> 8));
}

static void fm_tick(struct tr_output *out, uint64_t now)
{
    struct flowmeta *p = out->priv;
    accept_clients(p);
    reap_clients(out, p);
    host_records(out, p, now);
    for (unsigned i = 0; i < p->n_clients; i++)
        log_losses(p->clients[i], now);
    fm_flush(out);
}

/* ------------------------------------------------------------ lifecycle */

/* "PORT", "ADDR", "ADDR:PORT", "[v6]" or "[v6]:PORT" into an endpoint:
 * ADDR defaults to 127.0.0.1, PORT to PCapper's 7073. */
static int parse_listen(const char *spec, struct tr_endpoint *ep, struct tr_err *err)
{
    char buf[300];
    size_t len = strlen(spec);
    bool port_only = len && strspn(spec, "0123456789") == len;
    bool addr_only = len && !port_only &&
                     (spec[0] == '[' ? spec[len - 1] == ']' : strchr(spec, ':') == NULL);
    if (snprintf(buf, sizeof(buf), "tcp:%s%s%s", port_only ? "127.0.0.1:" : "", spec,
                 addr_only ? ":7073" : "") >= (int)sizeof(buf))
        return tr_err_set(err, -TR_E_USAGE, "--flowmeta %s: too long", spec);
    struct tr_err e2 = { 0 };
    if (tr_endpoint_parse(buf, ep, &e2) != TR_OK)
        return tr_err_set(err, -TR_E_USAGE, "--flowmeta %s: expected [ADDR:]PORT (%s)", spec,
                          e2.msg);
    return TR_OK;
}

static int open_listener(struct flowmeta *p, const char *spec, struct tr_err *err)
{
    struct tr_endpoint ep;
    int rc = parse_listen(spec, &ep, err);
    if (rc != TR_OK)
        return rc;
    int fd = socket(ep.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return tr_err_set(err, -TR_E_IO, "flowmeta: socket: %s", strerror(errno));
    int one = 1, mss = FM_LISTEN_MSS;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Accepted connections inherit it as the largest segment they send. */
    if (mss > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
    if (ep.ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ep.ss, ep.ss_len) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        return tr_err_set(err, -TR_E_IO, "flowmeta: listen on %s: %s", spec, strerror(e));
    }
    p->listen_fd = fd;
    return TR_OK;
}

static int open_multicast(struct flowmeta *p, const char *spec, struct tr_err *err)
{
    char buf[300];
    struct tr_endpoint ep;
    struct tr_err e2 = { 0 };
    if (snprintf(buf, sizeof(buf), "udp:%s", spec) >= (int)sizeof(buf) ||
        tr_endpoint_parse(buf, &ep, &e2) != TR_OK)
        return tr_err_set(err, -TR_E_USAGE, "--flowmeta-multicast %s: expected GROUP:PORT (%s)",
                          spec, e2.msg);
    int fd = socket(ep.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return tr_err_set(err, -TR_E_IO, "flowmeta: socket: %s", strerror(errno));
    int ttl = p->conf.mcast_ttl ? (int)p->conf.mcast_ttl : 1;
    if (ep.ss.ss_family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    else
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl));
    p->mcast_fd = fd;
    p->mcast_to = ep.ss;
    p->mcast_to_len = ep.ss_len;
    return TR_OK;
}

static void fm_close(struct tr_output *out);

static int fm_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    const struct tr_flowmeta_conf *fc = &conf->flowmeta;
    if (!fc->listen && !fc->lines_path && !fc->multicast)
        return tr_err_set(err, -TR_E_USAGE,
                          "flowmeta: give --flowmeta, --flowmeta-lines or --flowmeta-multicast");
    if (fc->log_path && !fc->listen)
        return tr_err_set(err, -TR_E_USAGE,
                          "flowmeta: the log is written while clients are connected: it needs "
                          "--flowmeta [ADDR:]PORT");
    struct flowmeta *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "flowmeta: out of memory");
    out->priv = p;
    p->conf = *fc;
    p->conf.listen = p->conf.log_path = p->conf.lines_path = p->conf.multicast = NULL;
    if (!p->conf.client_buf)
        p->conf.client_buf = FM_CLIENT_BUF_DEFAULT;
    if (p->conf.client_buf < TR_FLOWMETA_REC_LEN)
        p->conf.client_buf = TR_FLOWMETA_REC_LEN;
    if (!p->conf.max_clients)
        p->conf.max_clients = FM_MAX_CLIENTS_DEFAULT;
    p->listen_fd = p->mcast_fd = -1;
    snprintf(out->name, sizeof(out->name), "flowmeta %s", fc->listen ? fc->listen
                                                     : fc->lines_path ? fc->lines_path
                                                                      : fc->multicast);
    int rc = TR_OK;
    if (fc->log_path &&
        snprintf(p->log_path, sizeof(p->log_path), "%s", fc->log_path) >= (int)sizeof(p->log_path))
        rc = tr_err_set(err, -TR_E_USAGE, "flowmeta: log path too long");
    if (rc == TR_OK && fc->listen)
        rc = open_listener(p, fc->listen, err);
    if (rc == TR_OK && fc->multicast)
        rc = open_multicast(p, fc->multicast, err);
    if (rc == TR_OK && fc->lines_path) {
        p->lines_stdout = strcmp(fc->lines_path, "-") == 0;
        if (!p->lines_stdout &&
            snprintf(p->lines_path, sizeof(p->lines_path), "%s", fc->lines_path) >=
                (int)sizeof(p->lines_path))
            rc = tr_err_set(err, -TR_E_USAGE, "flowmeta: lines path too long");
        else if (p->lines_stdout)
            p->lines = stdout;
        else if (!(p->lines = fopen(p->lines_path, "we")))
            rc = tr_err_set(err, -TR_E_IO, "flowmeta: %s: %s", p->lines_path, strerror(errno));
        if (p->lines)
            setvbuf(p->lines, NULL, _IOFBF, FM_FILE_BUF);
    }
    if (rc != TR_OK) {
        fm_close(out);
        return rc;
    }
    p->next_host_ns = tr_now_mono_ns();
    p->accept_due = true;
    return TR_OK;
}

static int fm_drain(struct tr_output *out, uint64_t deadline)
{
    struct flowmeta *p = out->priv;
    fm_flush(out);
    for (;;) {
        struct pollfd pfd[64];
        nfds_t n = 0;
        for (unsigned i = 0; i < p->n_clients && n < TR_ARRAY_LEN(pfd); i++)
            if (p->clients[i]->len > 0)
                pfd[n++] = (struct pollfd){ .fd = p->clients[i]->fd, .events = POLLOUT };
        if (n == 0)
            return TR_OK;
        uint64_t now = tr_now_mono_ns();
        if (now >= deadline)
            return -TR_E_AGAIN;
        uint64_t ms = (deadline - now) / 1000000u;
        poll(pfd, n, ms > 100 ? 100 : (int)ms + 1);
        fm_flush(out);
    }
}

static void fm_reopen(struct tr_output *out)
{
    struct flowmeta *p = out->priv;
    if (p->log) {
        log_close(out, p);
        log_open(p);
    }
    if (p->lines && !p->lines_stdout) {
        if (fclose(p->lines) != 0)
            out->c.write_errors++;
        p->lines = fopen(p->lines_path, "ae");
        if (p->lines)
            setvbuf(p->lines, NULL, _IOFBF, FM_FILE_BUF);
        else
            tr_log(TR_LOG_ERROR, "flowmeta: cannot reopen %s: %s", p->lines_path,
                   strerror(errno));
    }
}

static void fm_close(struct tr_output *out)
{
    struct flowmeta *p = out->priv;
    if (!p)
        return;
    while (p->n_clients)
        client_drop(out, p, p->n_clients - 1, "trawl stops");
    free(p->clients);
    log_close(out, p);
    if (p->lines) {
        if ((p->lines_stdout ? fflush(p->lines) : fclose(p->lines)) != 0)
            out->c.write_errors++;
    }
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->mcast_fd >= 0) {
        mcast_send(p);
        close(p->mcast_fd);
    }
    /* A run that served clients (or lost records) says how it went; a file
     * run's numbers are in the summary's "written" and in -v. */
    if (p->st.items || p->st.clients)
        tr_log(p->st.clients || p->st.lost ? TR_LOG_INFO : TR_LOG_DEBUG,
               "flowmeta: %llu packets described (%llu IPv6 text only, %llu MGEN), skipped "
               "%llu not IP, %llu undecodable, %llu fragments held, %llu later fragments, "
               "%llu fragments not reassembled; %llu clients (%llu refused), %llu records "
               "lost to slow clients; %llu host records; multicast %llu datagrams, %llu errors",
               (unsigned long long)p->st.items, (unsigned long long)p->st.v6_text_only,
               (unsigned long long)p->st.mgen, (unsigned long long)p->st.not_ip,
               (unsigned long long)p->st.undecodable, (unsigned long long)p->st.frag_held,
               (unsigned long long)p->st.frag_other, (unsigned long long)p->st.frag_dropped,
               (unsigned long long)p->st.clients, (unsigned long long)p->st.clients_refused,
               (unsigned long long)p->st.lost, (unsigned long long)p->st.host_records,
               (unsigned long long)p->st.mcast_datagrams, (unsigned long long)p->st.mcast_errors);
    free(p);
    out->priv = NULL;
}

const struct tr_output_ops tr_output_flowmeta = {
    .kind = "flowmeta",
    .packets = true,
    .open = fm_open,
    .write = fm_write,
    .flush = fm_flush,
    .tick = fm_tick,
    .drain = fm_drain,
    .close = fm_close,
    .reopen = fm_reopen,
};

/* ------------------------------------------------------- record to text */

int tr_flowmeta_record_line(const uint8_t *rec, size_t rec_len, char *buf, size_t cap)
{
    if (rec_len < TR_FLOWMETA_REC_LEN)
        return -TR_E_TRUNCATED;
    struct tr_cursor c = tr_cur_init(rec, TR_FLOWMETA_REC_LEN);
    uint32_t sec = tr_cur_be32(&c);
    uint32_t usec = tr_cur_be32(&c);
    struct tr_bytes sa = tr_cur_take(&c, 4);
    struct tr_bytes da = tr_cur_take(&c, 4);
    uint16_t sport = tr_cur_be16(&c);
    uint16_t dport = tr_cur_be16(&c);
    uint16_t len = tr_cur_be16(&c);
    uint32_t flow = tr_cur_be32(&c);
    uint8_t proto = tr_cur_u8(&c);
    if (c.short_read)
        return -TR_E_TRUNCATED;
    /* PCapper prints the fields as they are, so a usec of 10^6 or more
     * (only a broken sender makes one) stays visible as such. */
    char s[TR_ADDR_STRLEN], d[TR_ADDR_STRLEN];
    struct tr_addr a = { .family = TR_AF_INET };
    memcpy(a.a, sa.ptr, 4);
    tr_addr_format(&a, s, sizeof(s));
    memcpy(a.a, da.ptr, 4);
    tr_addr_format(&a, d, sizeof(d));
    int n = snprintf(buf, cap, "%u.%06u:%s:%u:%s:%u:%u:%u:%u\n", sec, usec, s, sport, d, dport,
                     len, flow, proto);
    if (n < 0 || (size_t)n >= cap)
        return -TR_E_FULL;
    return n;
}
