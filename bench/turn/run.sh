#!/usr/bin/env bash
# Side-by-side TURN benchmark: coturn (turnserver, 2 relay threads) and Parley's embedded TURN server,
# run alternately in one go with ../shared/tools/turn/bench-suite.sh and alloc.sh; prints medians and
# Parley/coturn ratios. Both servers: loopback peers allowed (test switch), user test:testpass, realm parley.
#
# usage: bench/turn/run.sh [ROUNDS=3] [ALLOC_REPS=5]   (ROUNDS=0: only the alternating alloc.sh runs)
# env:   COTURN_PORT (first free from 34780) OUT (a new temp dir) PARLEY_WORKERS (0 = one per core)
#        PARLEY_NATIVE (true: the native relay engine when built; false: the TypeScript path)
#        ALLOC_WARMUP (5: alloc.sh pairs run first and left out of the medians, so both servers are
#        measured in their steady state; Parley's JIT compiles its request path during the first runs)
# The alloc.sh pairs alternate which server goes first. A run is "stalled" when a uclient client got
# 437 (its new socket reused the local port of a live allocation; it then sleeps 1 s): the summary
# counts them and gives the medians without them as well.
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

# Relay ports: the same number for both, below the kernel's ephemeral range (where uclient's own
# sockets live). alloc.sh's allocations are never released (uclient exits without deallocating and
# asks for a 259 s lifetime), so each run holds 400 more allocations, and up to 600 ports with the
# EVEN-PORT reservations uclient asks for at random: the ranges must last every run (25 runs).
COTURN_RELAY_MIN=1100; COTURN_RELAY_MAX=16399; PARLEY_RELAY_MIN=16400; PARLEY_RELAY_MAX=31699
RELAY_PORTS=$((COTURN_RELAY_MAX - COTURN_RELAY_MIN + 1))
if [ $(( (${ALLOC_WARMUP:-5} + ALLOC_REPS) * 600 )) -gt "$RELAY_PORTS" ]; then
  echo "ALLOC_WARMUP + ALLOC_REPS alloc.sh runs would exhaust the $RELAY_PORTS relay ports per server (at most 25 runs)"; exit 1
fi

turnserver -n --listening-ip=127.0.0.1 --listening-port=$CP --relay-ip=127.0.0.1 --relay-threads=2 \
  --allow-loopback-peers --lt-cred-mech --user=test:testpass --realm=parley --no-tls --no-dtls --no-cli \
  --min-port=$COTURN_RELAY_MIN --max-port=$COTURN_RELAY_MAX --pidfile="$OUT/coturn.pid" --log-file="$OUT/coturn.log" --simple-log > /dev/null 2>&1 &
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
node "$BUILD/serve.js" "{\"listenIp\":\"127.0.0.1\",\"port\":0,\"users\":[\"test:testpass\"],\"realm\":\"parley\",\"allowLoopbackPeers\":true,\"relayPortMin\":$PARLEY_RELAY_MIN,\"relayPortMax\":$PARLEY_RELAY_MAX,\"maxAllocationsPerUser\":100000,\"maxAllocations\":100000,\"workers\":${PARLEY_WORKERS:-0},\"native\":${PARLEY_NATIVE:-true}}" > "$OUT/parley.json" 2> "$OUT/parley.log" &
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
alloc_run() { # $1 = coturn|parley, $2 = label
  if [ "$1" = coturn ]; then "$TOOLS/alloc.sh" "$2" "$COTURN_PID" "$CP" "$AUTH" 4 50; else "$TOOLS/alloc.sh" "$2" "$PARLEY_PID" "$PP" "$AUTH" 4 50; fi
}
WARMUP=${ALLOC_WARMUP:-5}
[ "$ALLOC_REPS" -eq 0 ] || for w in $(seq 1 "$WARMUP"); do alloc_run coturn "warmup_coturn$w" > /dev/null; alloc_run parley "warmup_parley$w" > /dev/null; done
for r in $(seq 1 "$ALLOC_REPS"); do
  if [ $((r % 2)) = 1 ]; then order="coturn parley"; else order="parley coturn"; fi
  for s in $order; do
    out=$(alloc_run "$s" "${s}_alloc$r")
    if cat "$OUT/${s}_alloc$r".*.txt | grep -aq 'error 437'; then out="$out stalled=1"; else out="$out stalled=0"; fi
    # a run in which a uclient process failed (any error but the 437 it retries) measures nothing
    case "$out" in *" failed_procs=0 "*) ;; *) out="$out failed=1" ;; esac
    echo "$out"
    echo "$out" | sed 's/^/# /' >> "$OUT/stalls.txt"
  done
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
if [ "$ALLOC_REPS" -gt 0 ]; then
  A="$OUT/stalls.txt"
  row() { # $1 = metric label, $2 = field, $3 = grep filter on the run lines
    c=$(grep -E "^# coturn_alloc" "$A" | grep -v 'failed=1' | grep -E -- "$3" | field $2 | median)
    p=$(grep -E "^# parley_alloc" "$A" | grep -v 'failed=1' | grep -E -- "$3" | field $2 | median)
    printf '%-7s %-26s %12s %12s %8s\n' ALLOC "$1" "$c" "$p" "$(awk -v a="$c" -v b="$p" 'BEGIN{ if (a+0>0) printf "%.2f", b/a; else print "-" }')"
  }
  row allocs_per_s allocs_per_s .
  row server_cpu_s server_cpu_s .
  printf '%-7s %-26s %12s %12s\n' ALLOC failed_runs "$(grep -cE '^# coturn_alloc.*failed=1' "$A")/$ALLOC_REPS" "$(grep -cE '^# parley_alloc.*failed=1' "$A")/$ALLOC_REPS"
  printf '%-7s %-26s %12s %12s\n' ALLOC stalled_runs "$(grep -cE '^# coturn_alloc.*stalled=1' "$A")/$ALLOC_REPS" "$(grep -cE '^# parley_alloc.*stalled=1' "$A")/$ALLOC_REPS"
  row allocs_per_s_unstalled allocs_per_s 'stalled=0'
  row server_cpu_s_unstalled server_cpu_s 'stalled=0'
fi
echo "raw: $OUT"
