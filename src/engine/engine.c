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

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#define TR_BATCH 256
#define TR_TICK_NS 100000000ull /* 100 ms */
#define TR_POLL_MS 100
#define TR_JSON_SCRATCH 65536 /* >= TR_RTCP_JSON_MAX; larger vq bodies are counted */

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
    struct tr_rtcp rtcp;        /* scratch: large, so not on the stack */
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
    e->st.events++;
    for (unsigned i = 0; i < e->n_outputs; i++)
        if (!e->outputs[i].ops->packets)
            e->outputs[i].ops->write(&e->outputs[i], ev);
}

/* Every captured frame to the packet outputs, after decode (whatever it
 * found) and before the message stages. */
static void emit_packet(struct tr_engine *e, const struct tr_packet *pkt)
{
    struct tr_event ev = {
        .kind = TR_EV_PACKET,
        .pkt = pkt,
        .payload = {pkt->frame, pkt->caplen},
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

static void process_packet(void *user, struct tr_packet *pkt)
{
    struct tr_engine *e = user;
    e->dctx.now_ns = pkt->ts_ns;
    e->last_pkt_ns = pkt->ts_ns;
    if (pkt->linktype == TR_LINKTYPE_HEP) {
        process_hep(e, pkt);
        return;
    }
    int drc = tr_decode_packet(&e->dctx, pkt);
    if (e->n_packet_outputs)
        emit_packet(e, pkt);
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
static int build_live_filter(const struct tr_engine *e, const char *user, char *buf, size_t cap)
{
    size_t len = 0;
    int n = snprintf(buf, cap, "%s%s%s", user && user[0] ? "(" : "", user ? user : "",
                     user && user[0] ? ")" : "");
    if (n < 0 || (size_t)n >= cap)
        return -TR_E_FULL;
    len = (size_t)n;
    for (unsigned i = 0; i < e->n_outputs; i++) {
        const struct tr_carrier *c = &e->outputs[i].carrier;
        if (!c->ops)
            continue;
        char host[TR_ADDR_STRLEN];
        tr_addr_format(&c->to.addr, host, sizeof(host));
        n = snprintf(buf + len, cap - len, "%snot (%s and host %s and port %u)",
                     len ? " and " : "", c->to.proto == IPPROTO_UDP ? "udp" : "tcp", host,
                     c->to.port);
        if (n < 0 || (size_t)n >= cap - len)
            return -TR_E_FULL;
        len += (size_t)n;
    }
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
    e->tcp = tr_tcp_table_new(&conf->tcp);
    if (!e->tcp) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory for the TCP stream table");
        goto fail;
    }
    e->calls = tr_calls_new(&conf->calls);
    e->rtp = tr_rtp_table_new(&conf->rtp);
    if (!e->calls || !e->rtp) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory for the call and RTP tables");
        goto fail;
    }
    e->dctx = (struct tr_decode_ctx){ .defrag = e->defrag, .stats = &e->dstats,
                                      .conf = &e->conf.decode };

    for (unsigned i = 0; i < conf->n_outputs; i++) {
        if (tr_output_open(&e->outputs[i], &conf->outputs[i], err) != TR_OK)
            goto fail;
        if (e->outputs[i].ops->packets)
            e->packet_outputs[e->n_packet_outputs++] = (uint8_t)i;
        e->n_outputs++;
    }
    for (unsigned i = 0; i < conf->n_inputs; i++) {
        struct tr_input_conf ic = conf->inputs[i];
        char filter[4096];
        if (ic.kind == TR_INPUT_LIVE) {
            if (build_live_filter(e, ic.filter, filter, sizeof(filter)) != TR_OK) {
                tr_err_set(err, -TR_E_USAGE, "-f: filter too long");
                goto fail;
            }
            ic.filter = filter;
        }
        e->inputs[i].id = (uint16_t)i;
        if (tr_input_open(&e->inputs[i], &ic, err) != TR_OK)
            goto fail;
        e->n_inputs++;
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
    for (unsigned i = 0; i < e->n_inputs; i++)
        tr_input_close(&e->inputs[i]);
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

static void tick(struct tr_engine *e, const struct tr_input *current)
{
    uint64_t now = tr_now_mono_ns();
    if (now < e->next_tick_ns && !summary_requested && !reload_requested)
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
        tr_tcp_stream_expire(e->tcp, pkt_now, on_tcp_msg, e);
        tr_calls_expire(e->calls, pkt_now);
        tr_rtp_expire(e->rtp, pkt_now, on_rtp_report, e);
    }
    if (reload_requested) {
        /* SIGHUP: files are reopened (log rotation moved them away). */
        reload_requested = 0;
        for (unsigned i = 0; i < e->n_outputs; i++)
            if (e->outputs[i].ops->reopen)
                e->outputs[i].ops->reopen(&e->outputs[i]);
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

static void run_live(struct tr_engine *e)
{
    struct pollfd pfds[TR_MAX_INPUTS];
    struct tr_input *live[TR_MAX_INPUTS];
    unsigned n_live = 0;
    for (unsigned i = 0; i < e->n_inputs; i++) {
        if (e->inputs[i].ops == &tr_input_pcap_live || e->inputs[i].ops == &tr_input_hep_listen) {
            live[n_live] = &e->inputs[i];
            pfds[n_live] = (struct pollfd){ .fd = e->inputs[i].ops->fd(&e->inputs[i]),
                                            .events = POLLIN };
            n_live++;
        }
    }
    if (n_live == 0)
        return;
    while (!stop_requested) {
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
    for (unsigned i = 0; i < e->n_inputs && !stop_requested; i++) {
        if (e->inputs[i].ops == &tr_input_pcap_file)
            run_file(e, &e->inputs[i]);
    }
    run_live(e);
    /* End of input: whole messages still held behind holes go out, partial
     * ones are counted. */
    tr_tcp_stream_flush(e->tcp, on_tcp_msg, e);
    tr_rtp_flush(e->rtp, on_rtp_report, e);
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

static void put(FILE *f, const char *name, uint64_t v)
{
    fprintf(f, "  %-44s %llu\n", name, (unsigned long long)v);
}

static void put2(FILE *f, const char *a, const char *b, uint64_t v)
{
    char name[256];
    snprintf(name, sizeof(name), "%s.%s", a, b);
    put(f, name, v);
}

void tr_engine_print_summary(struct tr_engine *e, FILE *f)
{
    double secs = (double)(tr_now_mono_ns() - e->started_mono_ns) / 1e9;
    fprintf(f, "trawl: summary after %.3f s\n", secs);
    uint64_t kdrops = 0, ifdrops = 0;
    for (unsigned i = 0; i < e->n_inputs; i++) {
        struct tr_input *in = &e->inputs[i];
        if (!in->ops)
            continue;
        struct tr_input_stats is;
        in->ops->stats(in, &is);
        put2(f, in->name, "packets", is.packets);
        const struct tr_hep_in_stats *hs = tr_input_hep_stats(in);
        if (hs) {
            put2(f, in->name, "messages", hs->messages);
            for (int r = 1; r < TR_HEPIN_REASON_COUNT; r++) {
                char what[64];
                snprintf(what, sizeof(what), "rejected.%s",
                         tr_hep_in_reason_name((enum tr_hep_in_reason)r));
                put2(f, in->name, what, hs->rejected[r]);
            }
            for (int v = 1; v <= 3; v++)
                if (hs->by_version[v]) {
                    char what[16];
                    snprintf(what, sizeof(what), "v%d", v);
                    put2(f, in->name, what, hs->by_version[v]);
                }
            if (hs->recv_errors)
                put2(f, in->name, "recv_errors", hs->recv_errors);
            if (hs->conns_accepted || hs->conns_refused) {
                put2(f, in->name, "connections", hs->conns_accepted);
                put2(f, in->name, "connections_refused", hs->conns_refused);
                put2(f, in->name, "connections_closed_bad", hs->conns_closed_bad);
            }
        }
        kdrops += is.kernel_drops;
        ifdrops += is.if_drops;
    }
    const struct tr_decode_stats *d = &e->dstats;
    put(f, "packets", d->frames);
    put(f, "decoded", d->decoded);
    put(f, "not_ip", d->not_ip);
    put(f, "other_transport", d->other_transport);
    put(f, "sip.messages", e->st.sip_msgs);
    if (e->st.hep_in) {
        put(f, "hep_in.messages", e->st.hep_in);
        put(f, "hep_in.sip", e->st.hep_in_sip);
        put(f, "hep_in.other", e->st.hep_in_other);
    }
    put(f, "sip.malformed", e->st.sip_malformed);
    for (int i = 1; i < TR_SIP_DEFECT_COUNT; i++)
        if (e->st.sip_defects[i])
            put2(f, "sip.malformed", tr_sip_defect_name((enum tr_sip_defect)i),
                 e->st.sip_defects[i]);
    if (e->st.sip_dropped_malformed)
        put(f, "sip.malformed_dropped", e->st.sip_dropped_malformed);
    if (e->st.sip_cut_by_capture)
        put(f, "sip.cut_by_snaplen", e->st.sip_cut_by_capture);
    put(f, "sip.non_sip_on_sip_port", e->st.non_sip_on_sip_port);

    const struct tr_tcp_stats *t = tr_tcp_stats(e->tcp);
    put(f, "tcp.segments", t->segments);
    put(f, "tcp.messages", t->messages);
    put(f, "tcp.flows", t->flows_created);
    const struct { const char *name; uint64_t v; } tcp_lines[] = {
        {"tcp.flows_now", t->flows},
        {"tcp.buffer_bytes", t->buffer_bytes},
        {"tcp.closed_fin", t->flows_closed_fin},
        {"tcp.closed_rst", t->flows_closed_rst},
        {"tcp.idle_expired", t->flows_idle},
        {"tcp.evicted.table_full", t->evicted_full},
        {"tcp.evicted.memory", t->evicted_memory},
        {"tcp.midstream", t->midstream},
        {"tcp.retransmissions", t->retransmissions},
        {"tcp.overlap_bytes", t->overlap_bytes},
        {"tcp.out_of_order", t->out_of_order},
        {"tcp.gaps", t->gaps},
        {"tcp.gap_bytes", t->gap_bytes},
        {"tcp.resync_skipped_bytes", t->resync_skipped},
        {"tcp.keepalive_bytes", t->keepalive_bytes},
        {"tcp.lost.too_big", t->too_big},
        {"tcp.lost.incomplete", t->incomplete},
        {"tcp.after_close", t->after_close},
        {"tcp.no_memory", t->no_memory},
        {"ws.upgrades", t->ws_upgrades},
        {"ws.midstream", t->ws_midstream},
        {"ws.messages", t->ws_messages},
        {"ws.control_frames", t->ws_control_frames},
        {"ws.errors", t->ws_errors},
        {"ws.not_sip", t->ws_not_sip},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(tcp_lines); i++)
        if (tcp_lines[i].v)
            put(f, tcp_lines[i].name, tcp_lines[i].v);

    const struct tr_calls_stats *ct = tr_calls_stats(e->calls);
    const struct tr_rtp_stats *rs = tr_rtp_stats(e->rtp);
    put(f, "calls.created", ct->created);
    put(f, "rtcp.packets", e->st.rtcp_packets);
    put(f, "rtcp.correlated", e->st.rtcp_correlated);
    put(f, "rtcp.uncorrelated", e->st.rtcp_uncorrelated);
    const struct { const char *name; uint64_t v; } media_lines[] = {
        {"calls.now", ct->calls},
        {"calls.ended", ct->ended},
        {"calls.expired_idle", ct->expired_idle},
        {"calls.evicted", ct->evicted},
        {"calls.evicted_active", ct->evicted_active},
        {"calls.sdp_bodies", ct->sdp_bodies},
        {"calls.sdp_failures", ct->sdp_failures},
        {"calls.sdp_cut", ct->sdp_cut},
        {"calls.media_dropped", ct->media_dropped},
        {"calls.nat_learned", ct->learned},
        {"calls.nat_guessed_rtcp", ct->learned_guessed},
        {"rtcp.malformed", e->st.rtcp_malformed},
        {"rtcp.invalid_dropped", e->st.rtcp_invalid},
        {"rtcp.not_tracked", e->st.rtcp_untracked},
        {"rtp.packets", e->st.rtp_packets},
        {"rtp.streams", rs->streams_created},
        {"rtp.streams_evicted", rs->streams_evicted},
        {"rtp.reports", e->st.rtp_reports},
        {"vq.reports", e->st.vq_reports},
        {"vq.unparsed", e->st.vq_unparsed},
        {"json_too_big", e->st.json_too_big},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(media_lines); i++)
        if (media_lines[i].v)
            put(f, media_lines[i].name, media_lines[i].v);

    const struct tr_defrag_stats *r = tr_defrag_stats(e->defrag);
    put(f, "ip.fragments", r->fragments);
    put(f, "ip.reassembled", r->reassembled);
    if (r->timeouts) put(f, "ip.frag_dropped.timeout", r->timeouts);
    if (r->evicted) put(f, "ip.frag_dropped.evicted", r->evicted);
    if (r->overlaps) put(f, "ip.frag_dropped.overlap", r->overlaps);
    if (r->too_big) put(f, "ip.frag_dropped.too_big", r->too_big);
    if (r->malformed) put(f, "ip.frag_dropped.malformed", r->malformed);
    if (r->duplicates) put(f, "ip.frag_duplicates", r->duplicates);
    if (r->held) put(f, "ip.frag_pending", r->held);

    uint64_t errs = 0;
    for (int i = 0; i < TR_DEC_COUNT; i++)
        for (int j = 0; j < TR_DR_COUNT; j++)
            errs += d->err[i][j];
    for (unsigned i = 1; i < TR_TUN_COUNT; i++)
        if (d->decap[i])
            put2(f, "decap", tr_tunnel_name(i), d->decap[i]);
    put(f, "decode.errors", errs);
    for (int i = 0; i < TR_DEC_COUNT; i++)
        for (int j = 0; j < TR_DR_COUNT; j++)
            if (d->err[i][j]) {
                char name[128];
                snprintf(name, sizeof(name), "decode.%s.%s",
                         tr_decoder_name((enum tr_decoder_id)i),
                         tr_decode_reason_name((enum tr_decode_reason)j));
                put(f, name, d->err[i][j]);
            }
    put(f, "kernel_drops", kdrops);
    if (ifdrops)
        put(f, "interface_drops", ifdrops);

    for (unsigned i = 0; i < e->n_outputs; i++) {
        const struct tr_output *o = &e->outputs[i];
        put2(f, o->name, "written", o->c.written);
        if (o->c.encode_errors)
            put2(f, o->name, "encode_errors", o->c.encode_errors);
        if (o->c.write_errors)
            put2(f, o->name, "write_errors", o->c.write_errors);
        if (o->carrier.to.proto) {
            const struct tr_carrier_stats *cs = &o->carrier.st;
            put2(f, o->name, "sent", cs->sent);
            put2(f, o->name, "failed", cs->failed);
            put2(f, o->name, "queue_dropped", cs->dropped);
            if (cs->refused)
                put2(f, o->name, "refused", cs->refused);
            if (cs->unsent)
                put2(f, o->name, "unsent_at_exit", cs->unsent);
            if (o->carrier.to.proto == IPPROTO_TCP) {
                put2(f, o->name, "connects", cs->connects);
                put2(f, o->name, "disconnects", cs->disconnects);
                put2(f, o->name, "queued", cs->queued);
            }
        }
    }
    fflush(f);
}
