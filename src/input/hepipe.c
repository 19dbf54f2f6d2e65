/* hepipe.c - HEPipe input: log lines that belong to calls, sent on as HEP
 * log messages (HEP3 spec rev 37, protocol type 100 "LOG", correlation id
 * chunk 0x0011 = the call's Call-ID), the way SIP servers and scripts feed
 * application logs to HOMER next to the SIP they captured.
 *
 * Line format (one record per line, fields separated by ';'):
 *
 *   ts_sec;ts_usec;correlation_id;src_ip;src_port;dst_ip;dst_port;payload
 *   1700000000;123456;abc@host;10.0.0.1;5060;10.0.0.2;5060;call routed; via=x
 *
 * The payload is everything after the seventh ';' and may itself hold ';'.
 * Addresses are IPv4 or IPv6 (both the same family), ports decimal 0..65535,
 * ts_usec below 1000000. A trailing CR is dropped. Anything else is counted
 * under one reason (enum tr_hepipe_reason) and skipped; the input goes on.
 *
 * Sources (conf->source):
 *   "-"              standard input; its end ends this input
 *   "udp:[HOST:]PORT" datagrams of one or more lines (HOST default 127.0.0.1)
 *   a FIFO           opened read-write, so writers may come and go without EOF
 *   a regular file   read from its start and followed like tail -F: at the end
 *                    it is stat()ed (at most every 200 ms); a new inode at the
 *                    path (rotation) is opened from its start, a file shorter
 *                    than what was read (truncation) is read again from 0.
 *
 * Packets handed out: frame = one accepted line (no newline), linktype
 * TR_LINKTYPE_HEPIPE, ts_ns = arrival; the engine parses the line again for
 * the event (engine.c process_hepipe). Stream and file fds are polled (a
 * regular file is never "not ready", so its fd is not given to poll: the
 * engine dispatches every input each round of at most 100 ms).
 */
#include "input.h"
#include "../net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TR_HEPIPE_BUF (2 * TR_HEPIPE_MAX_LINE + 2) /* a whole line always fits after a move */
#define TR_HEPIPE_STAT_NS 200000000ull
#define TR_HEPIPE_DEFAULT_HOST "127.0.0.1"

static const char *const reason_names[TR_HEPIPE_REASON_COUNT] = {
    [TR_HEPIPE_OK] = "ok",
    [TR_HEPIPE_EMPTY] = "empty",
    [TR_HEPIPE_FIELDS] = "too_few_fields",
    [TR_HEPIPE_BAD_TS] = "bad_timestamp",
    [TR_HEPIPE_BAD_CORR_ID] = "bad_correlation_id",
    [TR_HEPIPE_BAD_ADDR] = "bad_address",
    [TR_HEPIPE_BAD_PORT] = "bad_port",
    [TR_HEPIPE_FAMILY_MISMATCH] = "family_mismatch",
    [TR_HEPIPE_EMPTY_PAYLOAD] = "empty_payload",
    [TR_HEPIPE_TOO_LONG] = "too_long",
};

const char *tr_hepipe_reason_name(enum tr_hepipe_reason r)
{
    return (unsigned)r < TR_HEPIPE_REASON_COUNT ? reason_names[r] : "unknown";
}

/* ------------------------------------------------------------ parser */

