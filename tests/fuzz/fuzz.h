/* fuzz.h - what every fuzz target (tests/fuzz/fuzz_*.c) shares: the
 * libFuzzer entry point's prototype (defined by each target; called by
 * libFuzzer, or by replay.c in builds without it), CHECK, and the check that
 * a view returned by a parser lies inside the bytes it parsed. Test code
 * only. JSON validation is in json_check.h, for the targets that write JSON. */
#ifndef TRAWL_FUZZ_H
#define TRAWL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed check aborts with its place and text: libFuzzer then saves the
 * input as a crash, and the ctest replay fails naming the check. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* len bytes at ptr lie inside [base, base + size); an empty view may point anywhere. */
static inline void check_view(const void *ptr, size_t len, const uint8_t *base, size_t size)
{
    if (len == 0)
        return;
    const uint8_t *p = ptr;
    CHECK(p >= base && p <= base + size && len <= (size_t)(base + size - p));
}

static inline void check_str(struct tr_str s, const uint8_t *base, size_t size)
{
    check_view(s.ptr, s.len, base, size);
}

#endif
