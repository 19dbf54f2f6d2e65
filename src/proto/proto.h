/* proto.h - application codecs: SIP (RFC 3261) and HEP (v1, v2, v3).
 *
 * Parsers take a view and fill a result made of views into that same input;
 * they never allocate, never copy and never need a NUL terminator. They read
 * only inside the view they are given.
 */
#ifndef TRAWL_PROTO_H
#define TRAWL_PROTO_H

#include "../core/core.h"

/* ------------------------------------------------------------------ SIP */

/* Why a message that looks like SIP is still malformed (first problem found). */
#define TR_SIP_DEFECTS(X)                                                   \
    X(NONE, "none")                                                         \
    X(START_LINE, "bad_start_line")                                         \
    X(HEADER_LINE, "bad_header_line")                                       \
    X(NO_HEADER_END, "no_header_end")                                       \
    X(NO_CALL_ID, "no_call_id")                                             \
    X(NO_CSEQ, "no_cseq")                                                   \
    X(BAD_CSEQ, "bad_cseq")                                                 \
    X(BAD_CONTENT_LENGTH, "bad_content_length")                             \
    X(BODY_SHORT, "body_shorter_than_content_length")

#define TR_SIP_DEFECT_ENUM(id, name) TR_SIP_DEFECT_##id,
enum tr_sip_defect { TR_SIP_DEFECTS(TR_SIP_DEFECT_ENUM) TR_SIP_DEFECT_COUNT };
#undef TR_SIP_DEFECT_ENUM

const char *tr_sip_defect_name(enum tr_sip_defect d);

struct tr_sip_msg {
    bool is_request;
    struct tr_str method;      /* requests: "INVITE"; responses: empty */
    struct tr_str request_uri; /* requests only */
    uint16_t status;           /* responses: 100..699 */
    struct tr_str reason;      /* responses: "OK" */

    struct tr_str call_id;     /* Call-ID / i */
    struct tr_str from_user, from_tag; /* From / f: user part of the URI, tag parameter */
    struct tr_str to_user, to_tag;     /* To / t */
    uint32_t cseq;
    struct tr_str cseq_method;
    struct tr_str via_branch;  /* first (topmost) Via / v branch parameter */
    struct tr_str user_agent;  /* User-Agent, or Server on responses if no User-Agent */
    struct tr_str content_type;         /* Content-Type / c */
    int64_t content_length;    /* Content-Length / l; -1 if absent */

    size_t header_len;         /* start line + headers + the empty line */
    struct tr_bytes body;      /* Content-Length bytes after the headers (or the rest of the
                                * datagram when the header is absent), clipped to what is there */
    size_t msg_len;            /* header_len + body.len: where the next message would start */
    enum tr_sip_defect defect; /* TR_SIP_DEFECT_NONE when well formed */
};

/* Cheap test on the first bytes: a SIP method token and " " or "SIP/2.0 ".
 * No false negatives for well-formed SIP; used on ports outside the SIP port
 * list before a full parse. Leading CR/LF (keep-alives) are skipped. */
bool tr_sip_probe(struct tr_bytes payload);

/* Parses one SIP message at the start of payload. Returns
 *   TR_OK           well formed; every field found is set
 *   TR_DECLINED     not SIP (start line is neither a request nor a status line)
 *   -TR_E_MALFORMED the start line is SIP but something later is wrong:
 *                   out->defect says what; fields found so far are set
 *   -TR_E_TRUNCATED the headers do not end inside payload (stream framing
 *                   uses this to wait for more); out->defect = NO_HEADER_END
 * Compact header forms (i, f, t, v, l, c, ...) and case-insensitive names are
 * accepted. */
int tr_sip_parse(struct tr_bytes payload, struct tr_sip_msg *out);

/* ------------------------------------------------------------------ HEP */

enum {
    TR_HEP_PROTO_SIP = 1,
    TR_HEP_PROTO_RTCP_JSON = 5,
    TR_HEP_PROTO_REPORT = 99,
    TR_HEP_PROTO_LOG = 100,
};

#define TR_HEP_MAX_FRAME 65507 /* largest UDP payload over IPv4; also our TCP frame cap */

struct tr_hep_fields {
    uint8_t version;           /* decode: 1, 2 or 3; encode: ignored (v3) */
    struct tr_addr src, dst;   /* family selects chunks 3/4 or 5/6 */
    uint8_t ip_proto;          /* 17 UDP, 6 TCP, 132 SCTP */
    uint16_t sport, dport;
    uint32_t ts_sec, ts_usec;
    uint8_t proto_type;        /* TR_HEP_PROTO_* */
    uint32_t capture_id;
    struct tr_str auth_key;    /* chunk 0x0e when len > 0 */
    struct tr_str correlation_id; /* chunk 0x11 when len > 0 */
    struct tr_str node_name;   /* chunk 0x13 when len > 0 */
    uint16_t vlan;             /* chunk 0x12 when has_vlan */
    bool has_vlan;
    struct tr_bytes payload;   /* chunk 0x0f */
    bool payload_compressed;   /* decode only: the payload came in chunk 0x10 (still compressed) */
};

/* Size of the HEP v3 frame tr_hep3_encode would write for f. */
size_t tr_hep3_size(const struct tr_hep_fields *f);

/* Encodes f as one HEP v3 frame into buf (chunks 0x01-0x0c, 0x0f always;
 * 0x0e, 0x11, 0x12, 0x13 when set). Never writes past cap. Returns the frame
 * length (> 0), or -TR_E_FULL if cap is too small or the frame would exceed
 * TR_HEP_MAX_FRAME. */
