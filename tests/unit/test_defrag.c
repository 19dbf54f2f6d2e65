/* test_defrag.c - IP fragment reassembly (src/reasm/defrag.c) through
 * reasm.h: orders, overlaps, duplicates, every limit and its counter, and
 * that a warm table reassembles without allocating.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reasm/reasm.h"

#define SEC 1000000000ull

static uint8_t data[70000]; /* the original datagram payload: data[i] = pattern */

static void fill_pattern(void)
{
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
}

static struct tr_frag frag4(uint32_t id, uint32_t off, size_t len, bool more)
{
    struct tr_frag f = {
        .src = {.family = TR_AF_INET, .a = {192, 0, 2, 1}},
        .dst = {.family = TR_AF_INET, .a = {192, 0, 2, 2}},
        .id = id,
        .proto = 17,
        .offset = off,
        .more = more,
        .data = {data + off, len},
    };
    return f;
}

static struct tr_frag frag6(uint32_t id, uint32_t off, size_t len, bool more)
{
    struct tr_frag f = frag4(id, off, len, more);
    f.src = (struct tr_addr){.family = TR_AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    f.dst = (struct tr_addr){.family = TR_AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
    return f;
}

static struct tr_defrag *d;
static uint64_t now;

static int setup(void **state)
{
    (void)state;
    fill_pattern();
    d = tr_defrag_new(NULL);
    now = 100 * SEC;
    return d ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tr_defrag_free(d);
    d = NULL;
    return 0;
}

static int add(struct tr_frag f, struct tr_bytes *out)
{
    now += 1000;
    return tr_defrag_add(d, &f, now, out);
}

static void assert_whole(struct tr_bytes out, size_t len)
{
    assert_int_equal(out.len, len);
    assert_memory_equal(out.ptr, data, len);
}

static const struct tr_defrag_stats *stats(void)
{
    return tr_defrag_stats(d);
}

/* ------------------------------------------------------------ orders */

static void in_order_fragments_reassemble(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(1, 0, 1480, true), &out), 0);
    assert_int_equal(stats()->held, 1);
    assert_int_equal(stats()->held_bytes, 1480);
    assert_int_equal(add(frag4(1, 1480, 1480, true), &out), 0);
    assert_int_equal(add(frag4(1, 2960, 333, false), &out), 1);
    assert_whole(out, 3293);
    assert_int_equal(stats()->fragments, 3);
    assert_int_equal(stats()->reassembled, 1);
    assert_int_equal(stats()->held, 0);
    assert_int_equal(stats()->held_bytes, 0);
}

static void reverse_order_fragments_reassemble(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(2, 2960, 333, false), &out), 0);
    assert_int_equal(stats()->held_bytes, 3293); /* the span up to the end is pinned */
    assert_int_equal(add(frag4(2, 1480, 1480, true), &out), 0);
    assert_int_equal(add(frag4(2, 0, 1480, true), &out), 1);
    assert_whole(out, 3293);
}

static void shuffled_small_fragments_reassemble(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    /* 64 fragments of 8 bytes, offered in a scrambled order; the last one holds 5. */
    for (unsigned i = 0; i < 64; i++) {
        unsigned k = (i * 37) % 64;
        int rc = add(frag4(3, k * 8, k == 63 ? 5 : 8, k != 63), &out);
        assert_int_equal(rc, i == 63 ? 1 : 0);
    }
    assert_whole(out, 63 * 8 + 5);
}

static void unfragmented_datagram_completes_at_once(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(4, 0, 100, false), &out), 1);
    assert_whole(out, 100);
}

static void largest_datagram_is_reassembled(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    uint32_t off = 0;
    while (off + 1480 < 65535) {
        assert_int_equal(add(frag4(5, off, 1480, true), &out), 0);
        off += 1480;
    }
    assert_int_equal(add(frag4(5, off, 65535 - off, false), &out), 1);
    assert_whole(out, 65535);
}

/* ------------------------------------------------------------ overlaps */

static void overlapping_fragments_that_agree_are_accepted(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(6, 0, 800, true), &out), 0);
    assert_int_equal(add(frag4(6, 400, 800, true), &out), 0); /* half repeats */
    assert_int_equal(add(frag4(6, 1200, 100, false), &out), 1);
    assert_whole(out, 1300);
    assert_int_equal(stats()->overlaps, 0);
    assert_int_equal(stats()->duplicates, 0);
}

