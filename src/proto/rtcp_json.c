/* rtcp_json.c - the JSON body of an RTCP HEP packet (HEP proto type 5), the
 * form HOMER's collectors store and read (heplify-server's RTCP metrics,
 * Kamailio sipcapture's rtcp_capture table, HOMER's UI).
 *
 * Key set: /work/shared/reference/rtcp-json.md and docs/rtcp.md (the keys
 * captagent and heplify send, which HOMER reads), plus optional keys for what
 * they drop (SDES items, BYE, APP, XR block list, full VoIP metrics). Values
 * per RFC 3550 6.4.1 (SR, report blocks) and RFC 3611 4.7 (VoIP metrics).
 *
 * Where we differ from captagent on purpose (docs/rtcp.md lists them all):
 *  - ntp_timestamp_usec is the NTP fraction converted to microseconds
 *    (floor(frac * 10^6 / 2^32)); captagent puts the raw 32-bit fraction
 *    there, which is neither microseconds nor in 0..999999;
 *  - every report block of every SR/RR is in report_blocks (captagent: the
 *    first only) and report_count is how many there are;
 *  - packets_lost is the signed 24-bit cumulative loss (heplify: unsigned,
 *    so -1 reads 16777215);
 *  - one object with each key once (captagent writes "ssrc", "type" ... once
 *    per SR/RR, so SR + RR gives duplicate keys);
 *  - text (SDES, BYE reason, APP name) is escaped, so any packet gives valid
 *    JSON (captagent copies SDES bytes into the string as they are);
 *  - voip_metrics reads MOS-LQ and MOS-CQ from their RFC 3611 positions
 *    (heplify swaps them).
 * Keys come in a fixed order, optional keys are left out when empty, so the
 * text is deterministic.
 */
#include "proto.h"

static void sender_information(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    struct tr_rtcp_sender_info si = {0}; /* all zeros for an RR */
    if (r->has_sender_info)
        si = r->si;
    TR_JSON_LIT(w, "\"sender_information\":{\"ntp_timestamp_sec\":");
    tr_json_u64(w, si.ntp_sec);
    TR_JSON_LIT(w, ",\"ntp_timestamp_usec\":");
    tr_json_u64(w, si.ntp_usec);
    TR_JSON_LIT(w, ",\"rtp_timestamp\":");
    tr_json_u64(w, si.rtp_ts);
    TR_JSON_LIT(w, ",\"packets\":");
    tr_json_u64(w, si.packets);
    TR_JSON_LIT(w, ",\"octets\":");
    tr_json_u64(w, si.octets);
    TR_JSON_LIT(w, "}");
}

static void report_blocks(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    TR_JSON_LIT(w, ",\"report_count\":");
    tr_json_u64(w, r->n_blocks);
    TR_JSON_LIT(w, ",\"report_blocks\":[");
    for (unsigned i = 0; i < r->n_blocks && i < TR_RTCP_MAX_BLOCKS; i++) {
        const struct tr_rtcp_report_block *b = &r->blocks[i];
        if (i)
            TR_JSON_LIT(w, ",");
        TR_JSON_LIT(w, "{\"source_ssrc\":");
        tr_json_u64(w, b->ssrc);
        TR_JSON_LIT(w, ",\"highest_seq_no\":");
        tr_json_u64(w, b->ext_high_seq);
        TR_JSON_LIT(w, ",\"fraction_lost\":");
        tr_json_u64(w, b->fraction_lost);
        TR_JSON_LIT(w, ",\"ia_jitter\":");
        tr_json_u64(w, b->jitter);
        TR_JSON_LIT(w, ",\"packets_lost\":");
        tr_json_i64(w, b->cum_lost);
        TR_JSON_LIT(w, ",\"lsr\":");
        tr_json_u64(w, b->lsr);
        TR_JSON_LIT(w, ",\"dlsr\":");
        tr_json_u64(w, b->dlsr);
        TR_JSON_LIT(w, "}");
    }
    TR_JSON_LIT(w, "]");
}

/* HOMER's flat XR summary: the first VoIP metrics block; without one, only
 * the type of the first XR block (as heplify); zeros without XR. */
