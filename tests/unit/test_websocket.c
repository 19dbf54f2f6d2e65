/* test_websocket.c - WebSocket frames, fragment joining and the Upgrade
 * handshake (src/proto/websocket.c) through proto.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

static const char *sip_msg = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKhjhs8ass877\r\n"
                             "Call-ID: ws1@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/* Writes one frame; returns its length. */
static size_t frame(uint8_t *out, bool fin, uint8_t op, const uint8_t *mask, const void *data,
                    size_t len, int len_form)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    uint8_t m = mask ? 0x80 : 0;
    if (len_form == 7) {
        out[n++] = (uint8_t)(m | len);
    } else if (len_form == 16) {
        out[n++] = m | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
        for (size_t i = 0; i < len; i++)
            out[n + i] = ((const uint8_t *)data)[i] ^ mask[i % 4];
    } else {
        memcpy(out + n, data, len);
    }
    return n + len;
}

static void unmasked_text_frame_with_7_bit_length_is_parsed(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = frame(buf, true, TR_WS_OP_TEXT, NULL, "hello", 5, 7);
    struct tr_ws_frame f;
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), TR_OK);
    assert_true(f.fin);
    assert_int_equal(f.opcode, TR_WS_OP_TEXT);
    assert_false(f.masked);
    assert_int_equal(f.header_len, 2);
    assert_int_equal(f.payload_len, 5);
    assert_memory_equal(f.payload.ptr, "hello", 5);
}

static void masked_frame_with_16_bit_length_is_unmasked(void **state)
{
    (void)state;
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t buf[1024];
    size_t len = strlen(sip_msg);
    assert_true(len > 125);
    size_t n = frame(buf, true, TR_WS_OP_TEXT, mask, sip_msg, len, 16);
    struct tr_ws_frame f;
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), TR_OK);
    assert_true(f.masked);
    assert_int_equal(f.header_len, 8);
    assert_int_equal(f.payload_len, len);
    assert_memory_equal(f.mask, mask, 4);
    uint8_t out[1024];
    /* In two pieces: the mask position follows the payload offset. */
    tr_ws_unmask(out, f.payload.ptr, 7, f.mask, 0);
    tr_ws_unmask(out + 7, f.payload.ptr + 7, len - 7, f.mask, 7);
    assert_memory_equal(out, sip_msg, len);
}

static void frame_with_64_bit_length_is_parsed(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t n = frame(buf, true, TR_WS_OP_BINARY, NULL, "abc", 3, 64);
    struct tr_ws_frame f;
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), TR_OK);
    assert_int_equal(f.header_len, 10);
    assert_int_equal(f.payload_len, 3);
    assert_int_equal(f.opcode, TR_WS_OP_BINARY);
}

static void short_frame_is_truncated_at_every_length(void **state)
{
    (void)state;
    static const uint8_t mask[4] = {1, 2, 3, 4};
    uint8_t buf[512];
    size_t n = frame(buf, true, TR_WS_OP_TEXT, mask, sip_msg, 150, 16);
    for (size_t i = 0; i < n; i++) {
        struct tr_ws_frame f;
        assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, i}, &f), -TR_E_TRUNCATED);
        if (i >= 8)
            assert_int_equal(f.payload_len, 150);
        else
            assert_int_equal(f.header_len, 0);
    }
}

static void bad_frames_are_malformed(void **state)
{
    (void)state;
    uint8_t buf[256];
    uint8_t big[200] = {0};
    struct tr_ws_frame f;
    size_t n = frame(buf, true, 0x3, NULL, "x", 1, 7); /* reserved opcode */
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), -TR_E_MALFORMED);
    n = frame(buf, true, TR_WS_OP_PING, NULL, big, 126, 16); /* control > 125 */
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), -TR_E_MALFORMED);
    n = frame(buf, false, TR_WS_OP_CLOSE, NULL, "", 0, 7); /* fragmented control */
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){buf, n}, &f), -TR_E_MALFORMED);
    static const uint8_t huge[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){huge, sizeof(huge)}, &f),
                     -TR_E_MALFORMED);
}

static void fragmented_masked_message_with_ping_between_is_joined(void **state)
{
    (void)state;
    static const uint8_t m1[4] = {0xde, 0xad, 0xbe, 0xef}, m2[4] = {1, 2, 3, 4},
                         m3[4] = {9, 8, 7, 6};
    size_t len = strlen(sip_msg), a = 10, b = 70;
    uint8_t wire[2048];
    size_t n = 0;
    n += frame(wire + n, false, TR_WS_OP_TEXT, m1, sip_msg, a, 7);
    n += frame(wire + n, true, TR_WS_OP_PING, m2, "p", 1, 7);
    n += frame(wire + n, false, TR_WS_OP_CONT, m2, sip_msg + a, b - a, 7);
    n += frame(wire + n, true, TR_WS_OP_CONT, m3, sip_msg + b, len - b, 16);

    uint8_t store[1024];
    struct tr_ws_asm as;
    tr_ws_asm_init(&as, store, sizeof(store));
    size_t off = 0;
    int done = 0;
    struct tr_bytes msg = {NULL, 0};
    while (off < n) {
        struct tr_ws_frame f;
        assert_int_equal(tr_ws_frame_parse((struct tr_bytes){wire + off, n - off}, &f), TR_OK);
        int rc = tr_ws_asm_add(&as, &f, &msg);
        assert_true(rc >= 0);
        done += rc;
        off += f.header_len + f.payload.len;
    }
    assert_int_equal(done, 1);
    assert_int_equal(msg.len, len);
    assert_memory_equal(msg.ptr, sip_msg, len);
    assert_int_equal(as.messages, 1);
    assert_int_equal(as.control_frames, 1);
    struct tr_sip_msg sip;
    assert_int_equal(tr_sip_parse(msg, &sip), TR_OK);
    assert_int_equal(sip.call_id.len, 5);
}