/* Decimal digits only (no sign, no blanks), value <= max. */
static bool parse_dec(const uint8_t *p, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* inet_pton wants a NUL-terminated string: copy the field (bounded). An
 * IPv6 address may come in brackets. */
static bool parse_ip(const uint8_t *p, size_t len, struct tr_addr *out)
{
    if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
        p++;
        len -= 2;
    }
    char s[TR_ADDR_STRLEN];
    if (len == 0 || len >= sizeof(s))
        return false;
    memcpy(s, p, len);
    s[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (memchr(s, ':', len)) {
        if (inet_pton(AF_INET6, s, out->a) != 1)
            return false;
        out->family = TR_AF_INET6;
    } else {
        if (inet_pton(AF_INET, s, out->a) != 1)
            return false;
        out->family = TR_AF_INET;
    }
    return true;
}

int tr_hepipe_parse_line(struct tr_bytes line, struct tr_hepipe_rec *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *p = line.ptr;
    size_t len = line.len;
    if (len > TR_HEPIPE_MAX_LINE)
        return TR_HEPIPE_TOO_LONG;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    bool blank = true;
    for (size_t i = 0; i < len && blank; i++)
        blank = p[i] == ' ' || p[i] == '\t';
    if (blank)
        return TR_HEPIPE_EMPTY;

    /* The seven separators; the payload is the rest, ';' and all. */
    size_t start[8], flen[8];
    size_t pos = 0;
    for (int f = 0; f < 7; f++) {
        const uint8_t *semi = memchr(p + pos, ';', len - pos);
        if (!semi)
            return TR_HEPIPE_FIELDS;
        start[f] = pos;
        flen[f] = (size_t)(semi - (p + pos));
        pos += flen[f] + 1;
    }
    start[7] = pos;
    flen[7] = len - pos;

    uint64_t sec, usec, sport, dport;
    if (!parse_dec(p + start[0], flen[0], UINT32_MAX, &sec) ||
        !parse_dec(p + start[1], flen[1], 999999, &usec))
        return TR_HEPIPE_BAD_TS;
    if (flen[2] == 0 || flen[2] > TR_HEPIPE_MAX_CORR_ID)
        return TR_HEPIPE_BAD_CORR_ID;
    for (size_t i = 0; i < flen[2]; i++) {
        uint8_t c = p[start[2] + i];
        if (c < 0x20 || c == 0x7f)
            return TR_HEPIPE_BAD_CORR_ID;
    }
    if (!parse_ip(p + start[3], flen[3], &out->src) || !parse_ip(p + start[5], flen[5], &out->dst))
        return TR_HEPIPE_BAD_ADDR;
    if (!parse_dec(p + start[4], flen[4], 65535, &sport) ||
        !parse_dec(p + start[6], flen[6], 65535, &dport))
        return TR_HEPIPE_BAD_PORT;
    if (out->src.family != out->dst.family)
        return TR_HEPIPE_FAMILY_MISMATCH;
    if (flen[7] == 0)
        return TR_HEPIPE_EMPTY_PAYLOAD;
    out->ts_sec = (uint32_t)sec;
    out->ts_usec = (uint32_t)usec;
    out->corr_id = (struct tr_str){ (const char *)p + start[2], flen[2] };
    out->sport = (uint16_t)sport;
    out->dport = (uint16_t)dport;
    out->payload = (struct tr_bytes){ p + start[7], flen[7] };
    return TR_HEPIPE_OK;
}

/* ------------------------------------------------------------ input */

enum hepipe_src { SRC_NONE, SRC_STDIN, SRC_FIFO, SRC_FILE, SRC_UDP }; /* NONE: not open yet */

struct hepipe_priv {
    struct tr_input *in;
    enum hepipe_src src;
    int fd;
    char path[4096];
    /* file following */
    dev_t dev;
    ino_t ino;
    uint64_t pos;          /* bytes read from the current file */
    uint64_t next_stat_ns;
    bool eof;              /* stdin ended */
    int stdin_flags;       /* stdin's file status flags before O_NONBLOCK, restored at close */
    /* line assembly (streams) or one datagram (UDP) */
    uint8_t *buf;
    size_t used;
    bool skipping;         /* inside a line longer than TR_HEPIPE_MAX_LINE */
    struct tr_hepipe_stats st;
    uint64_t bytes;
};

static void deliver(struct hepipe_priv *hp, const uint8_t *p, size_t len, uint64_t now,
                    tr_packet_cb cb, void *user)
{
    struct tr_hepipe_rec rec;
    hp->st.lines++;
    int r = tr_hepipe_parse_line((struct tr_bytes){ p, len }, &rec);
    if (r != TR_HEPIPE_OK) {
        hp->st.rejected[r]++;
        return;
    }
    hp->st.accepted++;
    hp->bytes += len;
    struct tr_packet pkt = {
        .frame = p,
        .caplen = (uint32_t)len,
        .wire_len = (uint32_t)len,
        .ts_ns = now,
        .linktype = TR_LINKTYPE_HEPIPE,
        .input_id = hp->in->id,
    };
    cb(user, &pkt);
}

/* Cuts every whole line out of buf[0..used) and hands it out; at_end: the
 * rest is a last line without newline. Returns the lines seen. */
static int cut_lines(struct hepipe_priv *hp, bool at_end, tr_packet_cb cb, void *user)
{
    uint64_t now = tr_now_real_ns();
    size_t off = 0;
    int n = 0;
    while (off < hp->used) {
        const uint8_t *nl = memchr(hp->buf + off, '\n', hp->used - off);
        size_t len = nl ? (size_t)(nl - (hp->buf + off)) : hp->used - off;
        if (!nl && !at_end) {
            if (hp->skipping) {
                off = hp->used; /* more of a line already counted as too long */
            } else if (len > TR_HEPIPE_MAX_LINE) { /* drop it up to its newline */
                hp->st.lines++;
                hp->st.rejected[TR_HEPIPE_TOO_LONG]++;
                hp->skipping = true;
                off = hp->used;
            }
            break;
        }
        if (hp->skipping)
            hp->skipping = false; /* the end of a line already counted */
        else
            deliver(hp, hp->buf + off, len, now, cb, user);
        n++;
        off += len + (nl ? 1 : 0);
    }
    if (off > 0) {
        memmove(hp->buf, hp->buf + off, hp->used - off);
        hp->used -= off;
    }
    return n;
}

/* Follow the file at path: reopen on a new inode, rewind on truncation. */
static void file_check(struct hepipe_priv *hp)
{
    uint64_t now = tr_now_mono_ns();
    if (now < hp->next_stat_ns)
        return;
    hp->next_stat_ns = now + TR_HEPIPE_STAT_NS;
    struct stat sb;
    if (stat(hp->path, &sb) != 0)
        return; /* moved away and not yet recreated: keep the old one */
    if (sb.st_dev != hp->dev || sb.st_ino != hp->ino) {
        int fd = open(hp->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return;
        close(hp->fd);
        hp->fd = fd;
        hp->dev = sb.st_dev;
        hp->ino = sb.st_ino;
        hp->pos = 0;
        hp->st.reopens++;
        tr_log(TR_LOG_INFO, "%s: reopened (rotated)", hp->in->name);
    } else if ((uint64_t)sb.st_size < hp->pos) {
        lseek(hp->fd, 0, SEEK_SET);
        hp->pos = 0;
        hp->st.reopens++;
        tr_log(TR_LOG_INFO, "%s: truncated, reading from the start", hp->in->name);
    }
}

static int stream_dispatch(struct tr_input *in, struct hepipe_priv *hp, int max, tr_packet_cb cb,
                           void *user)
{
    if (hp->eof)
        return -TR_E_EOF;
    int done = 0;
    while (done < max) {
        ssize_t r = read(hp->fd, hp->buf + hp->used, TR_HEPIPE_BUF - hp->used);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            hp->st.read_errors++;
            snprintf(in->error, sizeof(in->error), "%s: read: %s", in->name, strerror(errno));
            return -TR_E_IO;
        }
        if (r == 0) {
            if (hp->src == SRC_FILE) {
                file_check(hp);
                break;
            }
            /* stdin ended: its last line may have no newline */
            done += cut_lines(hp, true, cb, user);
            hp->eof = true;
            return done > 0 ? done : -TR_E_EOF;
        }
        hp->used += (size_t)r;
        hp->pos += (uint64_t)r;
        done += cut_lines(hp, false, cb, user);
    }
    return done;
}

/* One datagram = one or more lines; a datagram larger than the buffer is
 * too long (MSG_TRUNC). */
static int udp_dispatch(struct tr_input *in, struct hepipe_priv *hp, int max, tr_packet_cb cb,
                        void *user)
{
    int done = 0;
    while (done < max) {
        ssize_t r = recv(hp->fd, hp->buf, TR_HEPIPE_MAX_LINE + 1, MSG_DONTWAIT | MSG_TRUNC);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            hp->st.read_errors++;
            if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT) {
                snprintf(in->error, sizeof(in->error), "%s: recv: %s", in->name, strerror(errno));
                return -TR_E_IO;
            }
            break;
        }
        if (r > TR_HEPIPE_MAX_LINE) {
            hp->st.lines++;
            hp->st.rejected[TR_HEPIPE_TOO_LONG]++;
            done++;
            continue;
        }
        /* Lines split on '\n'; a final newline ends the last line, it does
         * not start an empty one. */
        uint64_t now = tr_now_real_ns();
        size_t len = (size_t)r, off = 0;
        while (off < len) {
            const uint8_t *nl = memchr(hp->buf + off, '\n', len - off);
            size_t n = nl ? (size_t)(nl - (hp->buf + off)) : len - off;
            deliver(hp, hp->buf + off, n, now, cb, user);
            off += n + 1;
            done++;
        }
        if (len == 0)
            done++;
    }
    return done;
}

