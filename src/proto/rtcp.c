/* rtcp.c - RTCP compound packets: a strict probe and a decoder.
 *
 * Spec: RFC 3550 section 6 (6.1 packet format and compound packets, 6.4.1
 * SR, 6.4.2 RR, 6.5 SDES, 6.6 BYE, 6.7 APP) and appendix A.2 (header
 * validity checks); RFC 5506 (reduced-size RTCP: a packet need not start with
 * SR/RR); RFC 4585 section 6.1 (feedback packets 205/206, only counted here);
 * RFC 3611 section 3 (XR packet and block header) and 4.7 (VoIP metrics
 * block); RFC 5761 section 4 (telling RTP and RTCP apart on one port).
 *
 * Every RTCP packet starts with the same 4 bytes; length counts 32-bit words
 * after the header, so a packet is (length + 1) * 4 bytes and the packets of
 * a compound follow each other to the end of the UDP datagram:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|  count  |      PT       |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * P: the last octet of the packet counts padding octets (itself included);
 * only the last packet of a compound may be padded (A.2). count is RC (SR,
 * RR: report blocks), SC (SDES, BYE: chunks / sources), the APP subtype, the
 * feedback FMT, reserved in XR.
 *
 * SR (PT 200) after the header; RR (PT 201) is the same without the sender
 * info:
 *
 *   | SSRC of sender                                                  |
 *   | NTP timestamp, most significant word  (seconds since 1900)      |
 *   | NTP timestamp, least significant word (fraction, 2^-32 s)       |
 *   | RTP timestamp                                                   |
 *   | sender's packet count                                           |
 *   | sender's octet count                                            |
 *   +=================================================================+
 *   | SSRC_n                                                          |  RC x 24 bytes
 *   | fraction lost | cumulative number of packets lost (signed 24)   |
 *   | extended highest sequence number received                       |
 *   | interarrival jitter                                             |
 *   | last SR (LSR)                                                   |
 *   | delay since last SR (DLSR)                                      |
 *   +=================================================================+
 *   | profile-specific extensions (any length, usually none)          |
 *
 * SDES (PT 202): SC chunks, each an SSRC/CSRC and items (type, length,
 * text), ended by a null octet and null padding to the next 32-bit boundary.
 * BYE (PT 203): SC SSRC/CSRCs, then optionally a length octet and a reason,
 * padded. APP (PT 204): SSRC, 4-octet name, data. XR (PT 207): SSRC, then
 * blocks of | BT | type-specific | block length (words - 1, header in) |.
 *
 * The probe is strict because the same port may carry RTP (rtcp-mux) and
 * because it runs on ports nobody announced: an RTP packet with the marker
 * bit and payload type 72..79 has 200..207 in its second byte (RFC 5761
 * section 4), so a version and type check alone would take it for RTCP. The
 * length chain, then each packet's structure, are what tell them apart.
 *
 * One walker per packet type serves both: strict (the probe, out == NULL)
 * it fails on anything irregular; lenient (the decoder) it keeps what fits
 * and reports the first defect. So whatever the probe accepts decodes as
 * TR_OK (the fuzz target checks this).
 */
#include "proto.h"

#define RTCP_HDR 4
#define RTCP_BLOCK 24  /* report block */
#define RTCP_SINFO 20  /* sender info after the SSRC */
#define XR_VOIP_LEN 36 /* VoIP metrics block, header included (block length 8) */

const char *tr_rtcp_defect_name(enum tr_rtcp_defect d)
{
#define TR_RTCP_DEFECT_NAME(id, name) name,
    static const char *const names[] = {TR_RTCP_DEFECTS(TR_RTCP_DEFECT_NAME)};
#undef TR_RTCP_DEFECT_NAME
    if ((unsigned)d >= TR_ARRAY_LEN(names))
        return "unknown";
    return names[d];
}

static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Records the first defect only: later ones are usually its consequence. */
static void defect(struct tr_rtcp *out, enum tr_rtcp_defect d)
{
    if (out && out->defect == TR_RTCP_DEFECT_NONE)
        out->defect = d;
}

/* -------------------------------------------------------------- SR / RR */

