# shellcheck shell=bash
# veth.sh - sourced by the live e2e tests: one veth pair between two network namespaces the
# test has created (and deletes in its EXIT trap), addressed, up, with static neighbours so no
# ARP/ND crosses the link and a capture on it sees only the test's own traffic.
#
#   veth_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B [ADDR6_A ADDR6_B]
# ADDR_* are IPv4 addresses in one /24. Without ADDR6_* IPv6 is switched off in both
# namespaces (no router solicitations on the wire); with them (in one /64) it stays on, and
# DAD is skipped. Sets MAC_A and MAC_B. Returns non-zero when the pair cannot be made.
veth_link() {
  local ns_a=$1 if_a=$2 a=$3 ns_b=$4 if_b=$5 b=$6 a6=${7:-} b6=${8:-} ns
  ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b" || return 1
  for ns in "$ns_a" "$ns_b"; do
    [ -n "$a6" ] || ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$ns_a" addr add "$a/24" dev "$if_a"
  ip -n "$ns_b" addr add "$b/24" dev "$if_b"
  if [ -n "$a6" ]; then
    ip -n "$ns_a" addr add "$a6/64" dev "$if_a" nodad
    ip -n "$ns_b" addr add "$b6/64" dev "$if_b" nodad
  fi
  ip -n "$ns_a" link set "$if_a" up
  ip -n "$ns_b" link set "$if_b" up
  MAC_A=$(ip -n "$ns_a" -br link show "$if_a" | awk '{print $3}')
  MAC_B=$(ip -n "$ns_b" -br link show "$if_b" | awk '{print $3}')
  ip -n "$ns_a" neigh replace "$b" lladdr "$MAC_B" dev "$if_a" nud permanent
  ip -n "$ns_b" neigh replace "$a" lladdr "$MAC_A" dev "$if_b" nud permanent
  if [ -n "$a6" ]; then
    ip -n "$ns_a" neigh replace "$b6" lladdr "$MAC_B" dev "$if_a" nud permanent
    ip -n "$ns_b" neigh replace "$a6" lladdr "$MAC_A" dev "$if_b" nud permanent
  fi
}
