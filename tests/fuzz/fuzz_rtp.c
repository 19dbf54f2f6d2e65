/* fuzz_rtp.c - fuzz target for the RTP header probe and the per-stream
 * statistics table (src/track/rtp_stats.c). The input is a script of packets:
 *
 *   +--------+--------+--------+------------------------------+
 *   |  ctl   |   dt   |  len   | len bytes: one UDP payload   |
 *   +--------+--------+--------+------------------------------+
 *   ctl bits 0-1: which of 4 flows (source port) carries it
 *       bit 2: dt counts seconds instead of milliseconds (idle expiry)
 *       bit 3: run tr_rtp_expire after the packet
 *       bit 4: the Call-ID is the packet's own bytes (escaping, truncation)
 *       bit 5: with len 0, tr_rtp_set_clock(dt & 127, 1000 * (ctl >> 6 + 1))
 *   dt: clock advance; bit 7 of it set means "backwards" (merged inputs).
 *
 * Every payload goes through tr_rtp_probe; those it accepts are observed.
 * Checks what consumers rely on: the payload view lies inside the packet,
 * reports are self-consistent and in range, their JSON always fits a 4 KiB
 * buffer and is exactly as long as returned, and the table never holds more
 * streams than configured. A tiny table and short timeouts make evictions,
 * expiries and periodic reports common. */
#include "fuzz.h"
#include "track/track.h"

#define MAX_STREAMS 3u
#define MS 1000000ull
#define SEC 1000000000ull

static void on_report(void *user, const struct tr_rtp_report *r)
{
    (void)user;
    CHECK(r->call_id.len <= TR_RTP_CALL_ID_MAX);
    CHECK(r->packets > 0);
    CHECK(r->first_ns <= r->last_ns);
    CHECK(r->duplicates <= r->packets && r->out_of_order <= r->packets);
    CHECK(r->seq_errors <= r->packets && r->restarts <= r->packets);
    CHECK(r->loss_pct >= 0.0 && r->loss_pct <= 100.0);
    CHECK(r->jitter_ms >= 0.0 && r->jitter_max_ms >= 0.0 && r->jitter_avg_ms >= 0.0);
    CHECK(r->jitter_avg_ms <= r->jitter_max_ms + 1e-9);
    CHECK(r->clock_hz > 0);
    CHECK(r->final == (r->end != TR_RTP_END_NONE));
    if (r->has_mos) {
        CHECK(r->expected > 0);
        CHECK(r->r_factor >= 0.0 && r->r_factor <= 100.0);
        CHECK(r->mos >= 1.0 && r->mos <= 4.5);
    }
    /* Touch the Call-ID: ASan catches a view into stale memory. */
    volatile char x = 0;
    for (size_t i = 0; i < r->call_id.len; i++)
        x ^= r->call_id.ptr[i];
    (void)x;

    char buf[4096];
    int n = tr_rtp_report_json(r, buf, sizeof(buf));
    CHECK(n > 0 && (size_t)n == strlen(buf));
    CHECK(buf[0] == '{' && buf[n - 1] == '}');
    char small[64];
    CHECK(tr_rtp_report_json(r, small, sizeof(small)) == -TR_E_FULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_rtp_conf conf = { .max_streams = MAX_STREAMS, .idle_ns = 3 * SEC,
                                .report_interval_ns = (size & 2) ? 1 * SEC : 0 };
    struct tr_rtp_table *t = tr_rtp_table_new(&conf);
    if (!t)
        return 0;
    static const char *const call_ids[4] = { "a@x", "", "call-c@10.0.0.3", "d" };
    uint64_t now = 1000 * SEC;
    size_t pos = 0;
    while (size - pos >= 3) {
        uint8_t ctl = data[pos], dt = data[pos + 1];
        size_t len = data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *pay = data + pos;
        pos += len;

        uint64_t step = (uint64_t)(dt & 0x7f) * ((ctl & 4) ? SEC : MS);
        if ((dt & 0x80) && now > step)
            now -= step;
        else
            now += step;

        if (len == 0 && (ctl & 0x20)) {
            tr_rtp_set_clock(t, dt & 0x7f, 1000u * ((ctl >> 6) + 1u));
            continue;
        }

        struct tr_rtp_hdr h;
        /* an exact-size copy so a read past the payload is caught */
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
            break;
        memcpy(copy, pay, len);
        if (tr_rtp_probe((struct tr_bytes){ copy, len }, &h)) {
            CHECK(h.pt < 128 && (h.pt < 72 || h.pt > 76));
            CHECK(h.payload.len <= len);
            CHECK(h.payload.len == 0 ||
                  (h.payload.ptr >= copy && h.payload.ptr + h.payload.len <= copy + len));
            struct tr_packet p;
            memset(&p, 0, sizeof(p));
            p.ip_proto = 17;
            p.ts_ns = now;
            uint8_t fam = (ctl & 1) ? TR_AF_INET6 : TR_AF_INET; /* flows 1 and 3: IPv6 */
            p.src = (struct tr_addr){ .family = fam, .a = { 10, 0, 0, 1 } };
            p.dst = (struct tr_addr){ .family = fam, .a = { 10, 0, 0, 2 } };
            p.sport = (uint16_t)(20000 + (ctl & 3) * 2);
            p.dport = 30000;
            p.payload = (struct tr_bytes){ copy, len };
            struct tr_str cid = { call_ids[ctl & 3], strlen(call_ids[ctl & 3]) };
            if (ctl & 0x10)
                cid = (struct tr_str){ (const char *)copy, len };
            tr_rtp_observe(t, &p, &h, &cid, on_report, NULL);
        }
        free(copy);
        if (ctl & 8)
            tr_rtp_expire(t, now, on_report, NULL);
        CHECK(tr_rtp_stats(t)->streams <= MAX_STREAMS);
    }
    tr_rtp_flush(t, on_report, NULL);
    const struct tr_rtp_stats *st = tr_rtp_stats(t);
    CHECK(st->streams == 0);
    CHECK(st->streams_created == st->streams_ended + st->streams_evicted);
    CHECK(st->reports >= st->streams_created);
    tr_rtp_table_free(t);
    return 0;
}
