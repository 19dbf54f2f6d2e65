/* fuzz_flowmeta_record.c - fuzz target for the record parser of `trawl
 * recollect` (tr_flowmeta_record_line, src/output/flowmeta.c) and its
 * agreement with the formatters (src/output/flowmeta_fmt.c).
 *
 * Checks: fewer than 28 bytes are refused as truncated and more are
 * ignored; the line never overruns its buffer, fits TR_FLOWMETA_LINE_MAX,
 * ends in one newline and has exactly 7 colons (PCapper's form); a too
 * small buffer gives -TR_E_FULL. Then the first 28 bytes, read as a packet's
 * fields, must round-trip: record(packet) parsed back gives the same line
 * as line(packet), for protocols with ports; and a record's line equals
 * the host line when the bytes are a host record. */
#include "fuzz.h"
#include "output/output.h"

#include <string.h>

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[TR_FLOWMETA_LINE_MAX + 8];
    memset(line, 'Z', sizeof(line));
    int n = tr_flowmeta_record_line(data, size, line, TR_FLOWMETA_LINE_MAX);
    if (size < TR_FLOWMETA_REC_LEN) {
        CHECK(n == -TR_E_TRUNCATED);
        return 0;
    }
    CHECK(n > 0 && n < TR_FLOWMETA_LINE_MAX);
    CHECK(line[n] == '\0' && line[n - 1] == '\n' && line[TR_FLOWMETA_LINE_MAX] == 'Z');
    CHECK(memchr(line, '\n', (size_t)n - 1) == NULL);
    int colons = 0;
    for (int i = 0; i < n; i++)
        colons += line[i] == ':';
    CHECK(colons == 7);
    char small[16];
    CHECK(tr_flowmeta_record_line(data, size, small, (size_t)(data[0] % 16)) == -TR_E_FULL);

    /* The same bytes as a packet's fields: record and line must agree. */
    struct tr_packet p = { 0 };
    uint32_t usec = be32_at(data + 4) % 1000000u;
    p.ts_ns = (uint64_t)be32_at(data) * 1000000000u + (uint64_t)usec * 1000u;
    p.src.family = p.dst.family = TR_AF_INET;
    memcpy(p.src.a, data + 8, 4);
    memcpy(p.dst.a, data + 12, 4);
    p.sport = (uint16_t)(data[16] << 8 | data[17]);
    p.dport = (uint16_t)(data[18] << 8 | data[19]);
    static const uint8_t protos[] = { 6, 17, 132 };
    p.ip_proto = protos[data[26] % 3];
    uint32_t ip_len = (uint32_t)(data[20] << 8 | data[21]);
    uint32_t flow = be32_at(data + 22);
    uint8_t rec[TR_FLOWMETA_REC_LEN];
    CHECK(tr_flowmeta_record(&p, ip_len, flow, rec, sizeof(rec)) == TR_FLOWMETA_REC_LEN);
    char a[TR_FLOWMETA_LINE_MAX], b[TR_FLOWMETA_LINE_MAX];
    int na = tr_flowmeta_record_line(rec, sizeof(rec), a, sizeof(a));
    int nb = tr_flowmeta_line(&p, ip_len, flow, b, sizeof(b));
    CHECK(na > 0 && na == nb && strcmp(a, b) == 0);

    enum tr_flowmeta_host kind = data[27] & 1 ? TR_FLOWMETA_HOST_CPU : TR_FLOWMETA_HOST_MEM;
    uint16_t value = (uint16_t)(data[20] << 8 | data[21]);
    CHECK(tr_flowmeta_host_record(kind, p.ts_ns, value, rec, sizeof(rec)) == TR_FLOWMETA_REC_LEN);
    na = tr_flowmeta_record_line(rec, sizeof(rec), a, sizeof(a));
    nb = tr_flowmeta_host_line(kind, p.ts_ns, value, b, sizeof(b));
    CHECK(na > 0 && na == nb && strcmp(a, b) == 0);
    return 0;
}
