/* fuzz_vq.c - fuzz target for the vq-rtcpxr body parser and its JSON
 * (src/proto/vq.c). Checks: every view lies inside the input; TR_OK exactly
 * when a report type was found; the JSON fits TR_VQ_JSON_MAX(size), is valid
 * RFC 8259 JSON, and a smaller buffer is never written past its cap. */
#include "fuzz.h"
#include "json_check.h"
#include "proto/proto.h"

static void check_metrics(const struct tr_vq_metrics *m, const uint8_t *d, size_t n)
{
    for (unsigned i = 0; i < TR_VQ_N_TEXT; i++)
        check_str(m->text[i], d, n);
    CHECK((m->num_set >> TR_VQ_N_NUM) == 0);
    if (m->num_set)
        CHECK(m->present);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_vq v;
    int rc = tr_vq_parse((struct tr_bytes){data, size}, &v);
    CHECK(rc == TR_OK || rc == TR_DECLINED);
    CHECK((rc == TR_OK) == (v.report != TR_VQ_NONE));
    const struct tr_str *views[] = {
        &v.alert_type,      &v.alert_severity, &v.alert_dir,
        &v.call_id,         &v.local_id,       &v.remote_id,
        &v.orig_id,         &v.local_group,    &v.remote_group,
        &v.local_mac,       &v.remote_mac,     &v.dialog_id,
        &v.from_id,         &v.to_id,          &v.local_addr.ip,
        &v.local_addr.ssrc, &v.remote_addr.ip, &v.remote_addr.ssrc,
    };
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
        check_str(*views[i], data, size);
    CHECK(v.local_addr.port >= -1 && v.local_addr.port <= 65535);
    CHECK(v.remote_addr.port >= -1 && v.remote_addr.port <= 65535);
    check_metrics(&v.local, data, size);
    check_metrics(&v.remote, data, size);

    size_t max = TR_VQ_JSON_MAX(size);
    char *json = malloc(max);
    char *small = malloc(max + 64);
    CHECK(json && small);
    int n = tr_vq_json(&v, json, max);
    CHECK(n > 0 && (size_t)n < max && json[n] == '\0');
    CHECK(json_valid(json, (size_t)n));
    size_t cap = size ? (size_t)data[0] * 13 % ((size_t)n + 2) : 0;
    memset(small, 0x5a, max + 64);
    int m = tr_vq_json(&v, small, cap);
    if (cap > (size_t)n)
        CHECK(m == n && memcmp(small, json, (size_t)n + 1) == 0);
    else
        CHECK(m == -TR_E_FULL);
    for (size_t k = cap; k < max + 64; k++)
        CHECK((uint8_t)small[k] == 0x5a);
    free(json);
    free(small);
    return 0;
}