int tr_hep3_encode(const struct tr_hep_fields *f, uint8_t *buf, size_t cap);

/* Decodes one HEP v1, v2 or v3 message occupying exactly msg (for v3 the
 * total length must equal msg.len). Views point into msg. Unknown and vendor
 * chunks are skipped. Returns TR_OK, TR_DECLINED (not HEP), -TR_E_TRUNCATED or
 * -TR_E_MALFORMED (bad chunk lengths, wrong fixed sizes, missing addresses). */
int tr_hep_decode(struct tr_bytes msg, struct tr_hep_fields *out);

/* For stream carriers: given the first bytes of a stream, the length of the
 * HEP v3 frame that starts there; 0 if fewer than 6 bytes are available;
 * -TR_E_MALFORMED if the bytes are not a HEP3 header. */
long tr_hep3_frame_len(struct tr_bytes head);

/* ============================================================ WebSocket
 * (websocket.c) SIP over WebSocket (RFC 7118): the HTTP/1.1 Upgrade that
 * opens it (RFC 6455 section 4, Sec-WebSocket-Protocol "sip") and the frames
 * that carry it (RFC 6455 section 5). A stream framer finds an Upgrade, then
 * cuts frames with tr_ws_frame_parse and joins fragments with tr_ws_asm_add;
 * each data message (text or binary) holds one SIP message (RFC 7118 5.2).
 */

enum {
    TR_WS_OP_CONT = 0x0,
    TR_WS_OP_TEXT = 0x1,
    TR_WS_OP_BINARY = 0x2,
    TR_WS_OP_CLOSE = 0x8,
    TR_WS_OP_PING = 0x9,
    TR_WS_OP_PONG = 0xa,
};

#define TR_WS_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask key) */

struct tr_ws_frame {
    bool fin;
    uint8_t rsv;             /* RSV1..3 as bits 2..0; non-zero only with an extension */
    uint8_t opcode;          /* TR_WS_OP_* */
    bool masked;             /* client-to-server frames are masked */
    uint8_t mask[4];
    uint64_t payload_len;    /* as declared (7, 16 or 64 bits) */
    size_t header_len;       /* 2..14; 0 while the header itself is incomplete */
    struct tr_bytes payload; /* TR_OK only: the payload as on the wire (still masked) */
};

/* Parses the frame at the start of in. Returns
 *   TR_OK           the whole frame is there: header_len + payload_len bytes
 *   -TR_E_TRUNCATED more bytes needed; header fields are set once header_len > 0
 *   -TR_E_MALFORMED reserved opcode, control frame longer than 125 bytes or
 *                   fragmented, 64-bit length with the top bit set
 * Reads only inside in. */
int tr_ws_frame_parse(struct tr_bytes in, struct tr_ws_frame *out);

/* dst[i] = src[i] ^ mask[(offset + i) % 4]; dst may equal src. offset is the
 * position of src[0] in the frame payload, so a payload can be unmasked in
 * pieces. */
void tr_ws_unmask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
                  uint64_t offset);

/* Joins a fragmented data message (RFC 6455 5.4) into a buffer the caller
 * owns (borrowed for the assembler's lifetime), so there is no allocation and
 * a message is at most cap bytes. Control frames (close, ping, pong) may
 * arrive between fragments and are skipped. */
struct tr_ws_asm {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint8_t opcode;  /* of the message being joined */
    bool active;     /* a message is being joined */
    bool discarding; /* the current message overflowed: skip to its last fragment */
    uint64_t messages;        /* data messages completed */
    uint64_t control_frames;  /* skipped */
    uint64_t too_big;         /* messages dropped: longer than cap */
    uint64_t protocol_errors; /* continuation without a start, data frame inside a message */
};

void tr_ws_asm_init(struct tr_ws_asm *a, uint8_t *buf, size_t cap);

/* Adds one whole frame (from tr_ws_frame_parse returning TR_OK). Returns 1
 * with *msg set to the complete, unmasked message (a view into buf, valid
 * until the next call), 0 when nothing is complete yet or the frame was a
 * control frame, -TR_E_FULL when the message is dropped for its size,
 * -TR_E_MALFORMED for a protocol error (the partial message is dropped).
 * Every case is counted in the assembler. */
int tr_ws_asm_add(struct tr_ws_asm *a, const struct tr_ws_frame *f, struct tr_bytes *msg);

struct tr_ws_upgrade {
    bool is_request;   /* "GET ... HTTP/1.x" asking for Upgrade: websocket */
    uint16_t status;   /* responses: the status code (101 accepts the upgrade) */
    bool sip;          /* Sec-WebSocket-Protocol names "sip" (RFC 7118 section 4.1) */
    size_t header_len; /* start line + headers + the empty line */
};

#define TR_WS_MAX_UPGRADE 8192 /* longest HTTP header block considered */

/* Recognises the HTTP/1.1 handshake of RFC 6455 section 4 at the start of
 * in: a GET request with "Upgrade: websocket", or a response with
 * "Upgrade: websocket" (status 101 means switched). Returns TR_OK,
 * TR_DECLINED (not an HTTP WebSocket handshake), or -TR_E_TRUNCATED (looks
 * like HTTP, the header block has not ended yet and is under
 * TR_WS_MAX_UPGRADE bytes). */
int tr_ws_upgrade_parse(struct tr_bytes in, struct tr_ws_upgrade *out);

/* ================================================================ SDP
 * (sdp.c) -- section owned by the SDP work (issue 5). */

/* ================================================================ RTCP
 * (rtcp.c, rtcpxr.c) -- section owned by the RTCP work (issue 5). */

#endif
