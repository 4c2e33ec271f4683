#!/usr/bin/env bash
# Set up everything and run the whole test suite: the default (fast) run, then the slow and browser tests.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system --test
# the PostgreSQL tests must run here (they skip on a machine without the server binaries)
export CHAINWATCH_REQUIRE_PG=1

run() {  # pytest exit code 5 means "no tests collected": not a failure for a marker-selected run
  set +e
  .venv/bin/python -m pytest "$@"
  rc=$?
  set -e
  if [ "$rc" = 5 ]; then rc=0; fi
  return "$rc"
}

run -q
run -q -m "slow or browser"
