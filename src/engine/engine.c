/* engine.c - the worker loop: inputs -> decode -> TCP streams -> SIP -> calls
 * and media (RTCP, RTP statistics) -> outputs.
 *
 * Batch lifecycle: an input's dispatch() calls process_packet() for up to
 * TR_BATCH packets; each packet is decoded, parsed and written to every
 * output inside that call (its bytes die when it returns); after the batch
 * the engine flushes every output once. Timers (reconnects, reassembly
 * timeouts, progress, SIGUSR1) run between batches.
 */
#include "engine.h"

#include "../config/config.h"
#include "../control/control.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#define TR_BATCH 256
#define TR_TICK_NS 100000000ull /* 100 ms */
/* Live capture ring (MiB) when every output is a packet output and the
 * user set no --buffer-mb (docs/mirror.md, bench/mirror.sh): big enough for
 * the benchmark's lossless rate, small enough to keep the mirror's RSS
 * under 20 MB; other runs keep the input's default (32). */
#define TR_MIRROR_BUFFER_MB 8
#define TR_POLL_MS 100
#define TR_JSON_SCRATCH 65536 /* >= TR_RTCP_JSON_MAX; larger vq bodies are counted */
#define TR_FILTER_MAX 4096    /* a live input's whole filter (user's + self-exclusion) */
#define TR_STATS_MAX 1024     /* rows of the counter table (summary, /stats, /metrics) */
#define TR_RELOAD_DRAIN_MS 500 /* removed outputs: time to send what they hold */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t summary_requested;
static volatile sig_atomic_t reload_requested;

struct tr_engine {
    struct tr_engine_conf conf;
    struct tr_input inputs[TR_MAX_INPUTS];
    unsigned n_inputs;
    struct tr_output outputs[TR_MAX_OUTPUTS];
    unsigned n_outputs;
    uint8_t packet_outputs[TR_MAX_OUTPUTS]; /* indexes of outputs with ops->packets */
    unsigned n_packet_outputs;

    struct tr_defrag *defrag;
    struct tr_tcp_table *tcp;
    struct tr_calls *calls;
    struct tr_rtp_table *rtp;
    struct tr_decode_stats dstats;
    struct tr_decode_ctx dctx;
    struct tr_engine_stats st;

    bool input_failed;
    uint64_t started_mono_ns;
    uint64_t next_tick_ns;
    uint64_t last_pkt_ns;
    bool progress_shown;
    char json[TR_JSON_SCRATCH]; /* the JSON of the one non-SIP event being emitted */

    /* Control and reload (docs/api.md). Inputs live in slots that never
     * move (input privs point back at their struct tr_input): a slot is
     * free when its ops is NULL, in->id is the input's index in the current
     * config. Outputs are kept in config order (rules address them by
     * index) and are moved, never reopened, when they stay. */
    struct tr_control *ctl;
    struct tr_config *cfg;               /* owned: the config of the last reload */
    char *config_path;                   /* owned copy of conf.config_path */
    struct tr_input_conf in_conf[TR_MAX_INPUTS];  /* per slot, as configured */
    char *user_filter[TR_MAX_INPUTS];    /* per slot: the BPF asked for (config or PUT) */
    char applied_filter[TR_MAX_INPUTS][TR_FILTER_MAX]; /* per slot: what pcap has */
    bool input_done[TR_MAX_INPUTS];      /* per slot: stdin input ended */
    bool inputs_changed;                 /* run_live rebuilds its poll set */
    struct tr_stat *stats;               /* TR_STATS_MAX rows, for the control snapshot */
    struct tr_rtcp rtcp;        /* scratch: large, so not on the stack */
    /* Rules (rules.h): per-engine state for conf.rules (NULL: no rules, every
     * message to every output); the verdict is scratch for emit(). */
    struct tr_rules_state *rules_st;
    struct tr_rules_verdict verdict;
};

void tr_engine_request_stop(void)
{
    stop_requested = 1;
}

void tr_engine_request_summary(void)
{
    summary_requested = 1;
}

void tr_engine_request_reload(void)
{
    reload_requested = 1;
}

static void on_reload_signal(int sig)
{
    (void)sig;
    tr_engine_request_reload();
}

static void on_stop_signal(int sig)
{
    (void)sig;
    tr_engine_request_stop();
}

static void on_summary_signal(int sig)
{
    (void)sig;
    tr_engine_request_summary();
}

void tr_engine_install_signals(void)
{
    struct sigaction sa = { 0 };
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_summary_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed collector or pipe is an error code, not a death */
}

void tr_engine_conf_init(struct tr_engine_conf *conf)
{
    memset(conf, 0, sizeof(*conf));
    tr_engine_conf_set_sip_port(conf, 5060);
    tr_engine_conf_set_sip_port(conf, 5061);
    conf->drain_ms = 5000;
}

