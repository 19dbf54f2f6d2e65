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
#include "proto_json.h"

static void sender_information(struct jw *w, const struct tr_rtcp *r)
{
    struct tr_rtcp_sender_info si = {0}; /* all zeros for an RR */
    if (r->has_sender_info)
        si = r->si;
    jw_lit(w, "\"sender_information\":{\"ntp_timestamp_sec\":");
    jw_u64(w, si.ntp_sec);
    jw_lit(w, ",\"ntp_timestamp_usec\":");
    jw_u64(w, si.ntp_usec);
    jw_lit(w, ",\"rtp_timestamp\":");
    jw_u64(w, si.rtp_ts);
    jw_lit(w, ",\"packets\":");
    jw_u64(w, si.packets);
    jw_lit(w, ",\"octets\":");
    jw_u64(w, si.octets);
    jw_lit(w, "}");
}

static void report_blocks(struct jw *w, const struct tr_rtcp *r)
{
    jw_lit(w, ",\"report_count\":");
    jw_u64(w, r->n_blocks);
    jw_lit(w, ",\"report_blocks\":[");
    for (unsigned i = 0; i < r->n_blocks && i < TR_RTCP_MAX_BLOCKS; i++) {
        const struct tr_rtcp_report_block *b = &r->blocks[i];
        if (i)
            jw_lit(w, ",");
        jw_lit(w, "{\"source_ssrc\":");
        jw_u64(w, b->ssrc);
        jw_lit(w, ",\"highest_seq_no\":");
        jw_u64(w, b->ext_high_seq);
        jw_lit(w, ",\"fraction_lost\":");
        jw_u64(w, b->fraction_lost);
        jw_lit(w, ",\"ia_jitter\":");
        jw_u64(w, b->jitter);
        jw_lit(w, ",\"packets_lost\":");
        jw_i64(w, b->cum_lost);
        jw_lit(w, ",\"lsr\":");
        jw_u64(w, b->lsr);
        jw_lit(w, ",\"dlsr\":");
        jw_u64(w, b->dlsr);
        jw_lit(w, "}");
    }
    jw_lit(w, "]");
}

/* HOMER's flat XR summary: the first VoIP metrics block; without one, only
 * the type of the first XR block (as heplify); zeros without XR. */
static void report_blocks_xr(struct jw *w, const struct tr_rtcp *r)
{
    struct tr_rtcp_voip_metrics m = {0};
    unsigned type = 0;
    if (r->n_voip > 0) {
        m = r->voip[0];
        type = TR_RTCP_XR_VOIP_METRICS;
    } else if (r->n_xr > 0) {
        type = r->xr[0].type;
    }
    jw_lit(w, ",\"report_blocks_xr\":{\"type\":");
    jw_u64(w, type);
    jw_lit(w, ",\"id\":");
    jw_u64(w, m.ssrc);
    jw_lit(w, ",\"fraction_lost\":");
    jw_u64(w, m.loss_rate);
    jw_lit(w, ",\"fraction_discard\":");
    jw_u64(w, m.discard_rate);
    jw_lit(w, ",\"burst_density\":");
    jw_u64(w, m.burst_density);
    jw_lit(w, ",\"gap_density\":");
    jw_u64(w, m.gap_density);
    jw_lit(w, ",\"burst_duration\":");
    jw_u64(w, m.burst_duration);
    jw_lit(w, ",\"gap_duration\":");
    jw_u64(w, m.gap_duration);
    jw_lit(w, ",\"round_trip_delay\":");
    jw_u64(w, m.round_trip_delay);
    jw_lit(w, ",\"end_system_delay\":");
    jw_u64(w, m.end_system_delay);
    jw_lit(w, "}");
}

static void sdes(struct jw *w, const struct tr_rtcp *r)
{
    jw_lit(w, ",\"sdes_ssrc\":");
    jw_u64(w, r->sdes_ssrc);
    if (r->n_sdes == 0)
        return;
    jw_lit(w, ",\"sdes_information\":[");
    for (unsigned i = 0; i < r->n_sdes && i < TR_RTCP_MAX_SDES; i++) {
        const struct tr_rtcp_sdes_item *it = &r->sdes[i];
        if (i)
            jw_lit(w, ",");
        jw_lit(w, "{\"ssrc\":");
        jw_u64(w, it->ssrc);
        jw_lit(w, ",\"type\":");
        jw_u64(w, it->type);
        jw_lit(w, ",\"text\":");
        jw_str(w, it->text.ptr, it->text.len);
        jw_lit(w, "}");
    }
    jw_lit(w, "],\"sdes_report_count\":");
    jw_u64(w, r->n_sdes);
}

static void bye(struct jw *w, const struct tr_rtcp *r)
{
    if (!r->has_bye)
        return;
    jw_lit(w, ",\"bye\":{\"ssrcs\":[");
    for (unsigned i = 0; i < r->n_bye && i < TR_RTCP_MAX_BYE; i++) {
        if (i)
            jw_lit(w, ",");
        jw_u64(w, r->bye_ssrc[i]);
    }
    jw_lit(w, "]");
    if (r->bye_reason.len > 0) {
        jw_lit(w, ",\"reason\":");
        jw_str(w, r->bye_reason.ptr, r->bye_reason.len);
    }
    jw_lit(w, "}");
}

