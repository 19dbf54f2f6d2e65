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
    TR_HEP_PROTO_VQ = 35, /* vq-rtcpxr report text (heplify-server) */
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
 * (sdp.c):
 * Session Description Protocol (RFC 8866, which replaced RFC 4566): only what
 * media correlation needs. Connection data "c=" (RFC 8866 5.7: IN IP4 / IN
 * IP6, TTL and count suffixes tolerated, the first address kept), media
 * descriptions "m=" (5.14: type, port, optional /count, proto), the RTCP
 * attribute "a=rtcp:PORT [IN IP4|IP6 ADDR]" (RFC 3605 section 2.1),
 * "a=rtcp-mux" (RFC 5761 section 5.1.1; "a=rtcp-mux-only", RFC 8858, implies
 * it) and the direction attributes (RFC 8866 6.7). Port 0 marks a disabled
 * stream (RFC 3264 section 8.2). Lines end with CRLF or LF; lines that do not
 * parse are skipped and counted, never fatal. Views point into the body.
 */

#define TR_SDP_MAX_MEDIA 8 /* m= lines stored; more are counted in n_media_total */

enum tr_sdp_dir { TR_SDP_SENDRECV, TR_SDP_SENDONLY, TR_SDP_RECVONLY, TR_SDP_INACTIVE };

struct tr_sdp_media {
    struct tr_str type;       /* "audio", "video", "image", "application", ... */
    struct tr_str proto;      /* "RTP/AVP", "UDP/TLS/RTP/SAVPF", "udptl", ... */
    uint16_t port;            /* 0: disabled stream, or the m= line did not parse */
    uint16_t n_ports;         /* "m=video 49170/2 ...": 2; otherwise 1 */
    struct tr_addr addr;      /* this section's c= if any, else the session c=;
                               * TR_AF_NONE if neither, or if c= names a host (FQDN).
                               * May be unspecified (0.0.0.0: hold, RFC 3264 8.4) */
    bool media_conn;          /* addr came from a c= inside this section */
    uint16_t rtcp_port;       /* a=rtcp port; 0 if absent */
    struct tr_addr rtcp_addr; /* a=rtcp address; TR_AF_NONE if absent (addr applies) */
    bool rtcp_mux;            /* a=rtcp-mux in this section or at session level */
    bool malformed;           /* the m= line did not parse (port 0); its attributes
                               * are still attached to it, not to the previous one */
    uint8_t dir;              /* enum tr_sdp_dir: section, else session, else sendrecv */
};

struct tr_sdp {
    struct tr_addr session_addr; /* session-level c=; TR_AF_NONE if absent */
    unsigned n_media;            /* entries filled in media[] */
    unsigned n_media_total;      /* m= lines seen; above TR_SDP_MAX_MEDIA they are
                                  * counted here, not stored, their lines ignored */
    unsigned n_junk;             /* non-empty lines that are not "x=..." or whose
                                  * c=, m= or a=rtcp value did not parse */
    bool unterminated;           /* the last line has no line end: it may have been cut
                                  * (it is parsed anyway) */
    struct tr_sdp_media media[TR_SDP_MAX_MEDIA];
};

/* Parses an SDP body. Returns TR_OK (out filled; n_media may be 0) or
 * TR_DECLINED when the first non-empty line is not "v=" (not SDP; out is
 * zeroed). Reads only inside body; needs no NUL terminator; never allocates. */
int tr_sdp_parse(struct tr_bytes body, struct tr_sdp *out);

/* ================================================================ RTCP
 * (rtcp.c, rtcp_json.c, vq.c):
 *
 * rtcp.c: RTCP compound packets (RFC 3550 section 6: SR 6.4.1, RR 6.4.2,
 * SDES 6.5, BYE 6.6, APP 6.7; validity checks appendix A.2), reduced-size
 * RTCP (RFC 5506), feedback packets (RFC 4585, counted only) and XR (RFC
 * 3611 section 3, VoIP metrics block section 4.7). The probe keeps RTP out
 * even on a muxed port (RFC 5761 section 4).
 * rtcp_json.c: the JSON body of HEP type 5 that HOMER reads (docs/rtcp.md).
 * vq.c: the SIP PUBLISH body application/vq-rtcpxr (RFC 6035 section 4.6).
 *
 * The results are fixed-size structs of views into the packet: no
 * allocation, nothing copied; what does not fit is counted, not kept.
 */

