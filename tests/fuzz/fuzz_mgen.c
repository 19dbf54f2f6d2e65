/* fuzz_mgen.c - fuzz target for the MGEN message detector
 * (src/proto/mgen.c). Checks what callers rely on: an accepted message
 * satisfies every documented check (size equals the datagram, 28..8192,
 * usec below a million, a known flag set, an IPv4 or IPv6 destination with
 * a non-zero port) and its flow id and sequence are the bytes at offsets 4
 * and 8; a declined one leaves the result untouched; and the probe reads
 * nothing outside the input (ASan sees the exact-size buffer). */
#include "fuzz.h"
#include "proto/proto.h"

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_mgen m, before;
    memset(&m, 0xa5, sizeof(m));
    before = m;
    bool ok = tr_mgen_probe((struct tr_bytes){ data, size }, &m);
    if (!ok) {
        CHECK(memcmp(&m, &before, sizeof(m)) == 0);
        return 0;
    }
    CHECK(size >= 28 && size <= 8192);
    CHECK(m.msg_size == size);
    CHECK(data[2] == 2);
    CHECK((m.flags & ~0x0fu) == 0);
    CHECK(m.tx_usec < 1000000u);
    CHECK(m.dst_port != 0);
    CHECK(m.dst.family == TR_AF_INET || m.dst.family == TR_AF_INET6);
    CHECK(m.flow_id == be32_at(data + 4));
    CHECK(m.seq == be32_at(data + 8));
    size_t alen = m.dst.family == TR_AF_INET ? 4 : 16;
    CHECK(24 + alen <= size);
    CHECK(memcmp(m.dst.a, data + 24, alen) == 0);
    struct tr_addr dst = m.dst;
    CHECK(tr_mgen_dst_matches(&m, &dst, m.dst_port));
    return 0;
}
