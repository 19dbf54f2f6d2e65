/* input.h - packet sources. An input hands out packets in batches through a
 * callback; the packet's bytes are valid only during the callback (libpcap's
 * ring slot or file buffer), so everything downstream copies what it keeps
 * before the callback returns. The engine flushes outputs after each batch.
 */
#ifndef TRAWL_INPUT_H
#define TRAWL_INPUT_H

#include "../core/core.h"
#include "../proto/proto.h"

enum tr_input_kind { TR_INPUT_FILE, TR_INPUT_LIVE, TR_INPUT_HEP };

/* Link type of packets from a HEP input: frame is one whole HEP v1/v2/v3
 * message as received (not a link-layer frame); the engine decodes it with
 * tr_hep_decode instead of the decode graph. Outside the DLT/LINKTYPE range. */
#define TR_LINKTYPE_HEP 0x48455000

struct tr_input_conf {
    const char *name;    /* the config's name for it (API, rules); NULL from the CLI */
    enum tr_input_kind kind;
    const char *source;  /* file path, "-" for stdin, or interface name */
    const char *filter;  /* BPF expression or NULL */
    int snaplen;         /* 0: 262144 */
    bool promisc;
    int buffer_mb;       /* live: kernel ring size; 0: 32 */
    /* hep (source is "udp:HOST:PORT", "tcp:HOST:PORT", "udp:PORT" = 127.0.0.1) */
    const char *hep_key; /* required auth key (chunk 0x0e); NULL: none required */
    unsigned hep_max_conns; /* tcp: connections at once; 0: 64 */
};

struct tr_input_stats {
    uint64_t packets;      /* handed out */
    uint64_t bytes;        /* captured bytes handed out */
    uint64_t kernel_drops; /* live: dropped by the kernel (ring full) */
    uint64_t if_drops;     /* live: dropped by the interface/driver */
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

/* Opens the input of conf->kind. On failure in is left closed. */
int tr_input_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err);
void tr_input_close(struct tr_input *in); /* accepts a closed input */

#endif