enum {
    TR_RTCP_SR = 200,
    TR_RTCP_RR = 201,
    TR_RTCP_SDES = 202,
    TR_RTCP_BYE = 203,
    TR_RTCP_APP = 204,
    TR_RTCP_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    TR_RTCP_PSFB = 206,  /* RFC 4585 payload-specific feedback */
    TR_RTCP_XR = 207,    /* RFC 3611 extended report */
};

enum {
    TR_RTCP_SDES_CNAME = 1, /* RFC 3550 6.5.1; NAME 2, EMAIL 3, PHONE 4, LOC 5, TOOL 6, NOTE 7, PRIV 8 */
    TR_RTCP_XR_VOIP_METRICS = 7, /* RFC 3611 4.7 block type */
};

#define TR_RTCP_MAX_BLOCKS 64 /* report blocks kept (a packet holds at most 31; SR + RR...) */
#define TR_RTCP_MAX_SDES 16   /* SDES items kept, all chunks together */
#define TR_RTCP_MAX_BYE 16    /* BYE SSRC/CSRCs kept */
#define TR_RTCP_MAX_APP 4     /* APP packets kept */
#define TR_RTCP_MAX_XR 16     /* XR report blocks kept (any type) */
#define TR_RTCP_MAX_VOIP 4    /* XR VoIP metrics blocks decoded */

/* Why a packet is malformed (the first problem found). */
#define TR_RTCP_DEFECTS(X)                                                  \
    X(NONE, "none")                                                         \
    X(VERSION, "bad_version")          /* a packet after the first is not V=2 */ \
    X(TYPE, "bad_packet_type")         /* a packet type outside 192..223 */  \
    X(LENGTH, "length_past_end")       /* a length field runs past the datagram */ \
    X(TRAILING, "trailing_bytes")      /* 1..3 bytes left after the last packet */ \
    X(PADDING, "bad_padding")          /* P on a packet not last, or a bad count */ \
    X(SHORT, "packet_too_short")       /* content shorter than its count says */ \
    X(SDES, "bad_sdes")                /* item past the packet, no END item */ \
    X(BYE, "bad_bye_reason")           /* reason past the packet */          \
    X(XR, "bad_xr_block")              /* block past the packet, short VoIP block */

#define TR_RTCP_DEFECT_ENUM(id, name) TR_RTCP_DEFECT_##id,
enum tr_rtcp_defect { TR_RTCP_DEFECTS(TR_RTCP_DEFECT_ENUM) TR_RTCP_DEFECT_COUNT };
#undef TR_RTCP_DEFECT_ENUM

const char *tr_rtcp_defect_name(enum tr_rtcp_defect d);

struct tr_rtcp_sender_info {   /* RFC 3550 6.4.1 */
    uint32_t ntp_sec;          /* NTP timestamp, seconds since 1900-01-01 (wire MSW) */
    uint32_t ntp_frac;         /* NTP fraction, units of 2^-32 s (wire LSW) */
    uint32_t ntp_usec;         /* ntp_frac in microseconds: floor(frac * 10^6 / 2^32), 0..999999 */
    uint32_t rtp_ts;
    uint32_t packets;          /* sender's packet count */
    uint32_t octets;           /* sender's payload octet count */
};

struct tr_rtcp_report_block {  /* RFC 3550 6.4.1, 24 bytes on the wire */
    uint32_t reporter_ssrc;    /* SSRC of the SR/RR that carried the block */
    uint32_t ssrc;             /* SSRC_n: the source reported on */
    uint8_t fraction_lost;     /* fixed point, lost/expected * 256 */
    int32_t cum_lost;          /* cumulative lost: signed 24 bits, sign-extended (< 0 with duplicates) */
    uint32_t ext_high_seq;     /* extended highest sequence number received */
    uint32_t jitter;           /* interarrival jitter, RTP timestamp units */
    uint32_t lsr;              /* middle 32 bits of the last SR's NTP timestamp */
    uint32_t dlsr;             /* delay since last SR, units of 1/65536 s */
};

struct tr_rtcp_sdes_item {     /* RFC 3550 6.5 */
    uint32_t ssrc;             /* the chunk's SSRC/CSRC */
    uint8_t type;              /* TR_RTCP_SDES_CNAME ...; PRIV (8) text keeps its prefix length octet */
    struct tr_bytes text;      /* 0..255 bytes, any values: attacker-controlled */
};

struct tr_rtcp_app {           /* RFC 3550 6.7 */
    uint32_t ssrc;
    uint8_t subtype;           /* the 5-bit count field */
    uint8_t name[4];           /* four octets, meant to be ASCII (not checked) */
    struct tr_bytes data;      /* application-dependent data (padding removed) */
};