static void app(struct jw *w, const struct tr_rtcp *r)
{
    if (r->n_app == 0)
        return;
    jw_lit(w, ",\"app\":[");
    for (unsigned i = 0; i < r->n_app && i < TR_RTCP_MAX_APP; i++) {
        const struct tr_rtcp_app *a = &r->app[i];
        if (i)
            jw_lit(w, ",");
        jw_lit(w, "{\"ssrc\":");
        jw_u64(w, a->ssrc);
        jw_lit(w, ",\"subtype\":");
        jw_u64(w, a->subtype);
        jw_lit(w, ",\"name\":");
        jw_str(w, a->name, 4);
        jw_lit(w, ",\"length\":");
        jw_u64(w, a->data.len);
        jw_lit(w, "}");
    }
    jw_lit(w, "]");
}

static void xr_blocks(struct jw *w, const struct tr_rtcp *r)
{
    if (r->n_xr == 0)
        return;
    jw_lit(w, ",\"xr_blocks\":[");
    for (unsigned i = 0; i < r->n_xr && i < TR_RTCP_MAX_XR; i++) {
        const struct tr_rtcp_xr_block *b = &r->xr[i];
        if (i)
            jw_lit(w, ",");
        jw_lit(w, "{\"ssrc\":");
        jw_u64(w, b->xr_ssrc);
        jw_lit(w, ",\"type\":");
        jw_u64(w, b->type);
        jw_lit(w, ",\"block_length\":");
        jw_u64(w, b->length);
        jw_lit(w, "}");
    }
    jw_lit(w, "]");
}

/* MOS x 10 on the wire (RFC 3611 4.7.5) as a decimal; 127 = unavailable. */
static void mos(struct jw *w, uint8_t v)
{
    if (v == 127) {
        jw_lit(w, "null");
        return;
    }
    char t[5] = {0};
    size_t n = 0;
    if (v >= 100)
        t[n++] = (char)('0' + v / 100);
    t[n++] = (char)('0' + v / 10 % 10);
    t[n++] = '.';
    t[n++] = (char)('0' + v % 10);
    jw_put(w, t, n);
}

static void voip_metrics(struct jw *w, const struct tr_rtcp *r)
{
    if (r->n_voip == 0)
        return;
    const struct tr_rtcp_voip_metrics *m = &r->voip[0];
    jw_lit(w, ",\"voip_metrics\":{\"ssrc\":");
    jw_u64(w, m->ssrc);
    jw_lit(w, ",\"loss_rate\":");
    jw_u64(w, m->loss_rate);
    jw_lit(w, ",\"discard_rate\":");
    jw_u64(w, m->discard_rate);
    jw_lit(w, ",\"burst_density\":");
    jw_u64(w, m->burst_density);
    jw_lit(w, ",\"gap_density\":");
    jw_u64(w, m->gap_density);
    jw_lit(w, ",\"burst_duration\":");
    jw_u64(w, m->burst_duration);
    jw_lit(w, ",\"gap_duration\":");
    jw_u64(w, m->gap_duration);
    jw_lit(w, ",\"round_trip_delay\":");
    jw_u64(w, m->round_trip_delay);
    jw_lit(w, ",\"end_system_delay\":");
    jw_u64(w, m->end_system_delay);
    jw_lit(w, ",\"signal_level\":");
    jw_i64(w, m->signal_level);
    jw_lit(w, ",\"noise_level\":");
    jw_i64(w, m->noise_level);
    jw_lit(w, ",\"rerl\":");
    jw_u64(w, m->rerl);
    jw_lit(w, ",\"gmin\":");
    jw_u64(w, m->gmin);
    jw_lit(w, ",\"r_factor\":");
    jw_u64(w, m->r_factor);
    jw_lit(w, ",\"ext_r_factor\":");
    jw_u64(w, m->ext_r_factor);
    jw_lit(w, ",\"mos_cq\":");
    mos(w, m->mos_cq);
    jw_lit(w, ",\"mos_lq\":");
    mos(w, m->mos_lq);
    jw_lit(w, ",\"rx_config\":");
    jw_u64(w, m->rx_config);
    jw_lit(w, ",\"jb_nominal\":");
    jw_u64(w, m->jb_nominal);
    jw_lit(w, ",\"jb_maximum\":");
    jw_u64(w, m->jb_maximum);
    jw_lit(w, ",\"jb_abs_max\":");
    jw_u64(w, m->jb_abs_max);
    jw_lit(w, "}");
}

int tr_rtcp_json(const struct tr_rtcp *r, char *buf, size_t cap)
{
    struct jw w;
    jw_init(&w, buf, cap);
    jw_lit(&w, "{");
    sender_information(&w, r);
    jw_lit(&w, ",\"ssrc\":");
    jw_u64(&w, r->ssrc);
    jw_lit(&w, ",\"type\":");
    jw_u64(&w, r->type);
    report_blocks(&w, r);
    report_blocks_xr(&w, r);
    sdes(&w, r);
    bye(&w, r);
    app(&w, r);
    xr_blocks(&w, r);
    voip_metrics(&w, r);
    jw_lit(&w, "}");
    return jw_finish(&w);
}
