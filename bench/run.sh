#!/usr/bin/env bash
# Runs every benchmark against the real peers on this machine and prints the ratios.
#   npm run bench                 all
#   npm run bench -- server       only vouch server vs notary-server (memory, SQLite, PostgreSQL; `-- server memory` for one; BENCH_ROUNDS)
#   npm run bench -- notation     only vouch notation verify vs the real notation (1 image cold, 200 images)
#   npm run bench -- admission    only vouch admission (a Pod of 8 images: cold and warm latency, requests/s)
#   npm run bench -- gate         only skopeo pulling a 200 MB image through vouch gate vs straight from the registry
#   npm run bench -- cosign       only vouch cosign verify vs the real cosign v2 and v3 (1 image cold, 200 images)
# Installs what is missing (apt-get) first. Not part of CI: timings belong here, never in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[[ -d node_modules ]] || npm ci
npm run --silent build
what=${1:-all}
if [[ $what == all || $what == server ]]; then node dist/bench/server/run.js "${2:-all}"; fi
if [[ $what == all || $what == inspect ]] && [[ -f dist/bench/inspect/run.js ]]; then node dist/bench/inspect/run.js; fi
if [[ $what == all || $what == pull ]] && [[ -f dist/bench/pull/run.js ]]; then node dist/bench/pull/run.js; fi
if [[ $what == all || $what == notation ]] && [[ -f dist/bench/notation/run.js ]]; then node dist/bench/notation/run.js; fi
if [[ $what == all || $what == admission ]] && [[ -f dist/bench/admission/run.js ]]; then node dist/bench/admission/run.js; fi
if [[ $what == all || $what == gate ]] && [[ -f dist/bench/gate/run.js ]]; then node dist/bench/gate/run.js; fi
if [[ $what == all || $what == cosign ]] && [[ -f dist/bench/cosign/run.js ]]; then node dist/bench/cosign/run.js; fi