static void read_block(struct tr_cursor *c, uint32_t reporter, struct tr_rtcp_report_block *b)
{
    b->reporter_ssrc = reporter;
    b->ssrc = tr_cur_be32(c);
    b->fraction_lost = tr_cur_u8(c);
    uint32_t lost = tr_cur_be24(c);
    /* 24-bit two's complement: negative when duplicates outnumber losses */
    b->cum_lost = (int32_t)(lost ^ 0x800000u) - 0x800000;
    b->ext_high_seq = tr_cur_be32(c);
    b->jitter = tr_cur_be32(c);
    b->lsr = tr_cur_be32(c);
    b->dlsr = tr_cur_be32(c);
}

/* content: the packet after its header, padding removed. `alone` (probe):
 * no packet follows, so extension bytes are not tolerated (see the top). */
static bool walk_report(const uint8_t *content, size_t n, uint8_t pt, unsigned rc, bool alone,
                        struct tr_rtcp *out)
{
    size_t fixed = 4 + (pt == TR_RTCP_SR ? RTCP_SINFO : 0);
    size_t need = fixed + (size_t)rc * RTCP_BLOCK;
    if (!out)
        return n == need || (n > need && !alone);

    struct tr_cursor c = tr_cur_init(content, n);
    if (n < fixed) {
        defect(out, TR_RTCP_DEFECT_SHORT);
        return false;
    }
    uint32_t ssrc = tr_cur_be32(&c);
    struct tr_rtcp_sender_info si = {0};
    if (pt == TR_RTCP_SR) {
        si.ntp_sec = tr_cur_be32(&c);
        si.ntp_frac = tr_cur_be32(&c);
        si.ntp_usec = (uint32_t)(((uint64_t)si.ntp_frac * 1000000u) >> 32);
        si.rtp_ts = tr_cur_be32(&c);
        si.packets = tr_cur_be32(&c);
        si.octets = tr_cur_be32(&c);
    }
    /* The reporter is the first SR or RR of the compound. */
    if (out->type != TR_RTCP_SR && out->type != TR_RTCP_RR) {
        out->type = pt;
        out->ssrc = ssrc;
        if (pt == TR_RTCP_SR) {
            out->has_sender_info = true;
            out->si = si;
        }
    }
    for (unsigned i = 0; i < rc; i++) {
        if (tr_cur_left(&c) < RTCP_BLOCK) {
            defect(out, TR_RTCP_DEFECT_SHORT);
            return false;
        }
        if (out->n_blocks < TR_RTCP_MAX_BLOCKS)
            read_block(&c, ssrc, &out->blocks[out->n_blocks++]);
        else {
            tr_cur_skip(&c, RTCP_BLOCK);
            out->n_blocks_dropped++;
        }
    }
    return true; /* extension bytes, if any, are not interpreted */
}

/* ---------------------------------------------------------------- SDES */

static bool walk_sdes(const uint8_t *content, size_t n, unsigned sc, struct tr_rtcp *out)
{
    size_t off = 0; /* content starts 4 bytes into the packet: 32-bit aligned */
    for (unsigned i = 0; i < sc; i++) {
        if (n - off < 4) {
            defect(out, TR_RTCP_DEFECT_SDES);
            return false;
        }
        uint32_t ssrc = be32(content + off);
        off += 4;
        if (out && !out->has_sdes) {
            out->has_sdes = true;
            out->sdes_ssrc = ssrc;
        }
        for (;;) {
            if (off >= n) { /* no END item */
                defect(out, TR_RTCP_DEFECT_SDES);
                return false;
            }
            uint8_t type = content[off];
            if (type == 0) { /* END, then null octets to the next boundary */
                off = (off + 4) & ~(size_t)3;
                if (off > n) {
                    defect(out, TR_RTCP_DEFECT_SDES);
                    return false;
                }
                break;
            }
            if (n - off < 2 || n - off - 2 < content[off + 1]) {
                defect(out, TR_RTCP_DEFECT_SDES);
                return false;
            }
            size_t len = content[off + 1];
            if (out) {
                struct tr_bytes text = {content + off + 2, len};
                if (type == TR_RTCP_SDES_CNAME && !out->cname.ptr)
                    out->cname = text;
                if (out->n_sdes < TR_RTCP_MAX_SDES)
                    out->sdes[out->n_sdes++] = (struct tr_rtcp_sdes_item){ssrc, type, text};
                else
                    out->n_sdes_dropped++;
            }
            off += 2 + len;
        }
    }
    /* The chunks fill the packet exactly. The decoder lets null words
     * after them pass (harmless); the probe does not, since a run of zeros
     * is just what silent RTP payload looks like. */
    if (off == n)
        return true;
    if (!out)
        return false;
    for (; off < n; off++) {
        if (content[off] != 0) {
            defect(out, TR_RTCP_DEFECT_SDES);
            return false;
        }
    }
    return true;
}

