/* hep.c - HEP (Homer Encapsulation Protocol): v3 encoder, v1/v2/v3 decoder,
 * HEP3 stream framing.
 *
 * Spec: sipcapture/HEP "HEP3 Network Protocol Specification" rev 37 for v3.
 * v1/v2 have no written spec; their layout is the C structs of captagent and
 * Kamailio sipcapture (hep.c). Facts and receiver behaviour we follow are in
 * /work/shared/reference/hep.md (chunk table, what Kamailio/heplify accept).
 *
 * HEP v3 (all integers network order; both lengths include their own header):
 *
 *    0       1       2       3       4       5
 *   +-------+-------+-------+-------+-------+-------+
 *   |  'H'  |  'E'  |  'P'  |  '3'  | total length  |
 *   +-------+-------+-------+-------+-------+-------+
 *   |   vendor id   |    type id    | chunk length  |  x N chunks
 *   +-------+-------+-------+-------+-------+-------+
 *   | value: chunk length - 6 bytes ...             |
 *   +-----------------------------------------------+
 *
 * HEP v1/v2:
 *
 *    0         1         2         3
 *   +---------+---------+---------+---------+
 *   | version | hdr len | family  | ip proto|   hdr len: 16 (IPv4) or 40 (IPv6)
 *   +---------+---------+---------+---------+
 *   | src port (BE)     | dst port (BE)     |
 *   +-------------------+-------------------+
 *   | src address (4 or 16 bytes)           |
 *   | dst address (4 or 16 bytes)           |
 *   +---------------------------------------+
 *   | v2 only, LITTLE-endian (x86 host order of the senders):
 *   | u32 sec | u32 usec | u16 capture id | 2 bytes pad |
 *   +---------------------------------------+
 *   | payload (SIP) ...                     |
 *
 * Family values on the wire are the Linux AF_* numbers: 2 IPv4, 10 IPv6.
 */
#include "proto.h"

enum {
    HEP_CH_FAMILY = 0x01,
    HEP_CH_IP_PROTO = 0x02,
    HEP_CH_SRC4 = 0x03,
    HEP_CH_DST4 = 0x04,
    HEP_CH_SRC6 = 0x05,
    HEP_CH_DST6 = 0x06,
    HEP_CH_SPORT = 0x07,
    HEP_CH_DPORT = 0x08,
    HEP_CH_TS_SEC = 0x09,
    HEP_CH_TS_USEC = 0x0a,
    HEP_CH_PROTO_TYPE = 0x0b,
    HEP_CH_CAPTURE_ID = 0x0c,
    HEP_CH_KEEPALIVE = 0x0d,
    HEP_CH_AUTH_KEY = 0x0e,
    HEP_CH_PAYLOAD = 0x0f,
    HEP_CH_PAYLOAD_Z = 0x10,
    HEP_CH_CORRELATION = 0x11,
    HEP_CH_VLAN = 0x12,
    HEP_CH_NODE_NAME = 0x13,
};

enum { HEP_WIRE_AF_INET = 2, HEP_WIRE_AF_INET6 = 10 };
enum { HEP_HDR = 6, HEP_CHUNK_HDR = 6 };

/* ---------------------------------------------------------------- encode */

/* A variable chunk bigger than a whole frame can never be encoded; clamping
 * each length keeps the sum far from size_t overflow. */
static size_t var_chunk(size_t len)
{
    if (len > TR_HEP_MAX_FRAME)
        len = TR_HEP_MAX_FRAME + 1;
    return HEP_CHUNK_HDR + len;
}

size_t tr_hep3_size(const struct tr_hep_fields *f)
{
    size_t alen = f->src.family == TR_AF_INET6 ? 16 : 4;
    size_t n = HEP_HDR;
    n += 3 * (HEP_CHUNK_HDR + 1);    /* family, ip proto, proto type */
    n += 2 * (HEP_CHUNK_HDR + alen); /* addresses */
    n += 2 * (HEP_CHUNK_HDR + 2);    /* ports */
    n += 3 * (HEP_CHUNK_HDR + 4);    /* ts sec, ts usec, capture id */
    if (f->auth_key.len > 0)
        n += var_chunk(f->auth_key.len);
    if (f->correlation_id.len > 0)
        n += var_chunk(f->correlation_id.len);
    if (f->has_vlan)
        n += HEP_CHUNK_HDR + 2;
    if (f->node_name.len > 0)
        n += var_chunk(f->node_name.len);
    n += var_chunk(f->payload.len);
    return n;
}

