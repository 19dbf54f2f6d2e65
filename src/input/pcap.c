/* pcap.c - libpcap inputs: pcap/pcapng files (or stdin) and live interfaces.
 *
 * Live capture uses libpcap's memory-mapped TPACKET_V3 ring on Linux, so a
 * batch costs one poll() and no copy; files are read with nanosecond
 * timestamps. A read error in the middle of a file (truncated record,
 * absurd capture length) ends that file with a clear message; the packets
 * before it are kept.
 */
#include "input.h"

#include "../net/net.h"
#include "../output/output.h" /* tr_iface_addrs */

#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TR_DEFAULT_SNAPLEN 262144
#define TR_PIPE_POLL_MS 100

struct pcap_priv {
    pcap_t *p;
    int linktype;
    bool live;
    bool pipe;          /* a file that is not a regular file (stdin from tcpdump -U, a FIFO) */
    uint64_t packets, bytes;
    uint64_t file_size;
    /* live: what reopening needs, and the recovery state (interface gone or down) */
    char source[64], netns[256];
    char *filter;              /* owned copy */
    int snaplen, buffer_mb, retry_s;
    bool promisc;
    bool waiting;              /* no handle: the interface is missing or down */
    uint64_t next_retry_ns;
    uint64_t iface_lost, reopens;
    uint64_t old_drops, old_ifdrops; /* counters of handles closed before */
    struct tr_input *in;
    tr_packet_cb cb;
    void *user;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct pcap_priv *pp = (struct pcap_priv *)user;
    struct tr_packet pkt = {
        .frame = bytes,
        .caplen = h->caplen,
        .wire_len = h->len,
        /* nanosecond precision was requested at open: tv_usec holds nanoseconds */
        .ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec,
        .linktype = pp->linktype,
        .input_id = pp->in->id,
    };
    pp->packets++;
    pp->bytes += h->caplen;
    pp->cb(pp->user, &pkt);
}

/* At open an empty filter installs nothing; at run time (set_filter) it
 * replaces the old one with pcap's accept-all program (empty expression). */
static int apply_filter(pcap_t *p, const char *filter, const char *name, struct tr_err *err)
{
    if (!filter)
        return TR_OK;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return tr_err_set(err, -TR_E_USAGE, "%s: bad filter '%s': %s", name, filter,
                          pcap_geterr(p));
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return tr_err_set(err, -TR_E_IO, "%s: cannot set filter: %s", name, pcap_geterr(p));
    return TR_OK;
}

/* A live capture's filter changed at run time (HTTP API, reload): the new
 * program replaces the old one in the kernel in one step (SO_ATTACH_FILTER
 * swaps the socket's filter atomically), so every packet is judged by the
 * old or by the new filter and none is lost. pcap_setfilter would first
 * attach a reject-all filter and drain the socket (libpcap's
 * set_kernel_filter): a packet arriving in between is lost, and packets
 * already in the ring are filtered again in userland with the new program.
 * pcap_compile on the live handle emits the kernel's BPF (struct bpf_insn
 * and struct sock_filter are the same 8 bytes); only cooked (SLL) captures
 * need libpcap's offset fixups, so those, and a program the kernel refuses,
 * go through pcap_setfilter. */
static int swap_filter(pcap_t *p, const char *filter, const char *name, struct tr_err *err)
{
    int dlt = pcap_datalink(p);
    if (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2)
        return apply_filter(p, filter, name, err);
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return tr_err_set(err, -TR_E_USAGE, "%s: bad filter '%s': %s", name, filter,
                          pcap_geterr(p));
    _Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "same BPF insn");
    struct sock_fprog fp = { .len = (unsigned short)prog.bf_len,
                             .filter = (struct sock_filter *)(void *)prog.bf_insns };
    int rc = prog.bf_len <= 0xffff
                 ? setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp))
                 : -1;
    pcap_freecode(&prog);
    if (rc != 0)
        return apply_filter(p, filter, name, err);
    return TR_OK;
}

static void pcap_input_close(struct tr_input *in)
{
    struct pcap_priv *pp = in->priv;
    if (!pp)
        return;
    if (pp->p)
        pcap_close(pp->p);
    free(pp->filter);
    free(pp);
    in->priv = NULL;
}

