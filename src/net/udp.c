/* udp.c - UDP carrier: messages collect in batch slots and leave through
 * sendmmsg(2), one syscall per up to TR_UDP_BATCH datagrams, from a sender
 * thread of the carrier's own.
 *
 * Why a thread: on a busy path most of a datagram's cost is the kernel's
 * (socket accounting, IP output, and on loopback the receiver's path too),
 * and batching cannot shrink it. A sender thread overlaps that with the
 * worker's decoding and encoding. The handoff is per batch, never per
 * packet: the worker fills slot i while the sender drains slot i-1; slots go
 * round in order, so datagrams leave in capture order.
 *
 *   worker:  fill slot[sub % N] -> sub++ (signal)      waits if sub - done == N
 *   sender:  send slot[done % N] -> done++ (signal)    waits if done == sub
 *
 * The socket is connected, so the kernel reports ICMP port-unreachable from
 * the collector as ECONNREFUSED on a later send: that send is retried once
 * and the event is counted as "refused" (the collector is down; the datagram
 * that provoked the ICMP is lost and we cannot tell which one it was).
 * The socket blocks: a full socket buffer holds the sender (and, once every
 * slot is full, the worker) instead of losing datagrams in the local stack.
 */
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define TR_UDP_BATCH 256
#define TR_UDP_SLOTS 4

struct udp_slot {
    uint8_t *arena;
    size_t used;
    unsigned n;
    struct mmsghdr msgs[TR_UDP_BATCH];
    struct iovec iov[TR_UDP_BATCH];
};

struct udp_totals {
    uint64_t sent, bytes, failed, refused;
};

struct udp_priv {
    int fd;
    size_t arena_cap;
    size_t reserved;
    uint64_t too_big;      /* refused by reserve: larger than a UDP datagram */
    struct udp_slot slots[TR_UDP_SLOTS];

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* sub, done or stop changed */
    uint64_t sub, done;    /* slots submitted by the worker / sent by the sender (mu) */
    bool stop;             /* (mu) */
    struct udp_totals sender_totals; /* (mu) written by the sender */
};

static struct udp_slot *filling(struct udp_priv *p)
{
    return &p->slots[p->sub % TR_UDP_SLOTS];
}

/* Sender thread side: one sendmmsg loop over a slot. */
static void send_slot(struct udp_priv *p, struct udp_slot *s, struct udp_totals *t)
{
    unsigned done = 0;
    bool retried = false;
    while (done < s->n) {
        int rc = sendmmsg(p->fd, s->msgs + done, s->n - done, 0);
        if (rc > 0) {
            for (int i = 0; i < rc; i++)
                t->bytes += s->iov[done + (unsigned)i].iov_len;
            t->sent += (uint64_t)rc;
            done += (unsigned)rc;
            retried = false;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == ECONNREFUSED && !retried) {
            t->refused++;
            retried = true; /* the error belonged to an earlier datagram: send this one again */
            continue;
        }
        t->failed++; /* this datagram cannot go: count it and move on */
        done++;
        retried = false;
    }
    /* An ICMP error provoked by this batch arrives after sendmmsg returned;
     * collect it now so that a dead collector is counted even when nothing
     * more is sent after it (e.g. the end of a file). */
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == ECONNREFUSED)
        t->refused++;
}

static void *sender_main(void *arg)
{
    struct udp_priv *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->done == p->sub && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->done == p->sub)
            break; /* stop requested and nothing left */
        struct udp_slot *s = &p->slots[p->done % TR_UDP_SLOTS];
        pthread_mutex_unlock(&p->mu);
        struct udp_totals t = { 0 };
        send_slot(p, s, &t);
        s->n = 0;
        s->used = 0;
        pthread_mutex_lock(&p->mu);
        p->sender_totals.sent += t.sent;
        p->sender_totals.bytes += t.bytes;
        p->sender_totals.failed += t.failed;
        p->sender_totals.refused += t.refused;
        p->done++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Worker side, with mu held: the sender's counts become the carrier's. */
static void fold_totals(struct tr_carrier *c, struct udp_priv *p)
{
    c->st.sent = p->sender_totals.sent;
    c->st.bytes = p->sender_totals.bytes;
    c->st.failed = p->sender_totals.failed + p->too_big;
    c->st.refused = p->sender_totals.refused;
}

/* Worker: hands the slot being filled to the sender (if it holds anything)
 * and waits until the next slot is free. */
