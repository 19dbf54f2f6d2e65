/* test_sip.c - unit tests for the SIP parser (src/proto/sip.c): start lines,
 * every reported header field, compact and mixed-case names, folding, LF-only
 * line ends, body framing by Content-Length, defects, the probe, and one real
 * INVITE taken from a capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* ---------------------------------------------------------------- helpers */

#define assert_view(v, lit) check_view((v), (lit), __FILE__, __LINE__)

static void check_view(struct tr_str v, const char *want, const char *file, int line)
{
    size_t n = strlen(want);
    if (v.len != n || (n > 0 && memcmp(v.ptr, want, n) != 0)) {
        print_error("%s:%d: got \"%.*s\" (%zu bytes), want \"%s\" (%zu bytes)\n", file, line,
                    (int)v.len, v.ptr ? v.ptr : "", v.len, want, n);
        _fail(file, line);
    }
}

static void check_inside(struct tr_str v, const char *base, size_t len, const char *what)
{
    if (v.len == 0)
        return;
    if (v.ptr < base || v.ptr + v.len > base + len) {
        print_error("view %s lies outside the payload\n", what);
        fail();
    }
}

/* Parses s (strlen) and checks the invariants every result must keep: views
 * inside the input, msg_len within it, and no probe false negative for a
 * well-formed message. */
static int parse_n(const char *s, size_t len, struct tr_sip_msg *m)
{
    struct tr_bytes b = {(const uint8_t *)s, len};
    int rc = tr_sip_parse(b, m);
    check_inside(m->method, s, len, "method");
    check_inside(m->request_uri, s, len, "request_uri");
    check_inside(m->reason, s, len, "reason");
    check_inside(m->call_id, s, len, "call_id");
    check_inside(m->from_user, s, len, "from_user");
    check_inside(m->from_tag, s, len, "from_tag");
    check_inside(m->to_user, s, len, "to_user");
    check_inside(m->to_tag, s, len, "to_tag");
    check_inside(m->cseq_method, s, len, "cseq_method");
    check_inside(m->via_branch, s, len, "via_branch");
    check_inside(m->user_agent, s, len, "user_agent");
    check_inside(m->content_type, s, len, "content_type");
    check_inside(tr_str_from_bytes(m->body), s, len, "body");
    assert_true(m->msg_len <= len);
    assert_true(m->header_len <= len);
    if (rc == TR_OK) {
        assert_true(tr_sip_probe(b));
        assert_int_equal(m->defect, TR_SIP_DEFECT_NONE);
        assert_int_equal(m->msg_len, m->header_len + m->body.len);
    }
    return rc;
}

static int parse(const char *s, struct tr_sip_msg *m)
{
    return parse_n(s, strlen(s), m);
}

static bool probe(const char *s)
{
    return tr_sip_probe((struct tr_bytes){(const uint8_t *)s, strlen(s)});
}

#define INVITE_HEAD                                                                                \
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"                                                \
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"                        \
    "Max-Forwards: 70\r\n"                                                                         \
    "To: Bob <sip:bob@biloxi.example.com>\r\n"                                                     \
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"                               \
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"                                         \
    "CSeq: 314159 INVITE\r\n"                                                                      \
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"                                            \
    "User-Agent: softphone/1.0\r\n"                                                                \
    "Content-Type: application/sdp\r\n"

#define SDP "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

/* ---------------------------------------------------------------- requests */

static void sip_request_line_gives_method_and_uri(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = INVITE_HEAD "Content-Length: 0\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_true(m.is_request);
    assert_view(m.method, "INVITE");
    assert_view(m.request_uri, "sip:bob@biloxi.example.com");
    assert_int_equal(m.status, 0);
    assert_int_equal(m.reason.len, 0);
}

static void sip_request_every_field_is_filled(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = INVITE_HEAD "Content-Length: 67\r\n\r\n" SDP;
    assert_int_equal(strlen(SDP), 67);
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.call_id, "a84b4c76e66710@pc33.atlanta.example.com");
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "1928301774");
    assert_view(m.to_user, "bob");
    assert_view(m.to_tag, "");
    assert_int_equal(m.cseq, 314159);
    assert_view(m.cseq_method, "INVITE");
    assert_view(m.via_branch, "z9hG4bK776asdhds");
    assert_view(m.user_agent, "softphone/1.0");
    assert_view(m.content_type, "application/sdp");
    assert_int_equal(m.content_length, 67);
    assert_int_equal(m.header_len, strlen(s) - 67);
    assert_int_equal(m.body.len, 67);
    assert_memory_equal(m.body.ptr, SDP, 67);
    assert_int_equal(m.msg_len, strlen(s));
    assert_int_equal(m.defect, TR_SIP_DEFECT_NONE);
}

static void sip_unknown_method_token_is_accepted(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "X-FOO.bar!~ sip:a@b SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 X-FOO.bar!~\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.method, "X-FOO.bar!~");
    assert_view(m.cseq_method, "X-FOO.bar!~");
}

static void sip_method_with_non_token_char_is_declined(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INV@ITE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n", &m), TR_DECLINED);
    assert_int_equal(m.method.len, 0);
    assert_int_equal(parse("INVITE\tsip:a@b SIP/2.0\r\n\r\n", &m), TR_DECLINED);
}