/* ----------------------------------------------------------------- BYE */

static bool walk_bye(const uint8_t *content, size_t n, unsigned sc, struct tr_rtcp *out)
{
    if (!out && sc == 0)
        return false; /* legal but useless (6.6): not worth a false positive */
    if (out)
        out->has_bye = true;
    for (unsigned i = 0; i < sc; i++) {
        if (n - (size_t)i * 4 < 4) {
            defect(out, TR_RTCP_DEFECT_SHORT);
            return false;
        }
        if (out) {
            if (out->n_bye < TR_RTCP_MAX_BYE)
                out->bye_ssrc[out->n_bye++] = be32(content + (size_t)i * 4);
            else
                out->n_bye_dropped++;
        }
    }
    size_t off = (size_t)sc * 4, rest = n - off;
    if (rest == 0)
        return true;
    size_t len = content[off];
    if (1 + len > rest) {
        defect(out, TR_RTCP_DEFECT_BYE);
        return false;
    }
    if (!out)
        return rest - 1 - len < 4; /* only the padding to a 32-bit boundary */
    if (!out->bye_reason.ptr && len > 0)
        out->bye_reason = (struct tr_bytes){content + off + 1, len};
    return true;
}

/* ----------------------------------------------------------------- APP */

static bool walk_app(const uint8_t *content, size_t n, unsigned subtype, struct tr_rtcp *out)
{
    if (n < 8) {
        defect(out, TR_RTCP_DEFECT_SHORT);
        return false;
    }
    if (!out) {
        /* 6.7: the name is four ASCII characters */
        for (int i = 4; i < 8; i++)
            if (content[i] < 0x20 || content[i] > 0x7e)
                return false;
        return true;
    }
    if (out->n_app >= TR_RTCP_MAX_APP) {
        out->n_app_dropped++;
        return true;
    }
    struct tr_rtcp_app *a = &out->app[out->n_app++];
    a->ssrc = be32(content);
    a->subtype = (uint8_t)subtype;
    memcpy(a->name, content + 4, 4);
    a->data = (struct tr_bytes){content + 8, n - 8};
    return true;
}

/* ------------------------------------------------------------------ XR */

/* RFC 3611 4.7, the 36-byte block from its header on:
 *
 *   | BT=7 | reserved | block length = 8          |
 *   | SSRC of source                               |
 *   | loss rate | discard rate | burst dens | gap dens |
 *   | burst duration           | gap duration          |
 *   | round trip delay         | end system delay      |
 *   | signal lvl | noise lvl  | RERL       | Gmin        |
 *   | R factor   | ext. R     | MOS-LQ     | MOS-CQ      |
 *   | RX config  | reserved   | JB nominal             |
 *   | JB maximum               | JB abs max             |
 *
 * MOS-LQ comes before MOS-CQ (heplify reads them the other way round). */
static void read_voip(const uint8_t *b, uint32_t xr_ssrc, struct tr_rtcp_voip_metrics *m)
{
    struct tr_cursor c = tr_cur_init(b + 4, XR_VOIP_LEN - 4);
    m->xr_ssrc = xr_ssrc;
    m->ssrc = tr_cur_be32(&c);
    m->loss_rate = tr_cur_u8(&c);
    m->discard_rate = tr_cur_u8(&c);
    m->burst_density = tr_cur_u8(&c);
    m->gap_density = tr_cur_u8(&c);
    m->burst_duration = tr_cur_be16(&c);
    m->gap_duration = tr_cur_be16(&c);
    m->round_trip_delay = tr_cur_be16(&c);
    m->end_system_delay = tr_cur_be16(&c);
    m->signal_level = (int8_t)tr_cur_u8(&c);
    m->noise_level = (int8_t)tr_cur_u8(&c);
    m->rerl = tr_cur_u8(&c);
    m->gmin = tr_cur_u8(&c);
    m->r_factor = tr_cur_u8(&c);
    m->ext_r_factor = tr_cur_u8(&c);
    m->mos_lq = tr_cur_u8(&c);
    m->mos_cq = tr_cur_u8(&c);
    m->rx_config = tr_cur_u8(&c);
    tr_cur_skip(&c, 1); /* reserved */
    m->jb_nominal = tr_cur_be16(&c);
    m->jb_maximum = tr_cur_be16(&c);
    m->jb_abs_max = tr_cur_be16(&c);
}

