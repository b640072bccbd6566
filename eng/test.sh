#!/usr/bin/env bash
# The project's test command: native prerequisites, then the whole test suite in Release, then one summary line
# "N passed, N failed, N skipped" counted from the TRX results (so a run that executed no test is visible).
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Data").
set -euo pipefail
cd "$(dirname "$0")/.."

bash eng/install-prereqs.sh

# The tests use tiny tensors: one libtorch thread is faster than two, and never oversubscribes a small machine.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"

# Throwaway PostgreSQL 17 + pgvector servers for the database tests (two, for the sharding test), stopped on exit unless
# they were already running. If they cannot start, the tests still run and the database tests fail naming
# eng/postgres.sh.
if bash eng/postgres.sh status 2>/dev/null; then
  eval "$(bash eng/postgres.sh env)"
elif pg_env=$(bash eng/postgres.sh start 2); then
  started_pg=1
  trap 'bash eng/postgres.sh stop >&2' EXIT
  eval "$pg_env"
else
  echo "test.sh: the PostgreSQL servers did not start (reason above); the database tests will fail." >&2
  unset RE4_PG_CONNECTION RE4_PG_SHARD_CONNECTIONS
  export RE4_PG_START_FAILED=1
fi

results=artifacts/test-results
rm -rf "$results"
status=0
dotnet test Re4.Recommenders.sln -c Release --logger "trx;LogFileName=re4.trx" --results-directory "$results" "$@" || status=$?

# Stop the servers now, so that the summary below stays the last line of the output.
if [ -n "${started_pg:-}" ]; then
  bash eng/postgres.sh stop >&2 || true
  trap - EXIT
fi

trx=$(find "$results" -name '*.trx' 2>/dev/null | head -n 1)
if [ -z "$trx" ]; then
  echo "no test results were written (build failure?)"
  echo "0 passed, 0 failed"
  exit $(( status == 0 ? 1 : status ))
fi

counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
passed=$(get passed)
failed=$(get failed)
total=$(get total)
executed=$(get executed)
skipped=$(( total - executed ))
errors=$(get error)
failed=$(( failed + errors ))
if [ "$executed" = "0" ]; then
  echo "no test was executed"
  status=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
