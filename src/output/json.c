/* json.c - JSON lines output: one object per SIP message (schema in
 * docs/json.md). Keys come in a fixed order and optional keys are omitted
 * when absent, so the text is deterministic for golden tests.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX (the byte's value), so every line is valid JSON. The
 * writer and its escaping are core's (core.h, "JSON writer").
 */
#include "lines.h"

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

int tr_json_format_event(const struct tr_event *ev, bool with_payload, char *buf, size_t cap)
{
    struct tr_json_buf b;
    tr_json_init(&b, buf, cap);
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;

    /* Events other than SIP say what they are first, and carry their own
     * JSON object under that name (docs/json.md). */
    const char *kind = tr_event_kind_name(ev->kind);
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
    const char *transport = tr_transport_name(pkt->ip_proto);
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

static int json_line(const struct tr_event *ev, const struct tr_output_conf *conf, char *buf,
                     size_t cap)
{
    return tr_json_format_event(ev, conf->json_payload, buf, cap);
}

static const struct tr_line_format json_lines = {
    .kind = "json",
    .eol = "\n",
    .max_line = JSON_LINE_MAX,
    .format = json_line,
};

static int json_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    return tr_lines_open(out, conf, &json_lines, err);
}

const struct tr_output_ops tr_output_json = {
    .kind = "json",
    .open = json_open,
    .write = tr_lines_write,
    .flush = tr_lines_flush,
    .tick = tr_lines_tick,
    .drain = tr_lines_drain,
    .close = tr_lines_close,
    .reopen = tr_lines_reopen,
};
