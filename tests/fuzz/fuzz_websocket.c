/* fuzz_websocket.c - fuzz target for the WebSocket frame parser, fragment
 * joining and Upgrade recognition (src/proto/websocket.c). The input is tried
 * as an Upgrade handshake, then (after the handshake, if one parsed) walked
 * as a stream of frames fed to an assembler with a small buffer.
 * Checks: views inside the input, frame lengths that add up, assembled
 * messages no longer than the buffer. */
#include "fuzz.h"
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_ws_upgrade u;
    size_t off = 0;
    int rc = tr_ws_upgrade_parse((struct tr_bytes){data, size}, &u);
    CHECK(rc == TR_OK || rc == TR_DECLINED || rc == -TR_E_TRUNCATED);
    if (rc == TR_OK) {
        CHECK(u.header_len > 0 && u.header_len <= size && u.header_len <= TR_WS_MAX_UPGRADE);
        off = u.header_len;
    }

    uint8_t store[512];
    struct tr_ws_asm as;
    tr_ws_asm_init(&as, store, sizeof(store));
    while (off < size) {
        struct tr_bytes in = {data + off, size - off};
        struct tr_ws_frame f;
        rc = tr_ws_frame_parse(in, &f);
        CHECK(f.header_len <= TR_WS_MAX_HEADER);
        if (rc != TR_OK) {
            CHECK(rc == -TR_E_TRUNCATED || rc == -TR_E_MALFORMED);
            CHECK(f.header_len <= in.len);
            break;
        }
        CHECK(f.header_len >= 2 && f.payload_len == f.payload.len);
        CHECK(f.payload.len <= in.len - f.header_len);
        CHECK(f.payload.len == 0 || f.payload.ptr == in.ptr + f.header_len);
        struct tr_bytes msg = {NULL, 0};
        int r = tr_ws_asm_add(&as, &f, &msg);
        CHECK(r == 0 || r == 1 || r == -TR_E_FULL || r == -TR_E_MALFORMED);
        if (r == 1) {
            CHECK(msg.len <= sizeof(store));
            CHECK(msg.len == 0 || msg.ptr == store);
            struct tr_sip_msg sip;
            (void)tr_sip_parse(msg, &sip);
        }
        off += f.header_len + f.payload.len;
    }
    CHECK(as.len <= sizeof(store));
    return 0;
}