static void sip_lowercase_version_is_accepted(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("OPTIONS sip:a@b sip/2.0\r\ni: x\r\nCSeq: 2 OPTIONS\r\n\r\n", &m),
                     TR_OK);
    assert_int_equal(parse("sip/2.0 200 OK\r\ni: x\r\nCSeq: 2 OPTIONS\r\n\r\n", &m), TR_OK);
    assert_int_equal(m.status, 200);
}

static void sip_request_without_uri_is_bad_start_line(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_view(m.method, "INVITE");
    assert_view(m.call_id, "1"); /* the headers are still read */
}

static void sip_request_uri_without_scheme_is_bad_start_line(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE bob@x SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_int_equal(parse("INVITE sip:a b SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_int_equal(parse("INVITE <sip:a@b> SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
}

static void sip_wrong_sip_version_is_bad_start_line(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE sip:a@b SIP/3.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_true(m.is_request);
}

static void sip_extra_spaces_in_request_line_are_tolerated(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("BYE  sip:a@b  SIP/2.0 \r\nCall-ID: 1\r\nCSeq: 1 BYE\r\n\r\n", &m),
                     TR_OK);
    assert_view(m.request_uri, "sip:a@b");
}

/* ---------------------------------------------------------------- responses */

static void sip_response_gives_status_and_reason(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "SIP/2.0 180 Ringing\r\n"
                    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
                    "To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
                    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
                    "Call-ID: a84b4c76e66710\r\n"
                    "CSeq: 314159 INVITE\r\n"
                    "Content-Length: 0\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_false(m.is_request);
    assert_int_equal(m.status, 180);
    assert_view(m.reason, "Ringing");
    assert_int_equal(m.method.len, 0);
    assert_int_equal(m.request_uri.len, 0);
    assert_view(m.to_tag, "a6c85cf");
    assert_view(m.from_tag, "1928301774");
    assert_view(m.via_branch, "z9hG4bKnashds8");
    assert_view(m.cseq_method, "INVITE");
    assert_int_equal(m.body.len, 0);
    assert_int_equal(m.msg_len, strlen(s));
}

static void sip_response_reason_keeps_inner_spaces(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0 486 Busy Here\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n", &m), TR_OK);
    assert_int_equal(m.status, 486);
    assert_view(m.reason, "Busy Here");
}

static void sip_response_without_reason_is_accepted(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0 200\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n", &m), TR_OK);
    assert_int_equal(m.status, 200);
    assert_int_equal(m.reason.len, 0);
}

static void sip_status_out_of_range_is_bad_start_line(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0 099 Low\r\ni: x\r\nCSeq: 1 A\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_int_equal(parse("SIP/2.0 700 High\r\ni: x\r\nCSeq: 1 A\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_int_equal(parse("SIP/2.0 20 OK\r\ni: x\r\nCSeq: 1 A\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_int_equal(parse("SIP/2.0 2000 OK\r\ni: x\r\nCSeq: 1 A\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_view(m.call_id, "x");
}

static void sip_response_server_becomes_user_agent(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0 200 OK\r\nServer: pbx 2.1\r\ni: x\r\nCSeq: 1 A\r\n\r\n", &m),
                     TR_OK);
    assert_view(m.user_agent, "pbx 2.1");
}

static void sip_response_user_agent_wins_over_server(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0 200 OK\r\nServer: pbx\r\nUser-Agent: phone\r\ni: x\r\n"
                           "CSeq: 1 A\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.user_agent, "phone");
}

static void sip_request_server_header_is_not_user_agent(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(
        parse("MESSAGE sip:a@b SIP/2.0\r\nServer: pbx\r\ni: x\r\nCSeq: 1 MESSAGE\r\n\r\n", &m),
        TR_OK);
    assert_int_equal(m.user_agent.len, 0);
}

/* ---------------------------------------------------------------- header names */

static void sip_compact_forms_are_recognised(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\n"
                    "v: SIP/2.0/UDP h;branch=z9hG4bKc1\r\n"
                    "f: <sip:alice@a>;tag=ft\r\n"
                    "t: <sip:bob@b>;tag=tt\r\n"
                    "i: compact-call\r\n"
                    "CSeq: 7 INVITE\r\n"
                    "m: <sip:alice@h>\r\n"
                    "k: timer\r\n"
                    "s: a subject\r\n"
                    "e: gzip\r\n"
                    "c: application/sdp\r\n"
                    "l: 4\r\n\r\nbody";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.via_branch, "z9hG4bKc1");
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "ft");
    assert_view(m.to_user, "bob");
    assert_view(m.to_tag, "tt");
    assert_view(m.call_id, "compact-call");
    assert_view(m.content_type, "application/sdp");
    assert_int_equal(m.content_length, 4);
    assert_int_equal(m.body.len, 4);
    assert_int_equal(m.user_agent.len, 0); /* "s" is Subject, not Server */
}

static void sip_compact_call_id_is_found(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni:abc@host\r\nCSeq: 1 ACK\r\n\r\n", &m), TR_OK);
    assert_view(m.call_id, "abc@host");
}

static void sip_header_names_are_case_insensitive(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\n"
                    "VIA: SIP/2.0/UDP h;Branch=z9hG4bKmc\r\n"
                    "fROM: <sip:alice@a>;tag=1\r\n"
                    "TO: <sip:bob@b>\r\n"
                    "cALL-iD: mixed\r\n"
                    "cseq: 9 INVITE\r\n"
                    "USER-AGENT: ua\r\n"
                    "CONTENT-TYPE: text/plain\r\n"
                    "content-LENGTH: 0\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.via_branch, "z9hG4bKmc");
    assert_view(m.from_user, "alice");
    assert_view(m.to_user, "bob");
    assert_view(m.call_id, "mixed");
    assert_int_equal(m.cseq, 9);
    assert_view(m.user_agent, "ua");
    assert_view(m.content_type, "text/plain");
    assert_int_equal(m.content_length, 0);
    /* Uppercase compact forms too. */
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nI: up\r\nCSeq: 1 ACK\r\nL: 0\r\n\r\n", &m),
                     TR_OK);
    assert_view(m.call_id, "up");
}

static void sip_space_before_colon_is_accepted(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nCall-ID \t: spaced \r\nCSeq:1 ACK\r\n\r\n", &m),
                     TR_OK);
    assert_view(m.call_id, "spaced");
    assert_int_equal(m.cseq, 1);
}

