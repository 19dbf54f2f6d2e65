/* mirror.c - mirror output (kind "mirror"): every captured Ethernet frame,
 * whole or sliced, to a remote probe, as packet-agent (Netis cloud-probe
 * pktminerg) does; docs/mirror.md.
 *
 *   gre:HOST[:KEY]          IP protocol 47, RFC 2784/2890 header with key,
 *                           payload 0x6558 (transparent Ethernet bridging)
 *   vxlan:HOST[:PORT[:VNI]] UDP (default port 4789), RFC 7348 header
 *   zmq:tcp://HOST:PORT     ZMQ PUSH, packet-agent's batch format v1:
 *
 *     +---------+---------+-----------+   batch header, 8 bytes, big endian
 *     | ver = 1 | n_pkts  |  key (32) |
 *     +---------+---------+-----------+------------------+
 *     | len(16) | sec(32) usec(32) caplen(32) len(32)    | frame (len bytes) ... n_pkts times
 *     +---------+------------------------------------------+
 *
 * Headers, direction bits, slicing and the rate limiter are mirror_fmt.c.
 *
 * Cost per frame: one copy into a preallocated batch (no malloc, no
 * syscall); per input batch (flush) one sendmmsg(2) per destination, or one
 * zmq_send of the whole batch. Sends never wait: MSG_DONTWAIT / ZMQ_DONTWAIT,
 * and what the kernel or ZMQ refuses is counted (queue_dropped, failed),
 * never retried in a loop that would stall capture. The raw GRE socket is
 * opened here, before main.c drops privileges; it would also receive every
 * GRE packet of the host, so a drop-all socket filter keeps its receive
 * queue empty.
 *
 * Each --mirror is one output with one destination; several --mirror give
 * several destinations (packet-agent's -r A,B). The live capture filter
 * leaves out our own tunnel traffic (engine.c build_live_filter).
 */
#include "output.h"

#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#define MIRROR_BATCH 256                /* datagrams per sendmmsg */
#define MIRROR_ARENA (1u << 20)         /* bytes per batch (as packet-agent's ZMQ batch) */
#define MIRROR_MAX_FRAME 65535u
#define MIRROR_IP4_MAX_PAYLOAD 65515u   /* 65535 - 20: what a raw IPv4 socket can carry */
#define MIRROR_UDP_MAX_PAYLOAD 65507u
#define MIRROR_ZMQ_HDR 8
#define MIRROR_ZMQ_REC 18               /* 2 + 16 */
#define MIRROR_ZMQ_HWM 1000             /* batches of up to 1 MiB queued in ZMQ */
#define MIRROR_MAC_RETRY_NS 5000000000ull
#define LINKTYPE_ETHERNET 1

/* ------------------------------------------------------------ datagram carrier
 * UDP (VXLAN) or raw IP protocol 47 (GRE), connected, non-blocking sends. */

struct dgram_priv {
    int fd;
    uint8_t *arena;
    size_t used, reserved;
    unsigned n;
    struct mmsghdr msgs[MIRROR_BATCH];
    struct iovec iov[MIRROR_BATCH];
};

static void dgram_send(struct tr_carrier *c)
{
    struct dgram_priv *p = c->priv;
    unsigned done = 0;
    bool retried = false;
    while (done < p->n) {
        int rc = sendmmsg(p->fd, p->msgs + done, p->n - done, MSG_DONTWAIT);
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
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            /* the socket buffer or device queue is full: drop the rest of
             * this batch rather than hold capture */
            c->st.dropped += p->n - done;
            break;
        }
        if ((errno == ECONNREFUSED || errno == ENOPROTOOPT || errno == EHOSTUNREACH ||
             errno == ENETUNREACH || errno == EHOSTDOWN) && !retried) {
            /* an ICMP error (port/protocol unreachable...) for an earlier datagram */
            c->st.refused++;
            retried = true;
            continue;
        }
        c->st.failed++;
        done++;
        retried = false;
    }
    p->n = 0;
    p->used = 0;
    c->st.queued = 0;
    c->st.queued_bytes = 0;
}

static uint8_t *dgram_reserve(struct tr_carrier *c, size_t len)
{
    struct dgram_priv *p = c->priv;
    if (len > MIRROR_ARENA)
        return NULL;
    if (p->n == MIRROR_BATCH || MIRROR_ARENA - p->used < len)
        dgram_send(c);
    p->reserved = len;
    return p->arena + p->used;
}