struct tr_rtcp_xr_block {      /* RFC 3611 section 3 */
    uint32_t xr_ssrc;          /* SSRC of the XR packet's sender */
    uint8_t type;              /* BT */
    uint8_t type_specific;
    uint16_t length;           /* block length field: 32-bit words - 1, header included */
    struct tr_bytes body;      /* the block after its 4-byte header */
};

struct tr_rtcp_voip_metrics {  /* RFC 3611 4.7, wire values (units as in the RFC) */
    uint32_t xr_ssrc;          /* SSRC of the XR packet's sender */
    uint32_t ssrc;             /* SSRC of source */
    uint8_t loss_rate, discard_rate;       /* fraction * 256 */
    uint8_t burst_density, gap_density;    /* fraction * 256 */
    uint16_t burst_duration, gap_duration; /* ms */
    uint16_t round_trip_delay, end_system_delay; /* ms */
    int8_t signal_level, noise_level;      /* dBm0; 127 = unavailable */
    uint8_t rerl, gmin;                    /* dB (127 = unavailable); gap threshold */
    uint8_t r_factor, ext_r_factor;        /* 0..100; 127 = unavailable */
    uint8_t mos_lq, mos_cq;                /* MOS * 10 (10..50); 127 = unavailable */
    uint8_t rx_config;                     /* PLC (2 bits), JBA (2), JB rate (4) */
    uint16_t jb_nominal, jb_maximum, jb_abs_max; /* ms */
};

struct tr_rtcp {
    uint16_t n_packets;        /* RTCP packets walked in the compound */
    uint8_t first_type;        /* packet type of the first packet */
    bool reduced_size;         /* first packet is neither SR nor RR (RFC 5506) */
    uint16_t n_by_type[8];     /* packets of type 200 + i */
    uint16_t n_other_type;     /* packets of types 192..199, 208..223 (skipped) */
    enum tr_rtcp_defect defect;

    /* The reporter: the first SR or RR; in a reduced-size packet without
     * one, the first packet's type and SSRC. */
    uint8_t type;              /* TR_RTCP_SR, TR_RTCP_RR, or first_type */
    uint32_t ssrc;
    bool has_sender_info;      /* an SR was seen: si is its sender info */
    struct tr_rtcp_sender_info si;

    uint16_t n_blocks;         /* report blocks of every SR and RR, in order */
    struct tr_rtcp_report_block blocks[TR_RTCP_MAX_BLOCKS];

    bool has_sdes;             /* an SDES chunk was seen */
    uint32_t sdes_ssrc;        /* SSRC of the first SDES chunk */
    struct tr_bytes cname;     /* first CNAME item (len 0 if none) */
    uint16_t n_sdes;
    struct tr_rtcp_sdes_item sdes[TR_RTCP_MAX_SDES];

    bool has_bye;
    uint16_t n_bye;
    uint32_t bye_ssrc[TR_RTCP_MAX_BYE];
    struct tr_bytes bye_reason; /* of the first BYE that has one */

    uint16_t n_app;
    struct tr_rtcp_app app[TR_RTCP_MAX_APP];

    uint16_t n_xr;             /* XR blocks of every XR packet, in order */
    struct tr_rtcp_xr_block xr[TR_RTCP_MAX_XR];
    uint16_t n_voip;           /* VoIP metrics blocks decoded, in order */
    struct tr_rtcp_voip_metrics voip[TR_RTCP_MAX_VOIP];

    /* Dropped because the arrays above were full. */
    uint16_t n_blocks_dropped, n_sdes_dropped, n_bye_dropped, n_app_dropped;
    uint16_t n_xr_dropped, n_voip_dropped;
};

/* Strict test that a UDP payload is one RTCP compound packet (RFC 3550 A.2
 * plus structure): every packet V=2 and of type 192..223; the first of type
 * 200..207 (SR or RR; any other is reduced-size RTCP, RFC 5506); lengths
 * chain to exactly the end of the datagram; only the last packet padded, with
 * a count that fits; each known type's counts fit its length exactly (SDES
 * chunks, BYE reason, XR blocks walk to the end; APP names are printable;
 * feedback FMT is not 0; a BYE names at least one source). An
 * SR/RR with profile-specific extension bytes is accepted only when another
 * packet follows it. That rejects random data and RTP, whose M bit + payload
 * type 72..79 looks like types 200..207 (RFC 5761 section 4). */
bool tr_rtcp_probe(struct tr_bytes p);