static void overlapping_fragments_that_conflict_drop_the_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    static uint8_t evil[800];
    memcpy(evil, data + 400, sizeof(evil));
    evil[500] ^= 0xff; /* differs at byte 900, inside the held range */

    assert_int_equal(add(frag4(7, 0, 1000, true), &out), 0);
    struct tr_frag f = frag4(7, 400, 800, true);
    f.data.ptr = evil;
    assert_true(add(f, &out) < 0);
    assert_int_equal(stats()->overlaps, 1);
    assert_int_equal(stats()->held, 0);
    assert_int_equal(stats()->held_bytes, 0);
    /* What follows starts a new datagram: nothing of the old one is used. */
    assert_int_equal(add(frag4(7, 1200, 100, false), &out), 0);
    assert_int_equal(stats()->reassembled, 0);
}

static void conflicting_bytes_beyond_the_held_range_are_fine(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    static uint8_t other[16];
    memcpy(other, data + 8, 8); /* agrees on the overlap [8,16) */
    memset(other + 8, 0xaa, 8); /* new bytes [16,24) */
    assert_int_equal(add(frag4(8, 0, 16, true), &out), 0);
    struct tr_frag f = frag4(8, 8, 16, true);
    f.data.ptr = other;
    assert_int_equal(add(f, &out), 0);
    assert_int_equal(add(frag4(8, 24, 8, false), &out), 1);
    assert_int_equal(out.len, 32);
    assert_memory_equal(out.ptr, data, 16);
    assert_memory_equal(out.ptr + 16, other + 8, 8);
}

static void duplicate_fragment_is_counted_and_harmless(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(9, 0, 1480, true), &out), 0);
    assert_int_equal(add(frag4(9, 0, 1480, true), &out), 0);
    assert_int_equal(stats()->duplicates, 1);
    assert_int_equal(stats()->held_bytes, 1480);
    assert_int_equal(add(frag4(9, 1480, 20, false), &out), 1);
    assert_whole(out, 1500);
    assert_int_equal(stats()->duplicates, 1);
}

/* A "last" fragment whose bytes were all held already still ends the datagram. */
static void repeated_bytes_that_bring_the_end_complete_the_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(10, 0, 32, true), &out), 0);
    assert_int_equal(add(frag4(10, 16, 16, false), &out), 1);
    assert_whole(out, 32);
    assert_int_equal(stats()->duplicates, 0);
}

/* ------------------------------------------------------------ malformed */

static void non_last_fragment_not_multiple_of_8_is_malformed(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(11, 0, 1480, true), &out), 0);
    assert_int_equal(add(frag4(11, 1480, 1001, true), &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->malformed, 1);
    assert_int_equal(stats()->held, 1); /* only the bad fragment went */
    assert_int_equal(add(frag4(11, 1480, 20, false), &out), 1);
    assert_whole(out, 1500);
}

static void empty_or_unaligned_fragment_is_malformed(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(12, 0, 0, true), &out), -TR_E_MALFORMED);
    assert_int_equal(add(frag4(12, 4, 8, true), &out), -TR_E_MALFORMED);
    struct tr_frag f = frag4(12, 0, 8, true);
    f.src.family = TR_AF_NONE;
    assert_int_equal(add(f, &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->malformed, 3);
    assert_int_equal(stats()->held, 0);
}

static void fragment_past_the_known_end_drops_the_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(13, 1000, 100, false), &out), 0); /* end: 1100 */
    assert_int_equal(add(frag4(13, 1096, 8, true), &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->malformed, 1);
    assert_int_equal(stats()->held, 0);
}

static void two_different_ends_drop_the_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(14, 1000, 100, false), &out), 0);
    assert_int_equal(add(frag4(14, 1000, 60, false), &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->malformed, 1);
    assert_int_equal(stats()->held, 0);
}

static void end_before_held_bytes_drops_the_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(15, 0, 2000, true), &out), 0);
    assert_int_equal(add(frag4(15, 800, 100, false), &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->malformed, 1);
    assert_int_equal(stats()->held, 0);
}

