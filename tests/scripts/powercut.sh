#!/usr/bin/env bash
# Power-cut torture of the durability claims (issue 12 item 6): many more seeded cut points than CI.
# kill -9 keeps the page cache and so proves none of these; the tests interpose PowerCutDrive /
# PowerCutChannel (redundancy-raid test-jar), which keep every unforced write in a volatile layer
# and, at the cut, drop it, apply it or tear it at a 512-byte boundary, in a random order.
#
# usage: tests/scripts/powercut.sh [iterations] [seed] [test-pattern]
#   ITERATIONS (default 50) cut points per test; SEED the base seed (each iteration uses seed+i;
#   every test prints its base seed: replay a failure with it); TEST-PATTERN a surefire -Dtest
#   value (default: all of them).
#   RaidPowerCutTest     redundancy-raid  forced RStore data (RAID0/1/5); degraded RAID5 + journal
#   MldPowerCutTest      quorum-mld       MLD commits, including cuts inside the commit seal write
#   MappingPowerCutTest  mapping          LogicalDisk.flush (FUA / SYNCHRONIZE CACHE) + PLDMC map log
#   NvLogPowerCutTest    nsc-controller   writes acknowledged by the write-back cache (forceOnAck) in the
#                                         NV log (cache.log), replayed after a cut; cuts inside the restart
#   SnapshotPowerCutTest nsc-controller   the whole controller: FUA / SYNCHRONIZE CACHE (all acknowledged
#                                         writes with forceOnAck) and marker snapshots reported taken;
#                                         every cut abandons a whole stack, so beyond ~25 iterations give it
#                                         one method at a time (e.g. 'SnapshotPowerCutTest#shouldKeep*CopiedOnFirstWrite')
# Offline, no install (the modules are built in the reactor).
set -euo pipefail
cd "$(dirname "$0")/../.."
ITER="${1:-50}"
SEED="${2:-}"
TESTS="${3:-RaidPowerCutTest,MldPowerCutTest,MappingPowerCutTest,NvLogPowerCutTest,SnapshotPowerCutTest}"
args=(-B -ntp -o -pl redundancy-raid,quorum-mld,mapping,nsc-controller -am test -Dtest="$TESTS"
      -Dsurefire.failIfNoSpecifiedTests=false -Devasan.powercut.iterations="$ITER"
      -Djunit.jupiter.execution.timeout.default=60m)   # nsc-controller's 90 s default is for CI's few cuts
if [ -n "$SEED" ]; then args+=(-Devasan.seed="$SEED"); fi
log=$(mktemp /tmp/powercut.XXXXXX.log)
if mvn "${args[@]}" > "$log" 2>&1; then
  grep -h 'base seed' */target/surefire-reports/*PowerCutTest-output.txt || true
  echo "powercut: $ITER cut points per test: every durability claim held (log: $log)"
else
  echo "powercut: FAILED (log: $log)"
  grep -h -E 'base seed|Tests run:.*Fail|AssertionError|AssertionFailed' */target/surefire-reports/*PowerCutTest*.txt \
      */target/surefire-reports/*PowerCutTest-output.txt 2>/dev/null | head -40
  exit 1
fi