/* The input's private state, attached to in and named "kind:source". */
static struct pcap_priv *priv_new(struct tr_input *in, const char *kind, const char *source)
{
    struct pcap_priv *pp = calloc(1, sizeof(*pp));
    if (!pp)
        return NULL;
    in->priv = pp;
    pp->in = in;
    snprintf(in->name, sizeof(in->name), "%s:%s", kind, source);
    return pp;
}

static int file_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct pcap_priv *pp = priv_new(in, "file", conf->source);
    if (!pp)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    struct stat st;
    bool is_stdin = strcmp(conf->source, "-") == 0;
    if ((is_stdin ? fstat(STDIN_FILENO, &st) : stat(conf->source, &st)) == 0) {
        if (S_ISREG(st.st_mode))
            pp->file_size = (uint64_t)st.st_size;
        else
            pp->pipe = true;
    }
    if (is_stdin)
        pp->p = pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    else
        pp->p = pcap_open_offline_with_tstamp_precision(conf->source, PCAP_TSTAMP_PRECISION_NANO,
                                                        ebuf);
    if (!pp->p) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_IO, "%s: cannot read: %s", conf->source, ebuf);
    }
    pp->linktype = pcap_datalink(pp->p);
    int rc = conf->filter && conf->filter[0] ? apply_filter(pp->p, conf->filter, conf->source, err)
                                             : TR_OK;
    if (rc != TR_OK)
        pcap_input_close(in);
    return rc;
}

/* "nic.NAME" in a filter becomes the interface's addresses, packet-agent's
 * convention: "host nic.eth0" -> "host (10.0.0.1 or fe80::1)" (pcap's
 * "host (A or B)" form). Looked up in the capture namespace. */
static int expand_nic(const char *filter, char *out, size_t cap, struct tr_err *err)
{
    size_t len = 0;
    const char *p = filter;
    while (*p) {
        const char *nic = strstr(p, "nic.");
        bool word = nic && (nic == filter || nic[-1] == ' ' || nic[-1] == '(');
        size_t pre = nic ? (size_t)(nic - p) : strlen(p);
        if (nic && !word)
            pre += 4;
        if (len + pre >= cap)
            return tr_err_set(err, -TR_E_USAGE, "-f: filter too long");
        memcpy(out + len, p, pre);
        len += pre;
        p += pre;
        if (!nic || !word)
            continue;
        const char *name = nic + 4;
        size_t n = strcspn(name, " )");
        char ifname[IF_NAMESIZE];
        if (n == 0 || n >= sizeof(ifname))
            return tr_err_set(err, -TR_E_USAGE, "-f: bad interface name after 'nic.'");
        memcpy(ifname, name, n);
        ifname[n] = '\0';
        struct tr_addr addrs[16];
        unsigned na = 0;
        if (tr_iface_addrs(ifname, addrs, 16, &na) != 0)
            return tr_err_set(err, -TR_E_USAGE, "-f: nic.%s: no such interface or no address",
                              ifname);
        int w = snprintf(out + len, cap - len, "(");
        len += w > 0 ? (size_t)w : 0;
        for (unsigned k = 0; k < na && len < cap; k++) {
            char a[TR_ADDR_STRLEN];
            tr_addr_format(&addrs[k], a, sizeof(a));
            w = snprintf(out + len, cap - len, "%s%s", k ? " or " : "", a);
            len += w > 0 ? (size_t)w : 0;
        }
        w = len < cap ? snprintf(out + len, cap - len, ")") : -1;
        if (w < 0 || len + (size_t)w >= cap)
            return tr_err_set(err, -TR_E_USAGE, "-f: filter too long");
        len += (size_t)w;
        p = name + n;
    }
    if (len >= cap)
        return tr_err_set(err, -TR_E_USAGE, "-f: filter too long");
    out[len] = '\0';
    return TR_OK;
}

static bool iface_is_up(const char *name)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* cannot tell: let pcap_activate say */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", (int)sizeof(ifr.ifr_name) - 1, name);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    return rc == 0 && (ifr.ifr_flags & IFF_UP);
}

/* Opens the capture handle in the capture namespace. -TR_E_AGAIN (err set)
 * when the interface is missing or down: the caller waits and retries. */
