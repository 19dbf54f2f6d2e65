/* pcapdump.c - dump output (kind "dump"): every captured frame into pcap or
 * pcapng files in a directory, rotated by time and/or size, keeping at most
 * N files (packet-agent's --dump/--interval; docs/mirror.md).
 *
 * Formats: pcap with nanosecond timestamps (magic 0xa1b23c4d; the
 * libpcap file format, draft-ietf-opsawg-pcap section 4) and pcapng
 * (draft-ietf-opsawg-pcapng: SHB 4.1, IDB 4.2 with if_tsresol = 9, EPB 4.3).
 *
 *   pcapng EPB:  +------ type 6 -----+-- total length --+-- interface id --+
 *                | ts high | ts low  | captured len     | original len     |
 *                | packet data, padded to 32 bits ...  | total length      |
 *
 * File names carry the packet time the file starts at, UTC:
 * trawl-20261123T144300.123456Z.pcap; a name already taken gets -1, -2...
 * Rotation runs on packet time (so reading a file dumps the same way as
 * capturing it), moved on by the monotonic clock while no packet comes, so
 * an idle live capture still closes its file on time. A file is closed
 * (complete, readable) at every rotation, at SIGHUP and at exit; while open
 * it is flushed every tick (100 ms), so it is readable up to that point.
 * Only files this run created count toward the cap (older ones are never
 * removed).
 *
 * Writes go through a 1 MiB stdio buffer: no syscall per packet.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DUMP_BUF (1u << 20)
#define DUMP_SNAPLEN 262144u
#define DUMP_MAX_IFACES 64

struct dump_priv {
    char dir[PATH_MAX / 2];
    uint32_t interval_s;
    uint64_t size_cap;
    unsigned max_files;
    bool pcapng;
    uint32_t slice;

    FILE *f;
    char *buf;
    char cur[PATH_MAX];
    uint64_t file_start_ns;
    uint64_t file_bytes;
    int file_linktype;            /* pcap: one link type per file */
    int16_t idb[DUMP_MAX_IFACES]; /* pcapng: interface id of each input id, -1 none */
    int idb_linktype[DUMP_MAX_IFACES];
    unsigned n_idb;

    char (*kept)[PATH_MAX]; /* ring of the files written, oldest first */
    unsigned n_kept, kept_head;

    uint64_t last_pkt_ns, last_pkt_mono;
};

bool tr_dump_format_parse(const char *s, bool *pcapng)
{
    if (!s || (strcmp(s, "pcap") != 0 && strcmp(s, "pcapng") != 0))
        return false;
    *pcapng = strcmp(s, "pcapng") == 0;
    return true;
}

