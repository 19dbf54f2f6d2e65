/* net.h - carriers: move already-formatted messages to a remote endpoint.
 *
 * A carrier knows nothing of HEP or JSON (curl's connection filters): the
 * output reserves room in the carrier's queue, encodes in place and commits.
 * flush() hands everything queued to the kernel in as few syscalls as it can
 * (UDP: sendmmsg; TCP: write of the contiguous queue). Nothing is dropped
 * without being counted: a message that finds no room is a queue drop, a
 * message the kernel refuses is a failure, and whatever is still queued when
 * the carrier closes is counted as unsent.
 *
 * Threading: one carrier per worker; no locks.
 */
#ifndef TRAWL_NET_H
#define TRAWL_NET_H

#include "../core/core.h"

#include <netinet/in.h>
#include <sys/socket.h>

struct tr_endpoint {
    int proto; /* IPPROTO_UDP or IPPROTO_TCP */
    struct sockaddr_storage ss;
    socklen_t ss_len;
    struct tr_addr addr; /* same address, trawl's form (for capture filters) */
    uint16_t port;
    char text[128];      /* "udp:127.0.0.1:9060", for logs and counter names */
};

/* Parses "udp:HOST:PORT", "tcp:HOST:PORT" or "tcp:[v6]:PORT". HOST must be a
 * numeric address or a name that resolves (first result is used). */
int tr_endpoint_parse(const char *spec, struct tr_endpoint *ep, struct tr_err *err);

/* Largest datagram a UDP carrier sends (IPv4 UDP payload limit). */
#define TR_HEP_MAX_UDP 65507

struct tr_carrier_conf {
    size_t queue_bytes;   /* TCP: queue cap; UDP: batch arena (>= 64 KiB) */
    int full_wait_ms;     /* TCP, connected and queue full: wait this long for room before
                           * dropping (offline runs: read-back pressure instead of loss) */
};

struct tr_carrier_stats {
    uint64_t sent;        /* messages handed to the kernel */
    uint64_t bytes;
    uint64_t failed;      /* messages the kernel refused (counted once each) */
    uint64_t refused;     /* UDP: ICMP port unreachable reported by the kernel */
    uint64_t dropped;     /* no room in the queue */
    uint64_t unsent;      /* still queued at close */
    uint64_t connects;    /* TCP: successful connections */
    uint64_t disconnects; /* TCP: connections lost */
    uint64_t queued;      /* gauge: messages waiting */
    uint64_t queued_bytes; /* gauge */
    bool connected;
};

struct tr_carrier;

struct tr_carrier_ops {
    const char *name; /* "udp", "tcp" */
    int (*open)(struct tr_carrier *c, const struct tr_endpoint *to,
                const struct tr_carrier_conf *conf, struct tr_err *err);
    /* Room for one message of at most len bytes, or NULL (then the caller
     * counts nothing: the carrier counted the drop). */
    uint8_t *(*reserve)(struct tr_carrier *c, size_t len);
    /* The message written into the reserved room is len bytes (<= reserved);
     * 0 abandons the reservation. */
    void (*commit)(struct tr_carrier *c, size_t len);
    /* Hands queued messages to the kernel without waiting for a peer. */
    void (*flush)(struct tr_carrier *c);
    /* Periodic work: reconnect with backoff. */
    void (*tick)(struct tr_carrier *c, uint64_t now_mono_ns);
    /* Waits (poll) up to deadline for the queue to empty. TR_OK or -TR_E_AGAIN. */
    int (*drain)(struct tr_carrier *c, uint64_t deadline_mono_ns);
    void (*close)(struct tr_carrier *c); /* counts what is left as unsent */
};

struct tr_carrier {
    const struct tr_carrier_ops *ops;
    struct tr_endpoint to;
    struct tr_carrier_stats st;
    void *priv;
};

extern const struct tr_carrier_ops tr_carrier_udp;
extern const struct tr_carrier_ops tr_carrier_tcp;

/* Opens the carrier matching to->proto. On failure c is left closed. */
int tr_carrier_open(struct tr_carrier *c, const struct tr_endpoint *to,
                    const struct tr_carrier_conf *conf, struct tr_err *err);

/* ------------------------------------------------------------ namespaces
 * (netns.c) --netns SPEC: a PID (its /proc/PID/ns/net), a name made by `ip
 * netns add` (/var/run/netns/NAME) or a path. enter switches the calling
 * thread into it and returns the fd to come back with (-1 when spec is NULL
 * or empty: nothing to do); leave returns and closes it. Needs CAP_SYS_ADMIN. */
int tr_netns_path(const char *spec, char *buf, size_t cap);
int tr_netns_enter(const char *spec, int *saved_fd, struct tr_err *err);
void tr_netns_leave(int saved_fd);

#endif
