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
    TR_EV_LOG,       /* a log line from a HEPipe input (HEP type 100); payload is its text,
                      * corr_id the line's correlation id, json {"data":"<text>"} */
};

/* A label a rule attached to a message (rules.h; JSON "tags", CSV "tags"). */
struct tr_tag {
    struct tr_str key, value;
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
    /* Tags set by the rules (rules.h) that routed the event; views valid
     * during write(). n_tags 0 without rules. */
    const struct tr_tag *tags;
    unsigned n_tags;
    int decode_rc; /* TR_EV_PACKET: tr_decode_packet's return for the frame */
};

/* The flow metadata output (flowmeta.c, docs/flowmeta.md). Strings are
 * borrowed for the duration of open(). */
struct tr_flowmeta_conf {
    const char *listen;     /* "[ADDR:]PORT" TCP server for recollect clients; NULL: none */
    const char *log_path;   /* text log written only while a client is connected; NULL: none */
    const char *lines_path; /* every text line, always (a path or "-"); NULL: none */
    const char *multicast;  /* "GROUP:PORT" UDP publication of the records; NULL: none */
    unsigned mcast_ttl;     /* 0: 1 */
    size_t client_buf;      /* bytes queued per client before it loses records; 0: 1 MiB */
    unsigned max_clients;   /* 0: 1024 */
    bool first_frag;        /* PCapper-exact: account a fragmented datagram at its first fragment */
    bool mgen_dst;          /* also require PCapper's dstAddr/dstPort match for the MGEN flow id */
    bool no_host;           /* no per-second CPU and memory records */
};

/* The mirror and dump outputs (mirror.c, pcapdump.c, docs/mirror.md).
 * mirror target: "gre:..", "vxlan:..", "zmq:.." (tr_mirror_spec_parse);
 * dump target: a directory. Strings are borrowed for the duration of open(). */
struct tr_mirror_conf {
    const char *dir;          /* direction: NULL/"none", "auto", "host_ADDR", "nic.IFACE" */
    uint32_t slice;           /* bytes of each frame kept; 0: whole (a spec's slice= wins) */
    double mbps;              /* rate limit in Mbit/s; 0: none (a spec's mbps= wins) */
    const char *ifaces[16];   /* live interface of each input id (direction auto), or NULL */
    const char *netns;        /* capture namespace: interfaces are looked up there */
    uint32_t dump_interval_s; /* dump: new file every N seconds of packet time; 0: never */
    uint64_t dump_size;       /* dump: new file past this many bytes; 0: no cap */
    unsigned dump_files;      /* dump: keep at most this many files; 0: all */
    bool dump_pcapng;         /* dump: pcapng instead of pcap */
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
    /* flowmeta */
    struct tr_flowmeta_conf flowmeta;
    /* mirror, dump */
    struct tr_mirror_conf mirror;
};