static int hepipe_dispatch(struct tr_input *in, int max, tr_packet_cb cb, void *user)
{
    struct hepipe_priv *hp = in->priv;
    if (hp->src == SRC_UDP)
        return udp_dispatch(in, hp, max, cb, user);
    return stream_dispatch(in, hp, max, cb, user);
}

static int hepipe_fd(const struct tr_input *in)
{
    const struct hepipe_priv *hp = in->priv;
    return hp->src == SRC_FILE || hp->eof ? -1 : hp->fd;
}

static void hepipe_stats(struct tr_input *in, struct tr_input_stats *out)
{
    struct hepipe_priv *hp = in->priv;
    memset(out, 0, sizeof(*out));
    out->packets = hp->st.accepted;
    out->bytes = hp->bytes;
}

static int hepipe_set_filter(struct tr_input *in, const char *filter, struct tr_err *err)
{
    (void)in;
    if (filter && filter[0])
        return tr_err_set(err, -TR_E_UNSUPPORTED, "HEPipe inputs take no capture filter");
    return TR_OK;
}

static void hepipe_close(struct tr_input *in)
{
    struct hepipe_priv *hp = in->priv;
    if (!hp)
        return;
    if (hp->src == SRC_STDIN) /* never closed; its description may be shared (a terminal) */
        fcntl(STDIN_FILENO, F_SETFL, hp->stdin_flags);
    else if (hp->fd >= 0)
        close(hp->fd);
    free(hp->buf);
    free(hp);
    in->priv = NULL;
}