static void sip_similar_header_names_are_not_confused(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\n"
                    "Call-Info: <http://x>\r\n"
                    "Contact: <sip:c@d>\r\n"
                    "Content-Disposition: session\r\n"
                    "Fromage: <sip:no@x>;tag=no\r\n"
                    "Tox: <sip:no@x>\r\n"
                    "Vias: SIP/2.0/UDP h;branch=no\r\n"
                    "Call-ID: real\r\n"
                    "CSeq: 1 INVITE\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.call_id, "real");
    assert_int_equal(m.from_user.len, 0);
    assert_int_equal(m.from_tag.len, 0);
    assert_int_equal(m.to_user.len, 0);
    assert_int_equal(m.via_branch.len, 0);
    assert_int_equal(m.content_type.len, 0);
}

static void sip_first_header_occurrence_wins(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nCall-ID: one\r\ni: two\r\nCSeq: 1 ACK\r\n"
                           "CSeq: 2 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.call_id, "one");
    assert_int_equal(m.cseq, 1);
}

/* ---------------------------------------------------------------- line structure */

static void sip_folded_header_values_are_joined(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\n"
                    "Subject: I know you're there,\r\n"
                    "         pick up the phone\r\n"
                    "From: \"Alice\"\r\n"
                    " <sip:alice@a>\r\n"
                    "\t;tag=folded\r\n"
                    "Call-ID:\r\n"
                    "\tfold@host\r\n"
                    "CSeq: 4711\r\n"
                    "  INVITE\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "folded");
    assert_view(m.call_id, "fold@host");
    assert_int_equal(m.cseq, 4711);
    assert_view(m.cseq_method, "INVITE");
}

static void sip_lf_only_line_endings_are_accepted(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "REGISTER sip:registrar.example.com SIP/2.0\n"
                    "Via: SIP/2.0/UDP h;branch=z9hG4bKlf\n"
                    "From: <sip:bob@example.com>;tag=456\n"
                    "To: <sip:bob@example.com>\n"
                    "Call-ID: lf-only\n"
                    "CSeq: 1826 REGISTER\n"
                    "Content-Length: 3\n"
                    "\n"
                    "abcNEXT";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.request_uri, "sip:registrar.example.com");
    assert_view(m.via_branch, "z9hG4bKlf");
    assert_view(m.from_tag, "456");
    assert_view(m.call_id, "lf-only");
    assert_view(m.cseq_method, "REGISTER");
    assert_int_equal(m.body.len, 3);
    assert_memory_equal(m.body.ptr, "abc", 3);
    assert_int_equal(m.msg_len, strlen(s) - 4);
}

static void sip_leading_crlfs_are_skipped(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\ni: k\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.method, "OPTIONS");
    assert_int_equal(m.header_len, strlen(s)); /* counted from the payload start */
    assert_int_equal(m.msg_len, strlen(s));
}

static void sip_header_line_without_colon_is_malformed(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\n"
                    "From: <sip:alice@a>;tag=1\r\n"
                    "This line has no colon\r\n"
                    "Call-ID: after-bad-line\r\n"
                    "CSeq: 1 INVITE\r\n\r\n";
    assert_int_equal(parse(s, &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_HEADER_LINE);
    assert_view(m.call_id, "after-bad-line");
    assert_int_equal(m.cseq, 1);
    assert_int_equal(m.msg_len, strlen(s));
}

static void sip_header_line_starting_with_colon_is_malformed(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n: x\r\ni: y\r\nCSeq: 1 ACK\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_HEADER_LINE);
}

static void sip_headers_without_end_are_truncated(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "INVITE sip:bob@b SIP/2.0\r\nCall-ID: cut\r\nCSeq: 1 INVITE\r\nContent-Le";
    assert_int_equal(parse(s, &m), -TR_E_TRUNCATED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_NO_HEADER_END);
    assert_view(m.call_id, "cut"); /* what was seen stays */
    assert_int_equal(m.msg_len, 0);
    /* Cut right after a complete header line: a continuation may follow. */
    assert_int_equal(parse("INVITE sip:bob@b SIP/2.0\r\nCall-ID: cut\r\n", &m), -TR_E_TRUNCATED);
    /* Cut inside a folded value. */
    assert_int_equal(parse("INVITE sip:bob@b SIP/2.0\r\nCall-ID: a\r\n b", &m), -TR_E_TRUNCATED);
}

