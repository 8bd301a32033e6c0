#!/usr/bin/env bash
# The whole test suite: installs what the tests need when it is missing (Debian packages, npm
# dependencies), builds, then runs unit, integration and end-to-end tests. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v turnutils_uclient >/dev/null || need+=(coturn)
command -v nginx >/dev/null || need+=(nginx-light)
command -v redis-server >/dev/null || need+=(redis-server)
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
command -v openssl >/dev/null || need+=(openssl)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -d node_modules ] || npm ci
# the native fast path must build here (a machine without g++ still runs Parley, but not this suite)
[ -f native/build/Release/parley_native.node ] || PARLEY_NATIVE_REQUIRED=1 node scripts/build-native.mjs
npm run build
npx tsc -p tsconfig.test.json          # server, tests and scripts
npx tsc -p src/client/tsconfig.json    # browser SDK and demo

if [ $# -gt 0 ]; then
  exec npx vitest run "$@"
fi
# Unit tests are pure and run in parallel. Integration and end-to-end tests start real servers,
# nginx, coturn's clients (turnutils_peer holds fixed ports 3480/3481) and Chromium: one file at a
# time, so they neither collide on ports nor starve each other on a 2-core machine.
npx vitest run test/unit
npx vitest run test/integration test/e2e --no-file-parallelism
