/* json.c - JSON lines output: one object per SIP message (schema in
 * docs/json.md). Keys come in a fixed order and optional keys are omitted
 * when absent, so the text is deterministic for golden tests.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX (the byte's value), so every line is valid JSON. The
 * writer and its escaping are core's (core.h, "JSON writer").
 */
#include "output.h"

#include "../decode/decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Worst case: a 64 KiB payload with every byte escaped as \u00XX, plus the fields. */
#define JSON_LINE_MAX (6 * 65536 + 8192)

/* An optional string key: left out when the message has no such value. */
static void key_str(struct tr_json_buf *b, const char *key, size_t key_len, struct tr_str v)
{
    if (!v.ptr)
        return;
    tr_json_key(b, key, key_len);
    tr_json_str(b, v.ptr, v.len);
}
#define KEY_STR(b, lit, v) key_str((b), "" lit, sizeof(lit) - 1, (v))

/* "<key>":"<address>" (dotted quad or RFC 5952: nothing to escape) */
static void key_addr(struct tr_json_buf *b, const char *key, size_t key_len, const struct tr_addr *a)
{
    char s[TR_ADDR_STRLEN];
    tr_addr_format(a, s, sizeof(s));
    tr_json_key(b, key, key_len);
    TR_JSON_LIT(b, "\"");
    tr_json_put(b, s, strlen(s));
    TR_JSON_LIT(b, "\"");
}

/* "tunnels":[{"type":"vxlan","src":"..","dst":"..","vni":42},...], outermost
 * first. The id is named for what it is: "key" (GRE), "vni" (VXLAN,
 * GENEVE), "session" (ERSPAN II/III). */