static void sip_start_line_cut_is_truncated(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE sip:bob@biloxi.example.com SIP/2.", &m), -TR_E_TRUNCATED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_NO_HEADER_END);
    assert_int_equal(parse("INVITE sip:bob@biloxi.example.com SIP/2.0\r", &m), -TR_E_TRUNCATED);
    assert_int_equal(parse("INVITE sip:bob@bil", &m), -TR_E_TRUNCATED);
    assert_int_equal(parse("INV", &m), -TR_E_TRUNCATED);
    assert_int_equal(parse("SIP/2.0 20", &m), -TR_E_TRUNCATED);
    assert_int_equal(parse("SI", &m), -TR_E_TRUNCATED);
    /* ...but a cut line that can no longer become SIP is not. */
    assert_int_equal(parse("GET / HTTP/1.1", &m), TR_DECLINED);
    assert_int_equal(parse("INVITE sip:bob@b HTTP/1.1", &m), TR_DECLINED);
    assert_int_equal(parse("\x16\x03\x01\x02", &m), TR_DECLINED);
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0x", &m), TR_DECLINED);
    assert_int_equal(parse("INVITE sip:a\x01b", &m), TR_DECLINED);
}

static void sip_version_alone_is_truncated_and_with_crlf_is_bad(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("SIP/2.0", &m), -TR_E_TRUNCATED);
    assert_false(probe("SIP/2.0"));
    assert_int_equal(parse("SIP/2.0\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_START_LINE);
    assert_false(m.is_request);
}

/* ---------------------------------------------------------------- defects */

static void sip_missing_call_id_is_malformed_and_other_fields_are_filled(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "BYE sip:bob@b SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP h;branch=z9hG4bKnc\r\n"
                    "From: <sip:alice@a>;tag=f1\r\n"
                    "To: <sip:bob@b>;tag=t1\r\n"
                    "CSeq: 2 BYE\r\n"
                    "Content-Length: 0\r\n\r\n";
    assert_int_equal(parse(s, &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_NO_CALL_ID);
    assert_string_equal(tr_sip_defect_name(m.defect), "no_call_id");
    assert_view(m.method, "BYE");
    assert_view(m.via_branch, "z9hG4bKnc");
    assert_view(m.from_tag, "f1");
    assert_view(m.to_tag, "t1");
    assert_int_equal(m.cseq, 2);
    assert_int_equal(m.call_id.len, 0);
    assert_int_equal(m.msg_len, strlen(s));
}

static void sip_empty_call_id_counts_as_missing(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nCall-ID:   \r\nCSeq: 1 ACK\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_NO_CALL_ID);
}

static void sip_missing_cseq_is_malformed(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_NO_CSEQ);
    assert_view(m.call_id, "x");
}

static void sip_cseq_number_limit_is_2_pow_31_minus_1(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 2147483647 ACK\r\n\r\n", &m),
                     TR_OK);
    assert_int_equal(m.cseq, 2147483647u);
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 2147483648 ACK\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
    assert_int_equal(
        parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 99999999999999999999 ACK\r\n\r\n", &m),
        -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
}

static void sip_cseq_without_method_or_number_is_bad(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 12\r\n\r\n", &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
    assert_int_equal(m.cseq, 12);
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: ACK\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1ACK\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 ACK extra\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CSEQ);
}

static void sip_first_defect_is_reported(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    /* bad header line, then bad CSeq, then no Call-ID: the first one wins */
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nnocolon\r\nCSeq: x\r\n\r\n", &m),
                     -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_HEADER_LINE);
}

static void sip_defect_names_match_the_table(void **state)
{
    (void)state;
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_NONE), "none");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_START_LINE), "bad_start_line");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_HEADER_LINE), "bad_header_line");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_NO_HEADER_END), "no_header_end");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_NO_CSEQ), "no_cseq");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_BAD_CSEQ), "bad_cseq");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_BAD_CONTENT_LENGTH), "bad_content_length");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_BODY_SHORT),
                        "body_shorter_than_content_length");
    assert_string_equal(tr_sip_defect_name(TR_SIP_DEFECT_COUNT), "unknown");
    assert_string_equal(tr_sip_defect_name((enum tr_sip_defect) - 1), "unknown");
}

/* ---------------------------------------------------------------- From / To / Via */

static void sip_from_without_tag_has_empty_tag(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nFrom: \"A\" <sip:alice@a>\r\ni: x\r\n"
                           "CSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
    assert_int_equal(m.from_tag.len, 0);
}

static void sip_tag_param_name_is_case_insensitive(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nFrom: <sip:alice@a>;TAG=Up1\r\n"
                           "To: <sip:b@b>;x=1; Tag = sp2 ;y\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_tag, "Up1");
    assert_view(m.to_tag, "sp2");
}