static void message_longer_than_the_buffer_is_dropped_and_counted(void **state)
{
    (void)state;
    uint8_t store[64];
    struct tr_ws_asm as;
    tr_ws_asm_init(&as, store, sizeof(store));
    uint8_t w[256];
    struct tr_ws_frame f;
    struct tr_bytes msg;
    size_t n = frame(w, false, TR_WS_OP_TEXT, NULL, sip_msg, 50, 7);
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){w, n}, &f), TR_OK);
    assert_int_equal(tr_ws_asm_add(&as, &f, &msg), 0);
    n = frame(w, false, TR_WS_OP_CONT, NULL, sip_msg, 50, 7);
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){w, n}, &f), TR_OK);
    assert_int_equal(tr_ws_asm_add(&as, &f, &msg), -TR_E_FULL);
    n = frame(w, true, TR_WS_OP_CONT, NULL, sip_msg, 50, 7);
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){w, n}, &f), TR_OK);
    assert_int_equal(tr_ws_asm_add(&as, &f, &msg), 0);
    assert_int_equal(as.too_big, 1);
    assert_int_equal(as.messages, 0);
    /* The next message is fine again. */
    n = frame(w, true, TR_WS_OP_TEXT, NULL, "ok", 2, 7);
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){w, n}, &f), TR_OK);
    assert_int_equal(tr_ws_asm_add(&as, &f, &msg), 1);
    assert_int_equal(msg.len, 2);
}

static void continuation_without_start_is_a_protocol_error(void **state)
{
    (void)state;
    uint8_t store[64], w[64];
    struct tr_ws_asm as;
    tr_ws_asm_init(&as, store, sizeof(store));
    struct tr_ws_frame f;
    struct tr_bytes msg;
    size_t n = frame(w, true, TR_WS_OP_CONT, NULL, "x", 1, 7);
    assert_int_equal(tr_ws_frame_parse((struct tr_bytes){w, n}, &f), TR_OK);
    assert_int_equal(tr_ws_asm_add(&as, &f, &msg), -TR_E_MALFORMED);
    assert_int_equal(as.protocol_errors, 1);
}

/* ---------------------------------------------------------------- handshake */

static const char *upgrade_req = "GET / HTTP/1.1\r\n"
                                 "Host: proxy.example.com\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Origin: http://www.example.com\r\n"
                                 "Sec-WebSocket-Protocol: sip\r\n"
                                 "Sec-WebSocket-Version: 13\r\n\r\n";

static const char *upgrade_resp = "HTTP/1.1 101 Switching Protocols\r\n"
                                  "Upgrade: WebSocket\r\n"
                                  "Connection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                  "Sec-WebSocket-Protocol: chat, SIP\r\n\r\n";

static void upgrade_request_for_sip_is_recognised(void **state)
{
    (void)state;
    struct tr_ws_upgrade u;
    struct tr_bytes b = {(const uint8_t *)upgrade_req, strlen(upgrade_req)};
    assert_int_equal(tr_ws_upgrade_parse(b, &u), TR_OK);
    assert_true(u.is_request);
    assert_true(u.sip);
    assert_int_equal(u.header_len, strlen(upgrade_req));
    for (size_t i = 1; i < b.len; i++) {
        struct tr_bytes p = {b.ptr, i};
        assert_int_equal(tr_ws_upgrade_parse(p, &u), -TR_E_TRUNCATED);
    }
}

static void switching_protocols_response_is_recognised(void **state)
{
    (void)state;
    struct tr_ws_upgrade u;
    struct tr_bytes b = {(const uint8_t *)upgrade_resp, strlen(upgrade_resp)};
    assert_int_equal(tr_ws_upgrade_parse(b, &u), TR_OK);
    assert_false(u.is_request);
    assert_int_equal(u.status, 101);
    assert_true(u.sip);
}

static void plain_http_and_sip_are_not_upgrades(void **state)
{
    (void)state;
    struct tr_ws_upgrade u;
    const char *get = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(tr_ws_upgrade_parse((struct tr_bytes){(const uint8_t *)get, strlen(get)}, &u),
                     TR_DECLINED);
    assert_int_equal(
        tr_ws_upgrade_parse((struct tr_bytes){(const uint8_t *)sip_msg, strlen(sip_msg)}, &u),
        TR_DECLINED);
    static char endless[TR_WS_MAX_UPGRADE + 100];
    memset(endless, 'a', sizeof(endless));
    memcpy(endless, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(
        tr_ws_upgrade_parse((struct tr_bytes){(const uint8_t *)endless, sizeof(endless)}, &u),
        TR_DECLINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unmasked_text_frame_with_7_bit_length_is_parsed),
        cmocka_unit_test(masked_frame_with_16_bit_length_is_unmasked),
        cmocka_unit_test(frame_with_64_bit_length_is_parsed),
        cmocka_unit_test(short_frame_is_truncated_at_every_length),
        cmocka_unit_test(bad_frames_are_malformed),
        cmocka_unit_test(fragmented_masked_message_with_ping_between_is_joined),
        cmocka_unit_test(message_longer_than_the_buffer_is_dropped_and_counted),
        cmocka_unit_test(continuation_without_start_is_a_protocol_error),
        cmocka_unit_test(upgrade_request_for_sip_is_recognised),
        cmocka_unit_test(switching_protocols_response_is_recognised),
        cmocka_unit_test(plain_http_and_sip_are_not_upgrades),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