static bool walk_xr(const uint8_t *content, size_t n, struct tr_rtcp *out)
{
    if (n < 4) {
        defect(out, TR_RTCP_DEFECT_SHORT);
        return false;
    }
    uint32_t xr_ssrc = be32(content);
    size_t off = 4;
    while (off < n) {
        if (n - off < 4) {
            defect(out, TR_RTCP_DEFECT_XR);
            return false;
        }
        const uint8_t *b = content + off;
        size_t size = ((size_t)((b[2] << 8) | b[3]) + 1) * 4;
        if (size > n - off) {
            defect(out, TR_RTCP_DEFECT_XR);
            return false;
        }
        if (b[0] == TR_RTCP_XR_VOIP_METRICS && size < XR_VOIP_LEN) {
            defect(out, TR_RTCP_DEFECT_XR);
            if (!out)
                return false;
        }
        if (out) {
            if (out->n_xr < TR_RTCP_MAX_XR)
                out->xr[out->n_xr++] = (struct tr_rtcp_xr_block){
                    .xr_ssrc = xr_ssrc,
                    .type = b[0],
                    .type_specific = b[1],
                    .length = (uint16_t)((b[2] << 8) | b[3]),
                    .body = {b + 4, size - 4},
                };
            else
                out->n_xr_dropped++;
            if (b[0] == TR_RTCP_XR_VOIP_METRICS && size >= XR_VOIP_LEN) {
                if (out->n_voip < TR_RTCP_MAX_VOIP)
                    read_voip(b, xr_ssrc, &out->voip[out->n_voip++]);
                else
                    out->n_voip_dropped++;
            }
        }
        off += size;
    }
    return true;
}

/* ------------------------------------------------------------ one packet */

/* Checks (out == NULL) or decodes one packet. content/n: after the header,
 * padding removed. */
static bool walk_packet(uint8_t pt, unsigned count, const uint8_t *content, size_t n, bool alone,
                        struct tr_rtcp *out)
{
    switch (pt) {
    case TR_RTCP_SR:
    case TR_RTCP_RR:
        return walk_report(content, n, pt, count, alone, out);
    case TR_RTCP_SDES:
        return walk_sdes(content, n, count, out);
    case TR_RTCP_BYE:
        return walk_bye(content, n, count, out);
    case TR_RTCP_APP:
        return walk_app(content, n, count, out);
    case TR_RTCP_RTPFB:
    case TR_RTCP_PSFB: /* RFC 4585 6.1: sender SSRC, media SSRC, FCI */
        if (n < 8) {
            defect(out, TR_RTCP_DEFECT_SHORT);
            return false;
        }
        /* FMT 0 is unassigned in both (6.2, 6.3), and it is what the CSRC
         * count of almost every RTP packet reads as. */
        return out || count != 0;
    case TR_RTCP_XR:
        return walk_xr(content, n, out);
    default:
        return true; /* other RTCP types: skipped whole */
    }
}

struct hdr {
    unsigned version, padding, count, pt;
    size_t size; /* whole packet, header included */
};

static struct hdr read_hdr(const uint8_t *h)
{
    return (struct hdr){
        .version = h[0] >> 6,
        .padding = (h[0] >> 5) & 1,
        .count = h[0] & 0x1f,
        .pt = h[1],
        .size = ((size_t)((h[2] << 8) | h[3]) + 1) * 4,
    };
}

/* RFC 5761 section 4: RTCP packet types live in 192..223. */
static bool rtcp_type(unsigned pt)
{
    return pt >= 192 && pt <= 223;
}

/* ------------------------------------------------------------------ API */