void tr_engine_conf_set_sip_port(struct tr_engine_conf *conf, uint16_t port)
{
    conf->sip_ports[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static bool is_sip_port(const struct tr_engine *e, uint16_t port)
{
    return e->conf.sip_ports[port >> 3] & (1u << (port & 7));
}

/* ------------------------------------------------------------ per packet */

static void emit(struct tr_engine *e, const struct tr_event *ev)
{
    uint32_t mask = UINT32_MAX;
    struct tr_event tagged;
    if (e->rules_st) {
        /* Rules pick the outputs by config index (outputs stay in config order). */
        tr_rules_eval(e->rules_st, ev, &e->verdict);
        mask = e->verdict.outputs;
        if (!mask) {
            e->st.rules_dropped++;
            return;
        }
        if (e->verdict.n_tags) {
            tagged = *ev;
            tagged.tags = e->verdict.tags;
            tagged.n_tags = e->verdict.n_tags;
            ev = &tagged;
        }
    }
    e->st.events++;
    for (unsigned i = 0; i < e->n_outputs; i++)
        if (!e->outputs[i].ops->packets && (mask >> i & 1u))
            e->outputs[i].ops->write(&e->outputs[i], ev);
}

/* Every captured frame to the packet outputs, after decode (whatever it
 * found) and before the message stages. */
static void emit_packet(struct tr_engine *e, const struct tr_packet *pkt, int decode_rc)
{
    struct tr_event ev = {
        .kind = TR_EV_PACKET,
        .pkt = pkt,
        .payload = {pkt->frame, pkt->caplen},
        .decode_rc = decode_rc,
    };
    for (unsigned i = 0; i < e->n_packet_outputs; i++) {
        struct tr_output *o = &e->outputs[e->packet_outputs[i]];
        o->ops->write(o, &ev);
    }
}

/* Counts one SIP message by its parse result; false when it is not to be
 * forwarded (--drop-malformed). */
static bool count_sip(struct tr_engine *e, const struct tr_packet *pkt,
                      const struct tr_sip_msg *msg, int rc)
{
    e->st.sip_msgs++;
    if (rc != TR_OK && (pkt->flags & TR_PKT_L4_TRUNCATED)) {
        /* The capture cut it (snap length), not the sender: say so apart
         * from malformed, and forward what was captured. */
        e->st.sip_cut_by_capture++;
    } else if (rc != TR_OK) {
        e->st.sip_malformed++;
        e->st.sip_defects[msg->defect < TR_SIP_DEFECT_COUNT ? msg->defect : 0]++;
        if (e->conf.drop_malformed) {
            e->st.sip_dropped_malformed++;
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------ calls and media */

/* Emits an event whose JSON is in e->json[0..json_len). */
static void emit_report(struct tr_engine *e, enum tr_event_kind kind, const struct tr_packet *pkt,
                        uint8_t hep_type, struct tr_str corr_id, struct tr_bytes hep_payload,
                        int json_len)
{
    if (json_len < 0) {
        e->st.json_too_big++;
        return;
    }
    struct tr_bytes json = {(const uint8_t *)e->json, (size_t)json_len};
    struct tr_event ev = {
        .kind = kind,
        .pkt = pkt,
        .payload = hep_payload.ptr ? hep_payload : json,
        .hep_proto_type = hep_type,
        .corr_id = corr_id,
        .json = json,
    };
    emit(e, &ev);
}

static bool ieq_prefix(struct tr_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && strncasecmp(s.ptr, lit, n) == 0;
}

/* Every SIP message feeds the call table (media endpoints from SDP, dialog
 * state). A PUBLISH carrying a vq-rtcpxr report (RFC 6035) is also sent as a
 * report (HEP type 35, the body as text, as heplify-server reads it) with
 * the Call-ID the report names as correlation id. */
static void track_sip(struct tr_engine *e, const struct tr_packet *pkt,
                      const struct tr_sip_msg *msg)
{
    tr_calls_observe_sip(e->calls, pkt, msg, pkt->ts_ns);
    if (!msg->is_request || !ieq_prefix(msg->method, "PUBLISH") ||
        !ieq_prefix(msg->content_type, "application/vq-rtcpxr"))
        return;
    struct tr_vq vq;
    if (tr_vq_parse(msg->body, &vq) != TR_OK) {
        e->st.vq_unparsed++;
        return;
    }
    e->st.vq_reports++;
    emit_report(e, TR_EV_VQ, pkt, TR_HEP_PROTO_VQ, vq.call_id, msg->body,
                tr_vq_json(&vq, e->json, sizeof(e->json)));
}

/* A final or periodic RTP report: its event carries the stream's addresses
 * and the time of its latest packet. */
static void on_rtp_report(void *user, const struct tr_rtp_report *r)
{
    struct tr_engine *e = user;
    struct tr_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.ts_ns = r->last_ns;
    pkt.ip_proto = 17;
    pkt.src = r->src;
    pkt.dst = r->dst;
    pkt.sport = r->sport;
    pkt.dport = r->dport;
    e->st.rtp_reports++;
    emit_report(e, TR_EV_RTP_STATS, &pkt, TR_HEP_PROTO_REPORT, r->call_id, (struct tr_bytes){0},
                tr_rtp_report_json(r, e->json, sizeof(e->json)));
}

/* A UDP payload that is not SIP: RTCP (HEP type 5 with its JSON body and the
 * call's Call-ID as correlation id), or RTP of a call (statistics; it also
 * teaches the call table endpoints hidden behind NAT). */
static void process_media(struct tr_engine *e, const struct tr_packet *pkt)
{
    struct tr_str call_id = {0};
    if (tr_rtcp_probe(pkt->payload)) {
        bool matched = tr_calls_match(e->calls, pkt, true, pkt->ts_ns, &call_id);
        if (e->conf.no_rtcp)
            return;
        if (!matched && e->conf.rtcp_tracked_only) {
            e->st.rtcp_untracked++;
            return;
        }
        e->st.rtcp_packets++;
        if (matched)
            e->st.rtcp_correlated++;
        else
            e->st.rtcp_uncorrelated++;
        if (tr_rtcp_parse(pkt->payload, &e->rtcp) != TR_OK)
            e->st.rtcp_malformed++;
        emit_report(e, TR_EV_RTCP, pkt, TR_HEP_PROTO_RTCP_JSON, call_id, (struct tr_bytes){0},
                    tr_rtcp_json(&e->rtcp, e->json, sizeof(e->json)));
        return;
    }
    struct tr_rtp_hdr h;
    if (!tr_rtp_probe(pkt->payload, &h)) {
        /* Version 2 and an RTCP packet type (RFC 5761 4), but not valid
         * RTCP: not forwarded, and said so. */
        const uint8_t *p = pkt->payload.ptr;
        if (pkt->payload.len >= 2 && (p[0] >> 6) == 2 && p[1] >= 192 && p[1] <= 223)
            e->st.rtcp_invalid++;
        return;
    }
    if (!tr_calls_match(e->calls, pkt, false, pkt->ts_ns, &call_id))
        return;
    e->st.rtp_packets++;
    if (!e->conf.no_rtp_stats)
        tr_rtp_observe(e->rtp, pkt, &h, &call_id, on_rtp_report, e);
}

/* A SIP message cut from a TCP stream (reasm.h says which packet and time
 * it carries). */
static void on_tcp_msg(void *user, const struct tr_tcp_msg *m)
{
    struct tr_engine *e = user;
    track_sip(e, m->pkt, m->sip);
    if (!count_sip(e, m->pkt, m->sip, m->parse_rc))
        return;
    struct tr_event ev = {
        .pkt = m->pkt,
        .sip = m->sip,
        .payload = m->data,
        .hep_proto_type = TR_HEP_PROTO_SIP,
        .websocket = m->websocket,
    };
    emit(e, &ev);
}

/* TCP goes through the stream table: segments of any flow on a SIP port,
 * and of flows elsewhere that start like SIP (or SIP over WebSocket). Bare
 * SYN/FIN/RST/ACK segments matter to it too. */
static void process_tcp(struct tr_engine *e, const struct tr_packet *pkt)
{
    bool on_port = is_sip_port(e, pkt->sport) || is_sip_port(e, pkt->dport);
    if (on_port)
        tr_tcp_stream_add(e->tcp, pkt, on_tcp_msg, e);
    else if (!e->conf.sip_ports_only)
        tr_tcp_stream_offer(e->tcp, pkt, on_tcp_msg, e);
}

/* A message from a HEP input (input.h, TR_LINKTYPE_HEP): the packet's
 * fields come from the HEP header so every output shows the original
 * capture; SIP payloads are parsed for the JSON fields. It goes to the
 * outputs as it is (no call tracking: the sender did that, and media never
 * comes this way); the HEP output relays or re-stamps it (output/hep.c). */
static void process_hep(struct tr_engine *e, struct tr_packet *pkt)
{
    struct tr_hep_fields f;
    struct tr_bytes msg = { pkt->frame, pkt->caplen };
    if (tr_hep_decode(msg, &f) != TR_OK) /* the input validated it: cannot happen */
        return;
    e->st.hep_in++;
    pkt->src = f.src;
    pkt->dst = f.dst;
    pkt->sport = f.sport;
    pkt->dport = f.dport;
    pkt->ip_proto = f.ip_proto;
    if (f.ts_sec || f.ts_usec) {
        pkt->ts_ns = (uint64_t)f.ts_sec * 1000000000u + (uint64_t)(f.ts_usec % 1000000u) * 1000u;
    } else { /* v1 and time-less v3: the arrival time, also in what we send on */
        f.ts_sec = tr_ts_sec(pkt->ts_ns);
        f.ts_usec = tr_ts_usec(pkt->ts_ns);
    }
    pkt->vlan = f.vlan;
    if (f.has_vlan)
        pkt->flags |= TR_PKT_HAS_VLAN;
    pkt->payload = f.payload;
    struct tr_event ev = {
        .kind = TR_EV_SIP,
        .pkt = pkt,
        .payload = f.payload,
        .hep_proto_type = f.proto_type,
        .corr_id = f.correlation_id,
        .hep = &f,
        .hep_raw = f.version == 3 ? msg : (struct tr_bytes){ 0 },
    };
    if (f.proto_type == TR_HEP_PROTO_SIP && !f.payload_compressed) {
        struct tr_sip_msg sip;
        int rc = tr_sip_parse(f.payload, &sip);
        if (rc != TR_DECLINED) {
            e->st.hep_in_sip++;
            if (!count_sip(e, pkt, &sip, rc))
                return;
            ev.sip = &sip;
            emit(e, &ev);
            return;
        }
    }
    /* Anything else is relayed as it is; its JSON names the type and, when
     * it fits, carries the payload as text. */
    e->st.hep_in_other++;
    struct tr_json_buf b;
    for (int with_payload = 1; with_payload >= 0; with_payload--) {
        tr_json_init(&b, e->json, sizeof(e->json));
        TR_JSON_LIT(&b, "{");
        TR_JSON_KEY(&b, "proto_type");
        tr_json_u64(&b, f.proto_type);
        TR_JSON_KEY(&b, "capture_id");
        tr_json_u64(&b, f.capture_id);
        if (f.node_name.len && with_payload) { /* both could be too long */
            TR_JSON_KEY(&b, "node");
            tr_json_str(&b, f.node_name.ptr, f.node_name.len);
        }
        if (f.payload_compressed) {
            TR_JSON_KEY(&b, "compressed");
            TR_JSON_LIT(&b, "true");
        } else if (with_payload) {
            TR_JSON_KEY(&b, "data");
            tr_json_str(&b, f.payload.ptr, f.payload.len);
        }
        TR_JSON_LIT(&b, "}");
        if (tr_json_finish(&b) >= 0)
            break;
    }
    ev.kind = TR_EV_HEP;
    ev.json = (struct tr_bytes){ (const uint8_t *)e->json, b.len };
    emit(e, &ev);
}

/* A log line from a HEPipe input (input.h, TR_LINKTYPE_HEPIPE; the input
 * accepted it): a HEP log message (type 100) with the line's correlation
 * id, addresses, ports and time; in JSON "type":"log". */
static void process_hepipe(struct tr_engine *e, struct tr_packet *pkt)
{
    struct tr_hepipe_rec rec;
    if (tr_hepipe_parse_line((struct tr_bytes){ pkt->frame, pkt->caplen }, &rec) != TR_HEPIPE_OK)
        return; /* the input checked it: cannot happen */
    e->st.hepipe_lines++;
    pkt->src = rec.src;
    pkt->dst = rec.dst;
    pkt->sport = rec.sport;
    pkt->dport = rec.dport;
    pkt->ip_proto = 17; /* HEP wants one; log lines come with no transport */
    pkt->ts_ns = (uint64_t)rec.ts_sec * 1000000000u + (uint64_t)rec.ts_usec * 1000u;
    pkt->payload = rec.payload;
    struct tr_json_buf b;
    for (int with_text = 1; with_text >= 0; with_text--) {
        tr_json_init(&b, e->json, sizeof(e->json));
        TR_JSON_LIT(&b, "{");
        if (with_text) {
            TR_JSON_KEY(&b, "data");
            tr_json_str(&b, (const char *)rec.payload.ptr, rec.payload.len);
        } else {
            TR_JSON_KEY(&b, "too_big");
            TR_JSON_LIT(&b, "true");
        }
        TR_JSON_LIT(&b, "}");
        if (tr_json_finish(&b) >= 0)
            break;
    }
    struct tr_event ev = {
        .kind = TR_EV_LOG,
        .pkt = pkt,
        .payload = rec.payload,
        .hep_proto_type = TR_HEP_PROTO_LOG,
        .corr_id = rec.corr_id,
        .json = { (const uint8_t *)e->json, b.len },
    };
    emit(e, &ev);
}

static void process_packet(void *user, struct tr_packet *pkt)
{
    struct tr_engine *e = user;
    e->dctx.now_ns = pkt->ts_ns;
    e->last_pkt_ns = pkt->ts_ns;
    if (pkt->linktype == TR_LINKTYPE_HEP) {
        process_hep(e, pkt);
        return;
    }
    if (pkt->linktype == TR_LINKTYPE_HEPIPE) {
        process_hepipe(e, pkt);
        return;
    }
    int drc = tr_decode_packet(&e->dctx, pkt);
    if (e->n_packet_outputs) {
        emit_packet(e, pkt, drc);
        /* Only packet outputs (a pure mirror or dump, flow metadata): no
         * one wants messages, so skip SIP, TCP streams and calls. */
        if (e->n_packet_outputs == e->n_outputs)
            return;
    }
    if (drc != TR_OK)
        return;
    if (pkt->ip_proto == 6) {
        process_tcp(e, pkt);
        return;
    }
    if (pkt->payload.len == 0) {
        e->st.empty_payloads++;
        return;
    }
    bool on_port = is_sip_port(e, pkt->sport) || is_sip_port(e, pkt->dport);
    if (!on_port && (e->conf.sip_ports_only || !tr_sip_probe(pkt->payload))) {
        if (pkt->ip_proto == 17)
            process_media(e, pkt);
        return;
    }

    /* A UDP datagram carries one message (RFC 3261 18.3); an SCTP chunk
     * may carry several back to back. */
    struct tr_bytes rest = pkt->payload;
    bool first = true;
    while (rest.len > 0) {
        struct tr_sip_msg msg;
        int rc = tr_sip_parse(rest, &msg);
        /* A first line that never ends ("hello" keep-alives, runs of junk
         * that start like a token) is no SIP message: a datagram is whole. */
        if (rc == -TR_E_TRUNCATED && !msg.is_request && msg.status == 0 &&
            msg.defect == TR_SIP_DEFECT_NO_HEADER_END)
            rc = TR_DECLINED;
        if (rc == TR_DECLINED) {
            if (first && on_port)
                e->st.non_sip_on_sip_port++;
            return;
        }
        track_sip(e, pkt, &msg);
        if (!count_sip(e, pkt, &msg, rc))
            return;
        bool whole = pkt->ip_proto == 17 || rc != TR_OK || msg.msg_len == 0 || msg.msg_len >= rest.len;
        struct tr_bytes one = { rest.ptr, whole ? rest.len : msg.msg_len };
        struct tr_event ev = {
            .pkt = pkt,
            .sip = &msg,
            .payload = one,
            .hep_proto_type = TR_HEP_PROTO_SIP,
        };
        emit(e, &ev);
        if (whole)
            return;
        rest.ptr += one.len;
        rest.len -= one.len;
        first = false;
        /* Keep-alive CRLFs between messages are not a message. */
        while (rest.len > 0 && (rest.ptr[0] == '\r' || rest.ptr[0] == '\n')) {
            rest.ptr++;
            rest.len--;
        }
    }
}

/* ------------------------------------------------------------ setup */

/* "(user) and not (own HEP traffic)" so live capture never sees what we send. */
static int build_live_filter(const struct tr_output *outs, unsigned n_outs, const char *user,
                             char *buf, size_t cap)
{
    size_t len = 0;
    int n = snprintf(buf, cap, "%s%s%s", user && user[0] ? "(" : "", user ? user : "",
                     user && user[0] ? ")" : "");
    if (n < 0 || (size_t)n >= cap)
        return -TR_E_FULL;
    len = (size_t)n;
    for (unsigned i = 0; i < n_outs; i++) {
        const struct tr_carrier *c = &outs[i].carrier;
        if (!c->ops)
            continue;
        char host[TR_ADDR_STRLEN];
        tr_addr_format(&c->to.addr, host, sizeof(host));
        if (c->to.proto == IPPROTO_GRE) /* a GRE mirror (output/mirror.c) has no port */
            n = snprintf(buf + len, cap - len, "%snot (%s proto 47 and host %s)",
                         len ? " and " : "", c->to.addr.family == TR_AF_INET6 ? "ip6" : "ip",
                         host);
        else
            n = snprintf(buf + len, cap - len, "%snot (%s and host %s and port %u)",
                         len ? " and " : "", c->to.proto == IPPROTO_UDP ? "udp" : "tcp", host,
                         c->to.port);
        if (n < 0 || (size_t)n >= cap - len)
            return -TR_E_FULL;
        len += (size_t)n;
    }
    return TR_OK;
}

/* Slot bookkeeping for an input just opened: its config, the filter the
 * user asked for and the one pcap got. */
static int remember_input(struct tr_engine *e, unsigned slot, const struct tr_input_conf *ic,
                          const char *applied)
{
    e->in_conf[slot] = *ic;
    free(e->user_filter[slot]);
    e->user_filter[slot] = NULL;
    if (ic->filter && !(e->user_filter[slot] = strdup(ic->filter)))
        return -TR_E_NOMEM;
    snprintf(e->applied_filter[slot], TR_FILTER_MAX, "%s", applied ? applied : "");
    e->input_done[slot] = false;
    return TR_OK;
}

/* The message stages' tables (TCP streams, calls, RTP), made when an
 * output wants messages. A run whose outputs are all packet outputs (a pure
 * mirror or dump) never reaches those stages, and the tables cost ~3.6 MB
 * of RSS with the default sizes (the TCP and defrag free lists touch every
 * slot), so they are made at open only when needed, or by a reload that
 * adds a message output. */
static int message_tables(struct tr_engine *e, struct tr_err *err)
{
    if (!e->tcp && !(e->tcp = tr_tcp_table_new(&e->conf.tcp)))
        return tr_err_set(err, -TR_E_NOMEM, "out of memory for the TCP stream table");
    if (!e->calls && !(e->calls = tr_calls_new(&e->conf.calls)))
        return tr_err_set(err, -TR_E_NOMEM, "out of memory for the call table");
    if (!e->rtp && !(e->rtp = tr_rtp_table_new(&e->conf.rtp)))
        return tr_err_set(err, -TR_E_NOMEM, "out of memory for the RTP table");
    return TR_OK;
}

struct tr_engine *tr_engine_open(const struct tr_engine_conf *conf, struct tr_err *err)
{
    struct tr_engine *e = calloc(1, sizeof(*e));
    if (!e) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    e->conf = *conf;
    e->defrag = tr_defrag_new(&conf->defrag);
    if (!e->defrag) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory for the reassembly table");
        goto fail;
    }
    e->dctx = (struct tr_decode_ctx){ .defrag = e->defrag, .stats = &e->dstats,
                                      .conf = &e->conf.decode };
    if (conf->rules && !(e->rules_st = tr_rules_state_new(conf->rules, err)))
        goto fail;

    for (unsigned i = 0; i < conf->n_outputs; i++) {
        if (tr_output_open(&e->outputs[i], &conf->outputs[i], err) != TR_OK)
            goto fail;
        if (e->outputs[i].ops->packets)
            e->packet_outputs[e->n_packet_outputs++] = (uint8_t)i;
        e->n_outputs++;
    }
    if (e->n_packet_outputs < e->n_outputs && message_tables(e, err) != TR_OK)
        goto fail;
    for (unsigned i = 0; i < conf->n_inputs; i++) {
        struct tr_input_conf ic = conf->inputs[i];
        char filter[4096];
        if (ic.kind == TR_INPUT_LIVE && ic.buffer_mb <= 0 && e->n_packet_outputs == e->n_outputs)
            ic.buffer_mb = TR_MIRROR_BUFFER_MB;
        if (ic.kind == TR_INPUT_LIVE) {
            if (build_live_filter(e->outputs, e->n_outputs, ic.filter, filter, sizeof(filter)) !=
                TR_OK) {
                tr_err_set(err, -TR_E_USAGE, "-f: filter too long");
                goto fail;
            }
            ic.filter = filter;
        }
        e->inputs[i].id = (uint16_t)i;
        if (tr_input_open(&e->inputs[i], &ic, err) != TR_OK)
            goto fail;
        e->n_inputs++;
        if (remember_input(e, i, &conf->inputs[i], ic.filter) != TR_OK) {
            tr_err_set(err, -TR_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    e->stats = malloc(TR_STATS_MAX * sizeof(*e->stats));
    if (!e->stats || (conf->config_path && !(e->config_path = strdup(conf->config_path)))) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        goto fail;
    }
    if (conf->http_listen && conf->http_listen[0]) {
        e->ctl = tr_control_start(conf->http_listen, conf->http_token, err);
        if (!e->ctl)
            goto fail;
    }
    return e;
fail:
    tr_engine_close(e);
    return NULL;
}

void tr_engine_close(struct tr_engine *e)
{
    if (!e)
        return;
    tr_control_stop(e->ctl); /* first: it answers what still waits */
    for (unsigned i = 0; i < e->n_inputs; i++) {
        tr_input_close(&e->inputs[i]);
        free(e->user_filter[i]);
    }
    free(e->stats);
    free(e->config_path);
    tr_rules_state_free(e->rules_st); /* before the config: it reads the config's rules */
    e->rules_st = NULL;
    tr_config_free(e->cfg);
    for (unsigned i = 0; i < e->n_outputs; i++)
        tr_output_close(&e->outputs[i]);
    tr_defrag_free(e->defrag);
    tr_tcp_table_free(e->tcp);
    tr_calls_free(e->calls);
    tr_rtp_table_free(e->rtp);
    free(e);
}

/* ------------------------------------------------------------ loop */

static void flush_outputs(struct tr_engine *e)
{
    for (unsigned i = 0; i < e->n_outputs; i++)
        e->outputs[i].ops->flush(&e->outputs[i]);
}

static void show_progress(struct tr_engine *e, const struct tr_input *in)
{
    struct tr_input_stats is;
    in->ops->stats((struct tr_input *)in, &is);
    char pct[16] = "";
    if (is.file_size > 0)
        snprintf(pct, sizeof(pct), " %3u%%", (unsigned)(is.file_pos * 100 / is.file_size));
    fprintf(stderr, "\rtrawl: %s%s: %llu packets, %llu SIP messages ", in->name, pct,
            (unsigned long long)is.packets, (unsigned long long)e->st.sip_msgs);
    e->progress_shown = true;
}

static size_t stats_table(struct tr_engine *e, struct tr_stat *items, size_t cap);
static char *inputs_json(const struct tr_engine *e);
static void control_requests(struct tr_engine *e);

/* The snapshot GET /stats and /metrics serve (control.h). */
static void publish_stats(struct tr_engine *e, uint64_t now)
{
    size_t n = stats_table(e, e->stats, TR_STATS_MAX);
    char *ij = inputs_json(e);
    tr_control_publish(e->ctl, e->stats, n, (double)(now - e->started_mono_ns) / 1e9, ij);
    free(ij);
}

static void tick(struct tr_engine *e, const struct tr_input *current)
{
    uint64_t now = tr_now_mono_ns();
    if (now < e->next_tick_ns && !summary_requested && !reload_requested &&
        !tr_control_pending(e->ctl))
        return;
    e->next_tick_ns = now + TR_TICK_NS;
    for (unsigned i = 0; i < e->n_outputs; i++)
        e->outputs[i].ops->tick(&e->outputs[i], now);
    /* Reassembly runs on packet time; live, the wall clock also moves it
     * on when no packet comes, so a stream behind a hole is not held for
     * ever. */
    uint64_t pkt_now = e->last_pkt_ns;
    if (!current) {
        uint64_t real = tr_now_real_ns();
        if (real > pkt_now)
            pkt_now = real;
    }
    if (pkt_now) {
        tr_defrag_expire(e->defrag, pkt_now);
        if (e->tcp && e->calls && e->rtp) { /* made for message outputs (message_tables) */
            tr_tcp_stream_expire(e->tcp, pkt_now, on_tcp_msg, e);
            tr_calls_expire(e->calls, pkt_now);
            tr_rtp_expire(e->rtp, pkt_now, on_rtp_report, e);
        }
    }
    if (reload_requested) {
        /* SIGHUP: files are reopened (log rotation moved them away). */
        reload_requested = 0;
        for (unsigned i = 0; i < e->n_outputs; i++)
            if (e->outputs[i].ops->reopen)
                e->outputs[i].ops->reopen(&e->outputs[i]);
        /* ... and the config file, when one was loaded, is loaded again. */
        if (e->config_path) {
            struct tr_err err = { 0 };
            if (tr_engine_reload(e, &err) == TR_OK)
                tr_log(TR_LOG_INFO, "SIGHUP: %s reloaded", e->config_path);
            else
                tr_log(TR_LOG_ERROR, "SIGHUP: reload refused, the old config keeps running: %s",
                       err.msg);
        }
    }
    if (e->ctl) {
        control_requests(e);
        publish_stats(e, now);
    }
    if (summary_requested) {
        summary_requested = 0;
        if (e->progress_shown)
            fputc('\n', stderr);
        tr_engine_print_summary(e, stderr);
    }
    if (e->conf.progress && current)
        show_progress(e, current);
}

static void run_file(struct tr_engine *e, struct tr_input *in)
{
    while (!stop_requested) {
        int n = in->ops->dispatch(in, TR_BATCH, process_packet, e);
        flush_outputs(e);
        if (n == -TR_E_EOF)
            break;
        if (n < 0) {
            tr_log(TR_LOG_ERROR, "%s", in->error);
            e->input_failed = true;
            break;
        }
        tick(e, in);
    }
}

/* The inputs run_live polls: live captures, HEP and HEPipe inputs that
 * have not ended. Rebuilt after a reload changed the slots. */
static unsigned live_inputs(struct tr_engine *e, struct tr_input **live, struct pollfd *pfds)
{
    unsigned n = 0;
    for (unsigned i = 0; i < e->n_inputs; i++) {
        const struct tr_input_ops *ops = e->inputs[i].ops;
        if ((ops == &tr_input_pcap_live || ops == &tr_input_hep_listen ||
             ops == &tr_input_hepipe) && !e->input_done[i]) {
            live[n] = &e->inputs[i];
            pfds[n] = (struct pollfd){ .fd = -1, .events = POLLIN };
            n++;
        }
    }
    e->inputs_changed = false;
    return n;
}

static void run_live(struct tr_engine *e)
{
    struct pollfd pfds[TR_MAX_INPUTS];
    struct tr_input *live[TR_MAX_INPUTS];
    unsigned n_live = live_inputs(e, live, pfds);
    if (n_live == 0)
        return;
    while (!stop_requested) {
        if (e->inputs_changed && (n_live = live_inputs(e, live, pfds)) == 0)
            break;
        /* A live capture that lost its interface reopens it later with
         * another fd (input/pcap.c): -1 meanwhile, which poll skips. */
        for (unsigned i = 0; i < n_live; i++)
            pfds[i].fd = live[i]->ops->fd(live[i]);
        int rc = poll(pfds, n_live, TR_POLL_MS);
        if (rc < 0 && errno != EINTR) {
            tr_log(TR_LOG_ERROR, "poll: %s", strerror(errno));
            e->input_failed = true;
            break;
        }
        /* Poll every input each round: libpcap's ring may hold packets the
         * fd no longer signals. */
        for (unsigned i = 0; i < n_live; i++) {
            for (int rounds = 0; rounds < 64; rounds++) {
                int n = live[i]->ops->dispatch(live[i], TR_BATCH, process_packet, e);
                flush_outputs(e);
                if (n == -TR_E_EOF) { /* a HEPipe on stdin ended; the others go on */
                    e->input_done[live[i] - e->inputs] = true;
                    e->inputs_changed = true;
                    break;
                }
                if (n < 0) {
                    tr_log(TR_LOG_ERROR, "%s", live[i]->error);
                    e->input_failed = true;
                    stop_requested = 1;
                }
                if (n <= 0)
                    break;
            }
        }
        tick(e, NULL);
    }
}

int tr_engine_run(struct tr_engine *e)
{
    e->started_mono_ns = tr_now_mono_ns();
    e->next_tick_ns = e->started_mono_ns + TR_TICK_NS;
    if (e->ctl) /* the API is up since open: never serve an empty snapshot */
        publish_stats(e, e->started_mono_ns);
    for (unsigned i = 0; i < e->n_inputs && !stop_requested; i++) {
        if (e->inputs[i].ops == &tr_input_pcap_file)
            run_file(e, &e->inputs[i]);
    }
    run_live(e);
    /* End of input: whole messages still held behind holes go out, partial
     * ones are counted. */
    if (e->tcp && e->rtp) {
        tr_tcp_stream_flush(e->tcp, on_tcp_msg, e);
        tr_rtp_flush(e->rtp, on_rtp_report, e);
    }
    flush_outputs(e);
    if (e->progress_shown) {
        fputc('\n', stderr);
        e->progress_shown = false;
    }

    /* Let queued messages leave before the summary counts them. */
    uint64_t deadline = tr_now_mono_ns() + (uint64_t)e->conf.drain_ms * 1000000u;
    for (unsigned i = 0; i < e->n_outputs; i++) {
        if (e->outputs[i].ops->drain(&e->outputs[i], deadline) != TR_OK)
            tr_log(TR_LOG_WARN, "%s: could not send everything within %d ms",
                   e->outputs[i].name, e->conf.drain_ms);
    }
    for (unsigned i = 0; i < e->n_outputs; i++) {
        /* close now so that unsent messages are counted before the summary */
        struct tr_output *o = &e->outputs[i];
        if (o->carrier.ops)
            o->carrier.ops->close(&o->carrier);
    }

    bool lost = false;
    for (unsigned i = 0; i < e->n_outputs; i++) {
        const struct tr_output *o = &e->outputs[i];
        const struct tr_carrier_stats *cs = &o->carrier.st;
        if (o->c.encode_errors || o->c.write_errors || cs->failed || cs->refused ||
            cs->dropped || cs->unsent)
            lost = true;
    }
    return e->input_failed || lost ? 1 : 0;
}

/* ------------------------------------------------------------ summary */

/* One table of (name, value) rows that the summary, GET /stats and GET
 * /metrics all print (control.h), so the three never disagree. Names are
 * the summary's; a row's Prometheus family is its name with '.' -> '_'
 * unless given, per-input and per-output rows carry input="..." or
 * output="..." labels (the config's name, or trawl's name for it). */
struct stats_ctx {
    struct tr_stat_table t;
};

#define ROW(t, name, v, flags) tr_stat_add((t), (name), (name), (v), (flags), (const char *)NULL)

static const char *input_label(const struct tr_engine *e, unsigned slot)
{
    const char *n = e->in_conf[slot].name;
    return n && n[0] ? n : e->inputs[slot].name;
}

static void in_row(struct tr_stat_table *t, const struct tr_input *in, const char *label,
                   const char *what, const char *metric, uint64_t v, unsigned flags,
                   const char *lk, const char *lv)
{
    char name[sizeof(in->name) + 64];
    snprintf(name, sizeof(name), "%s.%.60s", in->name, what);
    tr_stat_add(t, name, metric, v, flags, "input", label, lk, lv, (const char *)NULL);
}

static void out_row(struct tr_stat_table *t, const struct tr_output *o, const char *label,
                    const char *what, uint64_t v, unsigned flags)
{
    char name[sizeof(o->name) + 64], metric[64];
    snprintf(name, sizeof(name), "%s.%.60s", o->name, what);
    snprintf(metric, sizeof(metric), "output_%s", what);
    tr_stat_add(t, name, metric, v, flags, "output", label, (const char *)NULL);
}

static void rule_rows(void *user, const char *rule, const struct tr_rule_counters *c)
{
    struct tr_stat_table *t = user;
    const struct { const char *what; uint64_t v; unsigned flags; } rows[] = {
        {"matched", c->matched, 0},
        {"dropped", c->dropped, TR_STAT_SPARSE},
        {"sampled_out", c->sampled_out, TR_STAT_SPARSE},
        {"rate_limited", c->rate_limited, TR_STAT_SPARSE},
        {"logged", c->logged, TR_STAT_SPARSE},
        {"log_suppressed", c->log_suppressed, TR_STAT_SPARSE},
        {"lua_calls", c->lua_calls, TR_STAT_SPARSE},
        {"lua_errors", c->lua_errors, TR_STAT_SPARSE},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(rows); i++) {
        char name[160], metric[64];
        snprintf(name, sizeof(name), "rule.%s.%s", rule, rows[i].what);
        snprintf(metric, sizeof(metric), "rule_%s", rows[i].what);
        tr_stat_add(t, name, metric, rows[i].v, rows[i].flags, "rule", rule, (const char *)NULL);
    }
}

static size_t stats_table(struct tr_engine *e, struct tr_stat *items, size_t cap)
{
    struct tr_stat_table tt = { items, 0, cap }, *t = &tt;
    uint64_t kdrops = 0, ifdrops = 0;
    for (unsigned i = 0; i < e->n_inputs; i++) {
        struct tr_input *in = &e->inputs[i];
        if (!in->ops)
            continue;
        const char *lab = input_label(e, i);
        struct tr_input_stats is;
        in->ops->stats(in, &is);
        in_row(t, in, lab, "packets", "input_packets", is.packets, 0, NULL, NULL);
        in_row(t, in, lab, "bytes", "input_bytes", is.bytes, TR_STAT_NOSUMMARY, NULL, NULL);
        if (in->ops == &tr_input_pcap_live) {
            in_row(t, in, lab, "kernel_drops", "input_kernel_drops", is.kernel_drops,
                   TR_STAT_NOSUMMARY, NULL, NULL);
            in_row(t, in, lab, "interface_drops", "input_interface_drops", is.if_drops,
                   TR_STAT_NOSUMMARY, NULL, NULL);
            /* interface recovery (input/pcap.c) */
            in_row(t, in, lab, "iface_lost", "input_iface_lost", is.iface_lost, TR_STAT_SPARSE,
                   NULL, NULL);
            in_row(t, in, lab, "reopens", "input_reopens", is.reopens, TR_STAT_SPARSE, NULL,
                   NULL);
        }
        const struct tr_hep_in_stats *hs = tr_input_hep_stats(in);
        if (hs) {
            in_row(t, in, lab, "messages", "input_hep_messages", hs->messages, 0, NULL, NULL);
            for (int r = 1; r < TR_HEPIN_REASON_COUNT; r++) {
                const char *rn = tr_hep_in_reason_name((enum tr_hep_in_reason)r);
                char what[64];
                snprintf(what, sizeof(what), "rejected.%s", rn);
                in_row(t, in, lab, what, "input_hep_rejected", hs->rejected[r], 0, "reason", rn);
            }
            for (int v = 1; v <= 3; v++) {
                char what[16], ver[4];
                snprintf(what, sizeof(what), "v%d", v);
                snprintf(ver, sizeof(ver), "%d", v);
                in_row(t, in, lab, what, "input_hep_version", hs->by_version[v], TR_STAT_SPARSE,
                       "version", ver);
            }
            in_row(t, in, lab, "recv_errors", "input_recv_errors", hs->recv_errors,
                   TR_STAT_SPARSE, NULL, NULL);
            if (hs->conns_accepted || hs->conns_refused) {
                in_row(t, in, lab, "connections", "input_hep_connections", hs->conns_accepted, 0,
                       NULL, NULL);
                in_row(t, in, lab, "connections_refused", "input_hep_connections_refused",
                       hs->conns_refused, 0, NULL, NULL);
                in_row(t, in, lab, "connections_closed_bad", "input_hep_connections_closed_bad",
                       hs->conns_closed_bad, 0, NULL, NULL);
            }
        }
        const struct tr_hepipe_stats *ps = tr_input_hepipe_stats(in);
        if (ps) {
            in_row(t, in, lab, "lines", "input_hepipe_lines", ps->lines, 0, NULL, NULL);
            for (int r = 1; r < TR_HEPIPE_REASON_COUNT; r++) {
                const char *rn = tr_hepipe_reason_name((enum tr_hepipe_reason)r);
                char what[64];
                snprintf(what, sizeof(what), "rejected.%s", rn);
                in_row(t, in, lab, what, "input_hepipe_rejected", ps->rejected[r], 0, "reason",
                       rn);
            }
            in_row(t, in, lab, "read_errors", "input_read_errors", ps->read_errors,
                   TR_STAT_SPARSE, NULL, NULL);
            in_row(t, in, lab, "reopens", "input_hepipe_reopens", ps->reopens, TR_STAT_SPARSE,
                   NULL, NULL);
        }
        kdrops += is.kernel_drops;
        ifdrops += is.if_drops;
    }
    const struct tr_decode_stats *d = &e->dstats;
    ROW(t, "packets", d->frames, 0);
    ROW(t, "decoded", d->decoded, 0);
    ROW(t, "not_ip", d->not_ip, 0);
    ROW(t, "other_transport", d->other_transport, 0);
    ROW(t, "sip.messages", e->st.sip_msgs, 0);
    if (e->st.hep_in) {
        ROW(t, "hep_in.messages", e->st.hep_in, 0);
        ROW(t, "hep_in.sip", e->st.hep_in_sip, 0);
        ROW(t, "hep_in.other", e->st.hep_in_other, 0);
    }
    ROW(t, "hepipe.lines", e->st.hepipe_lines, TR_STAT_SPARSE);
    ROW(t, "sip.malformed", e->st.sip_malformed, 0);
    for (int i = 1; i < TR_SIP_DEFECT_COUNT; i++) {
        const char *dn = tr_sip_defect_name((enum tr_sip_defect)i);
        char name[128];
        snprintf(name, sizeof(name), "sip.malformed.%s", dn);
        tr_stat_add(t, name, "sip_malformed_by_defect", e->st.sip_defects[i], TR_STAT_SPARSE,
                    "defect", dn, (const char *)NULL);
    }
    ROW(t, "sip.malformed_dropped", e->st.sip_dropped_malformed, TR_STAT_SPARSE);
    ROW(t, "sip.cut_by_snaplen", e->st.sip_cut_by_capture, TR_STAT_SPARSE);
    ROW(t, "sip.non_sip_on_sip_port", e->st.non_sip_on_sip_port, 0);

    static const struct tr_tcp_stats no_tcp;   /* packet outputs only: no tables */
    static const struct tr_calls_stats no_calls;
    static const struct tr_rtp_stats no_rtp;
    const struct tr_tcp_stats *ts = e->tcp ? tr_tcp_stats(e->tcp) : &no_tcp;
    ROW(t, "tcp.segments", ts->segments, 0);
    ROW(t, "tcp.messages", ts->messages, 0);
    ROW(t, "tcp.flows", ts->flows_created, 0);
    const struct { const char *name; uint64_t v; unsigned f; } tcp_lines[] = {
        {"tcp.flows_now", ts->flows, TR_STAT_GAUGE},
        {"tcp.buffer_bytes", ts->buffer_bytes, TR_STAT_GAUGE},
        {"tcp.closed_fin", ts->flows_closed_fin, 0},
        {"tcp.closed_rst", ts->flows_closed_rst, 0},
        {"tcp.idle_expired", ts->flows_idle, 0},
        {"tcp.evicted.table_full", ts->evicted_full, 0},
        {"tcp.evicted.memory", ts->evicted_memory, 0},
        {"tcp.midstream", ts->midstream, 0},
        {"tcp.retransmissions", ts->retransmissions, 0},
        {"tcp.overlap_bytes", ts->overlap_bytes, 0},
        {"tcp.out_of_order", ts->out_of_order, 0},
        {"tcp.gaps", ts->gaps, 0},
        {"tcp.gap_bytes", ts->gap_bytes, 0},
        {"tcp.resync_skipped_bytes", ts->resync_skipped, 0},
        {"tcp.keepalive_bytes", ts->keepalive_bytes, 0},
        {"tcp.lost.too_big", ts->too_big, 0},
        {"tcp.lost.incomplete", ts->incomplete, 0},
        {"tcp.after_close", ts->after_close, 0},
        {"tcp.no_memory", ts->no_memory, 0},
        {"ws.upgrades", ts->ws_upgrades, 0},
        {"ws.midstream", ts->ws_midstream, 0},
        {"ws.messages", ts->ws_messages, 0},
        {"ws.control_frames", ts->ws_control_frames, 0},
        {"ws.errors", ts->ws_errors, 0},
        {"ws.not_sip", ts->ws_not_sip, 0},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(tcp_lines); i++)
        ROW(t, tcp_lines[i].name, tcp_lines[i].v, tcp_lines[i].f | TR_STAT_SPARSE);

    const struct tr_calls_stats *ct = e->calls ? tr_calls_stats(e->calls) : &no_calls;
    const struct tr_rtp_stats *rs = e->rtp ? tr_rtp_stats(e->rtp) : &no_rtp;
    ROW(t, "calls.created", ct->created, 0);
    ROW(t, "rtcp.packets", e->st.rtcp_packets, 0);
    ROW(t, "rtcp.correlated", e->st.rtcp_correlated, 0);
    ROW(t, "rtcp.uncorrelated", e->st.rtcp_uncorrelated, 0);
    const struct { const char *name; uint64_t v; unsigned f; } media_lines[] = {
        {"calls.now", ct->calls, TR_STAT_GAUGE},
        {"calls.ended", ct->ended, 0},
        {"calls.expired_idle", ct->expired_idle, 0},
        {"calls.evicted", ct->evicted, 0},
        {"calls.evicted_active", ct->evicted_active, 0},
        {"calls.sdp_bodies", ct->sdp_bodies, 0},
        {"calls.sdp_failures", ct->sdp_failures, 0},
        {"calls.sdp_cut", ct->sdp_cut, 0},
        {"calls.media_dropped", ct->media_dropped, 0},
        {"calls.nat_learned", ct->learned, 0},
        {"calls.nat_guessed_rtcp", ct->learned_guessed, 0},
        {"rtcp.malformed", e->st.rtcp_malformed, 0},
        {"rtcp.invalid_dropped", e->st.rtcp_invalid, 0},
        {"rtcp.not_tracked", e->st.rtcp_untracked, 0},
        {"rtp.packets", e->st.rtp_packets, 0},
        {"rtp.streams", rs->streams_created, 0},
        {"rtp.streams_evicted", rs->streams_evicted, 0},
        {"rtp.reports", e->st.rtp_reports, 0},
        {"vq.reports", e->st.vq_reports, 0},
        {"vq.unparsed", e->st.vq_unparsed, 0},
        {"json_too_big", e->st.json_too_big, 0},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(media_lines); i++)
        ROW(t, media_lines[i].name, media_lines[i].v, media_lines[i].f | TR_STAT_SPARSE);

    const struct tr_defrag_stats *r = tr_defrag_stats(e->defrag);
    ROW(t, "ip.fragments", r->fragments, 0);
    ROW(t, "ip.reassembled", r->reassembled, 0);
    ROW(t, "ip.frag_dropped.timeout", r->timeouts, TR_STAT_SPARSE);
    ROW(t, "ip.frag_dropped.evicted", r->evicted, TR_STAT_SPARSE);
    ROW(t, "ip.frag_dropped.overlap", r->overlaps, TR_STAT_SPARSE);
    ROW(t, "ip.frag_dropped.too_big", r->too_big, TR_STAT_SPARSE);
    ROW(t, "ip.frag_dropped.malformed", r->malformed, TR_STAT_SPARSE);
    ROW(t, "ip.frag_duplicates", r->duplicates, TR_STAT_SPARSE);
    ROW(t, "ip.frag_pending", r->held, TR_STAT_SPARSE | TR_STAT_GAUGE);

    uint64_t errs = 0;
    for (int i = 0; i < TR_DEC_COUNT; i++)
        for (int j = 0; j < TR_DR_COUNT; j++)
            errs += d->err[i][j];
    for (unsigned i = 1; i < TR_TUN_COUNT; i++) {
        const char *tn = tr_tunnel_name(i);
        char name[64];
        snprintf(name, sizeof(name), "decap.%s", tn);
        tr_stat_add(t, name, "decap", d->decap[i], TR_STAT_SPARSE, "tunnel", tn,
                    (const char *)NULL);
    }
    ROW(t, "decode.errors", errs, 0);
    for (int i = 0; i < TR_DEC_COUNT; i++)
        for (int j = 0; j < TR_DR_COUNT; j++)
            if (d->err[i][j]) { /* only those seen: the product is large */
                const char *dn = tr_decoder_name((enum tr_decoder_id)i);
                const char *rn = tr_decode_reason_name((enum tr_decode_reason)j);
                char name[128];
                snprintf(name, sizeof(name), "decode.%s.%s", dn, rn);
                tr_stat_add(t, name, "decode_dropped", d->err[i][j], 0, "decoder", dn,
                            "reason", rn, (const char *)NULL);
            }
    ROW(t, "kernel_drops", kdrops, 0);
    ROW(t, "interface_drops", ifdrops, TR_STAT_SPARSE);
    ROW(t, "reloads.ok", e->st.reloads_ok, TR_STAT_SPARSE);
    ROW(t, "reloads.failed", e->st.reloads_failed, TR_STAT_SPARSE);
    ROW(t, "filter_changes", e->st.filter_changes, TR_STAT_SPARSE);

    for (unsigned i = 0; i < e->n_outputs; i++) {
        const struct tr_output *o = &e->outputs[i];
        const char *lab = e->conf.outputs[i].name ? e->conf.outputs[i].name : o->name;
        out_row(t, o, lab, "written", o->c.written, 0);
        out_row(t, o, lab, "encode_errors", o->c.encode_errors, TR_STAT_SPARSE);
        out_row(t, o, lab, "write_errors", o->c.write_errors, TR_STAT_SPARSE);
        /* mirror and dump outputs (docs/mirror.md): frames not sent, by reason */
        out_row(t, o, lab, "dropped.rate", o->c.dropped_rate, TR_STAT_SPARSE);
        out_row(t, o, lab, "dropped.direction", o->c.dropped_direction, TR_STAT_SPARSE);
        out_row(t, o, lab, "dropped.linktype", o->c.dropped_linktype, TR_STAT_SPARSE);
        out_row(t, o, lab, "sliced", o->c.sliced, TR_STAT_SPARSE);
        out_row(t, o, lab, "files", o->c.files, TR_STAT_SPARSE);
        out_row(t, o, lab, "files_removed", o->c.files_removed, TR_STAT_SPARSE);
        if (o->carrier.to.proto) {
            const struct tr_carrier_stats *cs = &o->carrier.st;
            bool tcp = o->carrier.to.proto == IPPROTO_TCP;
            out_row(t, o, lab, "sent", cs->sent, 0);
            out_row(t, o, lab, "failed", cs->failed, 0);
            out_row(t, o, lab, "queue_dropped", cs->dropped, 0);
            out_row(t, o, lab, "refused", cs->refused, TR_STAT_SPARSE);
            out_row(t, o, lab, "unsent_at_exit", cs->unsent, TR_STAT_SPARSE);
            unsigned only_tcp = tcp ? 0 : TR_STAT_NOSUMMARY;
            out_row(t, o, lab, "connects", cs->connects, only_tcp);
            out_row(t, o, lab, "disconnects", cs->disconnects, only_tcp);
            out_row(t, o, lab, "queued", cs->queued, TR_STAT_GAUGE | only_tcp);
            out_row(t, o, lab, "queued_bytes", cs->queued_bytes,
                    TR_STAT_GAUGE | TR_STAT_NOSUMMARY);
        }
    }
    if (e->rules_st) { /* rules.h: per rule, trawl_rule_<counter>_total{rule="name"} */
        ROW(t, "rules.unmatched", tr_rules_unmatched(e->rules_st), 0);
        ROW(t, "rules.dropped", e->st.rules_dropped, 0);
        tr_rules_foreach(e->rules_st, rule_rows, t);
    }
    return t->n;
}

const struct tr_rules_state *tr_engine_rules_state(const struct tr_engine *e)
{
    return e->rules_st;
}

void tr_engine_print_summary(struct tr_engine *e, FILE *f)
{
    double secs = (double)(tr_now_mono_ns() - e->started_mono_ns) / 1e9;
    fprintf(f, "trawl: summary after %.3f s\n", secs);
    size_t n = stats_table(e, e->stats, TR_STATS_MAX);
    tr_stats_write_summary(f, e->stats, n);
    fflush(f);
}

/* [{"slot":0,"id":0,"name":"iface:eth0","config_name":"lan","filter":"..."}] */
static char *inputs_json(const struct tr_engine *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    struct tr_json_buf b;
    char *one = malloc(2 * TR_FILTER_MAX + 1024);
    fputc('[', f);
    bool first = true;
    for (unsigned i = 0; one && i < e->n_inputs; i++) {
        const struct tr_input *in = &e->inputs[i];
        if (!in->ops)
            continue;
        tr_json_init(&b, one, 2 * TR_FILTER_MAX + 1024);
        TR_JSON_LIT(&b, "{");
        TR_JSON_KEY(&b, "id");
        tr_json_u64(&b, in->id);
        TR_JSON_KEY(&b, "name");
        tr_json_str(&b, in->name, strlen(in->name));
        if (e->in_conf[i].name) {
            TR_JSON_KEY(&b, "config_name");
            tr_json_str(&b, e->in_conf[i].name, strlen(e->in_conf[i].name));
        }
        TR_JSON_KEY(&b, "kind");
        tr_json_str(&b, in->ops->name, strlen(in->ops->name));
        const char *uf = e->user_filter[i] ? e->user_filter[i] : "";
        TR_JSON_KEY(&b, "filter");
        tr_json_str(&b, uf, strlen(uf));
        TR_JSON_LIT(&b, "}");
        if (tr_json_finish(&b) < 0)
            continue;
        fprintf(f, "%s%s", first ? "" : ",", one);
        first = false;
    }
    fputc(']', f);
    free(one);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------ control and reload */

static bool str_eq(const char *a, const char *b)
{
    if (!a || !*a)
        return !b || !*b;
    return b && strcmp(a, b) == 0;
}

/* Same input (kept open across a reload): everything but the filter is
 * equal. Fields are compared one by one (not memcmp: padding). */
static bool input_same(const struct tr_input_conf *a, const struct tr_input_conf *b)
{
    return a->kind == b->kind && str_eq(a->name, b->name) && str_eq(a->source, b->source) &&
           a->snaplen == b->snaplen && a->promisc == b->promisc &&
           a->buffer_mb == b->buffer_mb && str_eq(a->hep_key, b->hep_key) &&
           a->hep_max_conns == b->hep_max_conns && str_eq(a->netns, b->netns) &&
           a->retry_s == b->retry_s;
}

/* Packet outputs: every field of their settings (a flowmeta server keeps
 * its port and its clients; reopening beside the old one could not bind). */
static bool packet_output_same(const struct tr_output_conf *a, const struct tr_output_conf *b)
{
    const struct tr_mirror_conf *m = &a->mirror, *n = &b->mirror;
    for (size_t i = 0; i < TR_ARRAY_LEN(m->ifaces); i++)
        if (!str_eq(m->ifaces[i], n->ifaces[i]))
            return false;
    const struct tr_flowmeta_conf *f = &a->flowmeta, *g = &b->flowmeta;
    return str_eq(m->dir, n->dir) && m->slice == n->slice && m->mbps == n->mbps &&
           str_eq(m->netns, n->netns) && m->dump_interval_s == n->dump_interval_s &&
           m->dump_size == n->dump_size && m->dump_files == n->dump_files &&
           m->dump_pcapng == n->dump_pcapng && str_eq(f->listen, g->listen) &&
           str_eq(f->log_path, g->log_path) && str_eq(f->lines_path, g->lines_path) &&
           str_eq(f->multicast, g->multicast) && f->mcast_ttl == g->mcast_ttl &&
           f->client_buf == g->client_buf && f->max_clients == g->max_clients &&
           f->first_frag == g->first_frag && f->mgen_dst == g->mgen_dst &&
           f->no_host == g->no_host;
}

/* Same output (kept open, no reconnect): HEP, JSON and the packet outputs
 * (mirror, dump, flowmeta), whose every setting is known here; any other
 * kind is reopened. */
static bool output_same(const struct tr_output_conf *a, const struct tr_output_conf *b)
{
    if (!str_eq(a->kind, b->kind) || !a->kind)
        return false;
    bool pkt = strcmp(a->kind, "mirror") == 0 || strcmp(a->kind, "dump") == 0 ||
               strcmp(a->kind, "flowmeta") == 0;
    if (!pkt && strcmp(a->kind, "hep") != 0 && strcmp(a->kind, "json") != 0)
        return false;
    if (pkt && !packet_output_same(a, b))
        return false;
    return str_eq(a->name, b->name) && str_eq(a->target, b->target) &&
           a->capture_id == b->capture_id && str_eq(a->auth_key, b->auth_key) &&
           str_eq(a->node_name, b->node_name) &&
           a->carrier.queue_bytes == b->carrier.queue_bytes &&
           a->carrier.full_wait_ms == b->carrier.full_wait_ms &&
           a->hep_restamp == b->hep_restamp && a->json_payload == b->json_payload;
}

struct reload_plan {
    int keep_in[TR_MAX_INPUTS];   /* per new input: the slot kept, or -1 */
    int new_slot[TR_MAX_INPUTS];  /* per new input: the slot opened, or -1 */
    bool slot_kept[TR_MAX_INPUTS];
    bool filter_set[TR_MAX_INPUTS]; /* per new input: its kept slot got a new filter */
    int keep_out[TR_MAX_OUTPUTS]; /* per new output: the old index kept, or -1 */
    bool out_kept[TR_MAX_OUTPUTS];
    struct tr_output newo[TR_MAX_OUTPUTS];
    struct tr_output fin[TR_MAX_OUTPUTS]; /* the outputs to be, for the live filters (views) */
    char filt[TR_MAX_INPUTS][TR_FILTER_MAX];
};

static void reload_undo(struct tr_engine *e, const struct tr_engine_conf *nc,
                        struct reload_plan *p)
{
    for (unsigned j = 0; j < nc->n_inputs; j++) {
        if (p->new_slot[j] >= 0)
            tr_input_close(&e->inputs[p->new_slot[j]]);
        if (p->filter_set[j]) {
            int s = p->keep_in[j];
            struct tr_err ignored = { 0 };
            e->inputs[s].ops->set_filter(&e->inputs[s], e->applied_filter[s], &ignored);
        }
    }
    for (unsigned j = 0; j < nc->n_outputs; j++)
        if (p->keep_out[j] < 0)
            tr_output_close(&p->newo[j]);
}

/* Builds the new pipeline beside the old and swaps it in; on error the old
 * one is untouched. Runs on the engine thread between two batches, so no
 * packet is in flight: each one is handled entirely before or after. */
static int swap_in(struct tr_engine *e, const struct tr_engine_conf *nc, struct tr_err *err)
{
    if (nc->n_inputs == 0)
        return tr_err_set(err, -TR_E_CONFIG, "the new config has no input");
    struct reload_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    int rc = TR_OK;
    for (unsigned j = 0; j < TR_MAX_INPUTS; j++)
        p->keep_in[j] = p->new_slot[j] = -1;
    for (unsigned j = 0; j < TR_MAX_OUTPUTS; j++)
        p->keep_out[j] = -1;

    /* Which inputs and outputs stay. */
    for (unsigned j = 0; j < nc->n_inputs; j++)
        for (unsigned s = 0; s < e->n_inputs && p->keep_in[j] < 0; s++)
            if (e->inputs[s].ops && !p->slot_kept[s] && input_same(&e->in_conf[s], &nc->inputs[j])) {
                p->keep_in[j] = (int)s;
                p->slot_kept[s] = true;
            }
    /* Files are read once, in order, before the live loop: they can not
     * come or go. */
    for (unsigned j = 0; j < nc->n_inputs; j++)
        if (nc->inputs[j].kind == TR_INPUT_FILE && p->keep_in[j] < 0) {
            free(p);
            return tr_err_set(err, -TR_E_CONFIG, "a reload can not add the file input %s",
                              nc->inputs[j].source);
        }
    for (unsigned s = 0; s < e->n_inputs; s++)
        if (e->inputs[s].ops == &tr_input_pcap_file && !p->slot_kept[s]) {
            free(p);
            return tr_err_set(err, -TR_E_CONFIG, "a reload can not remove the file input %s",
                              e->inputs[s].name);
        }
    for (unsigned j = 0; j < nc->n_outputs; j++)
        for (unsigned i = 0; i < e->n_outputs && p->keep_out[j] < 0; i++)
            if (!p->out_kept[i] && output_same(&e->conf.outputs[i], &nc->outputs[j])) {
                p->keep_out[j] = (int)i;
                p->out_kept[i] = true;
            }

    /* New outputs, beside the old ones. */
    flush_outputs(e);
    for (unsigned j = 0; j < nc->n_outputs; j++) {
        if (p->keep_out[j] < 0 && (rc = tr_output_open(&p->newo[j], &nc->outputs[j], err)) != TR_OK)
            goto undo;
        p->fin[j] = p->keep_out[j] >= 0 ? e->outputs[p->keep_out[j]] : p->newo[j];
    }

    /* A message output in the new config needs the message stages' tables
     * (a run that started as a pure mirror has none). */
    bool wants_messages = false;
    for (unsigned j = 0; j < nc->n_outputs; j++)
        wants_messages |= !p->fin[j].ops->packets;
    if (wants_messages && (rc = message_tables(e, err)) != TR_OK)
        goto undo;

    /* Filters (a live one excludes the new outputs' own HEP), new inputs in
     * free slots, new filters on kept inputs. */
    for (unsigned j = 0; j < nc->n_inputs; j++) {
        const struct tr_input_conf *ic = &nc->inputs[j];
        if (ic->kind == TR_INPUT_LIVE) {
            if (build_live_filter(p->fin, nc->n_outputs, ic->filter, p->filt[j], TR_FILTER_MAX) !=
                TR_OK) {
                rc = tr_err_set(err, -TR_E_CONFIG, "input %s: filter too long", ic->source);
                goto undo;
            }
        } else {
            snprintf(p->filt[j], TR_FILTER_MAX, "%s", ic->filter ? ic->filter : "");
        }
    }
    for (unsigned j = 0; j < nc->n_inputs; j++) {
        if (p->keep_in[j] >= 0)
            continue;
        int slot = -1;
        for (unsigned s = 0; s < TR_MAX_INPUTS && slot < 0; s++) {
            bool taken = e->inputs[s].ops != NULL;
            for (unsigned k = 0; k < j && !taken; k++)
                taken = p->new_slot[k] == (int)s;
            if (!taken)
                slot = (int)s;
        }
        if (slot < 0) {
            rc = tr_err_set(err, -TR_E_CONFIG, "too many inputs open at once during the reload "
                                               "(old and new together: at most %d)",
                            TR_MAX_INPUTS);
            goto undo;
        }
        struct tr_input_conf ic = nc->inputs[j];
        if (ic.kind == TR_INPUT_LIVE)
            ic.filter = p->filt[j];
        if (ic.kind == TR_INPUT_LIVE && ic.buffer_mb <= 0 && !wants_messages)
            ic.buffer_mb = TR_MIRROR_BUFFER_MB;
        e->inputs[slot].id = (uint16_t)j;
        if ((rc = tr_input_open(&e->inputs[slot], &ic, err)) != TR_OK)
            goto undo;
        p->new_slot[j] = slot;
    }
    for (unsigned j = 0; j < nc->n_inputs; j++) {
        int s = p->keep_in[j];
        if (s < 0 || (nc->inputs[j].kind != TR_INPUT_LIVE && nc->inputs[j].kind != TR_INPUT_FILE))
            continue;
        if (strcmp(p->filt[j], e->applied_filter[s]) == 0)
            continue; /* unchanged: pcap keeps its program */
        if ((rc = e->inputs[s].ops->set_filter(&e->inputs[s], p->filt[j], err)) != TR_OK)
            goto undo;
        p->filter_set[j] = true;
    }

    /* Rules: fresh state for the new rule set (counters, buckets and Lua
     * interpreters start clean; docs/rules.md). */
    struct tr_rules_state *new_rules = NULL;
    if (nc->rules && !(new_rules = tr_rules_state_new(nc->rules, err))) {
        rc = err->code;
        goto undo;
    }
    tr_rules_state_free(e->rules_st);
    e->rules_st = new_rules;

    /* The swap: nothing fails from here. Outputs in the new config's order
     * (kept ones moved, not reopened), removed ones drained and closed. */
    struct tr_output old[TR_MAX_OUTPUTS];
    unsigned n_old = e->n_outputs;
    memcpy(old, e->outputs, sizeof(old));
    memset(e->outputs, 0, sizeof(e->outputs));
    e->n_packet_outputs = 0;
    for (unsigned j = 0; j < nc->n_outputs; j++) {
        e->outputs[j] = p->keep_out[j] >= 0 ? old[p->keep_out[j]] : p->newo[j];
        if (e->outputs[j].ops->packets)
            e->packet_outputs[e->n_packet_outputs++] = (uint8_t)j;
    }
    e->n_outputs = nc->n_outputs;
    uint64_t deadline = tr_now_mono_ns() + (uint64_t)TR_RELOAD_DRAIN_MS * 1000000u;
    for (unsigned i = 0; i < n_old; i++) {
        if (p->out_kept[i])
            continue;
        if (old[i].ops->drain(&old[i], deadline) != TR_OK)
            tr_log(TR_LOG_WARN, "reload: %s: closed with messages unsent", old[i].name);
        tr_output_close(&old[i]);
    }
    /* Inputs: removed slots closed, kept and new ones take their index in
     * the new config as id. */
    for (unsigned s = 0; s < TR_MAX_INPUTS; s++) {
        bool is_new = false;
        for (unsigned j = 0; j < nc->n_inputs; j++)
            is_new |= p->new_slot[j] == (int)s;
        if (e->inputs[s].ops && !p->slot_kept[s] && !is_new) {
            tr_input_close(&e->inputs[s]);
            free(e->user_filter[s]);
            e->user_filter[s] = NULL;
            memset(&e->in_conf[s], 0, sizeof(e->in_conf[s]));
        }
    }
    unsigned top = 0;
    for (unsigned j = 0; j < nc->n_inputs; j++) {
        unsigned s = (unsigned)(p->keep_in[j] >= 0 ? p->keep_in[j] : p->new_slot[j]);
        e->inputs[s].id = (uint16_t)j;
        if (remember_input(e, s, &nc->inputs[j], p->filt[j]) != TR_OK)
            tr_log(TR_LOG_WARN, "reload: out of memory for the filter text of %s",
                   e->inputs[s].name);
        if (s + 1 > top)
            top = s + 1;
    }
    e->n_inputs = top;
    e->inputs_changed = true;
    /* The rest of the config; table sizes (defrag, TCP, calls, RTP) and the
     * control section take effect at the next start only. */
    bool progress = e->conf.progress;
    e->conf = *nc;
    e->conf.progress = progress;
    e->conf.config_path = e->config_path;
    free(p);
    return TR_OK;
undo:
    reload_undo(e, nc, p);
    free(p);
    return rc;
}

int tr_engine_reload(struct tr_engine *e, struct tr_err *err)
{
    if (!e->config_path)
        return tr_err_set(err, -TR_E_USAGE, "no config file was loaded (-c): nothing to reload");
    struct tr_config *cfg = tr_config_load_file(e->config_path, err);
    int rc = cfg ? swap_in(e, tr_config_engine(cfg), err) : (err->code ? err->code : -TR_E_CONFIG);
    if (rc != TR_OK) {
        tr_config_free(cfg);
        e->st.reloads_failed++;
        return rc;
    }
    tr_config_free(e->cfg); /* the old one: nothing points into it any more */
    e->cfg = cfg;
    e->st.reloads_ok++;
    return TR_OK;
}

/* The input an API request names: by the config's name, else trawl's. */
static int find_input(const struct tr_engine *e, const char *name)
{
    for (unsigned s = 0; s < e->n_inputs; s++)
        if (e->inputs[s].ops && e->in_conf[s].name && strcmp(e->in_conf[s].name, name) == 0)
            return (int)s;
    for (unsigned s = 0; s < e->n_inputs; s++)
        if (e->inputs[s].ops && strcmp(e->inputs[s].name, name) == 0)
            return (int)s;
    return -1;
}

static void set_filter_request(struct tr_engine *e, struct tr_control_req *r)
{
    int s = find_input(e, r->input);
    if (s < 0) {
        tr_control_done(e->ctl, r, 404, "no input named '%s'", r->input);
        return;
    }
    struct tr_input *in = &e->inputs[s];
    enum tr_input_kind kind = e->in_conf[s].kind;
    if (kind != TR_INPUT_LIVE && kind != TR_INPUT_FILE) {
        tr_control_done(e->ctl, r, 409, "%s takes no BPF filter", in->name);
        return;
    }
    char full[TR_FILTER_MAX];
    if (kind == TR_INPUT_LIVE) {
        if (build_live_filter(e->outputs, e->n_outputs, r->filter, full, sizeof(full)) != TR_OK) {
            tr_control_done(e->ctl, r, 400, "filter too long");
            return;
        }
    } else {
        snprintf(full, sizeof(full), "%s", r->filter);
    }
    char *dup = r->filter[0] ? strdup(r->filter) : NULL;
    if (r->filter[0] && !dup) {
        tr_control_done(e->ctl, r, 500, "out of memory");
        return;
    }
    struct tr_err err = { 0 };
    if (in->ops->set_filter(in, full, &err) != TR_OK) {
        free(dup);
        tr_control_done(e->ctl, r, 400, "%s", err.msg);
        return;
    }
    free(e->user_filter[s]);
    e->user_filter[s] = dup;
    snprintf(e->applied_filter[s], TR_FILTER_MAX, "%s", full);
    e->st.filter_changes++;
    tr_log(TR_LOG_INFO, "%s: filter set to '%s' (HTTP API)", in->name, r->filter);
    tr_control_done(e->ctl, r, 200, "%s: filter set to '%s'", in->name, r->filter);
}

static void control_requests(struct tr_engine *e)
{
    struct tr_control_req *r;
    while ((r = tr_control_next(e->ctl)) != NULL) {
        if (r->kind == TR_CTL_SET_FILTER) {
            set_filter_request(e, r);
            continue;
        }
        if (!e->config_path) {
            tr_control_done(e->ctl, r, 409, "no config file was loaded (-c): nothing to reload");
            continue;
        }
        struct tr_err err = { 0 };
        if (tr_engine_reload(e, &err) == TR_OK) {
            tr_log(TR_LOG_INFO, "%s reloaded (HTTP API)", e->config_path);
            tr_control_done(e->ctl, r, 200, "%s reloaded", e->config_path);
        } else {
            tr_log(TR_LOG_ERROR, "reload refused, the old config keeps running: %s", err.msg);
            tr_control_done(e->ctl, r, 400, "%s", err.msg);
        }
    }
}
