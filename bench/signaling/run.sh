#!/usr/bin/env bash
# Signaling benchmark (BENCHMARKS.md, "Signaling"): builds Parley, raises the open-file limit,
# then runs N clients in rooms of 2 against Parley and the socket.io baseline.
# Arguments go to bench.ts, e.g.: bash bench/signaling/run.sh --n 1000 --duration 10 --profile
set -euo pipefail
cd "$(dirname "$0")/../.."
# 5,000 clients hold 10,000 sockets on this machine (both ends), plus the generator's own files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 16384 ]; then
  echo "open-file limit is $(ulimit -n); 5,000 clients need ~12,000 (raise the hard limit: ulimit -Hn)" >&2
fi
[ "${PARLEY_BENCH_SKIP_BUILD:-}" = 1 ] || npm run build --silent
exec npx tsx bench/signaling/bench.ts "$@"
