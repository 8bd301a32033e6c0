#!/usr/bin/env bash
# SFU fan-out benchmark: one ~1.5 Mbps VP8 publisher (libwebrtc) to N subscribers
# (libdatachannel), against Janus 1.1 VideoRoom (Debian `janus`) and Parley, alternately for each N
# in one run. Both servers run alone in a network namespace (Janus ignores loopback) on 10.77.0.2,
# one fresh process per run; the load tester stays on the host (10.77.0.1). Reports server CPU per
# forwarded packet and the Parley/Janus ratio, loss, memory per subscriber and the zero-loss knee.
#
# usage: bench/sfu/run.sh [N ...]            (default: 10 50 100 200)
# env:   DURATION (15 s window) WARMUP (5 s) CONCURRENCY (10 joins at once) OUT (a new temp dir)
#        REPEAT (1: pairs of runs per N; the order alternates, Janus first in odd pairs, and the
#        summary gives each N's median per server and the median of the pairs' ratios: a room of 10
#        costs either server ~0.05 of a core, where one run's ratio moves by +-0.2)
#        SERVERS ("janus parley") EVENT_LOOPS (Janus static loops, 2) KNEE_LOSS (0)
#        PARLEY_DIR (a built Parley checkout to run; default: the committed HEAD, exported with git
#        archive into $OUT and built there, so uncommitted work in this tree is not measured)
#        PARLEY_ENV ("VAR=value ..." added to Parley's environment)
#        NICE (e.g. -10: the autogroup niceness of the servers and of this script's session, the load
#        tester's, against other users of the machine; needs root)
# Each server runs in its own session (setsid): with scheduler autogroups the kernel shares the CPU
# between sessions first, so the server competes with the load tester as an equal, whichever it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
NS_LIST=${*:-10 50 100 200}
DURATION=${DURATION:-15}; WARMUP=${WARMUP:-5}; CONCURRENCY=${CONCURRENCY:-10}
SERVERS=${SERVERS:-janus parley}
OUT=${OUT:-$(mktemp -d /tmp/parley-sfu-bench.XXXX)}; mkdir -p "$OUT"
export NS=psfu HOST_IP=10.77.0.1 NS_IP=10.77.0.2
[ "$(id -u)" = 0 ] || { echo "run as root (network namespace)"; exit 1; }
command -v janus >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus >/dev/null; }
if [ -z "${PARLEY_DIR:-}" ]; then
  PARLEY_DIR=$OUT/parley-$(git rev-parse --short HEAD)
  mkdir -p "$PARLEY_DIR" && git archive HEAD | tar -x -C "$PARLEY_DIR"
  ln -s "$PWD/node_modules" "$PARLEY_DIR/node_modules"
  (cd "$PARLEY_DIR" && npm run build && PARLEY_NATIVE_REQUIRED=1 node scripts/build-native.mjs) > "$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 1; }
fi

SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  bench/sfu/netns.sh down
}
trap cleanup EXIT
bench/sfu/netns.sh down
bench/sfu/netns.sh up
IFACE=$NS-n bash bench/sfu/janus-config.sh "$OUT/janus-config"
API_KEY=APIsfubench; API_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

wait_http() { for _ in $(seq 1 100); do curl -sf "$1" > /dev/null && return 0; sleep 0.2; done; echo "no answer from $1"; return 1; }

start_server() { # $1 = janus|parley, $2 = N; sets SERVER_PID and URL
  if [ "$1" = janus ]; then
    ip netns exec "$NS" setsid janus -F "$OUT/janus-config" -L "$OUT/janus-$2.log" > /dev/null 2>&1 &
    SERVER_PID=$!; URL=http://$NS_IP:8088/janus
    wait_http "$URL/info"
  else
    local data; data=$(mktemp -d "$OUT/parley-data.XXXX")
    # shellcheck disable=SC2086
    ip netns exec "$NS" env PARLEY_HOST=0.0.0.0 PARLEY_PORT=7880 PARLEY_DATA_DIR="$data" PARLEY_API_KEY=$API_KEY \
      PARLEY_API_SECRET="$API_SECRET" PARLEY_TURN_ENABLED=false PARLEY_LOG_LEVEL=warn PARLEY_LOG_FORMAT=json ${PARLEY_ENV:-} \
      setsid node "$PARLEY_DIR/dist/cli.js" start > "$OUT/parley-$2.log" 2>&1 &
    SERVER_PID=$!; URL=http://$NS_IP:7880
    wait_http "$URL/healthz"
  fi
  # `ip netns exec`, env and setsid exec the server in place: the pid is the server's
  case "$(cat /proc/$SERVER_PID/comm)" in ip|env|setsid) echo "unexpected: $SERVER_PID is not the server"; exit 1 ;; esac
  [ -z "${NICE:-}" ] || echo "$NICE" > "/proc/$SERVER_PID/autogroup"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

[ -z "${NICE:-}" ] || echo "$NICE" > "/proc/$$/autogroup"
echo "machine: $(nproc) cores, $(uname -r); $(janus --version 2>/dev/null | head -1); node $(node --version); parley $PARLEY_DIR"
echo "load before: $(cat /proc/loadavg); servers and load tester at autogroup nice ${NICE:-0}"
REPEAT=${REPEAT:-1}
for n in $NS_LIST; do
 for r in $(seq 1 "$REPEAT"); do
  order=$SERVERS; [ $((r % 2)) = 1 ] || order=$(echo "$SERVERS" | awk '{for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "")}')
  for s in $order; do
    start_server "$s" "$n"
    if [ "$s" = janus ]; then target=(--janus "$URL"); else target=(--url "$URL" --api-key "$API_KEY" --api-secret "$API_SECRET"); fi
    echo "--- $s N=$n pair $r (pid $SERVER_PID)"
    npx tsx bench/sfu/loadtest.ts "${target[@]}" --server-pid "$SERVER_PID" --subscribers "$n" --bind "$HOST_IP" \
      --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --json "$OUT/$s-$n-r$r.json" > "$OUT/$s-$n-r$r.txt" 2>&1 || echo "(loadtest failed, see $OUT/$s-$n-r$r.txt)"
    grep -vE '^\[' "$OUT/$s-$n-r$r.txt" | sed 's/^/    /'
    stop_server
    sleep 3
  done
 done
done
echo "load after: $(cat /proc/loadavg)"
echo
# shellcheck disable=SC2086
REPEAT=$REPEAT npx tsx bench/sfu/summary.ts "$OUT" $NS_LIST
echo "raw: $OUT"