const struct tr_hepipe_stats *tr_input_hepipe_stats(const struct tr_input *in)
{
    if (!in->ops || in->ops != &tr_input_hepipe || !in->priv)
        return NULL;
    return &((const struct hepipe_priv *)in->priv)->st;
}

/* "udp:PORT" or "udp:HOST:PORT" (HOST may be [v6]). */
static int udp_open(struct hepipe_priv *hp, const char *spec, struct tr_err *err)
{
    char buf[512];
    const char *rest = spec + 4;
    const char *colon = strrchr(rest, ':');
    int n = colon ? snprintf(buf, sizeof(buf), "%s", spec)
                  : snprintf(buf, sizeof(buf), "udp:%s:%s", TR_HEPIPE_DEFAULT_HOST, rest);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return tr_err_set(err, -TR_E_USAGE, "--hepipe %s: too long", spec);
    struct tr_endpoint ep;
    int rc = tr_endpoint_parse(buf, &ep, err);
    if (rc != TR_OK)
        return rc;
    hp->src = SRC_UDP;
    hp->fd = socket(ep.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (hp->fd < 0)
        return tr_err_set(err, -TR_E_IO, "--hepipe %s: socket: %s", spec, strerror(errno));
    int rcvbuf = 4 << 20; /* no SO_REUSEADDR: a port in use is an error, not shared */
    setsockopt(hp->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(hp->fd, (const struct sockaddr *)&ep.ss, ep.ss_len) != 0)
        return tr_err_set(err, -TR_E_IO, "--hepipe %s: bind: %s", spec, strerror(errno));
    snprintf(hp->in->name, sizeof(hp->in->name), "hepipe:%s", ep.text);
    return TR_OK;
}

static int path_open(struct hepipe_priv *hp, const char *path, struct tr_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return tr_err_set(err, -TR_E_IO, "--hepipe %s: %s", path, strerror(errno));
    if (strlen(path) >= sizeof(hp->path))
        return tr_err_set(err, -TR_E_USAGE, "--hepipe %s: path too long", path);
    strcpy(hp->path, path);
    /* A FIFO opened read-write never reads EOF: writers come and go. */
    hp->src = S_ISFIFO(sb.st_mode) ? SRC_FIFO : SRC_FILE;
    int flags = (hp->src == SRC_FIFO ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC;
    hp->fd = open(path, flags);
    if (hp->fd < 0)
        return tr_err_set(err, -TR_E_IO, "--hepipe %s: %s", path, strerror(errno));
    hp->dev = sb.st_dev;
    hp->ino = sb.st_ino;
    snprintf(hp->in->name, sizeof(hp->in->name), "hepipe:%s", path);
    return TR_OK;
}

static int hepipe_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err)
{
    struct hepipe_priv *hp = calloc(1, sizeof(*hp));
    if (!hp)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    hp->in = in;
    hp->fd = -1;
    hp->buf = malloc(TR_HEPIPE_BUF);
    int rc;
    if (!hp->buf) {
        rc = tr_err_set(err, -TR_E_NOMEM, "out of memory");
    } else if (strcmp(conf->source, "-") == 0) {
        hp->src = SRC_STDIN;
        hp->fd = STDIN_FILENO;
        /* Non-blocking, so one silent writer never stalls the engine. */
        int fl = fcntl(STDIN_FILENO, F_GETFL);
        hp->stdin_flags = fl >= 0 ? fl : 0;
        if (fl >= 0)
            fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
        snprintf(in->name, sizeof(in->name), "hepipe:-");
        rc = TR_OK;
    } else if (strncmp(conf->source, "udp:", 4) == 0) {
        rc = udp_open(hp, conf->source, err);
    } else {
        rc = path_open(hp, conf->source, err);
    }
    in->priv = hp;
    if (rc != TR_OK)
        hepipe_close(in);
    return rc;
}

const struct tr_input_ops tr_input_hepipe = {
    .name = "hepipe",
    .open = hepipe_open,
    .dispatch = hepipe_dispatch,
    .fd = hepipe_fd,
    .stats = hepipe_stats,
    .set_filter = hepipe_set_filter,
    .close = hepipe_close,
};
