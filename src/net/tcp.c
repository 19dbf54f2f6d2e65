/* tcp.c - TCP carrier: a bounded byte queue drained by non-blocking writes,
 * with reconnection and exponential backoff.
 *
 * Framing is the message's own (HEP v3 frames are self-delimiting). The queue
 * remembers where each message starts, so when a connection breaks in the
 * middle of a message the whole message is sent again on the next
 * connection: the collector discards the partial frame with the dead
 * connection, so this neither loses nor duplicates it. Bytes the kernel had
 * accepted before the break may still be lost in flight; TCP cannot tell us.
 *
 *   buf: [0 ........ head ............ tail ........ cap)
 *                     ^ first unsent byte  ^ next free byte
 *   lens: ring of message lengths from head on; head_sent = bytes of the
 *         first message already written.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#define TR_TCP_DEFAULT_QUEUE (8u << 20)
#define TR_TCP_BACKOFF_MIN_NS 100000000ull  /* 100 ms */
#define TR_TCP_BACKOFF_MAX_NS 5000000000ull /* 5 s */

enum tcp_state { TCP_DOWN, TCP_CONNECTING, TCP_UP };

struct tcp_priv {
    int fd;
    enum tcp_state state;
    uint64_t next_attempt_ns;
    uint64_t backoff_ns;
    int full_wait_ms;

    uint8_t *buf;
    size_t cap, head, tail;
    size_t reserved;
    size_t head_sent;

    uint32_t *lens; /* ring */
    size_t lens_cap, lens_head, n_lens;
};

static void tcp_close(struct tr_carrier *c);

static void tcp_disconnect(struct tr_carrier *c, struct tcp_priv *p, uint64_t now)
{
    if (p->fd >= 0)
        close(p->fd);
    if (p->state == TCP_UP)
        c->st.disconnects++;
    p->fd = -1;
    p->state = TCP_DOWN;
    c->st.connected = false;
    /* Resend the partly written message whole on the next connection. */
    p->head -= p->head_sent;
    p->head_sent = 0;
    p->next_attempt_ns = now + p->backoff_ns;
    p->backoff_ns = p->backoff_ns * 2 > TR_TCP_BACKOFF_MAX_NS ? TR_TCP_BACKOFF_MAX_NS
                                                                : p->backoff_ns * 2;
}

static void tcp_connect_start(struct tr_carrier *c, struct tcp_priv *p, uint64_t now)
{
    p->fd = socket(c->to.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        tcp_disconnect(c, p, now);
        return;
    }
    int one = 1;
    (void)setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(p->fd, (const struct sockaddr *)&c->to.ss, c->to.ss_len) == 0) {
        p->state = TCP_UP;
    } else if (errno == EINPROGRESS) {
        p->state = TCP_CONNECTING;
        return;
    } else {
        tcp_disconnect(c, p, now);
        return;
    }
    c->st.connects++;
    c->st.connected = true;
    p->backoff_ns = TR_TCP_BACKOFF_MIN_NS;
}

/* Completes a non-blocking connect if it is done. */
static void tcp_check_connecting(struct tr_carrier *c, struct tcp_priv *p, uint64_t now)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
    if (poll(&pfd, 1, 0) <= 0)
        return;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        if (soerr == ECONNREFUSED)
            c->st.refused++;
        tcp_disconnect(c, p, now);
        return;
    }
    p->state = TCP_UP;
    c->st.connects++;
    c->st.connected = true;
    p->backoff_ns = TR_TCP_BACKOFF_MIN_NS;
    tr_log(TR_LOG_INFO, "%s: connected", c->to.text);
}

static void tcp_advance(struct tr_carrier *c, struct tcp_priv *p, size_t n)
{
    p->head += n;
    c->st.bytes += n;
    p->head_sent += n;
    while (p->n_lens > 0 && p->head_sent >= p->lens[p->lens_head]) {
        p->head_sent -= p->lens[p->lens_head];
        p->lens_head = (p->lens_head + 1) % p->lens_cap;
        p->n_lens--;
        c->st.sent++;
    }
    if (p->head == p->tail) {
        p->head = p->tail = 0;
        p->head_sent = 0;
    }
    c->st.queued = p->n_lens;
    c->st.queued_bytes = p->tail - p->head;
}

