/* hep_listen.c - HEP input: receive HEP v1, v2 and v3 from other agents
 * (Kamailio siptrace, captagent, heplify, other trawl instances) over UDP or
 * TCP and hand each valid message to the engine as one packet.
 *
 * Formats: /work/shared/reference/hep.md (HEP3 spec rev 37 for v3; v1/v2 are
 * the captagent/Kamailio C structs). Decoding is proto/hep.c's
 * tr_hep_decode; this file adds the carriers, the stream framing, the auth
 * key check and the counters.
 *
 *   UDP: one datagram = one message (v1, v2 or v3), read with recvmmsg in
 *        batches into buffers allocated once at open. A datagram larger than
 *        TR_HEP_MAX_FRAME (the kernel says MSG_TRUNC or the length shows it)
 *        is too big.
 *   TCP: HEP v3 frames back to back; the frame length is the u16 at offset 4
 *        of "HEP3" (tr_hep3_frame_len). v1/v2 have no length field, so they
 *        cannot be cut from a stream: a connection that starts a frame with
 *        anything but "HEP3" is closed and counted. At most hep_max_conns
 *        connections at once (more are accepted and closed at once, so the
 *        listening socket does not stay readable); each has one buffer of
 *        TR_HEPIN_CONN_BUF bytes, allocated at accept, freed at close: a
 *        frame is never larger, so a buffer can always hold the frame being
 *        read.
 *
 * Non-blocking throughout. The engine polls one fd per input: the UDP socket,
 * or for TCP an epoll fd over the listening socket and its connections (an
 * epoll fd is readable when any of its fds is), so the input ops need no
 * list of fds.
 *
 * Packets handed out: frame = the whole message, linktype TR_LINKTYPE_HEP,
 * ts_ns = arrival time (the engine uses the HEP timestamp when there is one).
 * The bytes are valid only during the callback (the receive buffers are
 * reused by the next batch).
 */
#include "input.h"
#include "../net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define TR_HEPIN_UDP_BATCH 32
#define TR_HEPIN_UDP_BUF 65536          /* > TR_HEP_MAX_FRAME: a bigger datagram is seen as too big */
#define TR_HEPIN_CONN_BUF 65536         /* >= TR_HEP_MAX_FRAME */
#define TR_HEPIN_DEFAULT_CONNS 64
#define TR_HEPIN_EPOLL_BATCH 64
#define TR_HEPIN_DEFAULT_HOST "127.0.0.1" /* safer than every interface; give 0.0.0.0 to open up */

_Static_assert(TR_HEPIN_CONN_BUF >= TR_HEP_MAX_FRAME, "a connection buffer holds a whole frame");

struct hep_conn {
    int fd;               /* -1: slot free */
    uint8_t *buf;
    size_t used;
};

struct hep_priv {
    struct tr_input *in;
    int proto;            /* IPPROTO_UDP or IPPROTO_TCP */
    int sock;             /* UDP socket or TCP listening socket */
    int epfd;             /* TCP only */
    char key_buf[256];
    struct tr_str key;
    struct tr_hep_in_stats st;
    uint64_t bytes;
    /* UDP */
    uint8_t *udp_bufs;    /* TR_HEPIN_UDP_BATCH x TR_HEPIN_UDP_BUF */
    struct mmsghdr msgs[TR_HEPIN_UDP_BATCH];
    struct iovec iov[TR_HEPIN_UDP_BATCH];
    /* TCP */
    struct hep_conn *conns;
    unsigned n_conns_max;
};

static const char *const reason_names[TR_HEPIN_REASON_COUNT] = {
    [TR_HEPIN_OK] = "ok",
    [TR_HEPIN_NOT_HEP] = "not_hep",
    [TR_HEPIN_TRUNCATED] = "truncated",
    [TR_HEPIN_MALFORMED] = "malformed",
    [TR_HEPIN_TOO_BIG] = "too_big",
    [TR_HEPIN_AUTH_MISSING] = "auth_missing",
    [TR_HEPIN_AUTH_WRONG] = "auth_wrong",
};

const char *tr_hep_in_reason_name(enum tr_hep_in_reason r)
{
    return (unsigned)r < TR_HEPIN_REASON_COUNT ? reason_names[r] : "unknown";
}

/* ------------------------------------------------------------ validation */

/* Constant time in the key's content, so the check does not tell a sender
 * how much of a guess was right. */
static bool key_equal(struct tr_str got, struct tr_str want)
{
    if (got.len != want.len)
        return false;
    unsigned diff = 0;
    for (size_t i = 0; i < got.len; i++)
        diff |= (unsigned)(uint8_t)got.ptr[i] ^ (unsigned)(uint8_t)want.ptr[i];
    return diff == 0;
}