static void dgram_commit(struct tr_carrier *c, size_t len)
{
    struct dgram_priv *p = c->priv;
    if (len > p->reserved)
        len = p->reserved;
    p->reserved = 0;
    if (len == 0)
        return;
    p->iov[p->n] = (struct iovec){ p->arena + p->used, len };
    p->msgs[p->n].msg_hdr = (struct msghdr){ .msg_iov = &p->iov[p->n], .msg_iovlen = 1 };
    p->n++;
    p->used += len;
    c->st.queued = p->n;
    c->st.queued_bytes = p->used;
}

static void dgram_flush(struct tr_carrier *c)
{
    struct dgram_priv *p = c->priv;
    if (p && p->n > 0)
        dgram_send(c);
}

static void dgram_tick(struct tr_carrier *c, uint64_t now)
{
    (void)c;
    (void)now;
}

static int dgram_drain(struct tr_carrier *c, uint64_t deadline)
{
    (void)deadline;
    dgram_flush(c);
    return TR_OK;
}

static void dgram_close(struct tr_carrier *c)
{
    struct dgram_priv *p = c->priv;
    if (!p)
        return;
    dgram_flush(c);
    if (p->fd >= 0)
        close(p->fd);
    free(p->arena);
    free(p);
    c->priv = NULL;
    c->st.connected = false;
}

