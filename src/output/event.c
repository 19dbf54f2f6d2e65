/* event.c - the names events and transports go by in every text output
 * (JSON "type"/"transport", CSV columns, rule matches, Lua fields), so the
 * formats and the rules never spell them differently. */
#include "output.h"

const char *tr_event_kind_name(enum tr_event_kind k)
{
    switch (k) {
    case TR_EV_SIP: return "sip";
    case TR_EV_RTCP: return "rtcp";
    case TR_EV_VQ: return "vq";
    case TR_EV_RTP_STATS: return "rtp_stats";
    case TR_EV_HEP: return "hep";
    case TR_EV_PACKET: return "packet";
    case TR_EV_LOG: return "log";
    }
    return "?";
}

const char *tr_transport_name(uint8_t ip_proto)
{
    switch (ip_proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return "ip";
    }
}
