/* json.c - JSON lines output: one object per SIP message (schema in
 * docs/json.md). Keys come in a fixed order and optional keys are omitted
 * when absent, so the text is deterministic for golden tests.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX (the byte's value), so every line is valid JSON.
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Worst case: a 64 KiB payload with every byte escaped as \u00XX, plus the fields. */
#define JSON_LINE_MAX (6 * 65536 + 8192)

struct json_buf {
    char *p;
    size_t len, cap;
    bool overflow;
};

static void jb_put(struct json_buf *b, const char *s, size_t n)
{
    if (b->overflow || b->cap - b->len < n) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void jb_puts(struct json_buf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static void jb_printf(struct json_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct json_buf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = true;
    else
        b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const uint8_t *s, size_t left)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

static void jb_string(struct json_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *u = (const uint8_t *)s;
    jb_put(b, "\"", 1);
    size_t run = 0; /* start of a run of bytes copied as they are */
    for (size_t i = 0; i < n;) {
        uint8_t c = u[i];
        size_t seq = c >= 0x20 && c != '"' && c != '\\' ? utf8_seq_len(u + i, n - i) : 0;
        if (seq) {
            i += seq;
            continue;
        }
        jb_put(b, s + run, i - run);
        char esc[6];
        switch (c) {
        case '"': jb_put(b, "\\\"", 2); break;
        case '\\': jb_put(b, "\\\\", 2); break;
        case '\n': jb_put(b, "\\n", 2); break;
        case '\r': jb_put(b, "\\r", 2); break;
        case '\t': jb_put(b, "\\t", 2); break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            jb_put(b, esc, 6);
        }
        i++;
        run = i;
    }
    jb_put(b, s + run, n - run);
    jb_put(b, "\"", 1);
}

static void jb_key_str(struct json_buf *b, const char *key, struct tr_str v)
{
    if (!v.ptr)
        return;
    jb_printf(b, ",\"%s\":", key);
    jb_string(b, v.ptr, v.len);
}

static const char *transport_name(uint8_t proto)
{
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return "ip";
    }
}

int tr_json_format_event(const struct tr_event *ev, bool with_payload, char *buf, size_t cap)
{
    struct json_buf b = { buf, 0, cap, false };
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;

    time_t sec = (time_t)tr_ts_sec(pkt->ts_ns);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char tbuf[32];
    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    char src[TR_ADDR_STRLEN], dst[TR_ADDR_STRLEN];
    tr_addr_format(&pkt->src, src, sizeof(src));
    tr_addr_format(&pkt->dst, dst, sizeof(dst));

    jb_printf(&b, "{\"ts\":\"%s.%06uZ\",\"ts_us\":%llu,\"family\":%u,\"transport\":\"%s\"", tbuf,
              tr_ts_usec(pkt->ts_ns), (unsigned long long)(pkt->ts_ns / 1000u), pkt->src.family,
              transport_name(pkt->ip_proto));
    jb_printf(&b, ",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u", src, pkt->sport, dst,
              pkt->dport);
    if (pkt->flags & TR_PKT_HAS_VLAN)
        jb_printf(&b, ",\"vlan\":%u", pkt->vlan);
    jb_printf(&b, ",\"len\":%zu", ev->payload.len);
    if (sip) {
        if (sip->is_request) {
            jb_key_str(&b, "method", sip->method);
            jb_key_str(&b, "ruri", sip->request_uri);
        } else if (sip->status) {
            jb_printf(&b, ",\"status\":%u", sip->status);
            jb_key_str(&b, "reason", sip->reason);
        }
        jb_key_str(&b, "call_id", sip->call_id);
        if (sip->cseq_method.ptr) {
            jb_printf(&b, ",\"cseq\":%u", sip->cseq);
            jb_key_str(&b, "cseq_method", sip->cseq_method);
        }
        jb_key_str(&b, "from_user", sip->from_user);
        jb_key_str(&b, "from_tag", sip->from_tag);
        jb_key_str(&b, "to_user", sip->to_user);
        jb_key_str(&b, "to_tag", sip->to_tag);
        jb_key_str(&b, "via_branch", sip->via_branch);
        jb_key_str(&b, "user_agent", sip->user_agent);
        if (sip->defect != TR_SIP_DEFECT_NONE && !(pkt->flags & TR_PKT_L4_TRUNCATED))
            jb_printf(&b, ",\"malformed\":\"%s\"", tr_sip_defect_name(sip->defect));
    }
    if (pkt->flags & TR_PKT_L4_TRUNCATED)
        jb_puts(&b, ",\"truncated\":true");
    if (pkt->flags & TR_PKT_REASSEMBLED)
        jb_puts(&b, ",\"reassembled\":true");
    if (ev->websocket)
        jb_puts(&b, ",\"websocket\":true");
    if (with_payload) {
        jb_puts(&b, ",\"payload\":");
        jb_string(&b, (const char *)ev->payload.ptr, ev->payload.len);
    }
    jb_put(&b, "}", 1);
    return b.overflow ? -TR_E_FULL : (int)b.len;
}

struct json_priv {
    FILE *f;
    bool own;
    bool payload;
    char *line;
};

static int json_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    struct json_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    p->payload = conf->json_payload;
    p->line = malloc(JSON_LINE_MAX + 1);
    if (!p->line) {
        free(p);
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    }
    if (strcmp(conf->target, "-") == 0) {
        p->f = stdout;
    } else {
        p->f = fopen(conf->target, "we");
        p->own = true;
        if (!p->f) {
            int e = errno;
            free(p->line);
            free(p);
            return tr_err_set(err, -TR_E_IO, "--json %s: %s", conf->target, strerror(e));
        }
    }
    /* Fully buffered even on a terminal: flush() runs once per batch. */
    setvbuf(p->f, NULL, _IOFBF, 0);
    out->priv = p;
    snprintf(out->name, sizeof(out->name), "json %s", conf->target);
    return TR_OK;
}

static void json_write(struct tr_output *out, const struct tr_event *ev)
{
    struct json_priv *p = out->priv;
    out->c.events++;
    int n = tr_json_format_event(ev, p->payload, p->line, JSON_LINE_MAX);
    if (n < 0) {
        out->c.encode_errors++;
        return;
    }
    p->line[n] = '\n';
    if (fwrite(p->line, 1, (size_t)n + 1, p->f) != (size_t)n + 1)
        out->c.write_errors++;
    else
        out->c.written++;
}

static void json_flush(struct tr_output *out)
{
    struct json_priv *p = out->priv;
    if (fflush(p->f) != 0)
        out->c.write_errors++;
}

static void json_tick(struct tr_output *out, uint64_t now)
{
    (void)out;
    (void)now;
}

static int json_drain(struct tr_output *out, uint64_t deadline)
{
    (void)deadline;
    json_flush(out);
    return TR_OK;
}

static void json_close(struct tr_output *out)
{
    struct json_priv *p = out->priv;
    if (!p)
        return;
    if (fflush(p->f) != 0)
        out->c.write_errors++;
    if (p->own && fclose(p->f) != 0)
        out->c.write_errors++;
    free(p->line);
    free(p);
    out->priv = NULL;
}

const struct tr_output_ops tr_output_json = {
    .kind = "json",
    .open = json_open,
    .write = json_write,
    .flush = json_flush,
    .tick = json_tick,
    .drain = json_drain,
    .close = json_close,
};