static int dgram_open(struct tr_carrier *c, const struct tr_endpoint *to,
                      const struct tr_carrier_conf *conf, struct tr_err *err)
{
    (void)conf;
    struct dgram_priv *p = calloc(1, sizeof(*p));
    if (!p || !(p->arena = malloc(MIRROR_ARENA))) {
        free(p);
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
    }
    p->fd = -1;
    c->priv = p;
    bool gre = to->proto == IPPROTO_GRE;
    p->fd = socket(to->ss.ss_family, (gre ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC,
                   gre ? IPPROTO_GRE : 0);
    if (p->fd < 0) {
        int e = errno;
        dgram_close(c);
        return tr_err_set(err, -TR_E_IO, "%s: socket: %s%s", to->text, strerror(e),
                          gre && (e == EPERM || e == EACCES)
                              ? " (GRE needs root or CAP_NET_RAW)" : "");
    }
    if (gre) {
        /* we only send: a raw socket would queue every GRE packet the host receives */
        struct sock_filter drop_all[] = { { 0x06, 0, 0, 0 } }; /* BPF_RET | BPF_K, 0 */
        struct sock_fprog prog = { .len = 1, .filter = drop_all };
        (void)setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
        int rcv = 4096;
        (void)setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    }
    int sndbuf = 8 << 20;
    (void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (to->ss.ss_family == AF_INET) {
        /* a full frame plus our headers may exceed the path MTU: let the
         * kernel fragment (DF clear), as packet-agent's default does */
        int pmtu = IP_PMTUDISC_DONT;
        (void)setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    }
    if (connect(p->fd, (const struct sockaddr *)&to->ss, to->ss_len) != 0) {
        int e = errno;
        dgram_close(c);
        return tr_err_set(err, -TR_E_IO, "%s: connect: %s", to->text, strerror(e));
    }
    c->st.connected = true;
    return TR_OK;
}

static const struct tr_carrier_ops carrier_dgram = {
    .name = "dgram",
    .open = dgram_open,
    .reserve = dgram_reserve,
    .commit = dgram_commit,
    .flush = dgram_flush,
    .tick = dgram_tick,
    .drain = dgram_drain,
    .close = dgram_close,
};

/* ------------------------------------------------------------ ZMQ carrier
 * One ZMQ message per batch: the output writes records after an 8-byte
 * header this carrier fills in when it sends. */

struct zmq_priv {
    void *ctx, *sock;
    uint8_t *arena;
    size_t used, reserved;
    unsigned n;      /* records */
    uint32_t key;
    uint64_t first_ns; /* packet time of the batch's first record */
};

static void zmqc_send(struct tr_carrier *c)
{
    struct zmq_priv *p = c->priv;
    if (p->n == 0)
        return;
    tr_put_be16(p->arena, 1); /* packet-agent's BATCH_PKTS_VERSION */
    tr_put_be16(p->arena + 2, (uint16_t)p->n);
    tr_put_be32(p->arena + 4, p->key);
    int rc;
    do
        rc = zmq_send(p->sock, p->arena, p->used, ZMQ_DONTWAIT);
    while (rc < 0 && zmq_errno() == EINTR);
    if (rc >= 0) {
        c->st.sent += p->n;
        c->st.bytes += p->used;
    } else if (zmq_errno() == EAGAIN) {
        c->st.dropped += p->n; /* high-water mark reached: the peer is slow or absent */
    } else {
        c->st.failed += p->n;
    }
    p->n = 0;
    p->used = MIRROR_ZMQ_HDR;
    c->st.queued = 0;
    c->st.queued_bytes = 0;
}

static uint8_t *zmqc_reserve(struct tr_carrier *c, size_t len)
{
    struct zmq_priv *p = c->priv;
    if (len > MIRROR_ARENA - MIRROR_ZMQ_HDR)
        return NULL;
    if (p->n == 65535 || MIRROR_ARENA - p->used < len)
        zmqc_send(c);
    p->reserved = len;
    return p->arena + p->used;
}

static void zmqc_commit(struct tr_carrier *c, size_t len)
{
    struct zmq_priv *p = c->priv;
    if (len > p->reserved)
        len = p->reserved;
    p->reserved = 0;
    if (len == 0)
        return;
    p->used += len;
    p->n++;
    c->st.queued = p->n;
    c->st.queued_bytes = p->used;
}

static void zmqc_flush(struct tr_carrier *c)
{
    if (c->priv)
        zmqc_send(c);
}

static void zmqc_tick(struct tr_carrier *c, uint64_t now)
{
    (void)c;
    (void)now;
}

static int zmqc_drain(struct tr_carrier *c, uint64_t deadline)
{
    (void)deadline;
    zmqc_flush(c);
    return TR_OK;
}

static void zmqc_close(struct tr_carrier *c)
{
    struct zmq_priv *p = c->priv;
    if (!p)
        return;
    zmqc_flush(c);
    if (p->sock)
        zmq_close(p->sock); /* linger: queued batches still get a moment to leave */
    if (p->ctx)
        zmq_ctx_term(p->ctx);
    free(p->arena);
    free(p);
    c->priv = NULL;
    c->st.connected = false;
}

static int zmqc_open(struct tr_carrier *c, const struct tr_endpoint *to,
                     const struct tr_carrier_conf *conf, struct tr_err *err)
{
    (void)conf;
    struct zmq_priv *p = calloc(1, sizeof(*p));
    if (!p || !(p->arena = malloc(MIRROR_ARENA))) {
        free(p);
        return tr_err_set(err, -TR_E_NOMEM, "%s: out of memory", to->text);
    }
    c->priv = p;
    p->used = MIRROR_ZMQ_HDR;
    p->ctx = zmq_ctx_new();
    p->sock = p->ctx ? zmq_socket(p->ctx, ZMQ_PUSH) : NULL;
    if (!p->sock) {
        zmqc_close(c);
        return tr_err_set(err, -TR_E_IO, "%s: zmq: %s", to->text, zmq_strerror(zmq_errno()));
    }
    int hwm = MIRROR_ZMQ_HWM, linger = 2000;
    (void)zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    (void)zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
    char ep[TR_ADDR_STRLEN + 32], host[TR_ADDR_STRLEN];
    tr_addr_format(&to->addr, host, sizeof(host));
    snprintf(ep, sizeof(ep), to->addr.family == TR_AF_INET6 ? "tcp://[%s]:%u" : "tcp://%s:%u",
             host, to->port);
    if (to->addr.family == TR_AF_INET6) {
        int one = 1;
        (void)zmq_setsockopt(p->sock, ZMQ_IPV6, &one, sizeof(one));
    }
    if (zmq_connect(p->sock, ep) != 0) {
        int e = zmq_errno();
        zmqc_close(c);
        return tr_err_set(err, -TR_E_IO, "%s: zmq_connect: %s", to->text, zmq_strerror(e));
    }
    c->st.connected = true;
    return TR_OK;
}

static const struct tr_carrier_ops carrier_zmq = {
    .name = "zmq",
    .open = zmqc_open,
    .reserve = zmqc_reserve,
    .commit = zmqc_commit,
    .flush = zmqc_flush,
    .tick = zmqc_tick,
    .drain = zmqc_drain,
    .close = zmqc_close,
};

/* ------------------------------------------------------------ the output */

struct mirror_priv {
    struct tr_mirror_spec spec;
    struct tr_mirror_dir dir;
    uint32_t slice;
    uint32_t max_frame;   /* largest frame the carrier can take with our header */
    bool limited;
    struct tr_token_bucket tb;
    char ifaces[TR_MIRROR_MAX_IFACES][IF_NAMESIZE]; /* direction auto: MACs still unknown */
    char netns[256];
    uint64_t next_mac_retry_ns;
};

/* Resolves host into ep (proto set by the caller's kind). */
static int resolve(const struct tr_mirror_spec *s, int proto, struct tr_endpoint *ep,
                   struct tr_err *err)
{
    memset(ep, 0, sizeof(*ep));
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(s->host, NULL, &hints, &res);
    if (rc != 0 || !res)
        return tr_err_set(err, -TR_E_USAGE, "--mirror: cannot resolve '%s': %s", s->host,
                          gai_strerror(rc));
    memcpy(&ep->ss, res->ai_addr, res->ai_addrlen);
    ep->ss_len = res->ai_addrlen;
    freeaddrinfo(res);
    ep->proto = proto;
    ep->port = proto == IPPROTO_GRE ? 0 : s->port;
    if (ep->ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ep->ss;
        sin->sin_port = htons(proto == IPPROTO_GRE ? 0 : s->port);
        ep->addr.family = TR_AF_INET;
        memcpy(ep->addr.a, &sin->sin_addr, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->ss;
        sin6->sin6_port = htons(proto == IPPROTO_GRE ? 0 : s->port);
        ep->addr.family = TR_AF_INET6;
        memcpy(ep->addr.a, &sin6->sin6_addr, 16);
    }
    char abuf[TR_ADDR_STRLEN];
    tr_addr_format(&ep->addr, abuf, sizeof(abuf));
    const char *kind = s->encap == TR_MIRROR_GRE ? "gre" : s->encap == TR_MIRROR_VXLAN ? "vxlan"
                                                                                     : "zmq";
    if (s->encap == TR_MIRROR_GRE)
        snprintf(ep->text, sizeof(ep->text), "%s:%s:%u", kind, abuf, s->key);
    else
        snprintf(ep->text, sizeof(ep->text),
                 ep->addr.family == TR_AF_INET6 ? "%s:[%s]:%u:%u" : "%s:%s:%u:%u", kind, abuf,
                 s->port, s->key);
    return TR_OK;
}

/* Direction auto: the MAC of every live input's interface (looked up in
 * the capture namespace). A missing interface is looked up again later. */
static void learn_macs(struct mirror_priv *p)
{
    int saved = -1;
    if (p->netns[0] && tr_netns_enter(p->netns, &saved, NULL) != TR_OK)
        return;
    for (unsigned i = 0; i < TR_MIRROR_MAX_IFACES; i++)
        if (p->ifaces[i][0] && !p->dir.has_mac[i])
            (void)tr_mirror_dir_set_iface(&p->dir, i, p->ifaces[i]);
    tr_netns_leave(saved);
}

static int mirror_open(struct tr_output *out, const struct tr_output_conf *conf,
                       struct tr_err *err)
{
    struct mirror_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    const struct tr_mirror_conf *mc = &conf->mirror;
    int rc = tr_mirror_spec_parse(conf->target, &p->spec, err);
    if (rc == TR_OK) {
        int saved = -1;
        /* nic.IFACE names an interface of the capture namespace */
        rc = mc->netns && mc->dir && strncmp(mc->dir, "nic.", 4) == 0
                 ? tr_netns_enter(mc->netns, &saved, err) : TR_OK;
        if (rc == TR_OK) {
            rc = tr_mirror_dir_parse(mc->dir, &p->dir, err);
            tr_netns_leave(saved);
        }
    }
    if (rc != TR_OK) {
        free(p);
        return rc;
    }
    p->slice = p->spec.has_slice ? p->spec.slice : mc->slice;
    double mbps = p->spec.has_mbps ? p->spec.mbps : mc->mbps;
    if (mbps > 0) {
        p->limited = true;
        tr_token_bucket_init(&p->tb, mbps, 0);
    }
    if (mc->netns)
        snprintf(p->netns, sizeof(p->netns), "%s", mc->netns);
    if (p->dir.mode == TR_MIRROR_DIR_AUTO) {
        for (unsigned i = 0; i < TR_MIRROR_MAX_IFACES; i++)
            if (mc->ifaces[i])
                snprintf(p->ifaces[i], sizeof(p->ifaces[i]), "%s", mc->ifaces[i]);
        learn_macs(p);
    }

    int proto = p->spec.encap == TR_MIRROR_GRE ? IPPROTO_GRE
                : p->spec.encap == TR_MIRROR_VXLAN ? IPPROTO_UDP : IPPROTO_TCP;
    struct tr_endpoint ep;
    rc = resolve(&p->spec, proto, &ep, err);
    if (rc != TR_OK) {
        free(p);
        return rc;
    }
    if (p->spec.encap == TR_MIRROR_GRE)
        p->max_frame = (ep.addr.family == TR_AF_INET ? MIRROR_IP4_MAX_PAYLOAD : MIRROR_MAX_FRAME) -
                       TR_MIRROR_HDR_LEN;
    else if (p->spec.encap == TR_MIRROR_VXLAN)
        p->max_frame = MIRROR_UDP_MAX_PAYLOAD - TR_MIRROR_HDR_LEN;
    else
        p->max_frame = MIRROR_MAX_FRAME;
    memset(&out->carrier, 0, sizeof(out->carrier));
    out->carrier.ops = p->spec.encap == TR_MIRROR_ZMQ ? &carrier_zmq : &carrier_dgram;
    out->carrier.to = ep;
    rc = out->carrier.ops->open(&out->carrier, &ep, &conf->carrier, err);
    if (rc != TR_OK) {
        out->carrier.ops = NULL;
        free(p);
        return rc;
    }
    if (p->spec.encap == TR_MIRROR_ZMQ)
        ((struct zmq_priv *)out->carrier.priv)->key = p->spec.key;
    out->priv = p;
    snprintf(out->name, sizeof(out->name), "mirror %s", ep.text);
    return TR_OK;
}

static void mirror_write(struct tr_output *out, const struct tr_event *ev)
{
    struct mirror_priv *p = out->priv;
    const struct tr_packet *pkt = ev->pkt;
    if (ev->kind != TR_EV_PACKET)
        return;
    out->c.events++;
    if (p->spec.encap != TR_MIRROR_ZMQ && pkt->linktype != LINKTYPE_ETHERNET) {
        out->c.dropped_linktype++; /* GRE 0x6558 and VXLAN carry Ethernet frames only */
        return;
    }
    int dir = tr_mirror_direction(&p->dir, pkt);
    if (dir == TR_MIRROR_DIR_UNKNOWN) {
        out->c.dropped_direction++;
        return;
    }
    uint32_t len = tr_mirror_slice_len(pkt->caplen, p->slice);
    if (len > p->max_frame)
        len = p->max_frame;
    if (len < pkt->caplen)
        out->c.sliced++;
    uint32_t hdr = p->spec.encap == TR_MIRROR_ZMQ ? MIRROR_ZMQ_REC : TR_MIRROR_HDR_LEN;
    /* the limit counts what we hand to the network: our header and the frame */
    if (p->limited && !tr_token_bucket_take(&p->tb, pkt->ts_ns, hdr + len)) {
        out->c.dropped_rate++;
        return;
    }
    uint8_t *room = out->carrier.ops->reserve(&out->carrier, hdr + len);
    if (!room) {
        out->c.encode_errors++;
        return;
    }
    if (p->spec.encap == TR_MIRROR_GRE) {
        tr_mirror_gre_hdr(room, p->spec.key, dir);
    } else if (p->spec.encap == TR_MIRROR_VXLAN) {
        tr_mirror_vxlan_hdr(room, p->spec.key, dir);
    } else {
        tr_put_be16(room, (uint16_t)len);
        tr_put_be32(room + 2, tr_ts_sec(pkt->ts_ns));
        tr_put_be32(room + 6, tr_ts_usec(pkt->ts_ns));
        tr_put_be32(room + 10, len);
        tr_put_be32(room + 14, pkt->wire_len);
    }
    memcpy(room + hdr, pkt->frame, len);
    out->carrier.ops->commit(&out->carrier, hdr + len);
    out->c.written++;
}

static void mirror_flush(struct tr_output *out)
{
    if (out->carrier.ops)
        out->carrier.ops->flush(&out->carrier);
}

static void mirror_tick(struct tr_output *out, uint64_t now)
{
    struct mirror_priv *p = out->priv;
    if (p->dir.mode != TR_MIRROR_DIR_AUTO || now < p->next_mac_retry_ns)
        return;
    p->next_mac_retry_ns = now + MIRROR_MAC_RETRY_NS;
    for (unsigned i = 0; i < TR_MIRROR_MAX_IFACES; i++)
        if (p->ifaces[i][0] && !p->dir.has_mac[i]) {
            learn_macs(p); /* an interface that was missing at start may be back */
            break;
        }
}

static int mirror_drain(struct tr_output *out, uint64_t deadline)
{
    return out->carrier.ops ? out->carrier.ops->drain(&out->carrier, deadline) : TR_OK;
}

static void mirror_close(struct tr_output *out)
{
    if (out->carrier.ops)
        out->carrier.ops->close(&out->carrier);
    free(out->priv);
    out->priv = NULL;
}

const struct tr_output_ops tr_output_mirror = {
    .kind = "mirror",
    .packets = true,
    .open = mirror_open,
    .write = mirror_write,
    .flush = mirror_flush,
    .tick = mirror_tick,
    .drain = mirror_drain,
    .close = mirror_close,
};
