#!/usr/bin/env bash
# kill -9 torture of the mapping layer (issue 3): many more kill points than CI runs.
# A child JVM writes/unmaps through the mapping on a real redundancy-raid pool of sparse drives,
# journaling every acknowledged operation; it is SIGKILLed at a random moment, the pool is
# reopened and every acknowledged write must read back. Repeats on the same pool.
#
# usage: tests/scripts/crash-mapping.sh [iterations-per-run] [runs] [seed]
#   ITERATIONS (default 40) kill points per run, RUNS (default 5) fresh pools.
#   EVASAN_POOL=file uses the in-test file-backed pool double instead of the real pool.
set -euo pipefail
cd "$(dirname "$0")/../.."
ITER="${1:-40}"
RUNS="${2:-5}"
SEED="${3:-}"
POOL="${EVASAN_POOL:-real}"
mvn -q -B -pl mapping -am install -DskipTests
fail=0
for r in $(seq 1 "$RUNS"); do
  args=(-q -B -pl mapping test -Dtest=MappingCrashTest -Devasan.crash.iterations="$ITER" -Devasan.pool="$POOL" -Dsurefire.failIfNoSpecifiedTests=false)
  if [ -n "$SEED" ]; then args+=(-Devasan.seed="$SEED"); fi
  if mvn "${args[@]}" > /tmp/crash-mapping-$r.log 2>&1; then
    grep -h 'MappingCrashTest passed' mapping/target/surefire-reports/io.evasan.mapping.MappingCrashTest-output.txt || true
  else
    fail=1
    echo "run $r FAILED:"; grep -h -E 'seed=|lost|Caused' mapping/target/surefire-reports/io.evasan.mapping.MappingCrashTest*.txt | head -20
  fi
done
if [ "$fail" = 0 ]; then echo "crash-mapping: $RUNS runs x $ITER kill points: all acknowledged writes survived"; fi
exit "$fail"
