/* input.h - packet sources. An input hands out packets in batches through a
 * callback; the packet's bytes are valid only during the callback (libpcap's
 * ring slot or file buffer), so everything downstream copies what it keeps
 * before the callback returns. The engine flushes outputs after each batch.
 */
#ifndef TRAWL_INPUT_H
#define TRAWL_INPUT_H

#include "../core/core.h"
#include "../proto/proto.h"

enum tr_input_kind { TR_INPUT_FILE, TR_INPUT_LIVE, TR_INPUT_HEP, TR_INPUT_HEPIPE };

/* Link type of packets from a HEP input: frame is one whole HEP v1/v2/v3
 * message as received (not a link-layer frame); the engine decodes it with
 * tr_hep_decode instead of the decode graph. Outside the DLT/LINKTYPE range. */
#define TR_LINKTYPE_HEP 0x48455000
/* Link type of packets from a HEPipe input: frame is one log line (no
 * newline) that tr_hepipe_parse_line accepted. */
#define TR_LINKTYPE_HEPIPE 0x48455001

struct tr_input_conf {
    const char *name;    /* the config's name for it (API, rules); NULL from the CLI */
    enum tr_input_kind kind;
    const char *source;  /* file path, "-" for stdin, or interface name */
    const char *filter;  /* BPF expression or NULL */
    int snaplen;         /* 0: 262144 */
    bool promisc;
    int buffer_mb;       /* live: kernel ring size; 0: 32 */
    const char *netns;   /* live: capture in this network namespace (net.h tr_netns_enter) */
    int retry_s;         /* live: recheck a missing or down interface every N s; 0: 2 */
    /* hep (source is "udp:HOST:PORT", "tcp:HOST:PORT", "udp:PORT" = 127.0.0.1) */
    const char *hep_key; /* required auth key (chunk 0x0e); NULL: none required */
    unsigned hep_max_conns; /* tcp: connections at once; 0: 64 */
};

struct tr_input_stats {
    uint64_t packets;      /* handed out */
    uint64_t bytes;        /* captured bytes handed out */
    uint64_t kernel_drops; /* live: dropped by the kernel (ring full) */
    uint64_t if_drops;     /* live: dropped by the interface/driver */
    uint64_t iface_lost;   /* live: times the interface went away or down (capture paused) */
    uint64_t reopens;      /* live: times capture resumed on it */
    uint64_t file_size;    /* file: size in bytes if known, for progress */
    uint64_t file_pos;     /* file: bytes read so far */
};

struct tr_input;

/* Called once per packet; pkt->frame is valid only during the call. */
typedef void (*tr_packet_cb)(void *user, struct tr_packet *pkt);

struct tr_input_ops {
    const char *name; /* "pcap-file", "pcap-live" */
    int (*open)(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err);
    /* Delivers up to max packets. Returns the number delivered (0: none ready),
     * -TR_E_EOF at the end of a file, or another -TR_E_* with in->error set. */
    int (*dispatch)(struct tr_input *in, int max, tr_packet_cb cb, void *user);
    int (*fd)(const struct tr_input *in); /* pollable fd, or -1 */
    void (*stats)(struct tr_input *in, struct tr_input_stats *out);
    int (*set_filter)(struct tr_input *in, const char *filter, struct tr_err *err);
    void (*close)(struct tr_input *in);
};

struct tr_input {
    const struct tr_input_ops *ops;
    char name[256];         /* "file:x.pcap", "iface:eth0" */
    uint16_t id;
    char error[512];        /* the last runtime error, for the summary */
    void *priv;
};

extern const struct tr_input_ops tr_input_pcap_file;
extern const struct tr_input_ops tr_input_pcap_live;
extern const struct tr_input_ops tr_input_hep_listen;
extern const struct tr_input_ops tr_input_hepipe;

/* ------------------------------------------------------------ HEP input
 * (hep_listen.c) HEP v1/v2/v3 from other agents over UDP (v1/v2/v3) or TCP
 * (v3 only: v1/v2 carry no length, so a stream of them cannot be cut). Every
 * message or stream that is refused is counted under one reason. */

enum tr_hep_in_reason {
    TR_HEPIN_OK,
    TR_HEPIN_NOT_HEP,      /* neither "HEP3" nor version byte 1/2 */
    TR_HEPIN_TRUNCATED,    /* shorter than its header or length says */
    TR_HEPIN_MALFORMED,    /* bad chunk lengths/sizes, no addresses, v1/v2 on TCP */
    TR_HEPIN_TOO_BIG,      /* larger than TR_HEP_MAX_FRAME */
    TR_HEPIN_AUTH_MISSING, /* a key is required and the message has none (v1/v2 never do) */
    TR_HEPIN_AUTH_WRONG,   /* a key is required and the message carries another */
    TR_HEPIN_REASON_COUNT,
};

