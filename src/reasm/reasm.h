/* reasm.h - IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 section 4.5).
 *
 * A bounded table of datagrams under reassembly. Limits are hard: a table
 * slot count, a byte budget over all buffered fragments, a per-datagram size
 * (65535 for IPv4, 65535 + 40 for IPv6 payloads) and a timeout. Anything the
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

#endif
