/* input.h - packet sources. An input hands out packets in batches through a
 * callback; the packet's bytes are valid only during the callback (libpcap's
 * ring slot or file buffer), so everything downstream copies what it keeps
 * before the callback returns. The engine flushes outputs after each batch.
 */
#ifndef TRAWL_INPUT_H
#define TRAWL_INPUT_H

#include "../core/core.h"

enum tr_input_kind { TR_INPUT_FILE, TR_INPUT_LIVE };

struct tr_input_conf {
    enum tr_input_kind kind;
    const char *source;  /* file path, "-" for stdin, or interface name */
    const char *filter;  /* BPF expression or NULL */
    int snaplen;         /* 0: 262144 */
    bool promisc;
    int buffer_mb;       /* live: kernel ring size; 0: 32 */
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

/* Opens the input of conf->kind. On failure in is left closed. */
int tr_input_open(struct tr_input *in, const struct tr_input_conf *conf, struct tr_err *err);
void tr_input_close(struct tr_input *in); /* accepts a closed input */

#endif
