#!/usr/bin/env bash
# Runs every test suite: unit tests of the pure modules, storage against a real PostgreSQL,
# and the interop suites against the real notary, notary-server, docker CLI, registry, skopeo and notation.
# Installs what is missing first. Fails if any test fails, is skipped, or if no test ran; a test that
# runs past 5 minutes fails (a hang must not hold CI).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# The real notation CLI (go install from the Go module proxy, cached after the first build).
bash scripts/install-go-peers.sh >/dev/null
[[ -d node_modules ]] || npm ci
npm run --silent build
npm run --silent lint

work=$(mktemp -d "${TMPDIR:-/tmp}/vouch-test.XXXXXX")
cleanup() {
  bash scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port, so a run never collides with another PostgreSQL on this machine.
pg_port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
VOUCH_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start "$work/pg" "$pg_port")
export VOUCH_TEST_POSTGRES_URL

mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [[ ${#files[@]} -eq 0 ]]; then echo "test: no test files found under dist/test" >&2; exit 1; fi

status=0
node --test --test-concurrency=1 --test-timeout=300000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/results.tap" \
  "${files[@]}" || status=$?

count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$work/results.tap" | tail -n 1; }
tests=$(count tests); pass=$(count pass); fail=$(count fail); skipped=$(count skipped); todo=$(count todo); cancelled=$(count cancelled)
echo
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skipped:-0} skipped"
if [[ $status -ne 0 ]]; then echo "test: FAILED" >&2; exit "$status"; fi
if [[ -z "$tests" || "$tests" -eq 0 ]]; then echo "test: no test ran" >&2; exit 1; fi
if [[ "${skipped:-0}" -ne 0 || "${todo:-0}" -ne 0 || "${cancelled:-0}" -ne 0 ]]; then
  echo "test: ${skipped} skipped, ${todo} todo, ${cancelled} cancelled: every suite must run" >&2; exit 1
fi