static int live_activate(struct pcap_priv *pp, struct tr_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    const char *src = pp->source;
    int saved = -1;
    int rc = tr_netns_enter(pp->netns, &saved, err);
    if (rc != TR_OK)
        return rc;
    if (strcmp(src, "any") != 0 && if_nametoindex(src) == 0) {
        tr_netns_leave(saved);
        return tr_err_set(err, -TR_E_AGAIN, "-i %s: no such interface", src);
    }
    if (strcmp(src, "any") != 0 && !iface_is_up(src)) {
        tr_netns_leave(saved);
        return tr_err_set(err, -TR_E_AGAIN, "-i %s: interface is down", src);
    }
    pp->p = pcap_create(src, ebuf);
    if (!pp->p) {
        tr_netns_leave(saved);
        return tr_err_set(err, -TR_E_IO, "-i %s: %s", src, ebuf);
    }
    pcap_set_snaplen(pp->p, pp->snaplen > 0 ? pp->snaplen : TR_DEFAULT_SNAPLEN);
    pcap_set_promisc(pp->p, pp->promisc ? 1 : 0);
    pcap_set_timeout(pp->p, 50); /* ring block timeout: bounds latency, keeps batches large */
    pcap_set_buffer_size(pp->p, (pp->buffer_mb > 0 ? pp->buffer_mb : 32) << 20);
    (void)pcap_set_tstamp_precision(pp->p, PCAP_TSTAMP_PRECISION_NANO);
    rc = pcap_activate(pp->p);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR ? pcap_geterr(pp->p) : pcap_statustostr(rc);
        int code = -TR_E_IO;
        if (rc == PCAP_ERROR_PERM_DENIED)
            why = "permission denied (run as root or grant CAP_NET_RAW)";
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_IFACE_NOT_UP) {
            why = rc == PCAP_ERROR_IFACE_NOT_UP ? "interface is down" : "no such interface";
            code = -TR_E_AGAIN;
        }
        tr_err_set(err, code, "-i %s: cannot capture: %s", src, why);
        pcap_close(pp->p);
        pp->p = NULL;
        tr_netns_leave(saved);
        return code;
    }
    if (rc > 0)
        tr_log(TR_LOG_WARN, "-i %s: %s", src, pcap_statustostr(rc));
    rc = TR_OK;
    char expanded[8192];
    if (pcap_get_tstamp_precision(pp->p) != PCAP_TSTAMP_PRECISION_NANO)
        rc = tr_err_set(err, -TR_E_UNSUPPORTED, "-i %s: nanosecond timestamps are not available",
                        src);
    else if (pcap_setnonblock(pp->p, 1, ebuf) != 0)
        rc = tr_err_set(err, -TR_E_IO, "-i %s: %s", src, ebuf);
    else if (pp->filter && pp->filter[0] &&
             (rc = expand_nic(pp->filter, expanded, sizeof(expanded), err)) == TR_OK)
        rc = apply_filter(pp->p, expanded, src, err);
    tr_netns_leave(saved);
    if (rc != TR_OK) {
        pcap_close(pp->p);
        pp->p = NULL;
        return rc;
    }
    pp->linktype = pcap_datalink(pp->p);
    return TR_OK;
}

static uint64_t retry_ns(const struct pcap_priv *pp)
{
    return (uint64_t)(pp->retry_s > 0 ? pp->retry_s : 2) * 1000000000u;
}

static int live_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    struct pcap_priv *pp = priv_new(in, "iface", conf->source);
    if (!pp)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    pp->live = true;
    if (strlen(conf->source) >= sizeof(pp->source) ||
        (conf->netns && strlen(conf->netns) >= sizeof(pp->netns))) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_USAGE, "-i %s: name too long", conf->source);
    }
    snprintf(pp->source, sizeof(pp->source), "%s", conf->source);
    if (conf->netns)
        snprintf(pp->netns, sizeof(pp->netns), "%s", conf->netns);
    pp->snaplen = conf->snaplen;
    pp->promisc = conf->promisc;
    pp->buffer_mb = conf->buffer_mb;
    pp->retry_s = conf->retry_s;
    if (conf->filter && !(pp->filter = strdup(conf->filter))) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    }
    struct tr_err e2 = { 0 };
    int rc = live_activate(pp, &e2);
    if (rc == -TR_E_AGAIN) {
        /* missing or down now: capture starts when it comes (dispatch retries) */
        tr_log(TR_LOG_WARN, "%s; checking again every %d s", e2.msg,
               pp->retry_s > 0 ? pp->retry_s : 2);
        pp->waiting = true;
        pp->iface_lost++;
        pp->next_retry_ns = tr_now_mono_ns() + retry_ns(pp);
        pp->linktype = 1; /* Ethernet until we know better */
        return TR_OK;
    }
    if (rc != TR_OK) {
        if (err)
            *err = e2;
        pcap_input_close(in);
        return rc;
    }
    return TR_OK;
}