static void datagram_beyond_65535_bytes_is_too_big(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(16, 65528, 8, false), &out), -TR_E_MALFORMED);
    assert_int_equal(add(frag6(16, 65000, 1000, true), &out), -TR_E_MALFORMED);
    assert_int_equal(stats()->too_big, 2);
    assert_int_equal(stats()->held, 0);
    /* 65535 exactly is fine. */
    assert_int_equal(add(frag4(16, 65528, 7, false), &out), 0);
    assert_int_equal(stats()->too_big, 2);
}

/* ------------------------------------------------------------ keys */

static void ipv6_identification_uses_all_32_bits(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag6(0x00010007u, 0, 64, true), &out), 0);
    assert_int_equal(add(frag6(0x00020007u, 64, 16, false), &out), 0); /* same low 16 bits */
    assert_int_equal(stats()->held, 2);
    assert_int_equal(add(frag6(0x00010007u, 64, 16, false), &out), 1);
    assert_whole(out, 80);
    assert_int_equal(stats()->held, 1);
}

static void fragments_of_other_flows_do_not_mix(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(20, 0, 64, true), &out), 0);
    struct tr_frag f = frag4(20, 64, 16, false);
    f.proto = 6; /* other protocol */
    assert_int_equal(add(f, &out), 0);
    f = frag4(20, 64, 16, false);
    f.src.a[3] = 9; /* other source */
    assert_int_equal(add(f, &out), 0);
    f = frag6(20, 64, 16, false); /* other family */
    assert_int_equal(add(f, &out), 0);
    assert_int_equal(stats()->held, 4);
    assert_int_equal(add(frag4(20, 64, 16, false), &out), 1);
    assert_whole(out, 80);
}

/* ------------------------------------------------------------ limits */

static void incomplete_datagram_times_out_and_is_counted(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(30, 0, 64, true), &out), 0);
    tr_defrag_expire(d, now + 29 * SEC);
    assert_int_equal(stats()->held, 1);
    tr_defrag_expire(d, now + 31 * SEC);
    assert_int_equal(stats()->timeouts, 1);
    assert_int_equal(stats()->held, 0);
    assert_int_equal(stats()->held_bytes, 0);
}

/* No tick: the next fragment finds its datagram too old and starts afresh. */
static void late_fragment_does_not_complete_an_expired_datagram(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(31, 0, 64, true), &out), 0);
    now += 31 * SEC;
    assert_int_equal(add(frag4(31, 64, 16, false), &out), 0);
    assert_int_equal(stats()->timeouts, 1);
    assert_int_equal(stats()->reassembled, 0);
    assert_int_equal(stats()->held, 1);
}

static void clock_stepping_back_expires_nothing(void **state)
{
    (void)state;
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(32, 0, 64, true), &out), 0);
    tr_defrag_expire(d, now - 60 * SEC);
    assert_int_equal(stats()->held, 1);
    assert_int_equal(stats()->timeouts, 0);
}

static void full_table_evicts_the_oldest(void **state)
{
    (void)state;
    tr_defrag_free(d);
    d = tr_defrag_new(&(struct tr_defrag_conf){.max_datagrams = 4});
    assert_non_null(d);
    struct tr_bytes out = {NULL, 0};
    for (uint32_t id = 1; id <= 5; id++)
        assert_int_equal(add(frag4(id, 0, 64, true), &out), 0);
    assert_int_equal(stats()->evicted, 1);
    assert_int_equal(stats()->held, 4);
    /* id 1 was the oldest: its end starts a new datagram (evicting id 2). */
    assert_int_equal(add(frag4(1, 64, 16, false), &out), 0);
    assert_int_equal(stats()->evicted, 2);
    /* id 3 survived. */
    assert_int_equal(add(frag4(3, 64, 16, false), &out), 1);
    assert_whole(out, 80);
}

static void byte_budget_evicts_the_oldest(void **state)
{
    (void)state;
    tr_defrag_free(d);
    d = tr_defrag_new(&(struct tr_defrag_conf){.max_bytes = 3000});
    assert_non_null(d);
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(1, 0, 1000, true), &out), 0);
    assert_int_equal(add(frag4(2, 0, 1000, true), &out), 0);
    assert_int_equal(add(frag4(3, 0, 1000, true), &out), 0);
    assert_int_equal(stats()->held_bytes, 3000);
    assert_int_equal(stats()->evicted, 0);
    assert_int_equal(add(frag4(4, 0, 1000, true), &out), 0);
    assert_int_equal(stats()->evicted, 1);
    assert_int_equal(stats()->held, 3);
    assert_int_equal(stats()->held_bytes, 3000);
    /* Growing datagram 3 pushes out 2 (the oldest), not 3 itself. */
    assert_int_equal(add(frag4(3, 1000, 8, false), &out), 1);
    assert_whole(out, 1008);
    assert_int_equal(stats()->evicted, 2);
}