static void sip_tag_inside_uri_brackets_is_ignored(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "From: <sip:alice@a;tag=wrong;transport=udp>;tag=right\r\n"
                           "To: <sip:bob@b;tag=no>\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "right");
    assert_int_equal(m.to_tag.len, 0);
}

static void sip_addr_spec_form_gives_user_and_tag(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nf: sip:alice@x;tag=abc\r\n"
                           "To: sip:bob@y\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "abc");
    assert_view(m.to_user, "bob");
    assert_int_equal(m.to_tag.len, 0);
}

static void sip_quoted_display_name_with_specials_is_skipped(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "From: \"Bob \\\"<x>\\\"; tag=no\" <sip:bob@x>;tag=yes\r\n"
                           "To: \"carol@example.com\" <sip:carol@y>\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "bob");
    assert_view(m.from_tag, "yes");
    assert_view(m.to_user, "carol");
}

/* From suricata-verify sip_header_multi_val.pcap: a backslash before the
 * opening quote leaves the quoted string unterminated. */
static void sip_unterminated_quote_in_display_name_still_finds_the_uri(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "f: \\\"arik\\\" <sip:816666@voip.example.net>;tag=6433ef9\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "816666");
    assert_view(m.from_tag, "6433ef9");
    /* and with no '<' at all, nothing is made up */
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nf: \"open sip:x@y;tag=1\r\ni: x\r\n"
                           "CSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_int_equal(m.from_user.len, 0);
    assert_int_equal(m.from_tag.len, 0);
}

static void sip_quoted_param_values_are_skipped_whole(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP h;x=\"a;branch=no,\";branch=z9hG4bKreal\r\n"
                           "From: <sip:alice@a>;note=\"say ;tag=no\";tag=yes\r\n"
                           "To: <sip:bob@b>;x=\"open;tag=no\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.via_branch, "z9hG4bKreal");
    assert_view(m.from_tag, "yes");
    assert_int_equal(m.to_tag.len, 0); /* unterminated quote: nothing after it counts */
    /* a quoted string before any ';' in the Via value */
    assert_int_equal(
        parse("ACK sip:a@b SIP/2.0\r\nVia: \"odd;branch=no\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n", &m),
        TR_OK);
    assert_int_equal(m.via_branch.len, 0);
}

static void sip_addr_spec_with_space_before_params_and_empty_uri(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nf: sip:alice@x ;tag=1\r\nt: <>;tag=2\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "1");
    assert_int_equal(m.to_user.len, 0);
    assert_view(m.to_tag, "2");
}

static void sip_token_display_name_is_skipped(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nFrom: Alice Smith <sip:alice@x>;tag=t\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "t");
}

static void sip_tel_uri_gives_the_number(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE tel:+1-201-555-0123 SIP/2.0\r\n"
                           "From: <TEL:+1-201-555-0100;phone-context=example.com>;tag=9\r\n"
                           "To: tel:5550123;phone-context=+1-201\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.request_uri, "tel:+1-201-555-0123");
    assert_view(m.from_user, "+1-201-555-0100");
    assert_view(m.from_tag, "9");
    assert_view(m.to_user, "5550123");
}

static void sip_sips_uri_gives_the_user(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sips:a@b SIP/2.0\r\nFrom: <sips:alice@secure.example.com>;tag=s\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
}

static void sip_ipv6_host_in_uri_is_handled(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("INVITE sip:bob@[2001:db8::1]:5060 SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK6\r\n"
                           "From: <sip:alice@[2001:db8::2]:5060;transport=udp>;tag=v6\r\n"
                           "To: sip:bob@[2001:db8::1]:5060\r\n"
                           "i: x\r\nCSeq: 1 INVITE\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.request_uri, "sip:bob@[2001:db8::1]:5060");
    assert_view(m.via_branch, "z9hG4bK6");
    assert_view(m.from_user, "alice");
    assert_view(m.from_tag, "v6");
    assert_view(m.to_user, "bob");
}

static void sip_uri_without_user_gives_empty_user(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nFrom: <sip:example.com;user=phone>;tag=1\r\n"
                           "To: <sip:[2001:db8::1]:5060>\r\ni: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_int_equal(m.from_user.len, 0);
    assert_view(m.from_tag, "1");
    assert_int_equal(m.to_user.len, 0);
}

static void sip_uri_password_is_not_part_of_the_user(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\nFrom: <sip:alice:secret@x>;tag=1\r\ni: x\r\n"
                           "CSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.from_user, "alice");
}

static void sip_first_value_of_first_via_gives_branch(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP p1;rport;branch=z9hG4bKone;received=1.2.3.4, "
                           "SIP/2.0/TCP p2;branch=z9hG4bKtwo\r\n"
                           "Via: SIP/2.0/UDP p3;branch=z9hG4bKthree\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_view(m.via_branch, "z9hG4bKone");
}

static void sip_first_via_value_without_branch_gives_empty(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP p1;rport, SIP/2.0/UDP p2;branch=z9hG4bKsecond\r\n"
                           "Via: SIP/2.0/UDP p3;branch=z9hG4bKthird\r\n"
                           "i: x\r\nCSeq: 1 ACK\r\n\r\n",
                           &m),
                     TR_OK);
    assert_int_equal(m.via_branch.len, 0);
}

