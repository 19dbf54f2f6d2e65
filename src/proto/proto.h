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

#endif
