/* fuzz_hep_stream.c - fuzz target for HEP over TCP stream framing
 * (src/input/hep_listen.c: tr_hep_in_frame, tr_hep_in_check).
 *
 * The first input byte picks the read sizes; the rest is the stream. The
 * stream is fed into a bounded buffer the way the listener does (read what
 * fits, cut every whole frame, move the rest to the front) and cut once more
 * in one piece: both must give the same frames, in order, each a prefix-exact
 * piece of the stream starting with "HEP3", and the chunked run must stop at
 * the same place with the same reason. Every frame also goes through the
 * validation (with and without a key), whose views must lie in the frame. */
#include "fuzz.h"
#include "input/input.h"

#define BUF_CAP 65536

struct cut {
    size_t n_frames;
    size_t consumed;
    long last;                 /* last tr_hep_in_frame result */
    enum tr_hep_in_reason why;
    uint64_t digest;           /* frame lengths, in order */
};

static void on_frame(struct cut *c, const uint8_t *p, size_t len)
{
    CHECK(len >= 6 && len <= TR_HEP_MAX_FRAME);
    CHECK(memcmp(p, "HEP3", 4) == 0);
    CHECK((size_t)((p[4] << 8) | p[5]) == len);
    struct tr_hep_fields f;
    enum tr_hep_in_reason r = tr_hep_in_check((struct tr_bytes){ p, len }, (struct tr_str){ 0 }, &f);
    CHECK(r < TR_HEPIN_REASON_COUNT && r != TR_HEPIN_NOT_HEP && r != TR_HEPIN_TOO_BIG);
    if (r == TR_HEPIN_OK) {
        CHECK(f.version == 3);
        check_view(f.payload.ptr, f.payload.len, p, len);
        check_view(f.auth_key.ptr, f.auth_key.len, p, len);
        enum tr_hep_in_reason k = tr_hep_in_check((struct tr_bytes){ p, len },
                                                  (struct tr_str){ "key", 3 }, &f);
        CHECK(k == TR_HEPIN_OK || k == TR_HEPIN_AUTH_MISSING || k == TR_HEPIN_AUTH_WRONG);
    }
    c->n_frames++;
    c->consumed += len;
    c->digest = c->digest * 1000003u + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned step_seed = data[0];
    const uint8_t *s = data + 1;
    size_t n = size - 1;

    /* in one piece */
    struct cut whole = { 0 };
    for (;;) {
        whole.last = tr_hep_in_frame((struct tr_bytes){ s + whole.consumed, n - whole.consumed },
                                     &whole.why);
        if (whole.last <= 0)
            break;
        CHECK((size_t)whole.last <= n - whole.consumed);
        on_frame(&whole, s + whole.consumed, (size_t)whole.last);
    }

    /* in reads of 1..256 bytes through a bounded buffer */
    static uint8_t buf[BUF_CAP];
    size_t used = 0, fed = 0, base = 0;
    struct cut chunked = { 0 };
    bool closed = false;
    while (!closed && fed < n) {
        size_t step = 1 + (step_seed * 31u + fed) % 256u;
        if (step > n - fed)
            step = n - fed;
        if (step > BUF_CAP - used)
            step = BUF_CAP - used;
        CHECK(step > 0); /* a partial frame always leaves room */
        memcpy(buf + used, s + fed, step);
        used += step;
        fed += step;
        size_t off = 0;
        for (;;) {
            chunked.last = tr_hep_in_frame((struct tr_bytes){ buf + off, used - off }, &chunked.why);
            if (chunked.last == 0)
                break;
            if (chunked.last < 0) {
                closed = true;
                break;
            }
            CHECK((size_t)chunked.last <= used - off);
            CHECK(memcmp(buf + off, s + base + off, (size_t)chunked.last) == 0);
            on_frame(&chunked, buf + off, (size_t)chunked.last);
            off += (size_t)chunked.last;
        }
        if (closed)
            break;
        memmove(buf, buf + off, used - off);
        used -= off;
        base += off;
    }
    CHECK(chunked.n_frames == whole.n_frames);
    CHECK(chunked.consumed == whole.consumed);
    CHECK(chunked.digest == whole.digest);
    CHECK((chunked.last < 0) == (whole.last < 0));
    if (whole.last < 0)
        CHECK(chunked.why == whole.why);
    return 0;
}
