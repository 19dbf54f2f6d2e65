/* test_json.c - the bounded JSON writer (src/core/json.c) through core.h:
 * escaping as docs/json.md says, numbers, timestamps, key commas, and the
 * capacity contract (never past cap, room for the NUL or -TR_E_FULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static char out[256];

/* The text str() writes for n bytes at p, NUL-terminated in out. */
static const char *str(const void *p, size_t n)
{
    struct tr_json_buf b;
    tr_json_init(&b, out, sizeof(out));
    tr_json_str(&b, p, n);
    assert_true(tr_json_finish(&b) >= 0);
    return out;
}

#define STR(lit) str((lit), sizeof(lit) - 1)

static void quote_backslash_and_line_ends_get_short_escapes(void **state)
{
    (void)state;
    assert_string_equal(STR("a\"b\\c\nd\re\tf"), "\"a\\\"b\\\\c\\nd\\re\\tf\"");
}

static void other_control_bytes_become_u00xx(void **state)
{
    (void)state;
    assert_string_equal(STR("\x01\x1f\b"), "\"\\u0001\\u001f\\u0008\"");
    assert_string_equal(str("a\0b", 3), "\"a\\u0000b\"");
}

static void valid_utf8_and_del_are_copied_as_they_are(void **state)
{
    (void)state;
    /* U+00E9, U+20AC, U+1F600 and DEL (valid JSON unescaped) */
    assert_string_equal(STR("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f"),
                        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"");
}

static void bytes_that_are_not_utf8_become_u00xx(void **state)
{
    (void)state;
    assert_string_equal(STR("\xff"), "\"\\u00ff\"");             /* never a lead byte */
    assert_string_equal(STR("\xc3"), "\"\\u00c3\"");             /* cut sequence */
    assert_string_equal(STR("\xc0\xaf"), "\"\\u00c0\\u00af\"");  /* overlong '/' */
    assert_string_equal(STR("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
    assert_string_equal(STR("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
    assert_string_equal(STR("\xc3x"), "\"\\u00c3x\"");           /* bad continuation */
}

static void empty_view_is_an_empty_string(void **state)
{
    (void)state;
    assert_string_equal(str(NULL, 0), "\"\"");
}

static void integers_cover_their_whole_range(void **state)
{
    (void)state;
    struct tr_json_buf b;
    tr_json_init(&b, out, sizeof(out));
    tr_json_u64(&b, 0);
    TR_JSON_LIT(&b, " ");
    tr_json_u64(&b, UINT64_MAX);
    TR_JSON_LIT(&b, " ");
    tr_json_i64(&b, INT64_MIN);
    TR_JSON_LIT(&b, " ");
    tr_json_i64(&b, -7);
    TR_JSON_LIT(&b, " ");
    tr_json_i64(&b, INT64_MAX);
    assert_true(tr_json_finish(&b) > 0);
    assert_string_equal(out, "0 18446744073709551615 -9223372036854775808 -7 9223372036854775807");
}

static void fixed_decimals_match_printf(void **state)
{
    (void)state;
    static const double v[] = { 0.0, 10.0, 2.0005, 3.385, -1.25, 65.65, 1e20 };
    for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
        for (unsigned d = 0; d <= 3; d++) {
            char want[64];
            snprintf(want, sizeof(want), "%.*f", (int)d, v[i]);
            struct tr_json_buf b;
            tr_json_init(&b, out, sizeof(out));
            tr_json_fixed(&b, v[i], d);
            assert_true(tr_json_finish(&b) > 0);
            assert_string_equal(out, want);
        }
    }
}

static void time_is_utc_iso8601_with_microseconds(void **state)
{
    (void)state;
    struct tr_json_buf b;
    tr_json_init(&b, out, sizeof(out));
    tr_json_time(&b, 1795417862000000000ull + 123456789u);
    TR_JSON_LIT(&b, " ");
    tr_json_time(&b, 0);
    assert_true(tr_json_finish(&b) > 0);
    assert_string_equal(out, "\"2026-11-23T07:11:02.123456Z\" \"1970-01-01T00:00:00.000000Z\"");
}

static void keys_get_a_comma_except_first_in_object_or_array(void **state)
{
    (void)state;
    struct tr_json_buf b;
    tr_json_init(&b, out, sizeof(out));
    TR_JSON_LIT(&b, "{");
    TR_JSON_KEY(&b, "a");
    tr_json_u64(&b, 1);
    TR_JSON_KEY(&b, "b");
    TR_JSON_LIT(&b, "[{");
    TR_JSON_KEY(&b, "c");
    tr_json_str(&b, "x", 1);
    TR_JSON_KEY(&b, "d");
    TR_JSON_LIT(&b, "true}]}");
    assert_true(tr_json_finish(&b) > 0);
    assert_string_equal(out, "{\"a\":1,\"b\":[{\"c\":\"x\",\"d\":true}]}");
}

/* Writes a fixed object into cap bytes of a buffer filled with 0x5a. */
static int object_in(char *buf, size_t cap)
{
    struct tr_json_buf b;
    tr_json_init(&b, buf, cap);
    TR_JSON_LIT(&b, "{");
    TR_JSON_KEY(&b, "text");
    tr_json_str(&b, "a\"\xff\xc3\xa9", 5);
    TR_JSON_KEY(&b, "n");
    tr_json_i64(&b, -123456789);
    TR_JSON_KEY(&b, "t");
    tr_json_time(&b, 1795417862000000000ull);
    TR_JSON_KEY(&b, "f");
    tr_json_fixed(&b, 3.25, 2);
    TR_JSON_LIT(&b, "}");
    return tr_json_finish(&b);
}

static void writer_never_passes_cap_and_needs_room_for_the_nul(void **state)
{
    (void)state;
    char full[256];
    int n = object_in(full, sizeof(full));
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(full));
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char buf[300];
        memset(buf, 0x5a, sizeof(buf));
        assert_int_equal(object_in(buf, cap), -TR_E_FULL);
        for (size_t i = cap; i < sizeof(buf); i++)
            assert_int_equal((unsigned char)buf[i], 0x5a);
    }
    char buf[256];
    assert_int_equal(object_in(buf, (size_t)n + 1), n);
    assert_string_equal(buf, full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_backslash_and_line_ends_get_short_escapes),
        cmocka_unit_test(other_control_bytes_become_u00xx),
        cmocka_unit_test(valid_utf8_and_del_are_copied_as_they_are),
        cmocka_unit_test(bytes_that_are_not_utf8_become_u00xx),
        cmocka_unit_test(empty_view_is_an_empty_string),
        cmocka_unit_test(integers_cover_their_whole_range),
        cmocka_unit_test(fixed_decimals_match_printf),
        cmocka_unit_test(time_is_utc_iso8601_with_microseconds),
        cmocka_unit_test(keys_get_a_comma_except_first_in_object_or_array),
        cmocka_unit_test(writer_never_passes_cap_and_needs_room_for_the_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