static void report_blocks_xr(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    struct tr_rtcp_voip_metrics m = {0};
    unsigned type = 0;
    if (r->n_voip > 0) {
        m = r->voip[0];
        type = TR_RTCP_XR_VOIP_METRICS;
    } else if (r->n_xr > 0) {
        type = r->xr[0].type;
    }
    TR_JSON_LIT(w, ",\"report_blocks_xr\":{\"type\":");
    tr_json_u64(w, type);
    TR_JSON_LIT(w, ",\"id\":");
    tr_json_u64(w, m.ssrc);
    TR_JSON_LIT(w, ",\"fraction_lost\":");
    tr_json_u64(w, m.loss_rate);
    TR_JSON_LIT(w, ",\"fraction_discard\":");
    tr_json_u64(w, m.discard_rate);
    TR_JSON_LIT(w, ",\"burst_density\":");
    tr_json_u64(w, m.burst_density);
    TR_JSON_LIT(w, ",\"gap_density\":");
    tr_json_u64(w, m.gap_density);
    TR_JSON_LIT(w, ",\"burst_duration\":");
    tr_json_u64(w, m.burst_duration);
    TR_JSON_LIT(w, ",\"gap_duration\":");
    tr_json_u64(w, m.gap_duration);
    TR_JSON_LIT(w, ",\"round_trip_delay\":");
    tr_json_u64(w, m.round_trip_delay);
    TR_JSON_LIT(w, ",\"end_system_delay\":");
    tr_json_u64(w, m.end_system_delay);
    TR_JSON_LIT(w, "}");
}

static void sdes(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    TR_JSON_LIT(w, ",\"sdes_ssrc\":");
    tr_json_u64(w, r->sdes_ssrc);
    if (r->n_sdes == 0)
        return;
    TR_JSON_LIT(w, ",\"sdes_information\":[");
    for (unsigned i = 0; i < r->n_sdes && i < TR_RTCP_MAX_SDES; i++) {
        const struct tr_rtcp_sdes_item *it = &r->sdes[i];
        if (i)
            TR_JSON_LIT(w, ",");
        TR_JSON_LIT(w, "{\"ssrc\":");
        tr_json_u64(w, it->ssrc);
        TR_JSON_LIT(w, ",\"type\":");
        tr_json_u64(w, it->type);
        TR_JSON_LIT(w, ",\"text\":");
        tr_json_str(w, it->text.ptr, it->text.len);
        TR_JSON_LIT(w, "}");
    }
    TR_JSON_LIT(w, "],\"sdes_report_count\":");
    tr_json_u64(w, r->n_sdes);
}

static void bye(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    if (!r->has_bye)
        return;
    TR_JSON_LIT(w, ",\"bye\":{\"ssrcs\":[");
    for (unsigned i = 0; i < r->n_bye && i < TR_RTCP_MAX_BYE; i++) {
        if (i)
            TR_JSON_LIT(w, ",");
        tr_json_u64(w, r->bye_ssrc[i]);
    }
    TR_JSON_LIT(w, "]");
    if (r->bye_reason.len > 0) {
        TR_JSON_LIT(w, ",\"reason\":");
        tr_json_str(w, r->bye_reason.ptr, r->bye_reason.len);
    }
    TR_JSON_LIT(w, "}");
}

static void app(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    if (r->n_app == 0)
        return;
    TR_JSON_LIT(w, ",\"app\":[");
    for (unsigned i = 0; i < r->n_app && i < TR_RTCP_MAX_APP; i++) {
        const struct tr_rtcp_app *a = &r->app[i];
        if (i)
            TR_JSON_LIT(w, ",");
        TR_JSON_LIT(w, "{\"ssrc\":");
        tr_json_u64(w, a->ssrc);
        TR_JSON_LIT(w, ",\"subtype\":");
        tr_json_u64(w, a->subtype);
        TR_JSON_LIT(w, ",\"name\":");
        tr_json_str(w, a->name, 4);
        TR_JSON_LIT(w, ",\"length\":");
        tr_json_u64(w, a->data.len);
        TR_JSON_LIT(w, "}");
    }
    TR_JSON_LIT(w, "]");
}

static void xr_blocks(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    if (r->n_xr == 0)
        return;
    TR_JSON_LIT(w, ",\"xr_blocks\":[");
    for (unsigned i = 0; i < r->n_xr && i < TR_RTCP_MAX_XR; i++) {
        const struct tr_rtcp_xr_block *b = &r->xr[i];
        if (i)
            TR_JSON_LIT(w, ",");
        TR_JSON_LIT(w, "{\"ssrc\":");
        tr_json_u64(w, b->xr_ssrc);
        TR_JSON_LIT(w, ",\"type\":");
        tr_json_u64(w, b->type);
        TR_JSON_LIT(w, ",\"block_length\":");
        tr_json_u64(w, b->length);
        TR_JSON_LIT(w, "}");
    }
    TR_JSON_LIT(w, "]");
}

