/* hep.c - HEP v3 output: one HEP frame per event, encoded in place into the
 * carrier's queue (no copy), sent per batch by the carrier.
 *
 * Chunks follow ../shared/reference/hep.md: 0x01-0x0c and 0x0f always (Kamailio
 * drops frames with fewer than 9 known chunks), 0x0e/0x13 when configured,
 * 0x11 when the event has a correlation id (heplify-server drops non-SIP
 * without one), 0x12 when the packet was VLAN-tagged.
 *
 * Relay (events from a HEP input, ev->hep set): by default a HEP v3 message
 * goes out byte for byte as it came (vendor and unknown chunks included); v1
 * and v2 are re-encoded as v3 with their own fields (plus our auth key when
 * one is configured: they never carry one). With hep_restamp (--hep-restamp)
 * every relayed message is re-encoded with our capture id, our auth key (or
 * none: the sender's key is not passed on) and our node name when one is
 * configured (otherwise the sender's); the chunks tr_hep3_encode does not
 * know (vendor chunks, MACs, QoS...) are then lost. A compressed payload
 * (chunk 0x10) can not be re-encoded and is relayed unchanged.
 */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>

struct hep_priv {
    bool restamp;
    uint32_t capture_id;
    struct tr_str auth_key, node_name;
    char key_buf[256], node_buf[256];
};

static int hep_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    struct hep_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    p->capture_id = conf->capture_id;
    p->restamp = conf->hep_restamp;
    if (conf->auth_key && conf->auth_key[0]) {
        size_t n = strlen(conf->auth_key);
        if (n >= sizeof(p->key_buf)) {
            free(p);
            return tr_err_set(err, -TR_E_USAGE, "--hep-key: longer than %zu bytes",
                              sizeof(p->key_buf) - 1);
        }
        memcpy(p->key_buf, conf->auth_key, n);
        p->auth_key = (struct tr_str){ p->key_buf, n };
    }
    if (conf->node_name && conf->node_name[0]) {
        size_t n = strlen(conf->node_name);
        if (n >= sizeof(p->node_buf)) {
            free(p);
            return tr_err_set(err, -TR_E_USAGE, "--hep-node: longer than %zu bytes",
                              sizeof(p->node_buf) - 1);
        }
        memcpy(p->node_buf, conf->node_name, n);
        p->node_name = (struct tr_str){ p->node_buf, n };
    }
    struct tr_endpoint ep;
    int rc = tr_endpoint_parse(conf->target, &ep, err);
    if (rc == TR_OK)
        rc = tr_carrier_open(&out->carrier, &ep, &conf->carrier, err);
    if (rc != TR_OK) {
        free(p);
        return rc;
    }
    out->priv = p;
    snprintf(out->name, sizeof(out->name), "hep %s", ep.text);
    return TR_OK;
}

static void put_frame(struct tr_output *out, const struct tr_hep_fields *f);

/* An event from a HEP input: see the file comment. */
static void hep_relay(struct tr_output *out, const struct hep_priv *p, const struct tr_event *ev)
{
    struct tr_hep_fields f = *ev->hep;
    bool raw = ev->hep_raw.len > 0 && (!p->restamp || f.payload_compressed);
    if (raw) {
        out->c.events++;
        if (ev->hep_raw.len > TR_HEP_MAX_FRAME) {
            out->c.encode_errors++;
            return;
        }
        uint8_t *room = out->carrier.ops->reserve(&out->carrier, ev->hep_raw.len);
        if (!room)
            return; /* the carrier counted the drop */
        memcpy(room, ev->hep_raw.ptr, ev->hep_raw.len);
        out->carrier.ops->commit(&out->carrier, ev->hep_raw.len);
        out->c.written++;
        return;
    }
    if (p->restamp) {
        f.capture_id = p->capture_id;
        f.auth_key = p->auth_key;
        if (p->node_name.len > 0)
            f.node_name = p->node_name;
    } else if (f.auth_key.len == 0) {
        f.auth_key = p->auth_key; /* v1/v2: the next hop may want a key */
    }
    put_frame(out, &f);
}

static void hep_write(struct tr_output *out, const struct tr_event *ev)
{
    struct hep_priv *p = out->priv;
    if (ev->hep) {
        hep_relay(out, p, ev);
        return;
    }
    const struct tr_packet *pkt = ev->pkt;
    struct tr_hep_fields f = {
        .src = pkt->src,
        .dst = pkt->dst,
        .ip_proto = pkt->ip_proto,
        .sport = pkt->sport,
        .dport = pkt->dport,
        .ts_sec = tr_ts_sec(pkt->ts_ns),
        .ts_usec = tr_ts_usec(pkt->ts_ns),
        .proto_type = ev->hep_proto_type,
        .capture_id = p->capture_id,
        .auth_key = p->auth_key,
        .correlation_id = ev->corr_id,
        .node_name = p->node_name,
        .vlan = pkt->vlan,
        .has_vlan = (pkt->flags & TR_PKT_HAS_VLAN) != 0,
        .payload = ev->payload,
    };
    put_frame(out, &f);
}

/* Encodes f in place into the carrier's queue. */
static void put_frame(struct tr_output *out, const struct tr_hep_fields *f)
{
    out->c.events++;
    size_t need = tr_hep3_size(f);
    if (need > TR_HEP_MAX_FRAME) {
        out->c.encode_errors++;
        return;
    }
    uint8_t *room = out->carrier.ops->reserve(&out->carrier, need);
    if (!room)
        return; /* the carrier counted the drop */
    int n = tr_hep3_encode(f, room, need);
    if (n <= 0) {
        out->c.encode_errors++;
        out->carrier.ops->commit(&out->carrier, 0);
        return;
    }
    out->carrier.ops->commit(&out->carrier, (size_t)n);
    out->c.written++;
}

static void hep_flush(struct tr_output *out)
{
    out->carrier.ops->flush(&out->carrier);
}

static void hep_tick(struct tr_output *out, uint64_t now)
{
    out->carrier.ops->tick(&out->carrier, now);
}

static int hep_drain(struct tr_output *out, uint64_t deadline)
{
    return out->carrier.ops->drain(&out->carrier, deadline);
}

static void hep_close(struct tr_output *out)
{
    if (out->carrier.ops)
        out->carrier.ops->close(&out->carrier);
    free(out->priv);
    out->priv = NULL;
}

const struct tr_output_ops tr_output_hep = {
    .kind = "hep",
    .open = hep_open,
    .write = hep_write,
    .flush = hep_flush,
    .tick = hep_tick,
    .drain = hep_drain,
    .close = hep_close,
};