static void tcp_flush(struct tr_carrier *c)
{
    struct tcp_priv *p = c->priv;
    uint64_t now = 0;
    if (p->state == TCP_CONNECTING) {
        now = tr_now_mono_ns();
        tcp_check_connecting(c, p, now);
    }
    while (p->state == TCP_UP && p->head < p->tail) {
        ssize_t n = send(p->fd, p->buf + p->head, p->tail - p->head, MSG_NOSIGNAL);
        if (n > 0) {
            tcp_advance(c, p, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        tr_log(TR_LOG_WARN, "%s: connection lost: %s", c->to.text,
               n == 0 ? "closed" : strerror(errno));
        tcp_disconnect(c, p, now ? now : tr_now_mono_ns());
    }
}

static void tcp_tick(struct tr_carrier *c, uint64_t now)
{
    struct tcp_priv *p = c->priv;
    if (p->state == TCP_DOWN && now >= p->next_attempt_ns)
        tcp_connect_start(c, p, now);
    if (p->state == TCP_CONNECTING)
        tcp_check_connecting(c, p, now);
    if (p->state == TCP_UP) {
        /* Notice a collector that closed on us even when we have nothing to say. */
        if (p->head == p->tail) {
            char b;
            ssize_t n = recv(p->fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                tcp_disconnect(c, p, now);
            else if (n > 0) /* collectors do not talk back; discard what they say */
                (void)!recv(p->fd, &b, 1, MSG_DONTWAIT);
        }
        tcp_flush(c);
    }
}

/* Waits up to ms for the socket to take more bytes, sending as it goes. */
static void tcp_wait_room(struct tr_carrier *c, struct tcp_priv *p, int ms)
{
    uint64_t deadline = tr_now_mono_ns() + (uint64_t)ms * 1000000u;
    while (p->state == TCP_UP) {
        uint64_t now = tr_now_mono_ns();
        if (now >= deadline)
            return;
        struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
        int to = (int)((deadline - now) / 1000000u) + 1;
        if (poll(&pfd, 1, to) <= 0)
            continue;
        size_t before = p->tail - p->head;
        tcp_flush(c);
        if (p->tail - p->head < before)
            return;
    }
}

static uint8_t *tcp_reserve(struct tr_carrier *c, size_t len)
{
    struct tcp_priv *p = c->priv;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (p->cap - p->tail < len && p->head > 0) {
            memmove(p->buf, p->buf + p->head, p->tail - p->head);
            p->tail -= p->head;
            p->head = 0;
        }
        if (p->cap - p->tail >= len && p->n_lens < p->lens_cap) {
            p->reserved = len;
            return p->buf + p->tail;
        }
        if (attempt == 0 && p->full_wait_ms > 0 && p->state == TCP_UP)
            tcp_wait_room(c, p, p->full_wait_ms);
        else
            break;
    }
    c->st.dropped++;
    return NULL;
}

static void tcp_commit(struct tr_carrier *c, size_t len)
{
    struct tcp_priv *p = c->priv;
    if (len > p->reserved)
        len = p->reserved;
    p->reserved = 0;
    if (len == 0) /* the reservation was abandoned */
        return;
    p->lens[(p->lens_head + p->n_lens) % p->lens_cap] = (uint32_t)len;
    p->n_lens++;
    p->tail += len;
    c->st.queued = p->n_lens;
    c->st.queued_bytes = p->tail - p->head;
}

static int tcp_drain(struct tr_carrier *c, uint64_t deadline)
{
    struct tcp_priv *p = c->priv;
    for (;;) {
        uint64_t now = tr_now_mono_ns();
        tcp_tick(c, now);
        if (p->head == p->tail)
            return TR_OK;
        if (now >= deadline)
            return -TR_E_AGAIN;
        int to = (int)((deadline - now) / 1000000u) + 1;
        if (to > 50)
            to = 50;
        if (p->state == TCP_DOWN) {
            poll(NULL, 0, to); /* wait for the next reconnect attempt */
            continue;
        }
        struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
        (void)poll(&pfd, 1, to);
    }
}

static int tcp_open(struct tr_carrier *c, const struct tr_endpoint *to,
                    const struct tr_carrier_conf *conf, struct tr_err *err)
{
    struct tcp_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
    c->priv = p;
    p->fd = -1;
    p->cap = conf && conf->queue_bytes ? conf->queue_bytes : TR_TCP_DEFAULT_QUEUE;
    if (p->cap < 2 * TR_HEP_MAX_UDP)
        p->cap = 2 * TR_HEP_MAX_UDP;
    p->full_wait_ms = conf ? conf->full_wait_ms : 0;
    p->lens_cap = p->cap / 64 + 16; /* no message is shorter than a HEP header */
    p->buf = malloc(p->cap);
    p->lens = malloc(p->lens_cap * sizeof(*p->lens));
    if (!p->buf || !p->lens) {
        tcp_close(c);
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory for a %zu-byte queue", to->text,
                          p->cap);
    }
    p->backoff_ns = TR_TCP_BACKOFF_MIN_NS;
    /* A first attempt now; a collector that is down is not a start-up error:
     * we queue and keep trying, as an operator expects of an agent. */
    uint64_t now = tr_now_mono_ns();
    tcp_connect_start(c, p, now);
    if (p->state == TCP_CONNECTING) {
        struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
        (void)poll(&pfd, 1, 200);
        tcp_check_connecting(c, p, now);
    }
    if (p->state != TCP_UP)
        tr_log(TR_LOG_WARN, "%s: not connected yet; queueing and retrying", to->text);
    return TR_OK;
}

static void tcp_close(struct tr_carrier *c)
{
    struct tcp_priv *p = c->priv;
    if (!p)
        return;
    c->st.unsent += p->n_lens;
    if (p->fd >= 0)
        close(p->fd);
    free(p->buf);
    free(p->lens);
    free(p);
    c->priv = NULL;
    c->st.connected = false;
    c->st.queued = 0;
    c->st.queued_bytes = 0;
}

const struct tr_carrier_ops tr_carrier_tcp = {
    .name = "tcp",
    .open = tcp_open,
    .reserve = tcp_reserve,
    .commit = tcp_commit,
    .flush = tcp_flush,
    .tick = tcp_tick,
    .drain = tcp_drain,
    .close = tcp_close,
};
