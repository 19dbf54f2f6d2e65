/* fuzz_mirror_spec.c - fuzz target for the --mirror spec parser and the
 * token bucket (src/output/mirror_fmt.c). The input is a spec string (up to
 * its first NUL). Checks: the parser returns TR_OK or a usage error with a
 * message; an accepted spec is in range (encap known, host non-empty and
 * NUL-terminated, key within 28/24 bits, port set for VXLAN/ZMQ, slice and
 * mbps within their bounds), its headers are 8 bytes with the key bits in
 * place, and a bucket at its rate never lets more than rate x time + burst
 * through. */
#include "fuzz.h"
#include "output/output.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[512];
    size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
    memcpy(spec, data, n);
    spec[n] = '\0';
    struct tr_mirror_spec s;
    struct tr_err err = { 0 };
    int rc = tr_mirror_spec_parse(spec, &s, &err);
    if (rc != TR_OK) {
        CHECK(rc == -TR_E_USAGE);
        CHECK(err.msg[0] != '\0');
        return 0;
    }
    CHECK(s.encap == TR_MIRROR_GRE || s.encap == TR_MIRROR_VXLAN || s.encap == TR_MIRROR_ZMQ);
    CHECK(s.host[0] != '\0' && memchr(s.host, '\0', sizeof(s.host)) != NULL);
    CHECK(s.encap == TR_MIRROR_VXLAN ? s.key <= 0xFFFFFFu : s.key <= 0x0FFFFFFFu);
    if (s.encap != TR_MIRROR_GRE)
        CHECK(s.port != 0);
    if (s.has_slice)
        CHECK(s.slice >= 14 && s.slice <= 65535);
    if (s.has_mbps)
        CHECK(s.mbps > 0 && s.mbps <= 100000);

    uint8_t h[TR_MIRROR_HDR_LEN];
    for (int dir = 0; dir <= 2; dir++) {
        if (s.encap == TR_MIRROR_VXLAN) {
            CHECK(tr_mirror_vxlan_hdr(h, s.key, dir) == 8);
            CHECK(h[0] == 0x08 && h[7] == 0);
            CHECK(dir == 0 || (h[4] >> 4) == dir);
        } else {
            CHECK(tr_mirror_gre_hdr(h, s.key, dir) == 8);
            CHECK(h[0] == 0x20 && h[2] == 0x65 && h[3] == 0x58);
            CHECK(dir == 0 || (h[4] >> 4) == dir);
        }
    }
    if (s.has_mbps) {
        struct tr_token_bucket tb;
        tr_token_bucket_init(&tb, s.mbps, 0);
        uint64_t t = 1000000000ull, passed = 0;
        for (size_t i = 0; i < size && i < 256; i++, t += (uint64_t)data[i % size] * 1000000u)
            if (tr_token_bucket_take(&tb, t, 1500u))
                passed += 1500;
        CHECK(passed <= tb.burst + (t - 1000000000ull) / 1000000000.0 * (double)tb.rate_bps + 1500);
    }
    return 0;
}
