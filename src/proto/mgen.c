/* mgen.c - recognises an MGEN message in a UDP payload and reads its flow id
 * and sequence number.
 *
 * Spec: MGEN User's Guide (NRL), "MGEN Message Format", message version 2
 * as sent by MGEN 4.x and 5.x; cross-read with the reference implementation
 * USNavalResearchLaboratory/mgen, src/common/mgenMsg.cpp (MgenMsg::Pack and
 * Unpack) and include/mgenGlobals.h (MIN_SIZE 28, MAX_SIZE 8192). Over UDP
 * each datagram carries exactly one message. All fields network byte order:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          messageSize          |    version    |     flags     |  0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          mgenFlowId                           |  4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        sequenceNumber                         |  8
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         txTimeSeconds                         | 12
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       txTimeMicroseconds                      | 16
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            dstPort            |  dstAddrType  |  dstAddrLen   | 20
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 dstAddr (dstAddrLen bytes) ...                | 24
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  Optional, each present only when the message is long enough:
 *  |            hostPort           | hostAddrType  |  hostAddrLen  |
 *  |                hostAddr (hostAddrLen bytes) ...               |
 *  | latitude (32) | longitude (32) | altitude (32) | gpsStatus (8) |
 *  | payloadType (8) | payloadLen (16) | payload ... | zero padding |
 *  | checksum (32, last 4 bytes, when flags has CHECKSUM)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Address types: 0 invalid, 1 IPv4 (4 bytes), 2 IPv6 (16 bytes); 3 (SIM)
 * exists only in simulator builds and never on a wire. Latitude and
 * longitude travel as (degrees + 180) * 60000; gpsStatus is 0 invalid,
 * 1 stale, 2 current; payloadType 0 user data, 1 MGEN data.
 *
 * Checks, each chosen to reject real traffic that is not MGEN (the rates
 * are for uniformly random bytes; together they leave ~2^-55):
 *   1. 28 <= length <= 8192 and messageSize == the UDP payload length: one
 *      message per datagram (2^-16). RTP (first byte 0x80..0xbf gives a
 *      messageSize of 32768 or more), SIP ("IN", "SI", "RE", ... are
 *      16-18 Ki) and most DNS ids fail here.
 *   2. version == 2 (2^-8). The DARPA variant (version 4, 64-bit seconds)
 *      has another layout and is declined.
 *   3. flags use only CONTINUES, END_OF_MSG, CHECKSUM, LAST_BUFFER (2^-4);
 *      CHECKSUM is set by MgenMsg::Pack only when every optional field
 *      below is present with 4 bytes to spare, so it demands them.
 *   4. txTimeMicroseconds < 10^6 (2^-12) and the timestamp is not all zero.
 *      Seconds are not bounded: testbed radios without a real-time clock
 *      send 1970 times, and the capture time is the caller's to compare.
 *   5. dstAddrType 1 with dstAddrLen 4, or 2 with 16, the address inside the
 *      message (2^-15), and dstPort != 0.
 *   6. When the message is long enough for them (MgenMsg::Pack writes them
 *      whenever they fit): hostAddrType 0/1/2 with length 0/4/16 and the
 *      address inside the message; then the GPS block with latitude and
 *      longitude at most 360 * 60000 and gpsStatus <= 2; then payloadType
 *      <= 1; then payloadLen fitting inside the message.
 * The padding and the CRC-32 are not verified: builds with RANDOM_FILL pad
 * with random bytes, and the checksum coverage differs between the UDP and
 * TCP paths. tr_mgen_dst_matches adds PCapper's own test (dstPort and
 * dstAddr equal the packet's destination) for callers that want it.
 */
#include "proto.h"

#define MGEN_VERSION 2
#define MGEN_MIN_SIZE 28   /* fixed part + an IPv4 dstAddr */
#define MGEN_MAX_SIZE 8192 /* mgenGlobals.h MAX_SIZE: largest UDP message */
#define MGEN_FLAGS_KNOWN                                                                           \
    (TR_MGEN_F_CONTINUES | TR_MGEN_F_END_OF_MSG | TR_MGEN_F_CHECKSUM | TR_MGEN_F_LAST_BUFFER)
#define MGEN_GPS_MAX (360u * 60000u) /* (180 + 180) degrees in 1/60000 */