/* Chunk writers: the caller has checked the total against the capacity. */
static uint8_t *put_hdr(uint8_t *p, uint16_t type, size_t value_len)
{
    tr_put_be16(p, 0); /* vendor: generic */
    tr_put_be16(p + 2, type);
    tr_put_be16(p + 4, (uint16_t)(HEP_CHUNK_HDR + value_len));
    return p + HEP_CHUNK_HDR;
}

static uint8_t *put_u8(uint8_t *p, uint16_t type, uint8_t v)
{
    p = put_hdr(p, type, 1);
    *p = v;
    return p + 1;
}

static uint8_t *put_u16(uint8_t *p, uint16_t type, uint16_t v)
{
    p = put_hdr(p, type, 2);
    tr_put_be16(p, v);
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint16_t type, uint32_t v)
{
    p = put_hdr(p, type, 4);
    tr_put_be32(p, v);
    return p + 4;
}

static uint8_t *put_raw(uint8_t *p, uint16_t type, const void *v, size_t len)
{
    p = put_hdr(p, type, len);
    if (len > 0)
        memcpy(p, v, len);
    return p + len;
}

int tr_hep3_encode(const struct tr_hep_fields *f, uint8_t *buf, size_t cap)
{
    size_t total = tr_hep3_size(f);
    if (total > TR_HEP_MAX_FRAME || total > cap || !buf)
        return -TR_E_FULL;

    bool v6 = f->src.family == TR_AF_INET6;
    uint8_t *p = buf;
    memcpy(p, "HEP3", 4);
    tr_put_be16(p + 4, (uint16_t)total);
    p += HEP_HDR;

    /* Chunk order: what every HOMER sender does; receivers do not care. */
    p = put_u8(p, HEP_CH_FAMILY, v6 ? HEP_WIRE_AF_INET6 : HEP_WIRE_AF_INET);
    p = put_u8(p, HEP_CH_IP_PROTO, f->ip_proto);
    p = put_raw(p, v6 ? HEP_CH_SRC6 : HEP_CH_SRC4, f->src.a, v6 ? 16 : 4);
    p = put_raw(p, v6 ? HEP_CH_DST6 : HEP_CH_DST4, f->dst.a, v6 ? 16 : 4);
    p = put_u16(p, HEP_CH_SPORT, f->sport);
    p = put_u16(p, HEP_CH_DPORT, f->dport);
    p = put_u32(p, HEP_CH_TS_SEC, f->ts_sec);
    p = put_u32(p, HEP_CH_TS_USEC, f->ts_usec);
    p = put_u8(p, HEP_CH_PROTO_TYPE, f->proto_type);
    p = put_u32(p, HEP_CH_CAPTURE_ID, f->capture_id);
    if (f->auth_key.len > 0)
        p = put_raw(p, HEP_CH_AUTH_KEY, f->auth_key.ptr, f->auth_key.len);
    if (f->correlation_id.len > 0)
        p = put_raw(p, HEP_CH_CORRELATION, f->correlation_id.ptr, f->correlation_id.len);
    if (f->has_vlan)
        p = put_u16(p, HEP_CH_VLAN, f->vlan);
    if (f->node_name.len > 0)
        p = put_raw(p, HEP_CH_NODE_NAME, f->node_name.ptr, f->node_name.len);
    p = put_raw(p, HEP_CH_PAYLOAD, f->payload.ptr, f->payload.len);

    if ((size_t)(p - buf) != total) /* tr_hep3_size and this list disagree: a bug */
        return -TR_E_MALFORMED;
    return (int)total;
}

/* ---------------------------------------------------------------- decode */

/* Value size of the fixed-size chunks we read (and of the keep-alive timer);
 * -1 for variable or unknown. A mismatch makes the frame malformed, as in
 * heplify-server: a wrong size means the sender and we disagree on the
 * format, and guessing would put garbage into addresses and times. */