static void key_tunnels(struct tr_json_buf *b, const struct tr_packet *pkt)
{
    TR_JSON_KEY(b, "tunnels");
    TR_JSON_LIT(b, "[");
    for (unsigned i = 0; i < pkt->n_tunnels && i < TR_PKT_MAX_TUNNELS; i++) {
        const struct tr_tunnel *t = &pkt->tunnels[i];
        if (i)
            TR_JSON_LIT(b, ",");
        TR_JSON_LIT(b, "{");
        const char *type = tr_tunnel_name(t->type);
        TR_JSON_KEY(b, "type");
        tr_json_str(b, type, strlen(type));
        key_addr(b, "src", 3, &t->src);
        key_addr(b, "dst", 3, &t->dst);
        if (t->has_id) {
            switch (t->type) {
            case TR_TUN_GRE: TR_JSON_KEY(b, "key"); break;
            case TR_TUN_VXLAN:
            case TR_TUN_GENEVE: TR_JSON_KEY(b, "vni"); break;
            default: TR_JSON_KEY(b, "session"); break;
            }
            tr_json_u64(b, t->id);
        }
        TR_JSON_LIT(b, "}");
    }
    TR_JSON_LIT(b, "]");
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
    struct tr_json_buf b;
    tr_json_init(&b, buf, cap);
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;

    /* Events other than SIP say what they are first, and carry their own
     * JSON object under that name (docs/json.md). */
    static const char *const kind_names[] = {
        [TR_EV_SIP] = "sip", [TR_EV_RTCP] = "rtcp", [TR_EV_VQ] = "vq", [TR_EV_RTP_STATS] = "rtp_stats",
        [TR_EV_HEP] = "hep", [TR_EV_LOG] = "log",
    };
    const char *kind = ev->kind < TR_ARRAY_LEN(kind_names) ? kind_names[ev->kind] : "sip";
    TR_JSON_LIT(&b, "{");
    if (ev->kind != TR_EV_SIP) {
        TR_JSON_KEY(&b, "type");
        tr_json_str(&b, kind, strlen(kind));
    }
    TR_JSON_KEY(&b, "ts");
    tr_json_time(&b, pkt->ts_ns);
    TR_JSON_KEY(&b, "ts_us");
    tr_json_u64(&b, pkt->ts_ns / 1000u);
    TR_JSON_KEY(&b, "family");
    tr_json_u64(&b, pkt->src.family);
    TR_JSON_KEY(&b, "transport");
    const char *transport = transport_name(pkt->ip_proto);
    tr_json_str(&b, transport, strlen(transport));
    key_addr(&b, "src", 3, &pkt->src);
    TR_JSON_KEY(&b, "sport");
    tr_json_u64(&b, pkt->sport);
    key_addr(&b, "dst", 3, &pkt->dst);
    TR_JSON_KEY(&b, "dport");
    tr_json_u64(&b, pkt->dport);
    if (pkt->flags & TR_PKT_HAS_VLAN) {
        TR_JSON_KEY(&b, "vlan");
        tr_json_u64(&b, pkt->vlan);
    }
    if (pkt->n_tunnels)
        key_tunnels(&b, pkt);
    TR_JSON_KEY(&b, "len");
    tr_json_u64(&b, ev->payload.len);
    if (sip) {
        if (sip->is_request) {
            KEY_STR(&b, "method", sip->method);
            KEY_STR(&b, "ruri", sip->request_uri);
        } else if (sip->status) {
            TR_JSON_KEY(&b, "status");
            tr_json_u64(&b, sip->status);
            KEY_STR(&b, "reason", sip->reason);
        }
        KEY_STR(&b, "call_id", sip->call_id);
        if (sip->cseq_method.ptr) {
            TR_JSON_KEY(&b, "cseq");
            tr_json_u64(&b, sip->cseq);
            KEY_STR(&b, "cseq_method", sip->cseq_method);
        }
        KEY_STR(&b, "from_user", sip->from_user);
        KEY_STR(&b, "from_tag", sip->from_tag);
        KEY_STR(&b, "to_user", sip->to_user);
        KEY_STR(&b, "to_tag", sip->to_tag);
        KEY_STR(&b, "via_branch", sip->via_branch);
        KEY_STR(&b, "user_agent", sip->user_agent);
        if (sip->defect != TR_SIP_DEFECT_NONE && !(pkt->flags & TR_PKT_L4_TRUNCATED)) {
            const char *defect = tr_sip_defect_name(sip->defect);
            TR_JSON_KEY(&b, "malformed");
            tr_json_str(&b, defect, strlen(defect));
        }
    }
    if (ev->kind != TR_EV_SIP) {
        KEY_STR(&b, "call_id", ev->corr_id);
        tr_json_key(&b, kind, strlen(kind));
        tr_json_put(&b, (const char *)ev->json.ptr, ev->json.len);
    }
    if (pkt->flags & TR_PKT_L4_TRUNCATED)
        TR_JSON_LIT(&b, ",\"truncated\":true");
    if (pkt->flags & TR_PKT_REASSEMBLED)
        TR_JSON_LIT(&b, ",\"reassembled\":true");
    if (ev->websocket)
        TR_JSON_LIT(&b, ",\"websocket\":true");
    if (ev->n_tags) { /* set by rules (docs/rules.md); a later duplicate key wins in readers */
        TR_JSON_KEY(&b, "tags");
        TR_JSON_LIT(&b, "{");
        for (unsigned i = 0; i < ev->n_tags; i++) {
            if (i)
                TR_JSON_LIT(&b, ",");
            tr_json_str(&b, ev->tags[i].key.ptr, ev->tags[i].key.len);
            TR_JSON_LIT(&b, ":");
            tr_json_str(&b, ev->tags[i].value.ptr, ev->tags[i].value.len);
        }
        TR_JSON_LIT(&b, "}");
    }
    if (with_payload) {
        TR_JSON_KEY(&b, "payload");
        tr_json_str(&b, ev->payload.ptr, ev->payload.len);
    }
    TR_JSON_LIT(&b, "}");
    return tr_json_finish(&b);
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
    /* + 1: the NUL tr_json_format_event ends with, replaced by the newline */
    int n = tr_json_format_event(ev, p->payload, p->line, JSON_LINE_MAX + 1);
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