static void datagram_larger_than_the_budget_is_dropped(void **state)
{
    (void)state;
    tr_defrag_free(d);
    d = tr_defrag_new(&(struct tr_defrag_conf){.max_bytes = 3000});
    assert_non_null(d);
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(1, 0, 800, true), &out), 0);
    assert_int_equal(add(frag4(2, 0, 2000, true), &out), 0);
    assert_int_equal(add(frag4(2, 3000, 8, false), &out), -TR_E_FULL);
    assert_int_equal(stats()->evicted, 2); /* 1 made room in vain, then 2 itself */
    assert_int_equal(stats()->held, 0);
    assert_int_equal(stats()->held_bytes, 0);
}

/* A sparse fragment far out pins its whole span against the budget. */
static void sparse_fragment_counts_its_span(void **state)
{
    (void)state;
    tr_defrag_free(d);
    d = tr_defrag_new(&(struct tr_defrag_conf){.max_bytes = 10000});
    assert_non_null(d);
    struct tr_bytes out = {NULL, 0};
    assert_int_equal(add(frag4(1, 60000, 8, true), &out), -TR_E_FULL);
    assert_int_equal(stats()->evicted, 1);
}

/* ------------------------------------------------------------ allocation */

#include "alloc_count.h"

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void reassemble_one(uint32_t id, size_t len)
{
    struct tr_bytes out = {NULL, 0};
    uint32_t off = 0;
    while (len - off > 1480) {
        assert_int_equal(add(frag4(id, off, 1480, true), &out), 0);
        off += 1480;
    }
    assert_int_equal(add(frag4(id, off, len - off, false), &out), 1);
    assert_int_equal(out.len, len);
}

static void warm_table_reassembles_without_allocating(void **state)
{
    (void)state;
    reassemble_one(1, 4000); /* warm-up: the slot gets its buffer */
    uint64_t held_bytes = stats()->held_bytes;
    size_t heap = heap_in_use();
    start_counting();
    unsigned long before = allocs_so_far();
    for (uint32_t i = 0; i < 1000; i++)
        reassemble_one(2 + i, 4000);
    assert_int_equal(allocs_so_far() - before, 0);
    assert_int_equal(stats()->reassembled, 1001);
    assert_int_equal(stats()->held_bytes, held_bytes);
    assert_true(heap_in_use() <= heap);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(in_order_fragments_reassemble),
        T(reverse_order_fragments_reassemble),
        T(shuffled_small_fragments_reassemble),
        T(unfragmented_datagram_completes_at_once),
        T(largest_datagram_is_reassembled),
        T(overlapping_fragments_that_agree_are_accepted),
        T(overlapping_fragments_that_conflict_drop_the_datagram),
        T(conflicting_bytes_beyond_the_held_range_are_fine),
        T(duplicate_fragment_is_counted_and_harmless),
        T(repeated_bytes_that_bring_the_end_complete_the_datagram),
        T(non_last_fragment_not_multiple_of_8_is_malformed),
        T(empty_or_unaligned_fragment_is_malformed),
        T(fragment_past_the_known_end_drops_the_datagram),
        T(two_different_ends_drop_the_datagram),
        T(end_before_held_bytes_drops_the_datagram),
        T(datagram_beyond_65535_bytes_is_too_big),
        T(ipv6_identification_uses_all_32_bits),
        T(fragments_of_other_flows_do_not_mix),
        T(incomplete_datagram_times_out_and_is_counted),
        T(late_fragment_does_not_complete_an_expired_datagram),
        T(clock_stepping_back_expires_nothing),
        T(full_table_evicts_the_oldest),
        T(byte_budget_evicts_the_oldest),
        T(datagram_larger_than_the_budget_is_dropped),
        T(sparse_fragment_counts_its_span),
        T(warm_table_reassembles_without_allocating),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
