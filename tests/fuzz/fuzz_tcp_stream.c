/* fuzz_tcp_stream.c - fuzz target for TCP stream reassembly and SIP framing
 * (src/reasm/tcp_stream.c). The input is a script of segments:
 *
 *   +--------+--------+--------+--------+--------+------------------+
 *   |  ctl   | flags  | seq delta (be16) |  len   | len payload bytes|
 *   +--------+--------+--------+--------+--------+------------------+
 *   ctl bit 0: direction, bits 1-2: which of 4 flows, bits 3-7: seconds to
 *   advance the clock. seq = where that direction's last segment ended +
 *   (int16)delta, so delta 0 is in order, anything else reorders, repeats
 *   or leaves holes.
 *
 * Checks what the engine relies on: every delivered message is non-empty,
 * no longer than the per-stream bound, framed exactly (msg_len == data.len),
 * every view of its parse lies inside it; the table never holds more flows
 * or buffer bytes than configured. A tiny table makes evictions common.
 * Seeds include WebSocket (an Upgrade, then masked and fragmented frames). */
#include "fuzz.h"
#include "proto/proto.h"
#include "reasm/reasm.h"

#define MAX_STREAM 4096u
#define MAX_BYTES 16384u
#define MAX_FLOWS 3u

static void on_msg(void *user, const struct tr_tcp_msg *m)
{
    (void)user;
    CHECK(m->data.len > 0 && m->data.len <= MAX_STREAM);
    CHECK(m->pkt != NULL);
    CHECK(m->parse_rc == TR_OK || m->parse_rc == -TR_E_MALFORMED);
    const struct tr_sip_msg *s = m->sip;
    /* A stream message is framed by its Content-Length; a WebSocket one by
     * its frames, and may say less. */
    CHECK(m->websocket ? s->msg_len <= m->data.len : s->msg_len == m->data.len);
    CHECK(s->header_len <= m->data.len);
    check_str(s->method, m->data.ptr, m->data.len);
    check_str(s->call_id, m->data.ptr, m->data.len);
    check_str(s->via_branch, m->data.ptr, m->data.len);
    check_str(s->cseq_method, m->data.ptr, m->data.len);
    check_view(s->body.ptr, s->body.len, m->data.ptr, m->data.len);
    /* Touch every byte: ASan catches a view into freed or stale memory. */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < m->data.len; i++)
        x ^= m->data.ptr[i];
    (void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_tcp_conf conf = {.max_flows = MAX_FLOWS, .max_bytes = MAX_BYTES,
                               .max_stream_bytes = MAX_STREAM, .idle_ns = 20ull * 1000000000u};
    struct tr_tcp_table *t = tr_tcp_table_new(&conf);
    if (!t)
        return 0;
    uint32_t next[4][2] = {{1000, 5000}, {2000, 6000}, {3000, 7000}, {4000, 8000}};
    uint64_t now = 1000ull * 1000000000u;
    size_t pos = 0;
    while (size - pos >= 5) {
        uint8_t ctl = data[pos], flags = data[pos + 1];
        int16_t delta = (int16_t)(uint16_t)(data[pos + 2] << 8 | data[pos + 3]);
        size_t len = data[pos + 4];
        pos += 5;
        if (len > size - pos)
            len = size - pos;
        int dir = ctl & 1, fl = (ctl >> 1) & 3;
        now += (uint64_t)(ctl >> 3) * 1000000000u;

        struct tr_packet p;
        memset(&p, 0, sizeof(p));
        p.ip_proto = 6;
        p.ts_ns = now;
        struct tr_addr a = {.family = TR_AF_INET, .a = {10, 0, 0, 1}};
        struct tr_addr b = {.family = TR_AF_INET, .a = {10, 0, 0, 2}};
        p.src = dir ? b : a;
        p.dst = dir ? a : b;
        p.sport = dir ? 5060 : (uint16_t)(40000 + fl);
        p.dport = dir ? (uint16_t)(40000 + fl) : 5060;
        p.tcp_seq = next[fl][dir] + (uint32_t)(int32_t)delta;
        p.tcp_flags = flags;
        p.payload = (struct tr_bytes){data + pos, len};
        pos += len;
        int n = tr_tcp_stream_add(t, &p, on_msg, NULL);
        CHECK(n >= 0);
        next[fl][dir] = p.tcp_seq + (uint32_t)len + ((flags & 0x02) ? 1u : 0u);

        const struct tr_tcp_stats *st = tr_tcp_stats(t);
        CHECK(st->flows <= MAX_FLOWS);
        CHECK(st->buffer_bytes <= MAX_BYTES);
    }
    if (size & 1)
        tr_tcp_stream_expire(t, now + 30ull * 1000000000u, on_msg, NULL);
    tr_tcp_stream_flush(t, on_msg, NULL);
    CHECK(tr_tcp_stats(t)->flows == 0);
    tr_tcp_table_free(t);
    return 0;
}