struct tr_output_counters {
    uint64_t events;       /* offered to write() */
    uint64_t written;      /* encoded and queued or written */
    uint64_t encode_errors; /* could not be encoded (e.g. larger than a HEP frame) */
    uint64_t write_errors;  /* file writes that failed */
    /* packet outputs (mirror, dump): frames not sent, by reason; not "lost" */
    uint64_t dropped_rate;      /* over the rate limit (--mbps) */
    uint64_t dropped_direction; /* direction unknown (host/nic modes), as packet-agent */
    uint64_t dropped_linktype;  /* not Ethernet: cannot be bridged (GRE/VXLAN) */
    uint64_t sliced;            /* cut to the slice length */
    uint64_t files;             /* dump: files opened */
    uint64_t files_removed;     /* dump: old files removed past the cap */
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
extern const struct tr_output_ops tr_output_mirror; /* mirror.c: GRE, VXLAN, ZMQ */
extern const struct tr_output_ops tr_output_dump;   /* pcapdump.c: rotating pcap/pcapng */
extern const struct tr_output_ops tr_output_flowmeta; /* flowmeta.c, kind "flowmeta" */
extern const struct tr_output_ops tr_output_csv;

/* CSV output (csv.c, docs/csv.md): the header line (no newline) and one row
 * for ev (no newline, NUL after). Returns the length or -TR_E_FULL. */
extern const char tr_csv_header[];
int tr_csv_format_event(const struct tr_event *ev, char *buf, size_t cap);

/* (event.c) The names every text output and the rules use: "sip", "rtcp",
 * "vq", "rtp_stats", "hep", "log", "packet"; "tcp", "udp", "sctp", else "ip". */
const char *tr_event_kind_name(enum tr_event_kind k);
const char *tr_transport_name(uint8_t ip_proto);

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

/* (flowmeta.c) The text line of one received 28-byte record, as PCapper's
 * logpkt prints it (host records included). rec_len must be at least
 * TR_FLOWMETA_REC_LEN; bytes after the record are ignored (later versions
 * may append). Returns the length without the NUL, -TR_E_TRUNCATED or
 * -TR_E_FULL. Used by `trawl recollect`. */
int tr_flowmeta_record_line(const uint8_t *rec, size_t rec_len, char *buf, size_t cap);

/* (flowmeta_select.c) PCapper's traffic selection modes as a BPF filter
 * built from iface's MAC and addresses: "src" (ether src MAC), "dst" (not
 * ether src MAC), "spoof" (src IP or any of its IPv6 addresses, and not
 * ether src MAC). user_filter (NULL or empty: none) is and-ed on. Returns
 * TR_OK, or -TR_E_USAGE / -TR_E_FULL with err set. */
int tr_flowmeta_mode_filter(const char *mode, const char *iface, const char *user_filter,
                            char *buf, size_t cap, struct tr_err *err);

/* ======================================================= Mirror
 * (mirror_fmt.c, mirror.c) Whole captured frames to a remote probe in GRE
 * (RFC 2890 key, payload 0x6558), VXLAN (RFC 7348) or over ZMQ (a PUSH
 * socket, one message per frame: the GRE header and the frame), with
 * packet-agent's direction bits (docs/mirror.md). */

enum tr_mirror_encap { TR_MIRROR_GRE = 1, TR_MIRROR_VXLAN, TR_MIRROR_ZMQ };

#define TR_MIRROR_HDR_LEN 8 /* GRE with key, and VXLAN: both 8 bytes */

struct tr_mirror_spec {
    enum tr_mirror_encap encap;
    char host[256];   /* address or name, no brackets */
    uint16_t port;    /* vxlan: UDP port (4789); zmq: TCP port */
    uint32_t key;     /* GRE key (28 bits) / VNI (24 bits); default 1 as packet-agent */
    uint32_t slice;   /* valid with has_slice */
    double mbps;      /* valid with has_mbps */
    bool has_slice, has_mbps;
};

/* "gre:HOST[:KEY]", "vxlan:HOST[:PORT[:VNI]]", "zmq:tcp://HOST:PORT", IPv6
 * HOST in brackets, then options ",slice=N,mbps=X,key=N" (vni= for key=). */
int tr_mirror_spec_parse(const char *spec, struct tr_mirror_spec *out, struct tr_err *err);
/* A rate in Mbit/s as --mbps and the config take it: a decimal like 10 or
 * 2.5, > 0 and <= 100000 (no sign, no exponent). */
bool tr_mirror_mbps_parse(const char *s, double *out);

/* Writes the 8-byte header; dir 0 leaves key/VNI as configured, 1 (in) or
 * 2 (out) goes into the high 4 bits. */
size_t tr_mirror_gre_hdr(uint8_t out[TR_MIRROR_HDR_LEN], uint32_t key, int dir);
size_t tr_mirror_vxlan_hdr(uint8_t out[TR_MIRROR_HDR_LEN], uint32_t vni, int dir);
uint32_t tr_mirror_slice_len(uint32_t caplen, uint32_t slice); /* slice 0: whole */

#define TR_MIRROR_DIR_NONCHECK 0
#define TR_MIRROR_DIR_IN 1
#define TR_MIRROR_DIR_OUT 2
#define TR_MIRROR_DIR_UNKNOWN (-1)
#define TR_MIRROR_MAX_IFACES 16
#define TR_MIRROR_DIR_MAX_ADDRS 16

enum tr_mirror_dir_mode { TR_MIRROR_DIR_NONE, TR_MIRROR_DIR_AUTO, TR_MIRROR_DIR_HOST };

struct tr_mirror_dir {
    enum tr_mirror_dir_mode mode;
    struct tr_addr addrs[TR_MIRROR_DIR_MAX_ADDRS]; /* host_ADDR / nic.IFACE */
    unsigned n_addrs;
    uint8_t macs[TR_MIRROR_MAX_IFACES][6];         /* auto: each input's own MAC */
    bool has_mac[TR_MIRROR_MAX_IFACES];
};

/* "none", "auto", "host_ADDR", "nic.IFACE" (its addresses, looked up now). */
int tr_mirror_dir_parse(const char *s, struct tr_mirror_dir *d, struct tr_err *err);
/* auto: learns the MAC of the interface input_id captures on; -1 if unknown. */
int tr_mirror_dir_set_iface(struct tr_mirror_dir *d, unsigned input_id, const char *ifname);
/* TR_MIRROR_DIR_*: auto by source MAC, host by addresses (src ours: out). */
int tr_mirror_direction(const struct tr_mirror_dir *d, const struct tr_packet *pkt);
/* The IPv4/IPv6 addresses of an interface (up to cap); -1 when none. */
int tr_iface_addrs(const char *name, struct tr_addr *addrs, unsigned cap, unsigned *n_out);

/* Token bucket in bytes on a caller-given clock (packet time). burst 0:
 * 50 ms of the rate, at least one 64 KiB frame. */
#define TR_TOKEN_BUCKET_MAX_BURST (16ull << 30)
struct tr_token_bucket {
    uint64_t rate_bps; /* bytes per second */
    uint64_t burst;    /* bytes */
    uint64_t tokens;   /* bytes x 1e9 */
    uint64_t last_ns;
    bool started;
};
void tr_token_bucket_init(struct tr_token_bucket *tb, double mbps, uint64_t burst_bytes);
/* true (and the bytes taken) when the bucket holds them; false: drop. */
bool tr_token_bucket_take(struct tr_token_bucket *tb, uint64_t now_ns, uint32_t bytes);

/* ======================================================= Pcap dump
 * (pcapdump.c) The file name of a dump started at ts_ns (UTC):
 * "trawl-YYYYmmddTHHMMSS.uuuuuuZ.pcap" (".pcapng"). */
int tr_dump_file_name(uint64_t ts_ns, bool pcapng, char *buf, size_t cap);
/* --dump-format and the config's format: "pcap" or "pcapng"; false otherwise. */
bool tr_dump_format_parse(const char *s, bool *pcapng);

#endif