const char *tr_hep_in_reason_name(enum tr_hep_in_reason r);

/* Validates one whole message (a datagram or a cut frame): decodes it into
 * out (views into msg) and checks the key when key.len > 0. */
enum tr_hep_in_reason tr_hep_in_check(struct tr_bytes msg, struct tr_str key,
                                      struct tr_hep_fields *out);

/* Stream framing: the length of the whole HEP v3 frame at the start of buf
 * (> 0), 0 when more bytes are needed, or -1 with *why set when the stream
 * can not be cut any further (not HEP3, v1/v2, a length below 6 or above
 * TR_HEP_MAX_FRAME): the connection is then closed. */
long tr_hep_in_frame(struct tr_bytes buf, enum tr_hep_in_reason *why);

struct tr_hep_in_stats {
    uint64_t messages;                          /* whole messages seen */
    uint64_t accepted;                          /* handed to the engine */
    uint64_t by_version[4];                     /* accepted, [1..3] */
    uint64_t rejected[TR_HEPIN_REASON_COUNT];   /* by reason; [TR_HEPIN_OK] unused */
    uint64_t recv_errors;                       /* recv/read errors other than EAGAIN */
    uint64_t conns_accepted, conns_refused;     /* tcp: refused = over hep_max_conns */
    uint64_t conns_closed_bad;                  /* tcp: closed on a framing error */
    uint64_t conns_now;
};

/* The listener's counters, or NULL when in is not a HEP input. */
const struct tr_hep_in_stats *tr_input_hep_stats(const struct tr_input *in);

/* ------------------------------------------------------------ HEPipe input
 * (hepipe.c) log lines "ts_sec;ts_usec;correlation_id;src_ip;src_port;
 * dst_ip;dst_port;payload" from stdin ("-"), a file followed like tail -F,
 * a FIFO, or "udp:[HOST:]PORT" (one or more lines per datagram); each good
 * line becomes a HEP log event (type 100) with the correlation id. A bad
 * line is counted under one reason and skipped (docs/hepipe.md). */

#define TR_HEPIPE_MAX_LINE 65000 /* a longer line is refused (it would not fit a HEP frame) */
#define TR_HEPIPE_MAX_CORR_ID 255

enum tr_hepipe_reason {
    TR_HEPIPE_OK,
    TR_HEPIPE_EMPTY,           /* nothing but blanks */
    TR_HEPIPE_FIELDS,          /* fewer than 8 fields */
    TR_HEPIPE_BAD_TS,          /* ts_sec/ts_usec not decimal, or ts_usec >= 1000000 */
    TR_HEPIPE_BAD_CORR_ID,     /* empty, longer than TR_HEPIPE_MAX_CORR_ID, or control bytes */
    TR_HEPIPE_BAD_ADDR,        /* not an IPv4/IPv6 address */
    TR_HEPIPE_BAD_PORT,        /* not decimal 0..65535 */
    TR_HEPIPE_FAMILY_MISMATCH, /* one address IPv4, the other IPv6 */
    TR_HEPIPE_EMPTY_PAYLOAD,
    TR_HEPIPE_TOO_LONG,        /* longer than TR_HEPIPE_MAX_LINE */
    TR_HEPIPE_REASON_COUNT,
};

const char *tr_hepipe_reason_name(enum tr_hepipe_reason r);

struct tr_hepipe_rec {
    uint32_t ts_sec, ts_usec;
    struct tr_str corr_id;   /* view into the line */
    struct tr_addr src, dst;
    uint16_t sport, dport;
    struct tr_bytes payload; /* view: everything after the 7th ';' (may hold ';') */
};

/* Parses one line (without its newline; one trailing CR is ignored).
 * Returns TR_HEPIPE_OK with out filled, or the reason it was refused. Pure:
 * no allocation, reads only line.ptr[0..line.len). */
int tr_hepipe_parse_line(struct tr_bytes line, struct tr_hepipe_rec *out);

struct tr_hepipe_stats {
    uint64_t lines;                            /* lines seen */
    uint64_t accepted;                         /* handed to the engine */
    uint64_t rejected[TR_HEPIPE_REASON_COUNT]; /* by reason; [TR_HEPIPE_OK] unused */
    uint64_t read_errors;
    uint64_t reopens;                          /* file: rotations and truncations followed */
};

/* The HEPipe input's counters, or NULL when in is not a HEPipe input. */
const struct tr_hepipe_stats *tr_input_hepipe_stats(const struct tr_input *in);

/* Opens the input of conf->kind. On failure in is left closed. */
int tr_input_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err);
void tr_input_close(struct tr_input *in); /* accepts a closed input */

#endif