/* Live: the handle failed (interface removed or down). Close it, keep its
 * counters, and retry later; capture goes on on the other inputs. */
static void live_lost(struct tr_input *in, struct pcap_priv *pp, const char *why)
{
    struct pcap_stat ps;
    if (pcap_stats(pp->p, &ps) == 0) {
        pp->old_drops += ps.ps_drop;
        pp->old_ifdrops += ps.ps_ifdrop;
    }
    tr_log(TR_LOG_WARN, "%s: %s; capture paused, checking again every %d s", in->name,
           why ? why : pcap_geterr(pp->p), pp->retry_s > 0 ? pp->retry_s : 2);
    pcap_close(pp->p);
    pp->p = NULL;
    pp->waiting = true;
    pp->iface_lost++;
    pp->next_retry_ns = tr_now_mono_ns() + retry_ns(pp);
}

static void live_retry(struct tr_input *in, struct pcap_priv *pp)
{
    uint64_t now = tr_now_mono_ns();
    if (now < pp->next_retry_ns)
        return;
    pp->next_retry_ns = now + retry_ns(pp);
    struct tr_err e = { 0 };
    int rc = live_activate(pp, &e);
    if (rc == TR_OK) {
        pp->waiting = false;
        pp->reopens++;
        pp->next_retry_ns = now + retry_ns(pp); /* next up/down check */
        tr_log(TR_LOG_WARN, "%s: capture resumed", in->name);
    } else if (rc != -TR_E_AGAIN) {
        tr_log(TR_LOG_DEBUG, "%s: %s", in->name, e.msg); /* e.g. no privileges left */
    }
}

/* Bytes the stdio buffer already holds, so a poll() on the fd would not see
 * them. glibc exposes its read pointers; elsewhere assume none (the pipe is
 * then read record by record with a poll before each). */
static size_t stdio_buffered(FILE *f)
{
#ifdef __GLIBC__
    return (size_t)(f->_IO_read_end - f->_IO_read_ptr);
#else
    (void)f;
    return 0;
#endif
}

/* A pipe must not block a whole batch: `tcpdump -U -w - | trawl -r -`
 * expects each packet forwarded when it arrives. Read record by record while
 * the stdio buffer has data; poll only when it is empty (so a busy pipe costs
 * no extra syscalls); return what we have when nothing more is ready. */
static int pipe_dispatch(struct tr_input *in, struct pcap_priv *pp, int max)
{
    FILE *f = pcap_file(pp->p);
    int n = 0;
    while (n < max) {
        if (stdio_buffered(f) == 0) {
            struct pollfd pfd = { .fd = fileno(f), .events = POLLIN };
            int r = poll(&pfd, 1, n > 0 ? 0 : TR_PIPE_POLL_MS);
            if (r == 0 || (r < 0 && errno == EINTR))
                return n;
        }
        int r = pcap_dispatch(pp->p, 1, on_packet, (u_char *)pp);
        if (r == 0)
            return n > 0 ? n : -TR_E_EOF;
        if (r < 0) {
            snprintf(in->error, sizeof(in->error), "%s: %s", in->name, pcap_geterr(pp->p));
            return -TR_E_IO;
        }
        n += r;
    }
    return n;
}