enum tr_hep_in_reason tr_hep_in_check(struct tr_bytes msg, struct tr_str key,
                                      struct tr_hep_fields *out)
{
    memset(out, 0, sizeof(*out));
    if (msg.len > TR_HEP_MAX_FRAME)
        return TR_HEPIN_TOO_BIG;
    int rc = tr_hep_decode(msg, out);
    if (rc == TR_DECLINED)
        return TR_HEPIN_NOT_HEP;
    if (rc == -TR_E_TRUNCATED)
        return TR_HEPIN_TRUNCATED;
    if (rc != TR_OK)
        return TR_HEPIN_MALFORMED;
    if (key.len > 0) {
        if (out->auth_key.len == 0)
            return TR_HEPIN_AUTH_MISSING;
        if (!key_equal(out->auth_key, key))
            return TR_HEPIN_AUTH_WRONG;
    }
    return TR_HEPIN_OK;
}

long tr_hep_in_frame(struct tr_bytes buf, enum tr_hep_in_reason *why)
{
    if (buf.len == 0)
        return 0;
    /* Decide on the first bytes as soon as they can not be "HEP3": a v1/v2
     * or junk stream is closed without waiting for 6 bytes. */
    size_t k = buf.len < 4 ? buf.len : 4;
    if (memcmp(buf.ptr, "HEP3", k) != 0) {
        *why = (buf.ptr[0] == 1 || buf.ptr[0] == 2) ? TR_HEPIN_MALFORMED : TR_HEPIN_NOT_HEP;
        return -1;
    }
    long n = tr_hep3_frame_len(buf);
    if (n == 0)
        return 0;
    if (n < 0) {
        *why = TR_HEPIN_MALFORMED;
        return -1;
    }
    if (n > TR_HEP_MAX_FRAME) {
        *why = TR_HEPIN_TOO_BIG;
        return -1;
    }
    return (size_t)n <= buf.len ? n : 0;
}

/* Checks one message and hands it out; returns 1 when delivered. */
static int deliver(struct hep_priv *hp, const uint8_t *p, size_t len, uint64_t now_ns,
                   tr_packet_cb cb, void *user)
{
    struct tr_hep_fields f;
    hp->st.messages++;
    enum tr_hep_in_reason r = tr_hep_in_check((struct tr_bytes){ p, len }, hp->key, &f);
    if (r != TR_HEPIN_OK) {
        hp->st.rejected[r]++;
        return 0;
    }
    hp->st.accepted++;
    hp->st.by_version[f.version <= 3 ? f.version : 0]++;
    hp->bytes += len;
    struct tr_packet pkt = {
        .frame = p,
        .caplen = (uint32_t)len,
        .wire_len = (uint32_t)len,
        .ts_ns = now_ns,
        .linktype = TR_LINKTYPE_HEP,
        .input_id = hp->in->id,
    };
    cb(user, &pkt);
    return 1;
}

/* ------------------------------------------------------------ UDP */

static int udp_dispatch(struct tr_input *in, struct hep_priv *hp, int max, tr_packet_cb cb,
                        void *user)
{
    int done = 0;
    while (done < max) {
        unsigned want = (unsigned)(max - done);
        if (want > TR_HEPIN_UDP_BATCH)
            want = TR_HEPIN_UDP_BATCH;
        for (unsigned i = 0; i < want; i++) {
            hp->iov[i] = (struct iovec){ hp->udp_bufs + (size_t)i * TR_HEPIN_UDP_BUF,
                                         TR_HEPIN_UDP_BUF };
            hp->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &hp->iov[i], .msg_iovlen = 1 };
            hp->msgs[i].msg_len = 0;
        }
        int n = recvmmsg(hp->sock, hp->msgs, want, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            /* ICMP errors and the like on a datagram socket: count, go on */
            hp->st.recv_errors++;
            if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT) {
                snprintf(in->error, sizeof(in->error), "%s: recvmmsg: %s", in->name,
                         strerror(errno));
                return -TR_E_IO;
            }
            break;
        }
        uint64_t now = tr_now_real_ns();
        for (int i = 0; i < n; i++) {
            size_t len = hp->msgs[i].msg_len;
            if ((hp->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > TR_HEP_MAX_FRAME) {
                hp->st.messages++;
                hp->st.rejected[TR_HEPIN_TOO_BIG]++;
                continue;
            }
            deliver(hp, hp->iov[i].iov_base, len, now, cb, user);
        }
        done += n;
        if ((unsigned)n < want)
            break;
    }
    return done;
}

/* ------------------------------------------------------------ TCP */

static void conn_close(struct hep_priv *hp, struct hep_conn *c)
{
    epoll_ctl(hp->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->buf);
    *c = (struct hep_conn){ .fd = -1 };
    hp->st.conns_now--;
}

