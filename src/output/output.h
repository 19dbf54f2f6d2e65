/* output.h - outputs turn events into bytes of their format (HEP v3, JSON
 * lines) and hand them to a carrier or a file.
 *
 * write() is called once per event and must not block for long: what cannot
 * go out now is queued or dropped, and either way counted. flush() runs once
 * per input batch; that is where batching pays (one sendmmsg, one write).
 * Event views are borrowed: an output copies (encodes) what it keeps before
 * write() returns.
 */
#ifndef TRAWL_OUTPUT_H
#define TRAWL_OUTPUT_H

#include "../core/core.h"
#include "../net/net.h"
#include "../proto/proto.h"

#include <stdio.h>

enum tr_event_kind {
    TR_EV_SIP,       /* a SIP message */
    TR_EV_RTCP,      /* an RTCP compound packet; payload is its JSON body (HEP type 5) */
    TR_EV_VQ,        /* a vq-rtcpxr report (RFC 6035) from a SIP PUBLISH; payload is its text */
    TR_EV_RTP_STATS, /* RTP stream statistics; payload is their JSON (HEP type 99) */
    TR_EV_HEP,       /* a non-SIP message received from a HEP input; json describes it */
};

struct tr_event {
    enum tr_event_kind kind;
    const struct tr_packet *pkt;
    const struct tr_sip_msg *sip; /* parsed fields; sip->defect says if malformed */
    struct tr_bytes payload;      /* the message as captured */
    uint8_t hep_proto_type;       /* TR_HEP_PROTO_* */
    struct tr_str corr_id;        /* empty for SIP (the Call-ID is in the payload);
                                   * otherwise the call's Call-ID, empty if unknown */
    bool websocket;               /* SIP that came over WebSocket (RFC 7118) */
    struct tr_bytes json;         /* not SIP: the event as a JSON object, for JSON lines */
    /* Events received from a HEP input (input.h): the decoded message (views
     * into the received bytes) and, for v3, the whole frame as received. The
     * HEP output relays hep_raw unchanged (v1/v2: re-encoded as v3 from hep),
     * or re-encodes with its own capture id/node/key with hep_restamp. */
    const struct tr_hep_fields *hep;
    struct tr_bytes hep_raw;
};

struct tr_output_conf {
    const char *kind;      /* "hep", "json" */
    const char *target;    /* hep: "udp:HOST:PORT"; json: a path or "-" */
    /* hep */
    uint32_t capture_id;
    const char *auth_key;  /* NULL: no chunk 0x0e */
    const char *node_name; /* NULL: no chunk 0x13 */
    struct tr_carrier_conf carrier;
    bool hep_restamp;      /* HEP-input events: our capture id/node/key, not the sender's */
    /* json */
    bool json_payload;
};

struct tr_output_counters {
    uint64_t events;       /* offered to write() */
    uint64_t written;      /* encoded and queued or written */
    uint64_t encode_errors; /* could not be encoded (e.g. larger than a HEP frame) */
    uint64_t write_errors;  /* file writes that failed */
};

struct tr_output;

struct tr_output_ops {
    const char *kind;
    int (*open)(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err);
    void (*write)(struct tr_output *out, const struct tr_event *ev);
    void (*flush)(struct tr_output *out);
    void (*tick)(struct tr_output *out, uint64_t now_mono_ns);
    /* Offline end: wait up to deadline for queued data to leave. TR_OK or -TR_E_AGAIN. */
    int (*drain)(struct tr_output *out, uint64_t deadline_mono_ns);
    void (*close)(struct tr_output *out);
};

struct tr_output {
    const struct tr_output_ops *ops;
    char name[160];                /* "hep udp:127.0.0.1:9060", "json -" */
    struct tr_output_counters c;
    struct tr_carrier carrier;     /* hep only; carrier.ops == NULL for file outputs */
    void *priv;
};

extern const struct tr_output_ops tr_output_hep;
extern const struct tr_output_ops tr_output_json;

/* Opens the output of conf->kind. On failure out is left closed. */
int tr_output_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err);
void tr_output_close(struct tr_output *out); /* accepts a closed output */

/* Writes one event as a JSON object (no newline) and a NUL into buf; returns
 * the length without the NUL or -TR_E_FULL. Shared by the JSON output and tools. */
int tr_json_format_event(const struct tr_event *ev, bool with_payload, char *buf, size_t cap);

#endif