static void sip_via_branch_with_spaces_around_equals(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(
        parse("ACK sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h:5060 ; BRANCH = z9hG4bKsp ;rport\r\n"
              "i: x\r\nCSeq: 1 ACK\r\n\r\n",
              &m),
        TR_OK);
    assert_view(m.via_branch, "z9hG4bKsp");
}

/* ---------------------------------------------------------------- body framing */

static void sip_content_length_absent_makes_the_rest_the_body(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "MESSAGE sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 MESSAGE\r\n\r\nhello there";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_int_equal(m.content_length, -1);
    assert_int_equal(m.body.len, 11);
    assert_memory_equal(m.body.ptr, "hello there", 11);
    assert_int_equal(m.msg_len, strlen(s));
}

static void sip_content_length_bigger_than_data_clips_the_body(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s =
        "MESSAGE sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 100\r\n\r\nshort";
    assert_int_equal(parse(s, &m), -TR_E_MALFORMED);
    assert_int_equal(m.defect, TR_SIP_DEFECT_BODY_SHORT);
    assert_int_equal(m.content_length, 100);
    assert_int_equal(m.body.len, 5);
    assert_int_equal(m.msg_len, strlen(s));
    assert_view(m.call_id, "x");
}

static void sip_content_length_smaller_than_data_ends_the_message(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    const char *s = "MESSAGE sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 MESSAGE\r\nl: 2\r\n\r\nhello";
    assert_int_equal(parse(s, &m), TR_OK);
    assert_int_equal(m.body.len, 2);
    assert_memory_equal(m.body.ptr, "he", 2);
    assert_int_equal(m.msg_len, strlen(s) - 3);
}

static void sip_content_length_garbage_is_bad_content_length(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "12abc", "-5", "", "0x10", "+3", "1 2", "99999999999999999999"};
    for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
        char s[256];
        snprintf(
            s, sizeof(s),
            "MESSAGE sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: %s\r\n\r\nrest",
            bad[i]);
        struct tr_sip_msg m;
        assert_int_equal(parse(s, &m), -TR_E_MALFORMED);
        assert_int_equal(m.defect, TR_SIP_DEFECT_BAD_CONTENT_LENGTH);
        assert_int_equal(m.content_length, -1);
        assert_int_equal(m.body.len, 4); /* framed like an absent header */
    }
}

static void sip_content_length_with_surrounding_spaces_is_fine(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(
        parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 ACK\r\nContent-Length:   3  \r\n\r\nabc", &m),
        TR_OK);
    assert_int_equal(m.content_length, 3);
}

static void sip_first_content_length_wins(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("ACK sip:a@b SIP/2.0\r\ni: x\r\nCSeq: 1 ACK\r\nl: 3\r\n"
                           "Content-Length: 99\r\n\r\nabcdef",
                           &m),
                     TR_OK);
    assert_int_equal(m.content_length, 3);
    assert_int_equal(m.body.len, 3);
}

static void sip_two_messages_back_to_back_are_split_by_msg_len(void **state)
{
    (void)state;
    const char *first = "MESSAGE sip:a@b SIP/2.0\r\ni: one\r\nCSeq: 1 MESSAGE\r\nl: 3\r\n\r\nabc";
    const char *second = "SIP/2.0 200 OK\r\ni: two\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n";
    char s[512];
    snprintf(s, sizeof(s), "%s%s", first, second);
    struct tr_sip_msg m;
    assert_int_equal(parse(s, &m), TR_OK);
    assert_view(m.call_id, "one");
    assert_int_equal(m.msg_len, strlen(first));
    assert_int_equal(parse(s + m.msg_len, &m), TR_OK);
    assert_view(m.call_id, "two");
    assert_int_equal(m.status, 200);
    assert_int_equal(m.msg_len, strlen(second));
}

/* ---------------------------------------------------------------- not SIP */

static void sip_keepalive_crlf_only_is_declined(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("\r\n\r\n", &m), TR_DECLINED);
    assert_int_equal(m.msg_len, 4); /* a stream framer may drop these bytes */
    assert_int_equal(parse("\r\n", &m), TR_DECLINED);
    assert_false(probe("\r\n\r\n"));
}

static void sip_empty_payload_is_declined(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(tr_sip_parse((struct tr_bytes){NULL, 0}, &m), TR_DECLINED);
    assert_int_equal(parse("", &m), TR_DECLINED);
    assert_false(tr_sip_probe((struct tr_bytes){NULL, 0}));
}

static void sip_binary_garbage_is_declined(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0x80, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
                                   '\r', '\n', 0x01, 0x02, '\r', '\n', '\r', '\n'};
    struct tr_sip_msg m;
    assert_int_equal(parse_n((const char *)junk, sizeof(junk), &m), TR_DECLINED);
    assert_false(tr_sip_probe((struct tr_bytes){junk, sizeof(junk)}));
    /* RTP-like: version 2 header byte */
    static const uint8_t rtp[] = {0x80, 0x08, 0x00, 0x01, 'I', 'N', 'V', 'I', 'T', 'E', ' ', 's'};
    assert_int_equal(parse_n((const char *)rtp, sizeof(rtp), &m), TR_DECLINED);
    assert_false(tr_sip_probe((struct tr_bytes){rtp, sizeof(rtp)}));
}

