/* mirror_fmt.c - the pure parts of the mirror outputs (output.h, "Mirror";
 * docs/mirror.md): the --mirror spec parser, the tunnel headers, packet
 * direction, slicing and the rate limiter. No I/O here, so unit tests and
 * the fuzz target (tests/fuzz/fuzz_mirror_spec.c) run them as they are.
 *
 * GRE header, RFC 2784 section 2 with the key of RFC 2890 section 2 and
 * payload type 0x6558 (transparent Ethernet bridging, IANA ether types):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |C| |K|S| Reserved0       | Ver |   Protocol Type 0x6558        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Dir(4)|                 Key (28 bits)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   flags 0x2000 (K only). packet-agent (Netis cloud-probe socketgre.cpp)
 *   sends key = keybit | (direction << 28): the same here.
 *
 * VXLAN header, RFC 7348 section 5:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Dir(4)|  VNI (20 bits)                        |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   With a direction the VNI's high 4 bits carry it and, as packet-agent's
 *   "vni1" tag does (cloud-probe docs/VXLAN-WIRE-FORMAT.md section 4), only
 *   the low 12 bits of the configured VNI are kept; without a direction
 *   (mode none) the 24-bit VNI goes out unchanged. The last byte stays 0
 *   (packet-agent puts a check byte there; Linux's vxlan driver drops such
 *   frames as malformed, so trawl does not).
 *
 * Direction values are packet-agent's: 0 not checked, 1 incoming, 2
 * outgoing; a frame whose direction cannot be told in host/nic modes is not
 * mirrored (packet-agent drops it too) and is counted.
 */
#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ spec parser */

static bool parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Mbit/s: a decimal like 10 or 2.5, > 0 and <= 100000. */
static bool parse_mbps(const char *s, size_t n, double *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.'))
            return false;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !(v > 0) || v > 100000)
        return false;
    *out = v;
    return true;
}

/* --mbps and the config's mbps: key take the same values as a spec's mbps=. */
bool tr_mirror_mbps_parse(const char *s, double *out)
{
    return s && parse_mbps(s, strlen(s), out);
}

/* One ",name=value" option. */
static int parse_option(const char *spec, const char *s, size_t n, struct tr_mirror_spec *out,
                        struct tr_err *err)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return tr_err_set(err, -TR_E_USAGE, "--mirror %s: option '%.*s' needs =VALUE", spec,
                          (int)n, s);
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    const char *v = eq + 1;
    if (kn == 5 && memcmp(s, "slice", 5) == 0) {
        if (!parse_u32(v, vn, 65535, &out->slice) || out->slice < 14)
            return tr_err_set(err, -TR_E_USAGE, "--mirror %s: slice must be 14..65535", spec);
        out->has_slice = true;
    } else if (kn == 4 && memcmp(s, "mbps", 4) == 0) {
        if (!parse_mbps(v, vn, &out->mbps))
            return tr_err_set(err, -TR_E_USAGE, "--mirror %s: mbps must be > 0 and <= 100000",
                              spec);
        out->has_mbps = true;
    } else if ((kn == 3 && memcmp(s, "key", 3) == 0) || (kn == 3 && memcmp(s, "vni", 3) == 0)) {
        uint32_t max = out->encap == TR_MIRROR_VXLAN ? 0xFFFFFFu : 0x0FFFFFFFu;
        if (!parse_u32(v, vn, max, &out->key))
            return tr_err_set(err, -TR_E_USAGE, "--mirror %s: %.*s must be 0..%u", spec,
                              (int)kn, s, max);
    } else {
        return tr_err_set(err, -TR_E_USAGE,
                          "--mirror %s: unknown option '%.*s' (slice, mbps, key, vni)", spec,
                          (int)kn, s);
    }
    return TR_OK;
}

/* Copies [s, s+n) into host (brackets around IPv6 removed). */
static int take_host(const char *spec, const char *s, size_t n, struct tr_mirror_spec *out,
                     struct tr_err *err)
{
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(out->host))
        return tr_err_set(err, -TR_E_USAGE, "--mirror %s: missing or too long HOST", spec);
    memcpy(out->host, s, n);
    out->host[n] = '\0';
    return TR_OK;
}

