/* csv.c - CSV output: one row per message event (SIP, and RTCP, reports,
 * HEP relays, log lines with their type), columns and meaning in
 * docs/csv.md. Format: RFC 4180 - a header line first, CRLF line ends, a
 * field is quoted when it holds a comma, a double quote, CR, LF or another
 * control byte, and a double quote inside is written twice. Bytes above
 * 0x7e are written as they are (UTF-8 text stays readable), which RFC 4180's
 * ASCII-only TEXTDATA does not strictly allow.
 *
 * Columns are fixed (a column is empty when the event has no such value),
 * so a row always has as many fields as the header.
 */
#include "lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CSV_LINE_MAX 65536 /* no payload column: a row is short; longer is counted */

const char tr_csv_header[] =
    "ts,ts_us,type,family,transport,src,sport,dst,dport,vlan,len,method,ruri,status,reason,"
    "call_id,cseq,cseq_method,from_user,from_tag,to_user,to_tag,via_branch,user_agent,"
    "malformed,tags";

struct csv_buf {
    char *buf;
    size_t cap, len;
    bool overflow;
    bool first; /* no comma before the next field */
};

static void put(struct csv_buf *b, const char *s, size_t n)
{
    if (b->overflow || b->cap - b->len < n) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void sep(struct csv_buf *b)
{
    if (!b->first)
        put(b, ",", 1);
    b->first = false;
}

/* Writes the text of a field: quoted when RFC 4180 needs it. */
static void text(struct csv_buf *b, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++) {
        unsigned char c = (unsigned char)s[i];
        quote = c == ',' || c == '"' || c < 0x20 || c == 0x7f;
    }
    if (!quote) {
        put(b, s, n);
        return;
    }
    put(b, "\"", 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            put(b, s + from, i + 1 - from); /* up to and with the quote ... */
            put(b, "\"", 1);                /* ... and the quote again */
            from = i + 1;
        }
    put(b, s + from, n - from);
    put(b, "\"", 1);
}

static void field_str(struct csv_buf *b, struct tr_str s)
{
    sep(b);
    if (s.ptr)
        text(b, s.ptr, s.len);
}

static void field_cstr(struct csv_buf *b, const char *s)
{
    sep(b);
    text(b, s, strlen(s));
}

static void field_u64(struct csv_buf *b, uint64_t v, bool present)
{
    sep(b);
    if (!present)
        return;
    char n[24];
    int w = snprintf(n, sizeof(n), "%llu", (unsigned long long)v);
    put(b, n, (size_t)w);
}

/* ISO 8601 UTC with microseconds, as the JSON output's "ts". */
static void field_time(struct csv_buf *b, uint64_t ts_ns)
{
    char t[40];
    struct tr_json_buf j;
    tr_json_init(&j, t, sizeof(t));
    tr_json_time(&j, ts_ns); /* writes it quoted: drop the quotes */
    sep(b);
    if (tr_json_finish(&j) >= 2)
        put(b, t + 1, j.len - 2);
}

int tr_csv_format_event(const struct tr_event *ev, char *buf, size_t cap)
{
    struct csv_buf b = { buf, cap, 0, false, true };
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;
    char a[TR_ADDR_STRLEN];

    field_time(&b, pkt->ts_ns);
    field_u64(&b, pkt->ts_ns / 1000u, true);
    field_cstr(&b, tr_event_kind_name(ev->kind));
    field_u64(&b, pkt->src.family, true);
    field_cstr(&b, tr_transport_name(pkt->ip_proto));
    field_cstr(&b, tr_addr_format(&pkt->src, a, sizeof(a)));
    field_u64(&b, pkt->sport, true);
    field_cstr(&b, tr_addr_format(&pkt->dst, a, sizeof(a)));
    field_u64(&b, pkt->dport, true);
    field_u64(&b, pkt->vlan, pkt->flags & TR_PKT_HAS_VLAN);
    field_u64(&b, ev->payload.len, true);
    bool req = sip && sip->is_request;
    bool resp = sip && !sip->is_request && sip->status;
    field_str(&b, req ? sip->method : (struct tr_str){ 0 });
    field_str(&b, req ? sip->request_uri : (struct tr_str){ 0 });
    field_u64(&b, resp ? sip->status : 0, resp);
    field_str(&b, resp ? sip->reason : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->call_id : ev->corr_id);
    bool cseq = sip && sip->cseq_method.ptr;
    field_u64(&b, cseq ? sip->cseq : 0, cseq);
    field_str(&b, cseq ? sip->cseq_method : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->from_user : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->from_tag : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->to_user : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->to_tag : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->via_branch : (struct tr_str){ 0 });
    field_str(&b, sip ? sip->user_agent : (struct tr_str){ 0 });
    if (sip && sip->defect != TR_SIP_DEFECT_NONE && !(pkt->flags & TR_PKT_L4_TRUNCATED))
        field_cstr(&b, tr_sip_defect_name(sip->defect));
    else
        sep(&b);
    /* tags: key=value;key=value in one field (quoted when a value needs it) */
    sep(&b);
    if (ev->n_tags) {
        char t[2048];
        struct csv_buf tb = { t, sizeof(t), 0, false, true };
        for (unsigned i = 0; i < ev->n_tags; i++) {
            if (i)
                put(&tb, ";", 1);
            put(&tb, ev->tags[i].key.ptr, ev->tags[i].key.len);
            put(&tb, "=", 1);
            put(&tb, ev->tags[i].value.ptr, ev->tags[i].value.len);
        }
        if (tb.overflow)
            b.overflow = true;
        else
            text(&b, t, tb.len);
    }
    if (b.overflow || b.cap - b.len < 1)
        return -TR_E_FULL;
    b.buf[b.len] = '\0';
    return (int)b.len;
}

static int csv_line(const struct tr_event *ev, const struct tr_output_conf *conf, char *buf,
                    size_t cap)
{
    (void)conf;
    return tr_csv_format_event(ev, buf, cap);
}

static const struct tr_line_format csv_lines = {
    .kind = "csv",
    .header = tr_csv_header,
    .eol = "\r\n", /* RFC 4180 2.1 */
    .max_line = CSV_LINE_MAX,
    .format = csv_line,
};

static int csv_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    return tr_lines_open(out, conf, &csv_lines, err);
}

const struct tr_output_ops tr_output_csv = {
    .kind = "csv",
    .open = csv_open,
    .write = tr_lines_write,
    .flush = tr_lines_flush,
    .tick = tr_lines_tick,
    .drain = tr_lines_drain,
    .close = tr_lines_close,
    .reopen = tr_lines_reopen,
};