enum { MGEN_ADDR_INVALID = 0, MGEN_ADDR_IPV4 = 1, MGEN_ADDR_IPV6 = 2 };

/* Length an address type must have; -1 for a type never seen on a wire. */
static int mgen_addr_len(uint8_t type)
{
    switch (type) {
    case MGEN_ADDR_INVALID:
        return 0;
    case MGEN_ADDR_IPV4:
        return 4;
    case MGEN_ADDR_IPV6:
        return 16;
    default:
        return -1;
    }
}

/* Checks the optional fields after dstAddr as far as the message reaches,
 * in the order and with the room tests of MgenMsg::Unpack. Pack sets the
 * CHECKSUM flag only after writing every field with 4 bytes to spare, so a
 * checksummed message must hold them all, its payload ending 4 bytes early. */
static bool mgen_optional_ok(struct tr_cursor *c, bool checksum)
{
    if (tr_cur_left(c) < 4)
        return !checksum; /* ends early: fine unless checksummed */
    tr_cur_be16(c); /* hostPort: any value, 0 when the host is unknown */
    uint8_t host_type = tr_cur_u8(c);
    uint8_t host_len = tr_cur_u8(c);
    int want = mgen_addr_len(host_type);
    if (want < 0 || host_len != want)
        return false;
    if (!tr_cur_skip(c, host_len))
        return false; /* Pack writes the host fields only when all of them fit */

    if (tr_cur_left(c) < 13)
        return !checksum;
    uint32_t lat = tr_cur_be32(c);
    uint32_t lon = tr_cur_be32(c);
    tr_cur_be32(c); /* altitude: any value */
    uint8_t gps_status = tr_cur_u8(c);
    if (lat > MGEN_GPS_MAX || lon > MGEN_GPS_MAX || gps_status > 2)
        return false;

    if (tr_cur_left(c) < 1)
        return !checksum;
    if (tr_cur_u8(c) > 1) /* payloadType */
        return false;

    if (tr_cur_left(c) < 2)
        return !checksum;
    uint16_t payload_len = tr_cur_be16(c);
    return (size_t)payload_len + (checksum ? 4 : 0) <= tr_cur_left(c);
}

bool tr_mgen_probe(struct tr_bytes udp_payload, struct tr_mgen *out)
{
    if (udp_payload.len < MGEN_MIN_SIZE || udp_payload.len > MGEN_MAX_SIZE)
        return false;

    struct tr_cursor c = tr_cur_init(udp_payload.ptr, udp_payload.len);
    struct tr_mgen m = { 0 };
    m.msg_size = tr_cur_be16(&c);
    uint8_t version = tr_cur_u8(&c);
    m.flags = tr_cur_u8(&c);
    m.flow_id = tr_cur_be32(&c);
    m.seq = tr_cur_be32(&c);
    m.tx_sec = tr_cur_be32(&c);
    m.tx_usec = tr_cur_be32(&c);
    m.dst_port = tr_cur_be16(&c);
    uint8_t dst_type = tr_cur_u8(&c);
    uint8_t dst_len = tr_cur_u8(&c);

    if (m.msg_size != udp_payload.len || version != MGEN_VERSION)
        return false;
    if (m.flags & ~MGEN_FLAGS_KNOWN)
        return false;
    if (m.tx_usec >= 1000000u || (m.tx_sec == 0 && m.tx_usec == 0))
        return false;
    if (m.dst_port == 0)
        return false;
    if (dst_type == MGEN_ADDR_IPV4 && dst_len == 4)
        m.dst.family = TR_AF_INET;
    else if (dst_type == MGEN_ADDR_IPV6 && dst_len == 16)
        m.dst.family = TR_AF_INET6;
    else
        return false;
    struct tr_bytes a = tr_cur_take(&c, dst_len);
    if (c.short_read)
        return false;
    memcpy(m.dst.a, a.ptr, dst_len);

    if (!mgen_optional_ok(&c, (m.flags & TR_MGEN_F_CHECKSUM) != 0) || c.short_read)
        return false;

    *out = m;
    return true;
}

bool tr_mgen_dst_matches(const struct tr_mgen *m, const struct tr_addr *dst, uint16_t dport)
{
    if (m->dst_port != dport || m->dst.family != dst->family)
        return false;
    size_t n = dst->family == TR_AF_INET ? 4 : 16;
    return memcmp(m->dst.a, dst->a, n) == 0;
}
