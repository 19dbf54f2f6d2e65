/* fuzz_hep.c - fuzz target for the HEP decoder and encoder (src/proto/hep.c).
 * Decodes the input (v1, v2 or v3); when that succeeds the fields are encoded
 * again as HEP v3 into an exact-size heap buffer (so ASan sees any write past
 * it) and decoded once more: every field must come back the same. Also checks
 * that views lie inside the input and that tr_hep3_frame_len agrees with the
 * v3 total length. */
#include "fuzz.h"
#include "proto/proto.h"

static bool same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void check_same(const struct tr_hep_fields *a, const struct tr_hep_fields *b)
{
    CHECK(a->src.family == b->src.family && a->dst.family == b->dst.family);
    CHECK(memcmp(a->src.a, b->src.a, 16) == 0 && memcmp(a->dst.a, b->dst.a, 16) == 0);
    CHECK(a->ip_proto == b->ip_proto);
    CHECK(a->sport == b->sport && a->dport == b->dport);
    CHECK(a->ts_sec == b->ts_sec && a->ts_usec == b->ts_usec);
    CHECK(a->proto_type == b->proto_type);
    CHECK(a->capture_id == b->capture_id);
    CHECK(same_bytes(a->auth_key.ptr, a->auth_key.len, b->auth_key.ptr, b->auth_key.len));
    CHECK(same_bytes(a->correlation_id.ptr, a->correlation_id.len, b->correlation_id.ptr,
                     b->correlation_id.len));
    CHECK(same_bytes(a->node_name.ptr, a->node_name.len, b->node_name.ptr, b->node_name.len));
    CHECK(a->has_vlan == b->has_vlan && (!a->has_vlan || a->vlan == b->vlan));
    CHECK(same_bytes(a->payload.ptr, a->payload.len, b->payload.ptr, b->payload.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_bytes in = {data, size};

    long flen = tr_hep3_frame_len(in);
    if (size < 6)
        CHECK(flen == 0);
    else if (memcmp(data, "HEP3", 4) == 0)
        CHECK(flen == -TR_E_MALFORMED || (flen >= 6 && flen == ((data[4] << 8) | data[5])));
    else
        CHECK(flen == -TR_E_MALFORMED);

    struct tr_hep_fields d;
    int rc = tr_hep_decode(in, &d);
    CHECK(rc == TR_OK || rc == TR_DECLINED || rc == -TR_E_TRUNCATED || rc == -TR_E_MALFORMED);
    if (rc != TR_OK)
        return 0;
    if (d.version == 3)
        CHECK(flen == (long)size);
    CHECK(d.version >= 1 && d.version <= 3);
    CHECK(d.src.family == TR_AF_INET || d.src.family == TR_AF_INET6);
    check_view(d.payload.ptr, d.payload.len, data, size);
    check_view(d.auth_key.ptr, d.auth_key.len, data, size);
    check_view(d.correlation_id.ptr, d.correlation_id.len, data, size);
    check_view(d.node_name.ptr, d.node_name.len, data, size);

    size_t need = tr_hep3_size(&d);
    if (need > TR_HEP_MAX_FRAME) {
        uint8_t small[16];
        CHECK(tr_hep3_encode(&d, small, sizeof(small)) == -TR_E_FULL);
        return 0;
    }
    uint8_t *buf = malloc(need);
    CHECK(buf != NULL);
    CHECK(tr_hep3_encode(&d, buf, need - 1) == -TR_E_FULL);
    CHECK(tr_hep3_encode(&d, buf, need) == (int)need);
    struct tr_hep_fields again;
    CHECK(tr_hep_decode((struct tr_bytes){buf, need}, &again) == TR_OK);
    CHECK(again.version == 3 && !again.payload_compressed);
    CHECK(tr_hep3_frame_len((struct tr_bytes){buf, need}) == (long)need);
    check_same(&d, &again);
    free(buf);
    return 0;
}