/* Decodes a compound packet into out (fully reset first). Returns
 *   TR_OK           every packet decoded
 *   TR_DECLINED     the first 4 bytes are not an RTCP header (V=2, type 192..223)
 *   -TR_E_TRUNCATED a length runs past the datagram (defect LENGTH)
 *   -TR_E_MALFORMED out->defect says what; every packet before (and, when the
 *                   lengths still chain, after) the bad one is decoded
 * Unlike the probe it accepts any RTCP type first and extension bytes. Reads
 * only inside p; views in out point into p. */
int tr_rtcp_parse(struct tr_bytes p, struct tr_rtcp *out);

/* Microseconds since the UNIX epoch of an NTP timestamp. Seconds below
 * 2^31 are taken as NTP era 1 (from 2036-02-07), so the result stays right
 * across the 2036 wrap; the fraction is rounded down to the microsecond. */
uint64_t tr_rtcp_ntp_to_unix_usec(uint32_t ntp_sec, uint32_t ntp_frac);

/* Largest body tr_rtcp_json can produce, NUL included: every array full and
 * every SDES byte escaped as \u00XX. */
#define TR_RTCP_JSON_MAX 49152

/* Writes the HEP type 5 JSON body for r (key set and units: docs/rtcp.md) and
 * a NUL after it. Returns the length without the NUL, or -TR_E_FULL when cap
 * is too small (buf then holds an unterminated prefix). Never writes past
 * cap; cap >= TR_RTCP_JSON_MAX always suffices. */
int tr_rtcp_json(const struct tr_rtcp *r, char *buf, size_t cap);

/* -------------------------------------------------- vq-rtcpxr (vq.c)
 * RFC 6035 section 4.6: the body of a SIP PUBLISH (or NOTIFY) with
 * Content-Type application/vq-rtcpxr. Line oriented, "Name: value", metric
 * lines hold "KEY=value" parameters; folded lines are joined. */

enum tr_vq_report {
    TR_VQ_NONE = 0,
    TR_VQ_SESSION,   /* VQSessionReport */
    TR_VQ_INTERVAL,  /* VQIntervalReport */
    TR_VQ_ALERT,     /* VQAlertReport */
};

/* Numeric metric parameters (RFC 6035 section 4.6 ABNF), in output order:
 * X(id, key as in the RFC). Values are kept in thousandths (NLR=5.0 -> 5000). */
#define TR_VQ_NUM_METRICS(X)                                                 \
    X(PT, "PT") X(SR, "SR") X(FD, "FD") X(FO, "FO") X(FPP, "FPP")            \
    X(PPS, "PPS") X(PLC, "PLC")                                              \
    X(JBA, "JBA") X(JBR, "JBR") X(JBN, "JBN") X(JBM, "JBM") X(JBX, "JBX")    \
    X(NLR, "NLR") X(JDR, "JDR")                                              \
    X(BLD, "BLD") X(BD, "BD") X(GLD, "GLD") X(GD, "GD") X(GMIN, "GMIN")      \
    X(RTD, "RTD") X(ESD, "ESD") X(SOWD, "SOWD") X(IAJ, "IAJ") X(MAJ, "MAJ")  \
    X(SL, "SL") X(NL, "NL") X(RERL, "RERL")                                  \
    X(RLQ, "RLQ") X(RCQ, "RCQ") X(EXTRI, "EXTRI") X(EXTRO, "EXTRO")          \
    X(MOSLQ, "MOSLQ") X(MOSCQ, "MOSCQ")

/* Text metric parameters, kept as views. */
#define TR_VQ_TEXT_METRICS(X)                                                \
    X(START, "START") X(STOP, "STOP") X(PD, "PD") X(FMTP, "FMTP")            \
    X(SSUP, "SSUP") X(RLQEST, "RLQEstAlg") X(RCQEST, "RCQEstAlg")            \
    X(EXTRIEST, "EXTRIEstAlg") X(EXTROEST, "EXTROEstAlg")                    \
    X(MOSLQEST, "MOSLQEstAlg") X(MOSCQEST, "MOSCQEstAlg") X(QOEEST, "QoEEstAlg")

#define TR_VQ_NUM_ENUM(id, key) TR_VQ_N_##id,
#define TR_VQ_TEXT_ENUM(id, key) TR_VQ_T_##id,
enum tr_vq_num { TR_VQ_NUM_METRICS(TR_VQ_NUM_ENUM) TR_VQ_N_NUM };
enum tr_vq_text { TR_VQ_TEXT_METRICS(TR_VQ_TEXT_ENUM) TR_VQ_N_TEXT };
#undef TR_VQ_NUM_ENUM
#undef TR_VQ_TEXT_ENUM

