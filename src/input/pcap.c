/* pcap.c - libpcap inputs: pcap/pcapng files (or stdin) and live interfaces.
 *
 * Live capture uses libpcap's memory-mapped TPACKET_V3 ring on Linux, so a
 * batch costs one poll() and no copy; files are read with nanosecond
 * timestamps. A read error in the middle of a file (truncated record,
 * absurd capture length) ends that file with a clear message; the packets
 * before it are kept.
 */
#include "input.h"

#include <errno.h>
#include <pcap/pcap.h>
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

static int apply_filter(pcap_t *p, const char *filter, const char *name, struct tr_err *err)
{
    if (!filter || !filter[0])
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

static void pcap_input_close(struct tr_input *in)
{
    struct pcap_priv *pp = in->priv;
    if (!pp)
        return;
    if (pp->p)
        pcap_close(pp->p);
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
    int rc = apply_filter(pp->p, conf->filter, conf->source, err);
    if (rc != TR_OK)
        pcap_input_close(in);
    return rc;
}

static int live_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct pcap_priv *pp = priv_new(in, "iface", conf->source);
    if (!pp)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    pp->live = true;
    pp->p = pcap_create(conf->source, ebuf);
    if (!pp->p) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_IO, "-i %s: %s", conf->source, ebuf);
    }
    pcap_set_snaplen(pp->p, conf->snaplen > 0 ? conf->snaplen : TR_DEFAULT_SNAPLEN);
    pcap_set_promisc(pp->p, conf->promisc ? 1 : 0);
    pcap_set_timeout(pp->p, 50); /* ring block timeout: bounds latency, keeps batches large */
    pcap_set_buffer_size(pp->p, (conf->buffer_mb > 0 ? conf->buffer_mb : 32) << 20);
    (void)pcap_set_tstamp_precision(pp->p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(pp->p);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR ? pcap_geterr(pp->p) : pcap_statustostr(rc);
        if (rc == PCAP_ERROR_PERM_DENIED)
            why = "permission denied (run as root or grant CAP_NET_RAW)";
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            why = "no such interface";
        tr_err_set(err, -TR_E_IO, "-i %s: cannot capture: %s", conf->source, why);
        pcap_input_close(in);
        return err ? err->code : -TR_E_IO;
    }
    if (rc > 0)
        tr_log(TR_LOG_WARN, "-i %s: %s", conf->source, pcap_statustostr(rc));
    if (pcap_get_tstamp_precision(pp->p) != PCAP_TSTAMP_PRECISION_NANO) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_UNSUPPORTED,
                          "-i %s: nanosecond timestamps are not available", conf->source);
    }
    pp->linktype = pcap_datalink(pp->p);
    if (pcap_setnonblock(pp->p, 1, ebuf) != 0) {
        pcap_input_close(in);
        return tr_err_set(err, -TR_E_IO, "-i %s: %s", conf->source, ebuf);
    }
    rc = apply_filter(pp->p, conf->filter, conf->source, err);
    if (rc != TR_OK)
        pcap_input_close(in);
    return rc;
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
    int n = pcap_dispatch(pp->p, max, on_packet, (u_char *)pp);
    if (n >= 0) {
        if (n == 0 && !pp->live)
            return -TR_E_EOF;
        return n;
    }
    if (n == PCAP_ERROR_BREAK)
        return 0;
    snprintf(in->error, sizeof(in->error), "%s: %s", in->name, pcap_geterr(pp->p));
    return -TR_E_IO;
}

static int pcap_input_fd(const struct tr_input *in)
{
    const struct pcap_priv *pp = in->priv;
    return pp->live ? pcap_get_selectable_fd(pp->p) : -1;
}

static void pcap_input_stats(struct tr_input *in, struct tr_input_stats *out)
{
    struct pcap_priv *pp = in->priv;
    memset(out, 0, sizeof(*out));
    out->packets = pp->packets;
    out->bytes = pp->bytes;
    if (pp->live) {
        struct pcap_stat ps;
        if (pcap_stats(pp->p, &ps) == 0) {
            out->kernel_drops = ps.ps_drop;
            out->if_drops = ps.ps_ifdrop;
        }
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
    return apply_filter(pp->p, filter, in->name, err);
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