static void sip_http_is_declined(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    assert_int_equal(parse("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n", &m),
                     TR_DECLINED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &m), TR_DECLINED);
    assert_int_equal(parse("CONNECT example.com:443 HTTP/1.1\r\n\r\n", &m), TR_DECLINED);
    assert_int_equal(parse("OPTIONS rtsp://media.example.com/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", &m),
                     TR_DECLINED);
    assert_false(probe("GET /index.html HTTP/1.1\r\n"));
    assert_false(probe("HTTP/1.1 200 OK\r\n"));
    assert_false(probe("OPTIONS * HTTP/1.1\r\n"));
}

/* ---------------------------------------------------------------- probe */

static void sip_probe_accepts_requests_and_responses(void **state)
{
    (void)state;
    assert_true(probe("INVITE sip:bob@b SIP/2.0\r\n"));
    assert_true(probe("SIP/2.0 200 OK\r\n"));
    assert_true(probe("sip/2.0 100 Trying\r\n"));
    assert_true(probe("\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n"));
    assert_true(probe("INVITE tel:+123 SIP/2.0\r\n"));
    assert_true(probe("X-CUSTOM sips:a@b SIP/2.0\r\n"));
    assert_true(probe("ACK s"));                     /* only the first bytes are looked at */
    assert_true(probe("BYE  sip:a@b  SIP/2.0\r\n")); /* extra spaces: the parser takes them */
}

static void sip_probe_rejects_non_sip_starts(void **state)
{
    (void)state;
    assert_false(probe(""));
    assert_false(probe("INVITE"));
    assert_false(probe("INVITE "));
    assert_false(probe(" INVITE sip:a@b SIP/2.0\r\n"));
    assert_false(probe("INV\"ITE sip:a@b SIP/2.0\r\n"));
    assert_false(probe("SIP/2.0"));
    assert_false(probe("SIP/2.0\r\n"));
    assert_false(probe("SIP/1.0 200 OK\r\n"));
    assert_false(probe("{\"json\": 1}"));
}

/* ---------------------------------------------------------------- real capture */

/* Frame 1 of suricata-verify-public-cloudshark-sip-s0.pcap (UDP payload, 698
 * bytes), copied out with scapy. From has no user part; To's display name has
 * an '@' inside its quotes; Content-Length has extra spaces. */
static const char cloudshark_invite[] =
    "INVITE sip:francisco@bestel.com:55060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 200.57.7.195;branch=z9hG4bKff9b46fb055c0521cc24024da96cd290\r\n"
    "Via: SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bK291d90e31a47b225bd0ddff4353e9cc0\r\n"
    "From: <sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34\r\n"
    "To: \"francisco@bestel.com\" <sip:francisco@bestel.com:55060>\r\n"
    "Call-ID: 12013223@200.57.7.195\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:200.57.7.195:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length:   229\r\n"
    "\r\n"
    "v=0\r\n"
    "o=Clarent 120386 120387 IN IP4 200.57.7.196\r\n"
    "s=Clarent C5CM\r\n"
    "c=IN IP4 200.57.7.196\r\n"
    "t=0 0\r\n"
    "m=audio 40376 RTP/AVP 8 18 4 0\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:4 G723/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=SendRecv\r\n";

static void sip_real_cloudshark_invite_is_parsed(void **state)
{
    (void)state;
    struct tr_sip_msg m;
    size_t len = sizeof(cloudshark_invite) - 1;
    assert_int_equal(len, 698);
    assert_int_equal(parse_n(cloudshark_invite, len, &m), TR_OK);
    assert_true(m.is_request);
    assert_view(m.method, "INVITE");
    assert_view(m.request_uri, "sip:francisco@bestel.com:55060");
    assert_view(m.via_branch, "z9hG4bKff9b46fb055c0521cc24024da96cd290");
    assert_int_equal(m.from_user.len, 0);
    assert_view(m.from_tag, "GR52RWG346-34");
    assert_view(m.to_user, "francisco");
    assert_int_equal(m.to_tag.len, 0);
    assert_view(m.call_id, "12013223@200.57.7.195");
    assert_int_equal(m.cseq, 1);
    assert_view(m.cseq_method, "INVITE");
    assert_view(m.content_type, "application/sdp");
    assert_int_equal(m.content_length, 229);
    assert_int_equal(m.header_len, 469);
    assert_int_equal(m.body.len, 229);
    assert_int_equal(m.msg_len, 698);
    assert_int_equal(m.user_agent.len, 0);
}