static void tcp_accept(struct hep_priv *hp)
{
    for (;;) {
        int fd = accept4(hp->sock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                hp->st.recv_errors++;
            return;
        }
        struct hep_conn *slot = NULL;
        for (unsigned i = 0; i < hp->n_conns_max && !slot; i++)
            if (hp->conns[i].fd < 0)
                slot = &hp->conns[i];
        uint8_t *buf = slot ? malloc(TR_HEPIN_CONN_BUF) : NULL;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = slot };
        if (!slot || !buf || epoll_ctl(hp->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            free(buf);
            close(fd);
            hp->st.conns_refused++;
            continue;
        }
        *slot = (struct hep_conn){ .fd = fd, .buf = buf, .used = 0 };
        hp->st.conns_accepted++;
        hp->st.conns_now++;
    }
}

/* Reads once from c and delivers every whole frame; closes c at EOF, on an
 * error or on a framing error. Returns the number of frames seen. */
static int conn_read(struct hep_priv *hp, struct hep_conn *c, tr_packet_cb cb, void *user)
{
    ssize_t r = read(c->fd, c->buf + c->used, TR_HEPIN_CONN_BUF - c->used);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (r <= 0) {
        if (r < 0)
            hp->st.recv_errors++;
        if (c->used > 0) { /* the peer left in the middle of a frame */
            hp->st.messages++;
            hp->st.rejected[TR_HEPIN_TRUNCATED]++;
        }
        conn_close(hp, c);
        return 0;
    }
    c->used += (size_t)r;
    uint64_t now = tr_now_real_ns();
    size_t off = 0;
    int n = 0;
    for (;;) {
        enum tr_hep_in_reason why = TR_HEPIN_OK;
        long len = tr_hep_in_frame((struct tr_bytes){ c->buf + off, c->used - off }, &why);
        if (len == 0)
            break;
        if (len < 0) {
            hp->st.messages++;
            hp->st.rejected[why]++;
            hp->st.conns_closed_bad++;
            conn_close(hp, c);
            return n;
        }
        deliver(hp, c->buf + off, (size_t)len, now, cb, user);
        off += (size_t)len;
        n++;
    }
    /* A partial frame is always < TR_HEPIN_CONN_BUF, so after the move
     * there is room to read more of it. */
    if (off > 0) {
        memmove(c->buf, c->buf + off, c->used - off);
        c->used -= off;
    }
    return n;
}

static int tcp_dispatch(struct hep_priv *hp, int max, tr_packet_cb cb, void *user)
{
    struct epoll_event evs[TR_HEPIN_EPOLL_BATCH];
    int want = max < TR_HEPIN_EPOLL_BATCH ? max : TR_HEPIN_EPOLL_BATCH;
    if (want < 1)
        want = 1;
    int n = epoll_wait(hp->epfd, evs, want, 0);
    int done = 0;
    for (int i = 0; i < n; i++) {
        struct hep_conn *c = evs[i].data.ptr;
        if (!c) {
            tcp_accept(hp);
            done++;
            continue;
        }
        /* An earlier event of this round may have closed and reused the slot. */
        if (c->fd < 0)
            continue;
        done += conn_read(hp, c, cb, user) + 1;
    }
    return done;
}

/* ------------------------------------------------------------ ops */

static int hep_dispatch(struct tr_input *in, int max, tr_packet_cb cb, void *user)
{
    struct hep_priv *hp = in->priv;
    if (hp->proto == IPPROTO_UDP)
        return udp_dispatch(in, hp, max, cb, user);
    return tcp_dispatch(hp, max, cb, user);
}

static int hep_fd(const struct tr_input *in)
{
    const struct hep_priv *hp = in->priv;
    return hp->proto == IPPROTO_UDP ? hp->sock : hp->epfd;
}

static void hep_stats(struct tr_input *in, struct tr_input_stats *out)
{
    struct hep_priv *hp = in->priv;
    memset(out, 0, sizeof(*out));
    out->packets = hp->st.accepted;
    out->bytes = hp->bytes;
}

static int hep_set_filter(struct tr_input *in, const char *filter, struct tr_err *err)
{
    (void)in;
    if (filter && filter[0])
        return tr_err_set(err, -TR_E_UNSUPPORTED, "HEP inputs take no capture filter");
    return TR_OK;
}

static void hep_close(struct tr_input *in)
{
    struct hep_priv *hp = in->priv;
    if (!hp)
        return;
    if (hp->conns) {
        for (unsigned i = 0; i < hp->n_conns_max; i++)
            if (hp->conns[i].fd >= 0)
                conn_close(hp, &hp->conns[i]);
        free(hp->conns);
    }
    if (hp->epfd >= 0)
        close(hp->epfd);
    if (hp->sock >= 0)
        close(hp->sock);
    free(hp->udp_bufs);
    free(hp);
    in->priv = NULL;
}

