/* udp.c - UDP carrier: messages collect in an arena and leave in batches
 * through sendmmsg(2), one syscall per up to TR_UDP_BATCH datagrams.
 *
 * The socket is connected, so the kernel reports ICMP port-unreachable from
 * the collector as ECONNREFUSED on a later send: that send is retried once
 * and the event is counted as "refused" (the collector is down; the datagram
 * that provoked the ICMP is lost and we cannot tell which one it was).
 * The socket blocks: a full socket send buffer briefly holds the worker
 * instead of losing datagrams in the local stack.
 */
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define TR_UDP_BATCH 256

struct udp_priv {
    int fd;
    uint8_t *arena;
    size_t arena_cap, arena_used;
    size_t reserved;                    /* room handed out by reserve, not yet committed */
    struct mmsghdr msgs[TR_UDP_BATCH];
    struct iovec iov[TR_UDP_BATCH];
    unsigned n;
};

static void udp_close(struct tr_carrier *c);

static int udp_open(struct tr_carrier *c, const struct tr_endpoint *to,
                    const struct tr_carrier_conf *conf, struct tr_err *err)
{
    struct udp_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
    p->fd = -1;
    c->priv = p;
    p->arena_cap = conf && conf->queue_bytes > 2 * TR_HEP_MAX_UDP ? conf->queue_bytes
                                                                   : 2 * TR_HEP_MAX_UDP;
    p->arena = malloc(p->arena_cap);
    if (!p->arena)
        goto nomem;
    p->fd = socket(to->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        tr_err_set(err, -TR_E_IO, "%s: socket: %s", to->text, strerror(errno));
        goto fail;
    }
    int sndbuf = 4 << 20;
    (void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (connect(p->fd, (const struct sockaddr *)&to->ss, to->ss_len) != 0) {
        tr_err_set(err, -TR_E_IO, "%s: connect: %s", to->text, strerror(errno));
        goto fail;
    }
    c->st.connected = true;
    return TR_OK;
nomem:
    tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
fail:
    udp_close(c);
    return err ? err->code : -TR_E_IO;
}

static void udp_flush(struct tr_carrier *c)
{
    struct udp_priv *p = c->priv;
    unsigned done = 0;
    bool retried = false;
    while (done < p->n) {
        int rc = sendmmsg(p->fd, p->msgs + done, p->n - done, 0);
        if (rc > 0) {
            for (int i = 0; i < rc; i++)
                c->st.bytes += p->iov[done + (unsigned)i].iov_len;
            c->st.sent += (uint64_t)rc;
            done += (unsigned)rc;
            retried = false;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == ECONNREFUSED && !retried) {
            c->st.refused++;
            retried = true; /* the error belonged to an earlier datagram: send this one again */
            continue;
        }
        c->st.failed++; /* this datagram cannot go: count it and move on */
        done++;
        retried = false;
    }
    p->n = 0;
    p->arena_used = 0;
    c->st.queued = 0;
    c->st.queued_bytes = 0;
}

static uint8_t *udp_reserve(struct tr_carrier *c, size_t len)
{
    struct udp_priv *p = c->priv;
    if (len > TR_HEP_MAX_UDP) {
        c->st.failed++;
        return NULL;
    }
    if (p->n == TR_UDP_BATCH || p->arena_cap - p->arena_used < len)
        udp_flush(c);
    p->reserved = len;
    return p->arena + p->arena_used;
}

static void udp_commit(struct tr_carrier *c, size_t len)
{
    struct udp_priv *p = c->priv;
    if (len > p->reserved)
        len = p->reserved;
    p->reserved = 0;
    if (len == 0) /* the reservation was abandoned */
        return;
    p->iov[p->n] = (struct iovec){ p->arena + p->arena_used, len };
    p->msgs[p->n].msg_hdr = (struct msghdr){ .msg_iov = &p->iov[p->n], .msg_iovlen = 1 };
    p->n++;
    p->arena_used += len;
    c->st.queued = p->n;
    c->st.queued_bytes = p->arena_used;
}

static void udp_tick(struct tr_carrier *c, uint64_t now)
{
    (void)c;
    (void)now;
}

static int udp_drain(struct tr_carrier *c, uint64_t deadline)
{
    (void)deadline;
    udp_flush(c);
    return TR_OK;
}

static void udp_close(struct tr_carrier *c)
{
    struct udp_priv *p = c->priv;
    if (!p)
        return;
    if (p->fd >= 0) {
        udp_flush(c);
        close(p->fd);
    }
    free(p->arena);
    free(p);
    c->priv = NULL;
    c->st.connected = false;
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
