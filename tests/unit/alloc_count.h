/* alloc_count.h - counts heap allocations in a test executable, exactly,
 * never guessed from timing (the idea of curl's <limits> checks). Include it
 * in one test_*.c after cmocka.h. Under ASan the count comes from its malloc
 * hooks; otherwise malloc, calloc and realloc are interposed in the test
 * executable and forwarded to glibc's own entry points (free needs no
 * wrapper: the memory still comes from glibc's allocator). The counter is
 * atomic because the code under test may allocate from its own threads. */
#ifndef TRAWL_TEST_ALLOC_COUNT_H
#define TRAWL_TEST_ALLOC_COUNT_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define TR_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TR_TEST_ASAN 1
#endif
#endif

static unsigned long n_allocs;

static inline void count_one_alloc(void)
{
    __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
}

/* Allocations so far; compare two readings around the code under test. */
static inline unsigned long allocs_so_far(void)
{
    return __atomic_load_n(&n_allocs, __ATOMIC_RELAXED);
}

#ifdef TR_TEST_ASAN
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
static void count_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    count_one_alloc();
}
static void count_free(const volatile void *p)
{
    (void)p;
}
static inline void start_counting(void)
{
    /* Hooks cannot be removed again; they only bump a counter. */
    static bool installed;
    if (!installed)
        assert_int_not_equal(__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free),
                             0);
    installed = true;
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t k, size_t n);
void *realloc(void *p, size_t n);

void *malloc(size_t n)
{
    count_one_alloc();
    return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    count_one_alloc();
    return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    count_one_alloc();
    return __libc_realloc(p, n);
}

static inline void start_counting(void) {}
#endif

#endif