bool tr_rtcp_probe(struct tr_bytes p)
{
    /* The smallest compound is an RR without blocks (8 bytes); every packet
     * is a whole number of 32-bit words. */
    if (!p.ptr || p.len < 8 || p.len % 4 != 0)
        return false;
    size_t off = 0;
    while (off < p.len) {
        if (p.len - off < RTCP_HDR)
            return false;
        const uint8_t *h = p.ptr + off;
        struct hdr hd = read_hdr(h);
        if (hd.version != 2 || !rtcp_type(hd.pt))
            return false;
        if (off == 0 && (hd.pt < TR_RTCP_SR || hd.pt > TR_RTCP_XR))
            return false;
        if (hd.size > p.len - off)
            return false;
        bool last = hd.size == p.len - off;
        size_t size = hd.size;
        if (hd.padding) {
            uint8_t pad = h[hd.size - 1];
            if (!last || pad == 0 || pad > hd.size - RTCP_HDR)
                return false;
            size -= pad;
        }
        if (!walk_packet((uint8_t)hd.pt, hd.count, h + RTCP_HDR, size - RTCP_HDR, last, NULL))
            return false;
        off += hd.size;
    }
    return true;
}

int tr_rtcp_parse(struct tr_bytes p, struct tr_rtcp *out)
{
    memset(out, 0, sizeof(*out));
    if (!p.ptr || p.len < RTCP_HDR)
        return TR_DECLINED;
    uint32_t first_ssrc = 0;
    size_t off = 0;
    while (off < p.len) {
        size_t left = p.len - off;
        if (left < RTCP_HDR) {
            defect(out, TR_RTCP_DEFECT_TRAILING);
            break;
        }
        const uint8_t *h = p.ptr + off;
        struct hdr hd = read_hdr(h);
        if (hd.version != 2 || !rtcp_type(hd.pt)) {
            if (off == 0)
                return TR_DECLINED;
            defect(out, hd.version != 2 ? TR_RTCP_DEFECT_VERSION : TR_RTCP_DEFECT_TYPE);
            break;
        }
        if (out->n_packets == 0) {
            out->first_type = (uint8_t)hd.pt;
            if (left >= RTCP_HDR + 4 && hd.size >= RTCP_HDR + 4)
                first_ssrc = be32(h + RTCP_HDR);
        }
        if (hd.size > left) {
            defect(out, TR_RTCP_DEFECT_LENGTH);
            break;
        }
        size_t size = hd.size;
        if (hd.padding) {
            uint8_t pad = h[hd.size - 1];
            if (hd.size != left || pad == 0)
                defect(out, TR_RTCP_DEFECT_PADDING);
            if (pad <= hd.size - RTCP_HDR)
                size -= pad; /* what the sender meant, even where not allowed */
            else
                defect(out, TR_RTCP_DEFECT_PADDING);
        }
        out->n_packets++;
        if (hd.pt >= TR_RTCP_SR && hd.pt <= TR_RTCP_XR)
            out->n_by_type[hd.pt - TR_RTCP_SR]++;
        else
            out->n_other_type++;
        walk_packet((uint8_t)hd.pt, hd.count, h + RTCP_HDR, size - RTCP_HDR, false, out);
        off += hd.size;
    }
    out->reduced_size = out->first_type != TR_RTCP_SR && out->first_type != TR_RTCP_RR;
    if (out->type != TR_RTCP_SR && out->type != TR_RTCP_RR) {
        out->type = out->first_type;
        out->ssrc = first_ssrc;
    }
    if (out->defect == TR_RTCP_DEFECT_NONE)
        return TR_OK;
    return out->defect == TR_RTCP_DEFECT_LENGTH ? -TR_E_TRUNCATED : -TR_E_MALFORMED;
}

uint64_t tr_rtcp_ntp_to_unix_usec(uint32_t ntp_sec, uint32_t ntp_frac)
{
    if (ntp_sec == 0 && ntp_frac == 0)
        return 0; /* RFC 3550 6.4.1: a sender without wallclock time sends zero */
    uint64_t sec = ntp_sec;
    if (ntp_sec < 0x80000000u)
        sec += 1ull << 32; /* RFC 4330 section 3: MSB clear means era 1, from 2036 */
    sec -= 2208988800u;    /* 1900-01-01 to 1970-01-01 */
    return sec * 1000000u + (((uint64_t)ntp_frac * 1000000u) >> 32);
}
