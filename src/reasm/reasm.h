/* reasm.h - IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 section 4.5).
 *
 * A bounded table of datagrams under reassembly. Limits are hard: a table
 * slot count, a byte budget over all buffered fragments, a per-datagram size
 * (65535 bytes of reassembled payload for IPv4 and IPv6 alike, RFC 8200 4.5) and a timeout. Anything the
 * table gives up is counted by reason, never dropped silently. Buffers are
 * kept and reused, so a warm table does not allocate.
 *
 * Overlaps: a fragment that overlaps bytes already held is checked; if the
 * overlapping bytes agree (a plain retransmission) it is accepted, otherwise
 * the whole datagram is dropped and counted as "overlap" (RFC 5722 does this
 * for IPv6; doing it for IPv4 too defeats overlap-based evasion).
 */
#ifndef TRAWL_REASM_H
#define TRAWL_REASM_H

#include "../core/core.h"

struct tr_defrag_conf {
    unsigned max_datagrams; /* table slots; 0: 1024 */
    size_t max_bytes;       /* sum of buffered fragment bytes; 0: 16 MiB */
    uint64_t timeout_ns;    /* since the first fragment; 0: 30 s */
};

struct tr_defrag_stats {
    uint64_t fragments;    /* fragments offered */
    uint64_t reassembled;  /* datagrams completed */
    uint64_t timeouts;     /* datagrams dropped incomplete after the timeout */
    uint64_t evicted;      /* dropped incomplete to make room (table or byte budget full) */
    uint64_t overlaps;     /* dropped for conflicting overlapping data */
    uint64_t too_big;      /* would exceed the maximum datagram size */
    uint64_t malformed;    /* bad offsets/lengths (e.g. non-last fragment not a multiple of 8) */
    uint64_t duplicates;   /* fragments that only repeated bytes already held */
    uint64_t held;         /* datagrams in the table now (gauge) */
    uint64_t held_bytes;   /* bytes in the table now (gauge) */
};

/* One fragment as the IP decoder sees it. */
struct tr_frag {
    struct tr_addr src, dst;
    uint32_t id;             /* IPv4: 16-bit id; IPv6: 32-bit identification */
    uint8_t proto;           /* upper-layer protocol (IPv6: of the fragmentable part) */
    uint32_t offset;         /* in bytes */
    bool more;               /* MF flag */
    struct tr_bytes data;    /* the fragment's payload */
    uint32_t hdr_len;        /* the datagram's header length without the fragment header
                              * (IPv4 header; IPv6 40 + unfragmentable extensions) */
};

struct tr_defrag;

/* Returns owned; free with tr_defrag_free. NULL on allocation failure. */
struct tr_defrag *tr_defrag_new(const struct tr_defrag_conf *conf);
void tr_defrag_free(struct tr_defrag *d); /* accepts NULL */

/* Offers one fragment at packet time now_ns. Returns
 *   1   the datagram is complete: *out is the reassembled upper-layer payload
 *       (starting with the transport header); valid until the next call
 *   0   held, waiting for more
 *   <0  the fragment (and maybe its datagram) was dropped; counted in stats */
int tr_defrag_add(struct tr_defrag *d, const struct tr_frag *f, uint64_t now_ns,
                  struct tr_bytes *out);

/* Drops datagrams older than the timeout (counted); call from a periodic tick. */
void tr_defrag_expire(struct tr_defrag *d, uint64_t now_ns);

const struct tr_defrag_stats *tr_defrag_stats(const struct tr_defrag *d);

/* ================================================================ TCP streams
 * (tcp_stream.c) TCP reassembly for SIP over TCP (RFC 9293 section 3.4 and
 * 3.10.7.4 for sequence space and segment acceptance; RFC 3261 section 18.3
 * for framing: on a stream every message carries Content-Length, absent
 * means 0).
 *
 * A bounded table of flows. Each flow has two directions; each direction
 * tracks the next expected sequence number, buffers in-order bytes that do
 * not yet make a whole SIP message and out-of-order bytes up to a per-stream
 * bound. Whole SIP messages are handed to a callback, one call per message.
 * Everything given up is counted by reason in struct tr_tcp_stats.
 *
 * SIP over WebSocket (RFC 7118) on any port: a direction that carries an
 * HTTP Upgrade to websocket (the client's GET, the server's 101) switches to
 * WebSocket framing after it; one picked up mid-stream switches when framing
 * resynchronises on a WebSocket frame whose payload starts with a SIP start
 * line. Each WebSocket data message (fragments joined, unmasked, control
 * frames skipped) is one SIP message.
 *
 * Limits: max_flows slots (the least recently used flow is evicted when a new
 * one needs a slot), idle timeout, max_stream_bytes per direction (partial
 * message + out-of-order data; a message larger than that is skipped and
 * counted), and max_bytes over all stream buffers together (flows are evicted,
 * least recently used first, when a buffer would push the total over it).
 * Buffers stay with their slot and are reused, so a warm table does not
 * allocate.
 */

struct tr_sip_msg; /* proto/proto.h */

struct tr_tcp_conf {
    unsigned max_flows;      /* table slots; 0: 4096 */
    size_t max_bytes;        /* all stream buffers together; 0: 64 MiB */
    size_t max_stream_bytes; /* per direction: pending + out-of-order; 0: 256 KiB; min 4 KiB */
    uint64_t idle_ns;        /* flow idle timeout; 0: 300 s */
};