int tr_mirror_spec_parse(const char *spec, struct tr_mirror_spec *out, struct tr_err *err)
{
    memset(out, 0, sizeof(*out));
    const char *comma = strchr(spec, ',');
    size_t main_len = comma ? (size_t)(comma - spec) : strlen(spec);
    const char *p;
    if (strncmp(spec, "gre:", 4) == 0) {
        out->encap = TR_MIRROR_GRE;
        out->key = 1; /* packet-agent's default keybit */
        p = spec + 4;
    } else if (strncmp(spec, "vxlan:", 6) == 0) {
        out->encap = TR_MIRROR_VXLAN;
        out->port = 4789;
        out->key = 1;
        p = spec + 6;
    } else if (strncmp(spec, "zmq:", 4) == 0) {
        out->encap = TR_MIRROR_ZMQ;
        out->key = 1;
        p = spec + 4;
    } else {
        return tr_err_set(err, -TR_E_USAGE,
                          "--mirror %s: expected gre:HOST[:KEY], vxlan:HOST[:PORT[:VNI]] or "
                          "zmq:tcp://HOST:PORT",
                          spec);
    }
    const char *end = spec + main_len;
    if (p > end)
        return tr_err_set(err, -TR_E_USAGE, "--mirror %s: missing HOST", spec);

    if (out->encap == TR_MIRROR_ZMQ) {
        if (strncmp(p, "tcp://", 6) != 0)
            return tr_err_set(err, -TR_E_USAGE, "--mirror %s: expected zmq:tcp://HOST:PORT",
                              spec);
        const char *hp = p + 6;
        const char *colon = NULL;
        for (const char *q = hp; q < end; q++)
            if (*q == ':')
                colon = q;
        if (hp < end && *hp == '[') {
            const char *cl = memchr(hp, ']', (size_t)(end - hp));
            if (!cl || cl + 1 >= end || cl[1] != ':')
                return tr_err_set(err, -TR_E_USAGE, "--mirror %s: expected tcp://[IPv6]:PORT",
                                  spec);
            colon = cl + 1;
        }
        uint32_t port;
        if (!colon || !parse_u32(colon + 1, (size_t)(end - colon - 1), 65535, &port) || port == 0)
            return tr_err_set(err, -TR_E_USAGE, "--mirror %s: expected zmq:tcp://HOST:PORT", spec);
        int rc = take_host(spec, hp, (size_t)(colon - hp), out, err);
        if (rc != TR_OK)
            return rc;
        out->port = (uint16_t)port;
    } else {
        /* HOST or [v6], then :field... */
        const char *hend;
        if (p < end && *p == '[') {
            const char *cl = memchr(p, ']', (size_t)(end - p));
            if (!cl)
                return tr_err_set(err, -TR_E_USAGE, "--mirror %s: unclosed [", spec);
            hend = cl + 1;
        } else {
            hend = memchr(p, ':', (size_t)(end - p));
            if (!hend)
                hend = end;
        }
        int rc = take_host(spec, p, (size_t)(hend - p), out, err);
        if (rc != TR_OK)
            return rc;
        const char *fields[2];
        size_t flen[2];
        unsigned nf = 0;
        const char *q = hend;
        while (q < end) {
            if (*q != ':' || nf == 2)
                return tr_err_set(err, -TR_E_USAGE, "--mirror %s: too many :fields", spec);
            q++;
            const char *n = memchr(q, ':', (size_t)(end - q));
            if (!n)
                n = end;
            fields[nf] = q;
            flen[nf++] = (size_t)(n - q);
            q = n;
        }
        if (out->encap == TR_MIRROR_GRE) {
            if (nf > 1)
                return tr_err_set(err, -TR_E_USAGE, "--mirror %s: expected gre:HOST[:KEY]", spec);
            if (nf == 1 && !parse_u32(fields[0], flen[0], 0x0FFFFFFFu, &out->key))
                return tr_err_set(err, -TR_E_USAGE,
                                  "--mirror %s: GRE key must be 0..268435455 (the high 4 bits "
                                  "carry the direction)",
                                  spec);
        } else {
            uint32_t port;
            if (nf >= 1) {
                if (!parse_u32(fields[0], flen[0], 65535, &port) || port == 0)
                    return tr_err_set(err, -TR_E_USAGE, "--mirror %s: UDP port must be 1..65535",
                                      spec);
                out->port = (uint16_t)port;
            }
            if (nf == 2 && !parse_u32(fields[1], flen[1], 0xFFFFFFu, &out->key))
                return tr_err_set(err, -TR_E_USAGE, "--mirror %s: VNI must be 0..16777215", spec);
        }
    }
    /* ,name=value options */
    while (comma) {
        const char *s = comma + 1;
        comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        int rc = parse_option(spec, s, n, out, err);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

/* ------------------------------------------------------------ headers */

size_t tr_mirror_gre_hdr(uint8_t out[TR_MIRROR_HDR_LEN], uint32_t key, int dir)
{
    tr_put_be16(out, 0x2000);     /* K bit, version 0 */
    tr_put_be16(out + 2, 0x6558); /* transparent Ethernet bridging */
    uint32_t k = dir > 0 ? ((key & 0x0FFFFFFFu) | ((uint32_t)dir << 28)) : key;
    tr_put_be32(out + 4, k);
    return TR_MIRROR_HDR_LEN;
}

size_t tr_mirror_vxlan_hdr(uint8_t out[TR_MIRROR_HDR_LEN], uint32_t vni, int dir)
{
    out[0] = 0x08; /* I flag */
    out[1] = out[2] = out[3] = 0;
    uint32_t v = vni & 0xFFFFFFu;
    if (dir > 0)
        v = ((uint32_t)dir << 20) | (vni & 0xFFFu);
    tr_put_be32(out + 4, v << 8);
    return TR_MIRROR_HDR_LEN;
}

uint32_t tr_mirror_slice_len(uint32_t caplen, uint32_t slice)
{
    return slice && slice < caplen ? slice : caplen;
}

/* ------------------------------------------------------------ direction */

static int resolve_mac(const char *ifname, uint8_t mac[6])
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", (int)sizeof(ifr.ifr_name) - 1, ifname);
    int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
    close(fd);
    if (rc != 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/* The addresses of interface name, or -1 when it has none or is missing. */
int tr_iface_addrs(const char *name, struct tr_addr *addrs, unsigned cap, unsigned *n_out)
{
    struct ifaddrs *ifa = NULL;
    *n_out = 0;
    if (getifaddrs(&ifa) != 0)
        return -1;
    unsigned n = 0;
    for (struct ifaddrs *i = ifa; i && n < cap; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0)
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            addrs[n] = (struct tr_addr){ .family = TR_AF_INET };
            memcpy(addrs[n].a, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
            n++;
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            addrs[n] = (struct tr_addr){ .family = TR_AF_INET6 };
            memcpy(addrs[n].a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
            n++;
        }
    }
    freeifaddrs(ifa);
    *n_out = n;
    return n > 0 ? 0 : -1;
}

int tr_mirror_dir_parse(const char *s, struct tr_mirror_dir *d, struct tr_err *err)
{
    memset(d, 0, sizeof(*d));
    if (!s || !*s || strcmp(s, "none") == 0)
        return TR_OK;
    if (strcmp(s, "auto") == 0) {
        d->mode = TR_MIRROR_DIR_AUTO;
        return TR_OK;
    }
    if (strncmp(s, "host_", 5) == 0) {
        d->mode = TR_MIRROR_DIR_HOST;
        uint8_t a[16];
        if (inet_pton(AF_INET, s + 5, a) == 1) {
            d->addrs[0] = (struct tr_addr){ .family = TR_AF_INET };
            memcpy(d->addrs[0].a, a, 4);
        } else if (inet_pton(AF_INET6, s + 5, a) == 1) {
            d->addrs[0] = (struct tr_addr){ .family = TR_AF_INET6 };
            memcpy(d->addrs[0].a, a, 16);
        } else {
            return tr_err_set(err, -TR_E_USAGE, "--mirror-dir %s: '%s' is not an IP address", s,
                              s + 5);
        }
        d->n_addrs = 1;
        return TR_OK;
    }
    if (strncmp(s, "nic.", 4) == 0) {
        d->mode = TR_MIRROR_DIR_HOST;
        if (tr_iface_addrs(s + 4, d->addrs, TR_MIRROR_DIR_MAX_ADDRS, &d->n_addrs) != 0)
            return tr_err_set(err, -TR_E_USAGE, "--mirror-dir %s: interface '%s' has no address",
                              s, s + 4);
        return TR_OK;
    }
    return tr_err_set(err, -TR_E_USAGE, "--mirror-dir %s: expected none, auto, host_ADDR or "
                      "nic.IFACE", s);
}

int tr_mirror_dir_set_iface(struct tr_mirror_dir *d, unsigned input_id, const char *ifname)
{
    if (input_id >= TR_MIRROR_MAX_IFACES)
        return -1;
    if (resolve_mac(ifname, d->macs[input_id]) != 0) {
        d->has_mac[input_id] = false;
        return -1;
    }
    d->has_mac[input_id] = true;
    return 0;
}

static bool addr_eq(const struct tr_addr *a, const struct tr_addr *b)
{
    size_t n = a->family == TR_AF_INET ? 4 : 16;
    return a->family == b->family && a->family != TR_AF_NONE && memcmp(a->a, b->a, n) == 0;
}

int tr_mirror_direction(const struct tr_mirror_dir *d, const struct tr_packet *pkt)
{
    switch (d->mode) {
    case TR_MIRROR_DIR_NONE:
        return TR_MIRROR_DIR_NONCHECK;
    case TR_MIRROR_DIR_AUTO:
        /* packet-agent: our own source MAC is outgoing, anything else incoming */
        if (pkt->input_id < TR_MIRROR_MAX_IFACES && d->has_mac[pkt->input_id] &&
            pkt->caplen >= 12 && memcmp(pkt->frame + 6, d->macs[pkt->input_id], 6) == 0)
            return TR_MIRROR_DIR_OUT;
        return TR_MIRROR_DIR_IN;
    case TR_MIRROR_DIR_HOST:
        for (unsigned i = 0; i < d->n_addrs; i++)
            if (addr_eq(&pkt->src, &d->addrs[i]))
                return TR_MIRROR_DIR_OUT;
        for (unsigned i = 0; i < d->n_addrs; i++)
            if (addr_eq(&pkt->dst, &d->addrs[i]))
                return TR_MIRROR_DIR_IN;
        return TR_MIRROR_DIR_UNKNOWN;
    }
    return TR_MIRROR_DIR_UNKNOWN;
}

/* ------------------------------------------------------------ token bucket
 * Tokens are kept in byte-nanoseconds (bytes x 1e9) so a slow rate refills
 * exactly, without rounding a few bytes away at every packet. */

void tr_token_bucket_init(struct tr_token_bucket *tb, double mbps, uint64_t burst_bytes)
{
    memset(tb, 0, sizeof(*tb));
    tb->rate_bps = (uint64_t)llround(mbps * 1e6 / 8.0); /* bytes per second */
    if (tb->rate_bps == 0)
        tb->rate_bps = 1;
    if (burst_bytes == 0) {
        burst_bytes = tb->rate_bps / 20; /* 50 ms of traffic */
        if (burst_bytes < 65536 + 64)
            burst_bytes = 65536 + 64;    /* at least one largest frame */
    }
    if (burst_bytes > TR_TOKEN_BUCKET_MAX_BURST)
        burst_bytes = TR_TOKEN_BUCKET_MAX_BURST; /* keeps bytes x 1e9 inside 64 bits */
    tb->burst = burst_bytes;
    tb->tokens = burst_bytes * 1000000000u;
}

bool tr_token_bucket_take(struct tr_token_bucket *tb, uint64_t now_ns, uint32_t bytes)
{
    uint64_t cap = tb->burst * 1000000000u;
    if (!tb->started) {
        tb->started = true;
        tb->last_ns = now_ns;
    } else if (now_ns > tb->last_ns) {
        /* time going backwards (several inputs, clock steps) refills nothing */
        uint64_t dt = now_ns - tb->last_ns;
        if (dt >= (cap - tb->tokens) / tb->rate_bps + 1)
            tb->tokens = cap; /* also keeps dt x rate from overflowing */
        else
            tb->tokens += dt * tb->rate_bps;
        if (tb->tokens > cap)
            tb->tokens = cap;
        tb->last_ns = now_ns;
    }
    uint64_t need = (uint64_t)bytes * 1000000000u;
    if (tb->tokens < need)
        return false;
    tb->tokens -= need;
    return true;
}