static int pcap_input_dispatch(struct tr_input *in, int max, tr_packet_cb cb, void *user)
{
    struct pcap_priv *pp = in->priv;
    pp->cb = cb;
    pp->user = user;
    if (pp->pipe)
        return pipe_dispatch(in, pp, max);
    if (pp->waiting) {
        live_retry(in, pp);
        if (pp->waiting)
            return 0;
    } else if (pp->live) {
        /* A packet socket outlives its interface going down (it just
         * sees nothing): check now and then, through the capture's own
         * socket (so in its namespace), and treat down like gone. */
        uint64_t now = tr_now_mono_ns();
        if (now >= pp->next_retry_ns) {
            pp->next_retry_ns = now + retry_ns(pp);
            struct ifreq ifr;
            memset(&ifr, 0, sizeof(ifr));
            snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", pp->source);
            if (strcmp(pp->source, "any") != 0 &&
                (ioctl(pcap_fileno(pp->p), SIOCGIFFLAGS, &ifr) != 0 || !(ifr.ifr_flags & IFF_UP))) {
                live_lost(in, pp, "interface is down or gone");
                return 0;
            }
        }
    }
    int n = pcap_dispatch(pp->p, max, on_packet, (u_char *)pp);
    if (n >= 0) {
        if (n == 0 && !pp->live)
            return -TR_E_EOF;
        return n;
    }
    if (n == PCAP_ERROR_BREAK)
        return 0;
    if (pp->live) {
        live_lost(in, pp, NULL);
        return 0;
    }
    snprintf(in->error, sizeof(in->error), "%s: %s", in->name, pcap_geterr(pp->p));
    return -TR_E_IO;
}

static int pcap_input_fd(const struct tr_input *in)
{
    const struct pcap_priv *pp = in->priv;
    return pp->live && pp->p ? pcap_get_selectable_fd(pp->p) : -1;
}

static void pcap_input_stats(struct tr_input *in, struct tr_input_stats *out)
{
    struct pcap_priv *pp = in->priv;
    memset(out, 0, sizeof(*out));
    out->packets = pp->packets;
    out->bytes = pp->bytes;
    if (pp->live) {
        struct pcap_stat ps;
        out->kernel_drops = pp->old_drops;
        out->if_drops = pp->old_ifdrops;
        if (pp->p && pcap_stats(pp->p, &ps) == 0) {
            out->kernel_drops += ps.ps_drop;
            out->if_drops += ps.ps_ifdrop;
        }
        out->iface_lost = pp->iface_lost;
        out->reopens = pp->reopens;
    } else {
        out->file_size = pp->file_size;
        FILE *f = pcap_file(pp->p);
        long pos = f ? ftell(f) : -1;
        out->file_pos = pos > 0 ? (uint64_t)pos : 0;
    }
}

static int pcap_input_set_filter(struct tr_input *in, const char *filter, struct tr_err *err)
{
    struct pcap_priv *pp = in->priv;
    const char *f = filter ? filter : "";
    if (!pp->live)
        return apply_filter(pp->p, f, in->name, err);
    /* kept for reopening after the interface comes back; only once it compiled */
    char *copy = strdup(f);
    if (!copy)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    int rc = pp->p ? swap_filter(pp->p, f, in->name, err) : TR_OK;
    if (rc != TR_OK) {
        free(copy);
        return rc;
    }
    free(pp->filter);
    pp->filter = copy;
    return TR_OK;
}

const struct tr_input_ops tr_input_pcap_file = {
    .name = "pcap-file",
    .open = file_open,
    .dispatch = pcap_input_dispatch,
    .fd = pcap_input_fd,
    .stats = pcap_input_stats,
    .set_filter = pcap_input_set_filter,
    .close = pcap_input_close,
};

const struct tr_input_ops tr_input_pcap_live = {
    .name = "pcap-live",
    .open = live_open,
    .dispatch = pcap_input_dispatch,
    .fd = pcap_input_fd,
    .stats = pcap_input_stats,
    .set_filter = pcap_input_set_filter,
    .close = pcap_input_close,
};

int tr_input_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    uint16_t id = in->id;
    memset(in, 0, sizeof(*in));
    in->id = id;
    in->ops = conf->kind == TR_INPUT_FILE  ? &tr_input_pcap_file
              : conf->kind == TR_INPUT_HEP ? &tr_input_hep_listen
              : conf->kind == TR_INPUT_HEPIPE ? &tr_input_hepipe
                                           : &tr_input_pcap_live;
    int rc = in->ops->open(in, conf, err);
    if (rc != TR_OK)
        in->ops = NULL;
    return rc;
}

void tr_input_close(struct tr_input *in)
{
    if (in->ops)
        in->ops->close(in);
    in->ops = NULL;
}