struct tr_tcp_stats {
    uint64_t segments;         /* segments offered */
    uint64_t messages;         /* SIP messages delivered (well formed or malformed) */
    uint64_t malformed;        /* of those, tr_sip_parse said -TR_E_MALFORMED */
    uint64_t flows_created;
    uint64_t flows_closed_fin;  /* both directions saw their FIN in order */
    uint64_t flows_closed_rst;
    uint64_t flows_idle;        /* released after the idle timeout */
    uint64_t evicted_full;      /* live flows evicted: no free slot */
    uint64_t evicted_memory;    /* live flows evicted: byte budget */
    uint64_t midstream;         /* directions picked up without a SYN */
    uint64_t retransmissions;   /* segments carrying only bytes already seen */
    uint64_t overlap_bytes;     /* repeated bytes trimmed from partly new segments */
    uint64_t out_of_order;      /* segments buffered ahead of a hole */
    uint64_t gaps;              /* holes given up (bound reached, close, idle) */
    uint64_t gap_bytes;         /* sequence space lost in those holes (capped per hole) */
    uint64_t resync_skipped;    /* bytes skipped looking for a SIP start line */
    uint64_t keepalive_bytes;   /* CR/LF between messages (RFC 5626 keep-alives) */
    uint64_t too_big;           /* messages larger than max_stream_bytes, skipped */
    uint64_t incomplete;        /* partial messages lost at close, eviction, gap, idle */
    uint64_t after_close;       /* data segments for a closed direction, ignored */
    uint64_t no_memory;         /* buffer allocation failures (data dropped as a gap) */
    uint64_t ws_upgrades;       /* directions switched to WebSocket by an HTTP Upgrade */
    uint64_t ws_midstream;      /* directions found to carry WebSocket without one */
    uint64_t ws_messages;       /* SIP messages delivered from WebSocket messages */
    uint64_t ws_control_frames; /* close, ping, pong: skipped */
    uint64_t ws_errors;         /* frames breaking RFC 6455 (framing resynchronises) */
    uint64_t ws_not_sip;        /* WebSocket data messages that are not a SIP message */
    uint64_t flows;             /* flows in the table now (gauge) */
    uint64_t buffer_bytes;      /* bytes allocated to stream buffers now (gauge) */
};

/* One SIP message cut from a stream. Everything is valid only during the
 * callback. */
struct tr_tcp_msg {
    const struct tr_packet *pkt; /* the segment that completed the message: its
                                  * addresses, ports and ts_ns are the message's
                                  * (the documented timestamp rule). When a
                                  * message is completed by a flush (close,
                                  * idle, eviction), a synthetic packet with
                                  * the flow's addresses and the direction's
                                  * last segment time. */
    struct tr_bytes data;          /* exactly the message: start line .. body end */
    const struct tr_sip_msg *sip;  /* its parse; views into data */
    int parse_rc;                  /* TR_OK or -TR_E_MALFORMED */
    bool after_gap;                /* first message after a resync */
    bool flushed;                  /* delivered by a flush, not by a segment */
    bool websocket;                /* came in a WebSocket message (data is unmasked) */
};

/* Called once per message. Must not call back into the table. */
typedef void (*tr_tcp_msg_fn)(void *user, const struct tr_tcp_msg *msg);

struct tr_tcp_table;

/* Returns owned; free with tr_tcp_table_free. NULL on allocation failure. */
struct tr_tcp_table *tr_tcp_table_new(const struct tr_tcp_conf *conf);
void tr_tcp_table_free(struct tr_tcp_table *t); /* accepts NULL; delivers nothing */

/* Offers one decoded TCP segment (pkt->ip_proto 6: addresses, ports,
 * tcp_seq, tcp_flags, payload, ts_ns). Calls cb for every SIP message it
 * completes, in stream order. Returns the number of messages delivered, or a
 * negative code when the segment could not be used (counted). */
int tr_tcp_stream_add(struct tr_tcp_table *t, const struct tr_packet *pkt, tr_tcp_msg_fn cb,
                      void *user);

/* Like tr_tcp_stream_add, but a segment of a flow not in the table opens
 * one only if its payload starts like SIP: a SIP start line, an HTTP Upgrade
 * to WebSocket, or a WebSocket frame holding a SIP start line. For ports not
 * known to carry SIP, so that bulk TCP (HTTPS, backups) costs one lookup per
 * segment and no table slots. Returns as tr_tcp_stream_add; 0 when ignored. */
int tr_tcp_stream_offer(struct tr_tcp_table *t, const struct tr_packet *pkt, tr_tcp_msg_fn cb,
                        void *user);

/* Releases flows idle longer than the timeout (counted); whole messages still
 * buffered behind holes are delivered first. Call from a periodic tick with
 * packet time. */
void tr_tcp_stream_expire(struct tr_tcp_table *t, uint64_t now_ns, tr_tcp_msg_fn cb, void *user);

/* End of input: gives up every hole, delivers whole messages still buffered,
 * counts partial ones, and empties the table. */
void tr_tcp_stream_flush(struct tr_tcp_table *t, tr_tcp_msg_fn cb, void *user);

const struct tr_tcp_stats *tr_tcp_stats(const struct tr_tcp_table *t);

#endif