/* MOS x 10 on the wire (RFC 3611 4.7.5) as a decimal; 127 = unavailable. */
static void mos(struct tr_json_buf *w, uint8_t v)
{
    if (v == 127) {
        TR_JSON_LIT(w, "null");
        return;
    }
    char t[5] = {0};
    size_t n = 0;
    if (v >= 100)
        t[n++] = (char)('0' + v / 100);
    t[n++] = (char)('0' + v / 10 % 10);
    t[n++] = '.';
    t[n++] = (char)('0' + v % 10);
    tr_json_put(w, t, n);
}

static void voip_metrics(struct tr_json_buf *w, const struct tr_rtcp *r)
{
    if (r->n_voip == 0)
        return;
    const struct tr_rtcp_voip_metrics *m = &r->voip[0];
    TR_JSON_LIT(w, ",\"voip_metrics\":{\"ssrc\":");
    tr_json_u64(w, m->ssrc);
    TR_JSON_LIT(w, ",\"loss_rate\":");
    tr_json_u64(w, m->loss_rate);
    TR_JSON_LIT(w, ",\"discard_rate\":");
    tr_json_u64(w, m->discard_rate);
    TR_JSON_LIT(w, ",\"burst_density\":");
    tr_json_u64(w, m->burst_density);
    TR_JSON_LIT(w, ",\"gap_density\":");
    tr_json_u64(w, m->gap_density);
    TR_JSON_LIT(w, ",\"burst_duration\":");
    tr_json_u64(w, m->burst_duration);
    TR_JSON_LIT(w, ",\"gap_duration\":");
    tr_json_u64(w, m->gap_duration);
    TR_JSON_LIT(w, ",\"round_trip_delay\":");
    tr_json_u64(w, m->round_trip_delay);
    TR_JSON_LIT(w, ",\"end_system_delay\":");
    tr_json_u64(w, m->end_system_delay);
    TR_JSON_LIT(w, ",\"signal_level\":");
    tr_json_i64(w, m->signal_level);
    TR_JSON_LIT(w, ",\"noise_level\":");
    tr_json_i64(w, m->noise_level);
    TR_JSON_LIT(w, ",\"rerl\":");
    tr_json_u64(w, m->rerl);
    TR_JSON_LIT(w, ",\"gmin\":");
    tr_json_u64(w, m->gmin);
    TR_JSON_LIT(w, ",\"r_factor\":");
    tr_json_u64(w, m->r_factor);
    TR_JSON_LIT(w, ",\"ext_r_factor\":");
    tr_json_u64(w, m->ext_r_factor);
    TR_JSON_LIT(w, ",\"mos_cq\":");
    mos(w, m->mos_cq);
    TR_JSON_LIT(w, ",\"mos_lq\":");
    mos(w, m->mos_lq);
    TR_JSON_LIT(w, ",\"rx_config\":");
    tr_json_u64(w, m->rx_config);
    TR_JSON_LIT(w, ",\"jb_nominal\":");
    tr_json_u64(w, m->jb_nominal);
    TR_JSON_LIT(w, ",\"jb_maximum\":");
    tr_json_u64(w, m->jb_maximum);
    TR_JSON_LIT(w, ",\"jb_abs_max\":");
    tr_json_u64(w, m->jb_abs_max);
    TR_JSON_LIT(w, "}");
}

int tr_rtcp_json(const struct tr_rtcp *r, char *buf, size_t cap)
{
    struct tr_json_buf w;
    tr_json_init(&w, buf, cap);
    TR_JSON_LIT(&w, "{");
    sender_information(&w, r);
    TR_JSON_LIT(&w, ",\"ssrc\":");
    tr_json_u64(&w, r->ssrc);
    TR_JSON_LIT(&w, ",\"type\":");
    tr_json_u64(&w, r->type);
    report_blocks(&w, r);
    report_blocks_xr(&w, r);
    sdes(&w, r);
    bye(&w, r);
    app(&w, r);
    xr_blocks(&w, r);
    voip_metrics(&w, r);
    TR_JSON_LIT(&w, "}");
    return tr_json_finish(&w);
}