static int fixed_size(uint16_t type)
{
    switch (type) {
    case HEP_CH_FAMILY:
    case HEP_CH_IP_PROTO:
    case HEP_CH_PROTO_TYPE:
        return 1;
    case HEP_CH_SPORT:
    case HEP_CH_DPORT:
    case HEP_CH_KEEPALIVE:
    case HEP_CH_VLAN:
        return 2;
    case HEP_CH_SRC4:
    case HEP_CH_DST4:
    case HEP_CH_TS_SEC:
    case HEP_CH_TS_USEC:
    case HEP_CH_CAPTURE_ID:
        return 4;
    case HEP_CH_SRC6:
    case HEP_CH_DST6:
        return 16;
    default:
        return -1;
    }
}

static struct tr_str as_str(struct tr_bytes b)
{
    return tr_str_from_bytes(b);
}

static int hep3_decode(struct tr_bytes msg, struct tr_hep_fields *out)
{
    struct tr_cursor c = tr_cur_init(msg.ptr, msg.len);
    tr_cur_skip(&c, 4); /* "HEP3", checked by the caller */
    uint16_t total = tr_cur_be16(&c);
    if (c.short_read)
        return -TR_E_TRUNCATED;
    if (total < HEP_HDR)
        return -TR_E_MALFORMED;
    if (total > msg.len)
        return -TR_E_TRUNCATED;
    if (total < msg.len) /* trailing bytes: a framing error, never silently dropped */
        return -TR_E_MALFORMED;

    out->version = 3;
    int family = -1;
    bool src4 = false, dst4 = false, src6 = false, dst6 = false, plain_payload = false;
    uint8_t s4[4] = {0}, d4[4] = {0}, s6[16] = {0}, d6[16] = {0};

    while (tr_cur_left(&c) > 0) {
        if (tr_cur_left(&c) < HEP_CHUNK_HDR)
            return -TR_E_MALFORMED;
        uint16_t vendor = tr_cur_be16(&c);
        uint16_t type = tr_cur_be16(&c);
        uint16_t len = tr_cur_be16(&c);
        if (len < HEP_CHUNK_HDR)
            return -TR_E_MALFORMED;
        struct tr_bytes v = tr_cur_take(&c, (size_t)len - HEP_CHUNK_HDR);
        if (c.short_read) /* runs past the total length */
            return -TR_E_MALFORMED;
        if (vendor != 0)
            continue; /* vendor chunks: not ours to read */
        int want = fixed_size(type);
        if (want >= 0 && v.len != (size_t)want)
            return -TR_E_MALFORMED;

        struct tr_cursor vc = tr_cur_init(v.ptr, v.len);
        switch (type) {
        case HEP_CH_FAMILY:
            family = tr_cur_u8(&vc);
            break;
        case HEP_CH_IP_PROTO:
            out->ip_proto = tr_cur_u8(&vc);
            break;
        case HEP_CH_SRC4:
            memcpy(s4, v.ptr, 4);
            src4 = true;
            break;
        case HEP_CH_DST4:
            memcpy(d4, v.ptr, 4);
            dst4 = true;
            break;
        case HEP_CH_SRC6:
            memcpy(s6, v.ptr, 16);
            src6 = true;
            break;
        case HEP_CH_DST6:
            memcpy(d6, v.ptr, 16);
            dst6 = true;
            break;
        case HEP_CH_SPORT:
            out->sport = tr_cur_be16(&vc);
            break;
        case HEP_CH_DPORT:
            out->dport = tr_cur_be16(&vc);
            break;
        case HEP_CH_TS_SEC:
            out->ts_sec = tr_cur_be32(&vc);
            break;
        case HEP_CH_TS_USEC:
            out->ts_usec = tr_cur_be32(&vc);
            break;
        case HEP_CH_PROTO_TYPE:
            out->proto_type = tr_cur_u8(&vc);
            break;
        case HEP_CH_CAPTURE_ID:
            out->capture_id = tr_cur_be32(&vc);
            break;
        case HEP_CH_AUTH_KEY:
            out->auth_key = as_str(v);
            break;
        case HEP_CH_PAYLOAD:
            out->payload = v;
            out->payload_compressed = false;
            plain_payload = true;
            break;
        case HEP_CH_PAYLOAD_Z:
            /* Reported, not inflated (nobody in HOMER decodes it either); a
             * plain payload chunk in the same frame wins. */
            if (!plain_payload) {
                out->payload = v;
                out->payload_compressed = true;
            }
            break;
        case HEP_CH_CORRELATION:
            out->correlation_id = as_str(v);
            break;
        case HEP_CH_VLAN:
            out->vlan = tr_cur_be16(&vc);
            out->has_vlan = true;
            break;
        case HEP_CH_NODE_NAME:
            out->node_name = as_str(v);
            break;
        default:
            break; /* keep-alive, MACs, QoS, tags...: skipped by length */
        }
    }

    /* The family chunk picks the address pair; without it, whichever
     * complete pair is there. */
    if (family < 0)
        family = (src4 && dst4) ? HEP_WIRE_AF_INET : (src6 && dst6) ? HEP_WIRE_AF_INET6 : 0;
    if (family == HEP_WIRE_AF_INET && src4 && dst4) {
        out->src.family = out->dst.family = TR_AF_INET;
        memcpy(out->src.a, s4, 4);
        memcpy(out->dst.a, d4, 4);
    } else if (family == HEP_WIRE_AF_INET6 && src6 && dst6) {
        out->src.family = out->dst.family = TR_AF_INET6;
        memcpy(out->src.a, s6, 16);
        memcpy(out->dst.a, d6, 16);
    } else {
        return -TR_E_MALFORMED; /* unknown family or missing addresses */
    }
    return TR_OK;
}

