/* fuzz_sip.c - fuzz target for the SIP parser and probe (src/proto/sip.c).
 * Checks what every caller relies on: every view lies inside the input,
 * msg_len and header_len never exceed it, the return code and the defect
 * agree, and the probe has no false negative for a message parsed as OK.
 * The input is also walked like a stream: parse again at msg_len. */
#include "fuzz.h"
#include "proto/proto.h"

static void check_msg(const struct tr_sip_msg *m, int rc, const uint8_t *d, size_t n, bool probed)
{
    check_view(m->method.ptr, m->method.len, d, n);
    check_view(m->request_uri.ptr, m->request_uri.len, d, n);
    check_view(m->reason.ptr, m->reason.len, d, n);
    check_view(m->call_id.ptr, m->call_id.len, d, n);
    check_view(m->from_user.ptr, m->from_user.len, d, n);
    check_view(m->from_tag.ptr, m->from_tag.len, d, n);
    check_view(m->to_user.ptr, m->to_user.len, d, n);
    check_view(m->to_tag.ptr, m->to_tag.len, d, n);
    check_view(m->cseq_method.ptr, m->cseq_method.len, d, n);
    check_view(m->via_branch.ptr, m->via_branch.len, d, n);
    check_view(m->user_agent.ptr, m->user_agent.len, d, n);
    check_view(m->content_type.ptr, m->content_type.len, d, n);
    check_view(m->body.ptr, m->body.len, d, n);
    CHECK(m->msg_len <= n);
    CHECK(m->header_len <= n);
    CHECK((unsigned)m->defect < TR_SIP_DEFECT_COUNT);
    CHECK(tr_sip_defect_name(m->defect) != NULL);
    switch (rc) {
    case TR_OK:
        CHECK(m->defect == TR_SIP_DEFECT_NONE);
        CHECK(probed); /* no false negative for what the parser accepts */
        /* fallthrough */
    case -TR_E_MALFORMED:
        CHECK(rc == TR_OK ||
              (m->defect != TR_SIP_DEFECT_NONE && m->defect != TR_SIP_DEFECT_NO_HEADER_END));
        CHECK(m->msg_len == m->header_len + m->body.len);
        CHECK(m->header_len > 0);
        if (m->body.len > 0)
            CHECK(m->body.ptr == d + m->header_len);
        if (m->is_request)
            CHECK(m->method.len > 0 && m->status == 0);
        else
            CHECK(m->method.len == 0 && m->request_uri.len == 0);
        if (rc == TR_OK && !m->is_request)
            CHECK(m->status >= 100 && m->status <= 699);
        /* The body is Content-Length bytes, clipped to what is there (the
         * defect may name an earlier problem than the short body). */
        if (m->content_length >= 0) {
            size_t avail = n - m->header_len;
            uint64_t want = (uint64_t)m->content_length;
            CHECK(m->body.len == (want < avail ? want : avail));
            if (want > avail)
                CHECK(rc != TR_OK);
        }
        break;
    case -TR_E_TRUNCATED:
        CHECK(m->defect == TR_SIP_DEFECT_NO_HEADER_END);
        CHECK(m->msg_len == 0);
        break;
    case TR_DECLINED:
        break;
    default:
        CHECK(!"unexpected return code");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    /* A stream of messages: at most a few steps, each must make progress. */
    for (int step = 0; step < 8 && off < size; step++) {
        struct tr_bytes b = {data + off, size - off};
        bool probed = tr_sip_probe(b);
        struct tr_sip_msg m;
        int rc = tr_sip_parse(b, &m);
        check_msg(&m, rc, b.ptr, b.len, probed);
        if (rc == -TR_E_TRUNCATED || m.msg_len == 0)
            break;
        off += m.msg_len;
    }
    return 0;
}
