/* fuzz_sdp.c - fuzz target for the SDP parser (src/proto/sdp.c). Checks what
 * callers rely on: every view lies inside the input, counts agree
 * (n_media <= TR_SDP_MAX_MEDIA, n_media <= n_media_total), a malformed m=
 * line has port 0, addresses have a known family, TR_DECLINED leaves the
 * result empty, and parsing is a pure function of the bytes. The input is
 * also parsed as every cut a snaplen could make at its line ends. */
#include "fuzz.h"
#include "proto/proto.h"

static void check_family(const struct tr_addr *a)
{
    CHECK(a->family == TR_AF_NONE || a->family == TR_AF_INET || a->family == TR_AF_INET6);
}

static void check(const uint8_t *d, size_t n)
{
    struct tr_sdp s, again;
    int rc = tr_sdp_parse((struct tr_bytes){d, n}, &s);
    CHECK(rc == TR_OK || rc == TR_DECLINED);
    CHECK(tr_sdp_parse((struct tr_bytes){d, n}, &again) == rc);
    CHECK(memcmp(&s, &again, sizeof(s)) == 0);
    if (rc == TR_DECLINED) {
        CHECK(s.n_media == 0 && s.n_media_total == 0 && s.n_junk == 0);
        return;
    }
    CHECK(s.n_media <= TR_SDP_MAX_MEDIA);
    CHECK(s.n_media <= s.n_media_total);
    CHECK(s.n_media_total < TR_SDP_MAX_MEDIA || s.n_media == TR_SDP_MAX_MEDIA);
    check_family(&s.session_addr);
    for (unsigned i = 0; i < s.n_media; i++) {
        const struct tr_sdp_media *m = &s.media[i];
        check_str(m->type, d, n);
        check_str(m->proto, d, n);
        check_family(&m->addr);
        check_family(&m->rtcp_addr);
        CHECK(m->dir <= TR_SDP_INACTIVE);
        if (m->malformed)
            CHECK(m->port == 0 && m->type.len == 0);
        else
            CHECK(m->type.len > 0 && m->proto.len > 0 && m->n_ports >= 1);
        if (!m->media_conn)
            CHECK(memcmp(&m->addr, &s.session_addr, sizeof(m->addr)) == 0);
        if (m->rtcp_port == 0)
            CHECK(m->rtcp_addr.family == TR_AF_NONE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Heap copy of exactly size bytes: the fuzzer's own buffer may be
     * larger than size in replay mode. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    check(copy, size);
    /* Cuts at line ends and just before them (a body clipped by snaplen). */
    int cuts = 0;
    for (size_t i = 0; i < size && cuts < 16; i++) {
        if (copy[i] == '\n') {
            check(copy, i);
            check(copy, i + 1);
            cuts++;
        }
    }
    free(copy);
    return 0;
}
