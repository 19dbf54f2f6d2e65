/* fuzz_hepipe.c - fuzz target for the HEPipe line parser (src/input/hepipe.c
 * tr_hepipe_parse_line). The input is cut at each '\n' like the input does
 * with a stream, and each piece is parsed. Checks: the result is a known
 * reason; an accepted line has its views inside the line, a non-empty
 * correlation id without control bytes and no longer than the limit, both
 * addresses of one family, ts_usec < 10^6, a non-empty payload that ends at
 * the line's end (less one CR); the parse is deterministic (same result and
 * fields twice); the whole input parsed as one line gives a reason too. */
#include "fuzz.h"
#include "input/input.h"

static void one(const uint8_t *p, size_t n)
{
    struct tr_hepipe_rec r, r2;
    int rc = tr_hepipe_parse_line((struct tr_bytes){ p, n }, &r);
    CHECK(rc >= TR_HEPIPE_OK && rc < TR_HEPIPE_REASON_COUNT);
    CHECK(strcmp(tr_hepipe_reason_name((enum tr_hepipe_reason)rc), "unknown") != 0);
    int rc2 = tr_hepipe_parse_line((struct tr_bytes){ p, n }, &r2);
    CHECK(rc2 == rc);
    if (rc != TR_HEPIPE_OK)
        return;
    CHECK(n <= TR_HEPIPE_MAX_LINE);
    CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
    check_view(r.corr_id.ptr, r.corr_id.len, p, n);
    check_view(r.payload.ptr, r.payload.len, p, n);
    CHECK(r.corr_id.len > 0 && r.corr_id.len <= TR_HEPIPE_MAX_CORR_ID);
    for (size_t i = 0; i < r.corr_id.len; i++)
        CHECK((uint8_t)r.corr_id.ptr[i] >= 0x20 && (uint8_t)r.corr_id.ptr[i] != 0x7f);
    CHECK(r.src.family == r.dst.family);
    CHECK(r.src.family == TR_AF_INET || r.src.family == TR_AF_INET6);
    CHECK(r.ts_usec < 1000000u);
    CHECK(r.payload.len > 0);
    size_t end = (size_t)(r.payload.ptr - p) + r.payload.len;
    CHECK(end == n || (end == n - 1 && p[n - 1] == '\r'));
    /* seven separators before the payload */
    unsigned semis = 0;
    for (const uint8_t *q = p; q < r.payload.ptr; q++)
        semis += *q == ';';
    CHECK(semis == 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off <= size) {
        const uint8_t *nl = off < size ? memchr(data + off, '\n', size - off) : NULL;
        size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
        /* an exact-size copy, so ASan sees a read past the line */
        uint8_t *line = malloc(n ? n : 1);
        CHECK(line != NULL);
        memcpy(line, data + off, n);
        one(line, n);
        free(line);
        off += n + 1;
    }
    one(data, size);
    return 0;
}