static void sip_every_prefix_of_a_real_invite_is_safe(void **state)
{
    (void)state;
    /* Each prefix lands in an exact-size heap copy so ASan sees any read past it. */
    size_t len = sizeof(cloudshark_invite) - 1;
    for (size_t n = 0; n <= len; n++) {
        char *copy = test_malloc(n ? n : 1);
        memcpy(copy, cloudshark_invite, n);
        struct tr_sip_msg m;
        int rc = parse_n(copy, n, &m);
        if (n < 469)
            assert_int_equal(rc, n == 0 ? TR_DECLINED : -TR_E_TRUNCATED);
        else if (n < len)
            assert_int_equal(m.defect, TR_SIP_DEFECT_BODY_SHORT);
        else
            assert_int_equal(rc, TR_OK);
        test_free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sip_request_line_gives_method_and_uri),
        cmocka_unit_test(sip_request_every_field_is_filled),
        cmocka_unit_test(sip_unknown_method_token_is_accepted),
        cmocka_unit_test(sip_method_with_non_token_char_is_declined),
        cmocka_unit_test(sip_lowercase_version_is_accepted),
        cmocka_unit_test(sip_request_without_uri_is_bad_start_line),
        cmocka_unit_test(sip_request_uri_without_scheme_is_bad_start_line),
        cmocka_unit_test(sip_wrong_sip_version_is_bad_start_line),
        cmocka_unit_test(sip_extra_spaces_in_request_line_are_tolerated),
        cmocka_unit_test(sip_response_gives_status_and_reason),
        cmocka_unit_test(sip_response_reason_keeps_inner_spaces),
        cmocka_unit_test(sip_response_without_reason_is_accepted),
        cmocka_unit_test(sip_status_out_of_range_is_bad_start_line),
        cmocka_unit_test(sip_response_server_becomes_user_agent),
        cmocka_unit_test(sip_response_user_agent_wins_over_server),
        cmocka_unit_test(sip_request_server_header_is_not_user_agent),
        cmocka_unit_test(sip_compact_forms_are_recognised),
        cmocka_unit_test(sip_compact_call_id_is_found),
        cmocka_unit_test(sip_header_names_are_case_insensitive),
        cmocka_unit_test(sip_space_before_colon_is_accepted),
        cmocka_unit_test(sip_similar_header_names_are_not_confused),
        cmocka_unit_test(sip_first_header_occurrence_wins),
        cmocka_unit_test(sip_folded_header_values_are_joined),
        cmocka_unit_test(sip_lf_only_line_endings_are_accepted),
        cmocka_unit_test(sip_leading_crlfs_are_skipped),
        cmocka_unit_test(sip_header_line_without_colon_is_malformed),
        cmocka_unit_test(sip_header_line_starting_with_colon_is_malformed),
        cmocka_unit_test(sip_headers_without_end_are_truncated),
        cmocka_unit_test(sip_start_line_cut_is_truncated),
        cmocka_unit_test(sip_version_alone_is_truncated_and_with_crlf_is_bad),
        cmocka_unit_test(sip_missing_call_id_is_malformed_and_other_fields_are_filled),
        cmocka_unit_test(sip_empty_call_id_counts_as_missing),
        cmocka_unit_test(sip_missing_cseq_is_malformed),
        cmocka_unit_test(sip_cseq_number_limit_is_2_pow_31_minus_1),
        cmocka_unit_test(sip_cseq_without_method_or_number_is_bad),
        cmocka_unit_test(sip_first_defect_is_reported),
        cmocka_unit_test(sip_defect_names_match_the_table),
        cmocka_unit_test(sip_from_without_tag_has_empty_tag),
        cmocka_unit_test(sip_tag_param_name_is_case_insensitive),
        cmocka_unit_test(sip_tag_inside_uri_brackets_is_ignored),
        cmocka_unit_test(sip_addr_spec_form_gives_user_and_tag),
        cmocka_unit_test(sip_quoted_display_name_with_specials_is_skipped),
        cmocka_unit_test(sip_unterminated_quote_in_display_name_still_finds_the_uri),
        cmocka_unit_test(sip_quoted_param_values_are_skipped_whole),
        cmocka_unit_test(sip_addr_spec_with_space_before_params_and_empty_uri),
        cmocka_unit_test(sip_token_display_name_is_skipped),
        cmocka_unit_test(sip_tel_uri_gives_the_number),
        cmocka_unit_test(sip_sips_uri_gives_the_user),
        cmocka_unit_test(sip_ipv6_host_in_uri_is_handled),
        cmocka_unit_test(sip_uri_without_user_gives_empty_user),
        cmocka_unit_test(sip_uri_password_is_not_part_of_the_user),
        cmocka_unit_test(sip_first_value_of_first_via_gives_branch),
        cmocka_unit_test(sip_first_via_value_without_branch_gives_empty),
        cmocka_unit_test(sip_via_branch_with_spaces_around_equals),
        cmocka_unit_test(sip_content_length_absent_makes_the_rest_the_body),
        cmocka_unit_test(sip_content_length_bigger_than_data_clips_the_body),
        cmocka_unit_test(sip_content_length_smaller_than_data_ends_the_message),
        cmocka_unit_test(sip_content_length_garbage_is_bad_content_length),
        cmocka_unit_test(sip_content_length_with_surrounding_spaces_is_fine),
        cmocka_unit_test(sip_first_content_length_wins),
        cmocka_unit_test(sip_two_messages_back_to_back_are_split_by_msg_len),
        cmocka_unit_test(sip_keepalive_crlf_only_is_declined),
        cmocka_unit_test(sip_empty_payload_is_declined),
        cmocka_unit_test(sip_binary_garbage_is_declined),
        cmocka_unit_test(sip_http_is_declined),
        cmocka_unit_test(sip_probe_accepts_requests_and_responses),
        cmocka_unit_test(sip_probe_rejects_non_sip_starts),
        cmocka_unit_test(sip_real_cloudshark_invite_is_parsed),
        cmocka_unit_test(sip_every_prefix_of_a_real_invite_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
