#!/usr/bin/env python3
"""rtcp_check.py MAP SINK_JSONL - checks trawl's RTCP correlation against
add_rtcp.py's map (../shared/bench): every RTCP packet of every mapped flow
arrived exactly once as HEP type 5 with the flow's Call-ID as correlation id,
and every XR packet (voip_metrics in the JSON body) is counted too.

SINK_JSONL is hep_sink -w output. Prints one summary line; exit 1 on any
difference (missing, duplicated, wrong or empty correlation id, packets for
flows the map does not know). Standard library only."""
import collections
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    flows = collections.defaultdict(list)  # (src, sport, dst, dport) -> [(first, last, cid, n, xr)]
    want_total = 0
    for line in open(sys.argv[1]):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        key = (f[0], int(f[1]), f[2], int(f[3]))
        flows[key].append((float(f[8]), float(f[9]), f[4], int(f[6]), int(f[7])))
        want_total += int(f[6])
    got = collections.Counter()     # (key, index in flows[key]) -> packets
    got_xr = collections.Counter()
    wrong = empty = unknown = 0
    examples = []
    for line in open(sys.argv[2]):
        m = json.loads(line)
        if m.get("type") != 5:
            continue
        key = (m["src"], m["sport"], m["dst"], m["dport"])
        ts = float(m["ts"])
        cands = [i for i, fl in enumerate(flows.get(key, [])) if fl[0] - 1e-6 <= ts <= fl[1] + 1e-6]
        if not cands:
            unknown += 1
            continue
        i = cands[0]
        cid = m.get("cid") or ""
        if not cid:
            empty += 1
        elif cid != flows[key][i][2]:
            wrong += 1
            if len(examples) < 5:
                examples.append("%s:%d -> %s:%d got %s want %s" % (key + (cid, flows[key][i][2])))
        got[(key, i)] += 1
        got_xr[(key, i)] += '"voip_metrics"' in m.get("payload", "")
    bad_count = 0
    for key, lst in flows.items():
        for i, fl in enumerate(lst):
            if got[(key, i)] != fl[3] or got_xr[(key, i)] != fl[4]:
                bad_count += 1
                if len(examples) < 10:
                    examples.append("%s:%d -> %s:%d call %s: map %d rtcp/%d xr, received %d/%d"
                                    % (key + (fl[2], fl[3], fl[4], got[(key, i)], got_xr[(key, i)])))
    total = sum(got.values())
    for e in examples:
        print("  " + e)
    print("rtcp_check: map %d RTCP packets in %d flows; received %d, wrong cid %d, empty cid %d, "
          "flows with wrong counts %d, not in map %d"
          % (want_total, sum(len(v) for v in flows.values()), total, wrong, empty, bad_count, unknown))
    sys.exit(1 if wrong or empty or bad_count or unknown or total != want_total else 0)


if __name__ == "__main__":
    main()
