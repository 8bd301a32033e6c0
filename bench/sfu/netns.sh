#!/usr/bin/env bash
# A network namespace for the SFU servers, reached from the host over a veth pair: Janus ignores
# loopback interfaces, so both servers run in here on 10.77.0.2 and the load tester stays on the
# host (10.77.0.1). Both servers' media crosses the same veth.
#
# usage: bench/sfu/netns.sh up|down     env: NS (psfu) HOST_IP (10.77.0.1) NS_IP (10.77.0.2)
set -euo pipefail
NS=${NS:-psfu}; HOST_IP=${HOST_IP:-10.77.0.1}; NS_IP=${NS_IP:-10.77.0.2}
case "${1:-}" in
  up)
    ip netns add "$NS"
    ip link add "$NS-h" type veth peer name "$NS-n"
    ip link set "$NS-n" netns "$NS"
    ip addr add "$HOST_IP/24" dev "$NS-h"
    ip link set "$NS-h" up
    ip netns exec "$NS" ip addr add "$NS_IP/24" dev "$NS-n"
    ip netns exec "$NS" ip link set "$NS-n" up
    ip netns exec "$NS" ip link set lo up
    ;;
  down)
    ip link del "$NS-h" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
