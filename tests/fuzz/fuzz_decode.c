/* fuzz_decode.c - fuzz target for the decode walk and IP reassembly
 * (src/decode/, src/reasm/), through tr_decode_packet() as the engine calls it.
 *
 * Tunnels are decapsulated with the defaults (ctx.conf NULL: every tunnel
 * on, VXLAN on 4789, GENEVE on 6081), so IP-in-IP, GRE, ERSPAN I/II/III,
 * VXLAN and GENEVE run from the tun_* seeds.
 *
 * Input layout:
 *   byte 0   bits 0-3 % 10: link type from the supported list below
 *            bits 4-6: bytes "lost to snaplen" = value * 100 (wire_len >
 *            caplen), so the truncated-capture paths get exercised
 *            bit 7 clear: the rest is one captured frame
 *            bit 7 set:   the rest is frames as [u16 big-endian length][bytes],
 *                         decoded in order, so one input can carry a whole
 *                         fragment train (overlaps, duplicates, reordering)
 * Each frame is copied to an exactly sized heap buffer (ASan sees one byte
 * past it). A reassembly table lives across inputs (small, so eviction and
 * budget paths run); capture time advances 100 ms per input and 1 ms per
 * frame (timeouts run). Beyond "no crash, no sanitizer report", each result
 * is checked: the return value is one the contract allows, an error is
 * counted exactly once, a held fragment is declined, and the payload lies
 * inside the frame, or, when reassembled, inside live reassembly storage
 * (every byte is read so ASan would flag a stale or short buffer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "decode/decode.h"
#include "reasm/reasm.h"

static const int linktypes[10] = {1, 113, 276, 0, 108, 101, 12, 14, 228, 229};

static uint64_t err_total(const struct tr_decode_stats *s)
{
    uint64_t n = 0;
    for (int d = 0; d < TR_DEC_COUNT; d++)
        for (int r = 0; r < TR_DR_COUNT; r++)
            n += s->err[d][r];
    return n;
}

static struct tr_defrag *defrag;
static struct tr_decode_stats st;
static uint64_t ts = 1000000000u;

static void decode_one(const uint8_t *frame, size_t len, int linktype, uint32_t lost)
{
    /* Exactly sized copy: ASan then sees a read one byte past the frame. */
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, frame, len);

    ts += 1000000u;
    struct tr_decode_ctx ctx = {.defrag = defrag, .stats = &st, .now_ns = ts};
    struct tr_packet pkt = {
        .frame = copy,
        .caplen = (uint32_t)len,
        .wire_len = (uint32_t)len + lost,
        .ts_ns = ts,
        .linktype = linktype,
    };

    uint64_t errs_before = err_total(&st), decoded_before = st.decoded;
    uint64_t sctp_unsup = st.err[TR_DEC_SCTP][TR_DR_UNSUPPORTED];
    int rc = tr_decode_packet(&ctx, &pkt);
    /* SCTP counts skipped DATA chunks as unsupported without failing the
     * frame; every other error counter moves only with a negative result. */
    uint64_t errs =
        err_total(&st) - errs_before - (st.err[TR_DEC_SCTP][TR_DR_UNSUPPORTED] - sctp_unsup);

    if (pkt.n_layers > TR_DECODE_MAX_LAYERS || pkt.n_tunnels > TR_PKT_MAX_TUNNELS)
        abort();
    for (unsigned i = 0; i < pkt.n_tunnels; i++)
        if (pkt.tunnels[i].type == TR_TUN_NONE || pkt.tunnels[i].type >= TR_TUN_COUNT)
            abort();
    if (rc == TR_OK) {
        if (st.decoded != decoded_before + 1 || (pkt.flags & TR_PKT_FRAG_HELD) || errs != 0)
            abort();
        const uint8_t *p = pkt.payload.ptr;
        size_t n = pkt.payload.len;
        if (n > 0 && !p)
            abort();
        if (pkt.flags & TR_PKT_REASSEMBLED) {
            if (n > 65535)
                abort();
            volatile uint8_t sum = 0;
            for (size_t i = 0; i < n; i++)
                sum += p[i];
            (void)sum;
        } else if (n > 0 && (p < copy || p > copy + len || n > (size_t)(copy + len - p))) {
            abort();
        }
    } else if (rc == TR_DECLINED) {
        if (errs != 0)
            abort();
    } else if (rc < 0 && -rc <= TR_N_ERRORS) {
        if (errs != 1 || (pkt.flags & TR_PKT_FRAG_HELD))
            abort();
    } else {
        abort();
    }
    if ((pkt.flags & TR_PKT_FRAG_HELD) && rc != TR_DECLINED)
        abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!defrag) {
        struct tr_defrag_conf conf = {
            .max_datagrams = 16,
            .max_bytes = 64 * 1024,
            .timeout_ns = 1000000000u,
        };
        defrag = tr_defrag_new(&conf);
        if (!defrag)
            abort();
    }
    if (size < 1)
        return 0;

    ts += 100000000u;
    int linktype = linktypes[(data[0] & 0x0f) % 10];
    uint32_t lost = (uint32_t)((data[0] >> 4) & 7) * 100u;
    if (!(data[0] & 0x80)) {
        decode_one(data + 1, size - 1, linktype, lost);
        return 0;
    }
    size_t pos = 1;
    while (size - pos >= 2) {
        size_t n = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (n > size - pos)
            n = size - pos;
        decode_one(data + pos, n, linktype, lost);
        pos += n;
    }
    return 0;
}
