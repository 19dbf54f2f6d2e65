/* fuzz_rtcp.c - fuzz target for the RTCP probe, decoder and JSON body
 * (src/proto/rtcp.c, rtcp_json.c). Checks what callers rely on: the return
 * code and the defect agree; whatever the probe accepts decodes as TR_OK;
 * counts stay within the arrays; every view lies inside the input; the JSON
 * always fits TR_RTCP_JSON_MAX, is valid RFC 8259 JSON, and a smaller buffer
 * is never written past its cap. */
#include "fuzz.h"
#include "json_check.h"
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tr_rtcp r;
    static char json[TR_RTCP_JSON_MAX];
    static char small[TR_RTCP_JSON_MAX + 64];
    struct tr_bytes p = {data, size};

    bool probed = tr_rtcp_probe(p);
    int rc = tr_rtcp_parse(p, &r);
    CHECK((unsigned)r.defect < TR_RTCP_DEFECT_COUNT);
    CHECK(tr_rtcp_defect_name(r.defect) != NULL);
    switch (rc) {
    case TR_OK:
        CHECK(r.defect == TR_RTCP_DEFECT_NONE);
        break;
    case TR_DECLINED:
        CHECK(r.defect == TR_RTCP_DEFECT_NONE && r.n_packets == 0);
        break;
    case -TR_E_TRUNCATED:
        CHECK(r.defect == TR_RTCP_DEFECT_LENGTH);
        break;
    case -TR_E_MALFORMED:
        CHECK(r.defect != TR_RTCP_DEFECT_NONE && r.defect != TR_RTCP_DEFECT_LENGTH);
        break;
    default:
        CHECK(!"unexpected return code");
    }
    if (probed) {
        CHECK(rc == TR_OK);
        CHECK(size % 4 == 0 && size >= 8);
        CHECK(r.first_type >= TR_RTCP_SR && r.first_type <= TR_RTCP_XR);
    }

    CHECK(r.n_blocks <= TR_RTCP_MAX_BLOCKS && r.n_sdes <= TR_RTCP_MAX_SDES);
    CHECK(r.n_bye <= TR_RTCP_MAX_BYE && r.n_app <= TR_RTCP_MAX_APP);
    CHECK(r.n_xr <= TR_RTCP_MAX_XR && r.n_voip <= TR_RTCP_MAX_VOIP);
    CHECK(r.si.ntp_usec < 1000000);
    CHECK(r.has_sender_info ? r.type == TR_RTCP_SR : r.si.ntp_sec == 0);
    for (unsigned i = 0; i < r.n_blocks; i++)
        CHECK(r.blocks[i].cum_lost >= -8388608 && r.blocks[i].cum_lost <= 8388607);
    for (unsigned i = 0; i < r.n_sdes; i++) {
        check_view(r.sdes[i].text.ptr, r.sdes[i].text.len, data, size);
        CHECK(r.sdes[i].type != 0 && r.sdes[i].text.len <= 255);
    }
    check_view(r.cname.ptr, r.cname.len, data, size);
    check_view(r.bye_reason.ptr, r.bye_reason.len, data, size);
    for (unsigned i = 0; i < r.n_app; i++)
        check_view(r.app[i].data.ptr, r.app[i].data.len, data, size);
    for (unsigned i = 0; i < r.n_xr; i++) {
        check_view(r.xr[i].body.ptr, r.xr[i].body.len, data, size);
        CHECK(r.xr[i].body.len == ((size_t)r.xr[i].length + 1) * 4 - 4);
    }

    int n = tr_rtcp_json(&r, json, sizeof(json));
    CHECK(n > 0 && (size_t)n < sizeof(json) && json[n] == '\0');
    CHECK(json_valid(json, (size_t)n));

    /* A buffer the input picks the size of: all or nothing, never past cap. */
    size_t cap = size ? (size_t)data[size - 1] * 7 % ((size_t)n + 2) : 0;
    memset(small, 0x5a, sizeof(small));
    int m = tr_rtcp_json(&r, small, cap);
    if (cap > (size_t)n) {
        CHECK(m == n && memcmp(small, json, (size_t)n + 1) == 0);
    } else {
        CHECK(m == -TR_E_FULL);
    }
    for (size_t k = cap; k < (size_t)n + 64 && k < sizeof(small); k++)
        CHECK((uint8_t)small[k] == 0x5a);
    return 0;
}
