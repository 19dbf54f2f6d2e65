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
    TR_EV_PACKET,    /* a captured frame, decoded as far as it goes (packet outputs only):
                      * payload is the whole frame as captured; pkt->flags say whether it
                      * is an IP fragment (held) or completed a datagram (reassembled) */
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
    const char *name;      /* the config's name for it (rules route by name); NULL from the CLI */
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
    /* true: the output gets TR_EV_PACKET for every captured frame (mirrors,
     * pcap dumps, flow metadata) and no message events; false: message
     * events (SIP, RTCP, reports) only. */
    bool packets;
    int (*open)(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err);
    void (*write)(struct tr_output *out, const struct tr_event *ev);
    void (*flush)(struct tr_output *out);
    void (*tick)(struct tr_output *out, uint64_t now_mono_ns);
    /* Offline end: wait up to deadline for queued data to leave. TR_OK or -TR_E_AGAIN. */
    int (*drain)(struct tr_output *out, uint64_t deadline_mono_ns);
    void (*close)(struct tr_output *out);
    /* Optional (NULL: nothing to do): SIGHUP, reopen files by name after
     * log rotation moved them. Runs between batches. */
    void (*reopen)(struct tr_output *out);
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

/* ======================================================= Flow metadata
 * (flowmeta_fmt.c) PCapper-compatible per-packet metadata (issue 9; Fortian
 * mwmg pcapper.c logpkt/blastpacket, ftfm.h struct wire; docs/flowmeta.md).
 * Pure formatters: they read the decoded packet and write into the caller's
 * buffer, never past cap, and never allocate. ip_len is the IP datagram's
 * length (IPv4 total length; IPv6 40 + payload length; a reassembled
 * datagram's full length); flow_id the MGEN flow id or 0. Ports are printed
 * for TCP, UDP and SCTP and are 0 for every other IP protocol. */

#define TR_FLOWMETA_REC_LEN 28   /* PCapper's binary record */
#define TR_FLOWMETA_LINE_MAX 160 /* longest line (IPv6) with its newline and a NUL */

enum tr_flowmeta_host {
    TR_FLOWMETA_HOST_CPU = 1, /* flow id 0xFFFFFFFF, length = CPU jiffies in the second */
    TR_FLOWMETA_HOST_MEM = 2, /* flow id 0xFFFFFFFE, length = used memory KiB >> 8 */
};

/* "sec.usec:src:sport:dst:dport:len:flowid:proto\n" and a NUL: byte for
 * byte PCapper's line for IPv4; IPv6 addresses in brackets. Returns the
 * length without the NUL, -TR_E_UNSUPPORTED when the packet has no IP
 * address family, -TR_E_FULL when cap is too small (nothing useful written;
 * cap >= TR_FLOWMETA_LINE_MAX always suffices). */
int tr_flowmeta_line(const struct tr_packet *pkt, uint32_t ip_len, uint32_t flow_id, char *buf,
                     size_t cap);

/* PCapper's 28-byte record (network order). Returns TR_FLOWMETA_REC_LEN,
 * -TR_E_UNSUPPORTED for IPv6 (the record has 32-bit address fields), or
 * -TR_E_FULL. ip_len above 65535 is written as 65535. */
int tr_flowmeta_record(const struct tr_packet *pkt, uint32_t ip_len, uint32_t flow_id,
                       uint8_t *buf, size_t cap);

/* The per-second host records PCapper sends (and logs) besides packets:
 * addresses and ports 1 (CPU) or 2 (memory), proto 61. ts_ns is the time of
 * the sample. Same returns as the two functions above. */
int tr_flowmeta_host_record(enum tr_flowmeta_host kind, uint64_t ts_ns, uint16_t value,
                            uint8_t *buf, size_t cap);
int tr_flowmeta_host_line(enum tr_flowmeta_host kind, uint64_t ts_ns, uint16_t value, char *buf,
                          size_t cap);

#endif