static int hep12_decode(struct tr_bytes msg, struct tr_hep_fields *out)
{
    struct tr_cursor c = tr_cur_init(msg.ptr, msg.len);
    uint8_t version = tr_cur_u8(&c);
    uint8_t hdr_len = tr_cur_u8(&c);
    uint8_t family = tr_cur_u8(&c);
    out->ip_proto = tr_cur_u8(&c);
    if (c.short_read)
        return -TR_E_TRUNCATED;

    size_t alen;
    if (family == HEP_WIRE_AF_INET)
        alen = 4;
    else if (family == HEP_WIRE_AF_INET6)
        alen = 16;
    else
        return -TR_E_MALFORMED;
    if (hdr_len != 8 + 2 * alen) /* the header length must match the family */
        return -TR_E_MALFORMED;

    out->version = version;
    out->sport = tr_cur_be16(&c);
    out->dport = tr_cur_be16(&c);
    struct tr_bytes src = tr_cur_take(&c, alen);
    struct tr_bytes dst = tr_cur_take(&c, alen);
    if (version == 2) {
        out->ts_sec = tr_cur_le32(&c);
        out->ts_usec = tr_cur_le32(&c);
        out->capture_id = tr_cur_le16(&c);
        tr_cur_skip(&c, 2);
    }
    if (c.short_read)
        return -TR_E_TRUNCATED;

    uint8_t af = alen == 4 ? TR_AF_INET : TR_AF_INET6;
    out->src.family = out->dst.family = af;
    memcpy(out->src.a, src.ptr, alen);
    memcpy(out->dst.a, dst.ptr, alen);
    out->proto_type = TR_HEP_PROTO_SIP; /* v1/v2 carry nothing else */
    out->payload = tr_cur_take(&c, tr_cur_left(&c));
    return TR_OK;
}

int tr_hep_decode(struct tr_bytes msg, struct tr_hep_fields *out)
{
    memset(out, 0, sizeof(*out));
    if (!msg.ptr || msg.len == 0)
        return TR_DECLINED;

    int rc;
    size_t k = msg.len < 4 ? msg.len : 4;
    if (msg.ptr[0] == 1 || msg.ptr[0] == 2)
        rc = hep12_decode(msg, out);
    else if (memcmp(msg.ptr, "HEP3", k) != 0)
        return TR_DECLINED;
    else if (msg.len < HEP_HDR)
        return -TR_E_TRUNCATED;
    else
        rc = hep3_decode(msg, out);
    if (rc != TR_OK) /* no half-filled result for a caller that forgets to check */
        memset(out, 0, sizeof(*out));
    return rc;
}

long tr_hep3_frame_len(struct tr_bytes head)
{
    if (!head.ptr || head.len < HEP_HDR)
        return 0;
    if (memcmp(head.ptr, "HEP3", 4) != 0)
        return -TR_E_MALFORMED;
    long total = (long)((head.ptr[4] << 8) | head.ptr[5]);
    if (total < HEP_HDR) /* could never advance a stream */
        return -TR_E_MALFORMED;
    return total;
}
