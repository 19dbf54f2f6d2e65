/* track.h - bounded tables that follow calls and media across packets: the
 * call table (Call-ID <-> media endpoints learned from SDP and from the wire,
 * used to tag RTCP with its call) and RTP stream statistics. Every table has
 * a cap, an idle timeout and counted evictions; a warm table does not
 * allocate.
 */
#ifndef TRAWL_TRACK_H
#define TRAWL_TRACK_H

#include "../core/core.h"
#include "../proto/proto.h"

/* ================================================================ Calls
 * (calls.c) -- section owned by the call-table work (issue 5). */

/* ================================================================ RTP streams
 * (rtp_stats.c) -- section owned by the RTP statistics work (issue 5). */

#endif
