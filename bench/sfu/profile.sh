#!/usr/bin/env bash
# Where a Parley SFU room's CPU goes: starts the built server (dist/) with media on the main thread
# (PARLEY_RTC_WORKERS=0, so one process thread holds the room), drives one publisher and N
# subscribers on loopback with `parley loadtest`, and, once they are all receiving, records 10 s of
# `perf record -e cpu-clock -g` (Debian's linux-perf; JavaScript frames named through
# --perf-basic-prof). Prints the load test's report and perf's top symbols.
#
# usage: bench/sfu/profile.sh [N]        (default 100; N=1 shows the fixed cost per incoming packet)
# env:   OUT (a new temp dir)  PORT (7992)  SETTLE (s before recording, 22)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100}; PORT=${PORT:-7992}; SETTLE=${SETTLE:-22}
OUT=${OUT:-$(mktemp -d /tmp/parley-sfu-profile.XXXX)}; mkdir -p "$OUT"
command -v perf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
[ -f dist/cli.js ] || npm run build >/dev/null
KEY=profile; SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
env PARLEY_DATA_DIR="$OUT/data" PARLEY_PORT="$PORT" PARLEY_TURN_ENABLED=false PARLEY_LOG_LEVEL=warn PARLEY_RTC_WORKERS=0 \
  PARLEY_RTC_MAX_LOAD=1 PARLEY_API_KEY=$KEY PARLEY_API_SECRET="$SECRET" \
  node --perf-basic-prof dist/cli.js start > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
node dist/cli.js loadtest --url "http://127.0.0.1:$PORT" --api-key $KEY --api-secret "$SECRET" --subscribers "$N" \
  --duration $((SETTLE + ${RECORD:-10} + 3)) --server-pid "$SERVER" > "$OUT/loadtest.txt" 2>&1 &
LOADTEST=$!
sleep "$SETTLE"
perf record -e cpu-clock -F ${FREQ:-2000} -g -p "$SERVER" -o "$OUT/perf.data" -- sleep ${RECORD:-10} 2> "$OUT/perf.log"
wait "$LOADTEST" || true
grep -E '^(target|subscribers|received|server)' "$OUT/loadtest.txt"
echo "--- by binary"
perf report -i "$OUT/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -8
echo "--- top symbols (self)"
perf report -i "$OUT/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep '%' | head -40
echo "raw: $OUT/perf.data (perf report -i $OUT/perf.data --children)"