int tr_dump_file_name(uint64_t ts_ns, bool pcapng, char *buf, size_t cap)
{
    time_t sec = (time_t)(ts_ns / 1000000000u);
    struct tm tm;
    if (!gmtime_r(&sec, &tm))
        return -TR_E_USAGE;
    char when[32];
    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
    int n = snprintf(buf, cap, "trawl-%s.%06uZ.%s", when,
                     (unsigned)(ts_ns % 1000000000u / 1000u), pcapng ? "pcapng" : "pcap");
    return n > 0 && (size_t)n < cap ? n : -TR_E_FULL;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* host order, as the readers expect */
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void wr(struct tr_output *out, struct dump_priv *p, const void *b, size_t n)
{
    if (fwrite(b, 1, n, p->f) != n)
        out->c.write_errors++;
    p->file_bytes += n;
}

static void close_file(struct tr_output *out, struct dump_priv *p)
{
    if (!p->f)
        return;
    if (fclose(p->f) != 0) {
        out->c.write_errors++;
        tr_log(TR_LOG_WARN, "%s: %s", p->cur, strerror(errno));
    }
    p->f = NULL;
}

static void write_idb(struct tr_output *out, struct dump_priv *p, int linktype)
{
    uint8_t b[32] = { 0 };
    put32(b, 1);           /* IDB */
    put32(b + 4, 32);
    put16(b + 8, (uint16_t)linktype);
    put32(b + 12, DUMP_SNAPLEN);
    put16(b + 16, 9);      /* if_tsresol */
    put16(b + 18, 1);
    b[20] = 9;             /* 10^-9: nanoseconds */
    put16(b + 24, 0);      /* opt_endofopt */
    put16(b + 26, 0);
    put32(b + 28, 32);
    wr(out, p, b, sizeof(b));
}

static int open_file(struct tr_output *out, struct dump_priv *p, uint64_t ts_ns, int linktype)
{
    char name[96];
    tr_dump_file_name(ts_ns, p->pcapng, name, sizeof(name));
    int fd = -1;
    for (int i = 0; i < 1000 && fd < 0; i++) {
        if (i == 0)
            snprintf(p->cur, sizeof(p->cur), "%s/%s", p->dir, name);
        else
            snprintf(p->cur, sizeof(p->cur), "%s/%.*s-%d%s", p->dir,
                     (int)(strrchr(name, '.') - name), name, i, strrchr(name, '.'));
        fd = open(p->cur, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        out->c.write_errors++;
        tr_log(TR_LOG_ERROR, "dump: cannot create %s: %s", p->cur, strerror(errno));
        return -TR_E_IO;
    }
    p->f = fdopen(fd, "wb");
    if (!p->f) {
        close(fd);
        out->c.write_errors++;
        return -TR_E_IO;
    }
    setvbuf(p->f, p->buf, _IOFBF, DUMP_BUF);
    out->c.files++;
    p->file_start_ns = ts_ns;
    p->file_bytes = 0;
    p->file_linktype = linktype;
    p->n_idb = 0;
    for (unsigned i = 0; i < DUMP_MAX_IFACES; i++)
        p->idb[i] = -1;

    if (p->pcapng) {
        uint8_t shb[28] = { 0 };
        put32(shb, 0x0A0D0D0A);
        put32(shb + 4, 28);
        put32(shb + 8, 0x1A2B3C4D);
        put16(shb + 12, 1);
        put16(shb + 14, 0);
        memset(shb + 16, 0xFF, 8); /* section length unknown */
        put32(shb + 24, 28);
        wr(out, p, shb, sizeof(shb));
    } else {
        uint8_t gh[24];
        put32(gh, 0xa1b23c4d); /* nanosecond pcap */
        put16(gh + 4, 2);
        put16(gh + 6, 4);
        put32(gh + 8, 0);
        put32(gh + 12, 0);
        put32(gh + 16, DUMP_SNAPLEN);
        put32(gh + 20, (uint32_t)linktype);
        wr(out, p, gh, sizeof(gh));
    }

    /* the cap: forget (and remove) the oldest files this run wrote */
    if (p->max_files) {
        if (p->n_kept == p->max_files) {
            if (unlink(p->kept[p->kept_head]) == 0)
                out->c.files_removed++;
            else
                tr_log(TR_LOG_WARN, "dump: cannot remove %s: %s", p->kept[p->kept_head],
                       strerror(errno));
            snprintf(p->kept[p->kept_head], PATH_MAX, "%s", p->cur);
            p->kept_head = (p->kept_head + 1) % p->max_files;
        } else {
            snprintf(p->kept[(p->kept_head + p->n_kept) % p->max_files], PATH_MAX, "%s", p->cur);
            p->n_kept++;
        }
    }
    tr_log(TR_LOG_DEBUG, "dump: writing %s", p->cur);
    return TR_OK;
}

static int dump_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    const struct tr_mirror_conf *mc = &conf->mirror;
    struct stat st;
    if (!conf->target || stat(conf->target, &st) != 0 || !S_ISDIR(st.st_mode))
        return tr_err_set(err, -TR_E_USAGE, "--dump %s: not a directory", conf->target);
    if (strlen(conf->target) >= PATH_MAX / 2)
        return tr_err_set(err, -TR_E_USAGE, "--dump: path too long");
    struct dump_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    p->buf = malloc(DUMP_BUF);
    if (mc->dump_files)
        p->kept = calloc(mc->dump_files, sizeof(*p->kept));
    if (!p->buf || (mc->dump_files && !p->kept)) {
        free(p->buf);
        free(p->kept);
        free(p);
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    }
    snprintf(p->dir, sizeof(p->dir), "%s", conf->target);
    p->interval_s = mc->dump_interval_s;
    p->size_cap = mc->dump_size;
    p->max_files = mc->dump_files;
    p->pcapng = mc->dump_pcapng;
    p->slice = mc->slice;
    out->priv = p;
    snprintf(out->name, sizeof(out->name), "dump %s", conf->target);
    return TR_OK;
}

static void dump_write(struct tr_output *out, const struct tr_event *ev)
{
    struct dump_priv *p = out->priv;
    const struct tr_packet *pkt = ev->pkt;
    if (ev->kind != TR_EV_PACKET)
        return;
    out->c.events++;
    p->last_pkt_ns = pkt->ts_ns;
    p->last_pkt_mono = 0; /* set lazily by tick: no clock read per packet */
    uint32_t len = tr_mirror_slice_len(pkt->caplen, p->slice);
    if (len < pkt->caplen)
        out->c.sliced++;
    size_t rec = p->pcapng ? 32 + ((len + 3u) & ~3u) + 32 : 16 + len;
    if (p->f) {
        bool rotate =
            (p->interval_s && pkt->ts_ns >= p->file_start_ns + (uint64_t)p->interval_s * 1000000000u) ||
            (p->size_cap && p->file_bytes + rec > p->size_cap && p->file_bytes > 64) ||
            (!p->pcapng && pkt->linktype != p->file_linktype);
        if (rotate)
            close_file(out, p);
    }
    if (!p->f && open_file(out, p, pkt->ts_ns, pkt->linktype) != TR_OK)
        return;
    if (p->pcapng) {
        unsigned slot = pkt->input_id % DUMP_MAX_IFACES;
        if (p->idb[slot] < 0 || p->idb_linktype[slot] != pkt->linktype) {
            write_idb(out, p, pkt->linktype);
            p->idb[slot] = (int16_t)p->n_idb++;
            p->idb_linktype[slot] = pkt->linktype;
        }
        uint32_t padded = (len + 3u) & ~3u;
        uint8_t h[28];
        put32(h, 6);
        put32(h + 4, 32 + padded);
        put32(h + 8, (uint32_t)p->idb[slot]);
        put32(h + 12, (uint32_t)(pkt->ts_ns >> 32));
        put32(h + 16, (uint32_t)pkt->ts_ns);
        put32(h + 20, len);
        put32(h + 24, pkt->wire_len);
        wr(out, p, h, sizeof(h));
        wr(out, p, pkt->frame, len);
        static const uint8_t zero[4];
        wr(out, p, zero, padded - len);
        uint32_t tl = 32 + padded;
        wr(out, p, &tl, 4);
    } else {
        uint8_t h[16];
        put32(h, tr_ts_sec(pkt->ts_ns));
        put32(h + 4, (uint32_t)(pkt->ts_ns % 1000000000u));
        put32(h + 8, len);
        put32(h + 12, pkt->wire_len);
        wr(out, p, h, sizeof(h));
        wr(out, p, pkt->frame, len);
    }
    out->c.written++;
}

static void dump_flush(struct tr_output *out)
{
    (void)out; /* the stdio buffer fills; tick flushes it */
}

static void dump_tick(struct tr_output *out, uint64_t now)
{
    struct dump_priv *p = out->priv;
    if (!p->f)
        return;
    if (fflush(p->f) != 0)
        out->c.write_errors++;
    if (!p->interval_s)
        return;
    if (p->last_pkt_mono == 0)
        p->last_pkt_mono = now;
    /* packet time, moved on by the monotonic clock since the last packet */
    uint64_t virt = p->last_pkt_ns + (now - p->last_pkt_mono);
    if (virt >= p->file_start_ns + (uint64_t)p->interval_s * 1000000000u)
        close_file(out, p);
}

static int dump_drain(struct tr_output *out, uint64_t deadline)
{
    (void)deadline;
    struct dump_priv *p = out->priv;
    if (p->f && fflush(p->f) != 0)
        out->c.write_errors++;
    return TR_OK;
}

static void dump_reopen(struct tr_output *out)
{
    close_file(out, out->priv); /* the next packet starts a new file */
}

static void dump_close(struct tr_output *out)
{
    struct dump_priv *p = out->priv;
    if (!p)
        return;
    close_file(out, p);
    free(p->buf);
    free(p->kept);
    free(p);
    out->priv = NULL;
}

const struct tr_output_ops tr_output_dump = {
    .kind = "dump",
    .packets = true,
    .open = dump_open,
    .write = dump_write,
    .flush = dump_flush,
    .tick = dump_tick,
    .drain = dump_drain,
    .close = dump_close,
    .reopen = dump_reopen,
};