/* "udp:PORT" means the default host; anything else goes to tr_endpoint_parse. */
static int parse_spec(const char *spec, struct tr_endpoint *ep, struct tr_err *err)
{
    char buf[512];
    const char *colon = strchr(spec, ':');
    if (colon && !strchr(colon + 1, ':')) {
        int n = snprintf(buf, sizeof(buf), "%.*s:%s:%s", (int)(colon - spec), spec,
                         TR_HEPIN_DEFAULT_HOST, colon + 1);
        if (n < 0 || (size_t)n >= sizeof(buf))
            return tr_err_set(err, -TR_E_USAGE, "--hep-listen %s: too long", spec);
        spec = buf;
    }
    return tr_endpoint_parse(spec, ep, err);
}

static int hep_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    struct tr_endpoint ep;
    int rc = parse_spec(conf->source, &ep, err);
    if (rc != TR_OK)
        return rc;
    struct hep_priv *hp = calloc(1, sizeof(*hp));
    if (!hp)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    in->priv = hp;
    hp->in = in;
    hp->sock = hp->epfd = -1;
    hp->proto = ep.proto;
    snprintf(in->name, sizeof(in->name), "hep-in:%s", ep.text);
    if (conf->hep_key && conf->hep_key[0]) {
        size_t n = strlen(conf->hep_key);
        if (n >= sizeof(hp->key_buf)) {
            rc = tr_err_set(err, -TR_E_USAGE, "--hep-listen-key: longer than %zu bytes",
                            sizeof(hp->key_buf) - 1);
            goto fail;
        }
        memcpy(hp->key_buf, conf->hep_key, n);
        hp->key = (struct tr_str){ hp->key_buf, n };
    }

    int udp = ep.proto == IPPROTO_UDP;
    hp->sock = socket(ep.ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
                                           SOCK_CLOEXEC, 0);
    if (hp->sock < 0) {
        rc = tr_err_set(err, -TR_E_IO, "--hep-listen %s: socket: %s", ep.text, strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(hp->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ep.ss.ss_family == AF_INET6) /* [::] means IPv6 only; give 0.0.0.0 for IPv4 */
        setsockopt(hp->sock, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (udp) {
        /* Senders burst (siptrace mirrors every message): room for them. */
        int rcvbuf = 4 << 20;
        setsockopt(hp->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    if (bind(hp->sock, (const struct sockaddr *)&ep.ss, ep.ss_len) != 0) {
        rc = tr_err_set(err, -TR_E_IO, "--hep-listen %s: bind: %s", ep.text, strerror(errno));
        goto fail;
    }
    if (udp) {
        hp->udp_bufs = malloc((size_t)TR_HEPIN_UDP_BATCH * TR_HEPIN_UDP_BUF);
        if (!hp->udp_bufs) {
            rc = tr_err_set(err, -TR_E_NOMEM, "out of memory");
            goto fail;
        }
        return TR_OK;
    }

    hp->n_conns_max = conf->hep_max_conns ? conf->hep_max_conns : TR_HEPIN_DEFAULT_CONNS;
    hp->conns = calloc(hp->n_conns_max, sizeof(*hp->conns));
    if (!hp->conns) {
        rc = tr_err_set(err, -TR_E_NOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < hp->n_conns_max; i++)
        hp->conns[i].fd = -1;
    if (listen(hp->sock, 64) != 0) {
        rc = tr_err_set(err, -TR_E_IO, "--hep-listen %s: listen: %s", ep.text, strerror(errno));
        goto fail;
    }
    hp->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }; /* NULL: the listener */
    if (hp->epfd < 0 || epoll_ctl(hp->epfd, EPOLL_CTL_ADD, hp->sock, &ev) != 0) {
        rc = tr_err_set(err, -TR_E_IO, "--hep-listen %s: epoll: %s", ep.text, strerror(errno));
        goto fail;
    }
    return TR_OK;
fail:
    hep_close(in);
    return rc;
}

const struct tr_input_ops tr_input_hep_listen = {
    .name = "hep-listen",
    .open = hep_open,
    .dispatch = hep_dispatch,
    .fd = hep_fd,
    .stats = hep_stats,
    .set_filter = hep_set_filter,
    .close = hep_close,
};

const struct tr_hep_in_stats *tr_input_hep_stats(const struct tr_input *in)
{
    if (in->ops != &tr_input_hep_listen || !in->priv)
        return NULL;
    return &((const struct hep_priv *)in->priv)->st;
}
