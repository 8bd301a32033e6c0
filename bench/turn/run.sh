#!/usr/bin/env bash
# Side-by-side TURN benchmark: coturn (turnserver, 2 relay threads) and Parley's embedded TURN server,
# run alternately in one go with ../shared/tools/turn/bench-suite.sh and alloc.sh; prints medians and
# Parley/coturn ratios. Both servers: loopback peers allowed (test switch), user test:testpass, realm parley.
#
# usage: bench/turn/run.sh [ROUNDS=3] [ALLOC_REPS=5]   (ROUNDS=0: only the alternating alloc.sh runs)
# env:   COTURN_PORT (first free from 34780) OUT (a new temp dir) PARLEY_WORKERS (0 = one per core)
#        PARLEY_NATIVE (true: the native relay engine when built; false: the TypeScript path)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}; ALLOC_REPS=${2:-5}
TOOLS=$(cd ../shared/tools/turn && pwd)
CP=${COTURN_PORT:-34780}
while ss -Htuan | grep -qE "[:.]$CP\b"; do CP=$((CP + 2)); done
OUT=${OUT:-$(mktemp -d /tmp/parley-turn-bench.XXXX)}; mkdir -p "$OUT"
export TURNBENCH_DIR=$OUT
AUTH="-u test -w testpass"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# echo peer (reuse a running one)
PEER_PID=$(pgrep -f 'turnutils_peer -L 127.0.0.1 -p 3480' | head -1 || true)
if [ -z "$PEER_PID" ]; then turnutils_peer -L 127.0.0.1 -p 3480 > "$OUT/peer.log" 2>&1 & PEER_PID=$!; pids+=($PEER_PID); sleep 0.5; fi
export PEER_PID

turnserver -n --listening-ip=127.0.0.1 --listening-port=$CP --relay-ip=127.0.0.1 --relay-threads=2 \
  --allow-loopback-peers --lt-cred-mech --user=test:testpass --realm=parley --no-tls --no-dtls --no-cli \
  --min-port=50000 --max-port=59999 --pidfile="$OUT/coturn.pid" --log-file="$OUT/coturn.log" --simple-log > /dev/null 2>&1 &
COTURN_PID=$!; pids+=($COTURN_PID)

# Parley runs as plain JavaScript (as `npm start` would), not through tsx's loader: bundle serve.ts and the
# relay worker with esbuild into node_modules/.cache (so bare imports still resolve to node_modules).
# The addon is found at ../../native/build/Release from the loader's file (src/native/index.ts): link
# native/ there for both bundles (serve.js at $ROOT/dist/turn/, the worker at $ROOT/dist/turn/runner/).
ROOT=node_modules/.cache/parley-turn-bench
BUILD=$ROOT/dist/turn
rm -rf "$ROOT"
npx esbuild bench/turn/serve.ts src/turn/runner/worker.ts --bundle --platform=node --format=esm --packages=external \
  --outdir="$BUILD" --entry-names='[name]' --log-level=warning
mkdir -p "$BUILD/runner" && mv "$BUILD/worker.js" "$BUILD/runner/worker.js"
ln -s "$PWD/native" "$ROOT/native" && ln -s "$PWD/native" "$ROOT/dist/native"
node "$BUILD/serve.js" "{\"listenIp\":\"127.0.0.1\",\"port\":0,\"users\":[\"test:testpass\"],\"realm\":\"parley\",\"allowLoopbackPeers\":true,\"relayPortMin\":40000,\"relayPortMax\":49999,\"maxAllocationsPerUser\":100000,\"workers\":${PARLEY_WORKERS:-0},\"native\":${PARLEY_NATIVE:-true}}" > "$OUT/parley.json" 2> "$OUT/parley.log" &
PARLEY_PID=$!; pids+=($PARLEY_PID)
for _ in $(seq 1 100); do grep -q ports "$OUT/parley.json" 2>/dev/null && break; sleep 0.2; done
grep -q ports "$OUT/parley.json" || { echo "parley did not start"; cat "$OUT/parley.log"; exit 1; }
PP=$(sed -E 's/.*"udp":([0-9]+).*/\1/' "$OUT/parley.json")
echo "coturn on $CP, parley on $PP ($(cat "$OUT/parley.json"))"

echo "parley commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src native bench/turn || echo " + uncommitted changes")"
echo "machine: $(nproc) cores, $(uname -r); coturn: $(turnserver --version 2>/dev/null | head -1); node $(node --version)"
echo "load before: $(cat /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for s in coturn parley; do
    if [ $s = coturn ]; then pid=$COTURN_PID; port=$CP; else pid=$PARLEY_PID; port=$PP; fi
    echo "--- round $r: $s"
    "$TOOLS/bench-suite.sh" "${s}_round$r" "$pid" "$port" "$AUTH" 1 | grep -E '^(coturn|parley)_' || true
    sleep 3
  done
done
for r in $(seq 1 "$ALLOC_REPS"); do
  "$TOOLS/alloc.sh" "coturn_alloc$r" "$COTURN_PID" "$CP" "$AUTH" 4 50
  "$TOOLS/alloc.sh" "parley_alloc$r" "$PARLEY_PID" "$PP" "$AUTH" 4 50
done
echo "load after: $(cat /proc/loadavg)"

# medians: field=value pairs from bench.sh / alloc.sh summary lines
median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "NA"} else if(NR%2){print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
field() { grep -oE " $1=[^ ]+" | sed -E "s/ $1=//; s/%//"; }
S="$OUT/summary.txt"
printf '\n%-7s %-26s %12s %12s %8s\n' scenario metric coturn parley ratio
if [ "$ROUNDS" -gt 0 ]; then
  for sc in MAIN AUDIO BULK KNEE; do
    for f in us_server_cpu_per_relayed_pkt loss recv server_cpu_s machine_busy_s; do
      c=$(grep -E "^coturn_round[0-9]+_${sc}(_r1)? " "$S" | field $f | median)
      p=$(grep -E "^parley_round[0-9]+_${sc}(_r1)? " "$S" | field $f | median)
      ratio=$(awk -v a="$c" -v b="$p" 'BEGIN{ if (a+0>0) printf "%.2f", b/a; else print "-" }')
      printf '%-7s %-26s %12s %12s %8s\n' "$sc" "$f" "$c" "$p" "$ratio"
    done
  done
fi
c=$(grep -E '^coturn_alloc' "$S" | field allocs_per_s | median); p=$(grep -E '^parley_alloc' "$S" | field allocs_per_s | median)
printf '%-7s %-26s %12s %12s %8s\n' ALLOC allocs_per_s "$c" "$p" "$(awk -v a="$c" -v b="$p" 'BEGIN{printf "%.2f", b/a}')"
c=$(grep -E '^coturn_alloc' "$S" | field server_cpu_s | median); p=$(grep -E '^parley_alloc' "$S" | field server_cpu_s | median)
printf '%-7s %-26s %12s %12s %8s\n' ALLOC server_cpu_s "$c" "$p" "$(awk -v a="$c" -v b="$p" 'BEGIN{ if (a+0>0) printf "%.2f", b/a; else print "-" }')"
echo "raw: $OUT"