static void submit(struct tr_carrier *c, struct udp_priv *p)
{
    pthread_mutex_lock(&p->mu);
    if (filling(p)->n > 0) {
        p->sub++;
        pthread_cond_broadcast(&p->cv);
    }
    while (p->sub - p->done >= TR_UDP_SLOTS)
        pthread_cond_wait(&p->cv, &p->mu);
    fold_totals(c, p);
    pthread_mutex_unlock(&p->mu);
    c->st.queued = 0;
    c->st.queued_bytes = 0;
}

static void udp_flush(struct tr_carrier *c)
{
    submit(c, c->priv);
}

static uint8_t *udp_reserve(struct tr_carrier *c, size_t len)
{
    struct udp_priv *p = c->priv;
    if (len > TR_HEP_MAX_UDP) {
        p->too_big++;
        c->st.failed++;
        return NULL;
    }
    struct udp_slot *s = filling(p);
    if (s->n == TR_UDP_BATCH || p->arena_cap - s->used < len) {
        submit(c, p);
        s = filling(p);
    }
    p->reserved = len;
    return s->arena + s->used;
}

static void udp_commit(struct tr_carrier *c, size_t len)
{
    struct udp_priv *p = c->priv;
    if (len > p->reserved)
        len = p->reserved;
    p->reserved = 0;
    if (len == 0) /* the reservation was abandoned */
        return;
    struct udp_slot *s = filling(p);
    s->iov[s->n] = (struct iovec){ s->arena + s->used, len };
    s->msgs[s->n].msg_hdr = (struct msghdr){ .msg_iov = &s->iov[s->n], .msg_iovlen = 1 };
    s->n++;
    s->used += len;
    c->st.queued = s->n;
    c->st.queued_bytes = s->used;
}

static void udp_tick(struct tr_carrier *c, uint64_t now)
{
    (void)c;
    (void)now;
}

/* Waits until the sender has sent everything submitted so far. */
static int udp_drain(struct tr_carrier *c, uint64_t deadline)
{
    (void)deadline; /* a blocking UDP send always finishes */
    struct udp_priv *p = c->priv;
    submit(c, p);
    pthread_mutex_lock(&p->mu);
    while (p->done != p->sub)
        pthread_cond_wait(&p->cv, &p->mu);
    fold_totals(c, p);
    pthread_mutex_unlock(&p->mu);
    return TR_OK;
}

static void udp_close(struct tr_carrier *c)
{
    struct udp_priv *p = c->priv;
    if (!p)
        return;
    if (p->thread_started) {
        udp_drain(c, 0);
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    if (p->fd >= 0)
        close(p->fd);
    for (int i = 0; i < TR_UDP_SLOTS; i++)
        free(p->slots[i].arena);
    free(p);
    c->priv = NULL;
    c->st.connected = false;
}

static int udp_open(struct tr_carrier *c, const struct tr_endpoint *to,
                    const struct tr_carrier_conf *conf, struct tr_err *err)
{
    struct udp_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
    p->fd = -1;
    c->priv = p;
    /* Each slot must hold at least one largest datagram. */
    size_t per_slot = conf && conf->queue_bytes ? conf->queue_bytes / TR_UDP_SLOTS : 256 << 10;
    p->arena_cap = per_slot > TR_HEP_MAX_UDP ? per_slot : TR_HEP_MAX_UDP;
    for (int i = 0; i < TR_UDP_SLOTS; i++) {
        p->slots[i].arena = malloc(p->arena_cap);
        if (!p->slots[i].arena) {
            udp_close(c);
            return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
        }
    }
    p->fd = socket(to->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        tr_err_set(err, -TR_E_IO, "%s: socket: %s", to->text, strerror(errno));
        udp_close(c);
        return -TR_E_IO;
    }
    int sndbuf = 4 << 20;
    (void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (connect(p->fd, (const struct sockaddr *)&to->ss, to->ss_len) != 0) {
        tr_err_set(err, -TR_E_IO, "%s: connect: %s", to->text, strerror(errno));
        udp_close(c);
        return -TR_E_IO;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int rc = pthread_create(&p->thread, NULL, sender_main, p);
    if (rc != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        tr_err_set(err, -TR_E_IO, "%s: cannot start the sender thread: %s", to->text,
                   strerror(rc));
        udp_close(c);
        return -TR_E_IO;
    }
    p->thread_started = true;
    c->st.connected = true;
    return TR_OK;
}

const struct tr_carrier_ops tr_carrier_udp = {
    .name = "udp",
    .open = udp_open,
    .reserve = udp_reserve,
    .commit = udp_commit,
    .flush = udp_flush,
    .tick = udp_tick,
    .drain = udp_drain,
    .close = udp_close,
};