struct tr_vq_metrics {         /* one LocalMetrics: / RemoteMetrics: block */
    bool present;
    uint64_t num_set;          /* bit i: num[i] (TR_VQ_N_<KEY>) was given */
    int64_t num[TR_VQ_N_NUM];  /* thousandths; fraction digits past 3 are cut */
    struct tr_str text[TR_VQ_N_TEXT]; /* len 0 (ptr NULL) when absent; FMTP without quotes */
};

struct tr_vq_addr {            /* LocalAddr / RemoteAddr: IP= PORT= SSRC= */
    struct tr_str ip;
    int32_t port;              /* -1 when absent or not a port number */
    struct tr_str ssrc;        /* as written: "0x2468abcd", some phones write decimal */
};

struct tr_vq {
    enum tr_vq_report report;
    bool call_term;            /* "VQSessionReport: CallTerm" */
    struct tr_str alert_type, alert_severity, alert_dir; /* VQAlertReport Type= Severity= Dir= */
    struct tr_str call_id;     /* CallID: the correlation id */
    struct tr_str local_id, remote_id, orig_id, local_group, remote_group;
    struct tr_str local_mac, remote_mac, dialog_id;
    struct tr_str from_id, to_id; /* pre-RFC phones (FromID:/ToID:) */
    struct tr_vq_addr local_addr, remote_addr;
    struct tr_vq_metrics local, remote; /* "Metrics:" (alerts) counts as local */
    uint16_t n_unknown;        /* lines and parameters not recognised (skipped) */
    uint16_t n_bad_values;     /* numeric parameters that were not numbers (skipped) */
};

/* Parses a vq-rtcpxr body. Returns TR_OK when a VQSessionReport,
 * VQIntervalReport or VQAlertReport line is found (fields found are set,
 * call_id may still be empty), TR_DECLINED otherwise. Names and parameter
 * keys are case-insensitive; CR LF or LF line ends; reads only inside body. */
int tr_vq_parse(struct tr_bytes body, struct tr_vq *out);

/* The most tr_vq_json can write for a body of n bytes, NUL included. */
#define TR_VQ_JSON_MAX(n) (6 * (size_t)(n) + 8192)

/* Writes v as a JSON object (docs/rtcp.md) and a NUL. Returns the length
 * without the NUL or -TR_E_FULL; never writes past cap. */
int tr_vq_json(const struct tr_vq *v, char *buf, size_t cap);

/* ================================================================ MGEN
 * (mgen.c) Detector for the message header of MGEN, NRL's Multi-Generator
 * traffic tool (message version 2, MGEN 4.x and 5.x; MGEN User's Guide,
 * "MGEN Message Format"; USNavalResearchLaboratory/mgen src/common/mgenMsg.cpp
 * MgenMsg::Pack/Unpack). Used by the flow metadata output (issue 9) to fill
 * PCapper's flow id; tests/fuzz/fuzz_mgen.c fuzzes it. The checks and why
 * each keeps false positives low are listed in mgen.c.
 */

struct tr_mgen {
    uint16_t msg_size;         /* messageSize: equals the UDP payload length */
    uint8_t flags;             /* TR_MGEN_F_* bits */
    uint32_t flow_id;          /* mgenFlowId */
    uint32_t seq;              /* sequenceNumber */
    uint32_t tx_sec, tx_usec;  /* sender's clock at transmission; usec < 10^6 */
    uint16_t dst_port;         /* where the sender addressed the message */
    struct tr_addr dst;        /* TR_AF_INET or TR_AF_INET6 */
};

enum {
    TR_MGEN_F_CONTINUES = 0x01,
    TR_MGEN_F_END_OF_MSG = 0x02,
    TR_MGEN_F_CHECKSUM = 0x04,
    TR_MGEN_F_LAST_BUFFER = 0x08,
};

/* True when udp_payload is one whole MGEN version 2 message (checks in
 * mgen.c); then out is filled. out is untouched when false. Pass the whole
 * datagram: a payload cut by snaplen does not match its messageSize and is
 * declined. Reads only inside udp_payload. */
bool tr_mgen_probe(struct tr_bytes udp_payload, struct tr_mgen *out);

/* The extra check PCapper makes: the message's dstPort and dstAddr equal the
 * packet's destination. Callers that want the lowest false-positive rate use
 * it after tr_mgen_probe; it fails across NAT. */
bool tr_mgen_dst_matches(const struct tr_mgen *m, const struct tr_addr *dst, uint16_t dport);

#endif
