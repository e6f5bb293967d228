#!/usr/bin/env bash
# Soak of ControllerPairModelTest (nsc-controller): the seeded random model of the controller pair (writes, reads,
# snapshots, LUN create/delete/resize, ownership moves, kill/hang drills, restarts, appliance crash + reopen) over
# many seeds and more steps than the default run. Each seed prints its rerun line; stops at the first failure.
# Usage: tests/scripts/pair-model-soak.sh [RUNS] [OPS] [FIRST_SEED]
#   RUNS        seeds to run (default 10)
#   OPS         steps per run (default 1000; the heartbeat variant runs a quarter); keep a run under the 90 s timeout
#   FIRST_SEED  first seed (default random); the others follow it
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-10}
OPS=${2:-1000}
SEED=${3:-$RANDOM$RANDOM}
for ((i = 0; i < RUNS; i++)); do
    s=$((SEED + i))
    echo "== pair model seed $s ($OPS steps)"
    if ! mvn -B -ntp -o -q -pl nsc-controller -am test -Dtest='ControllerPairModelTest' \
            -Devasan.seed="$s" -Devasan.pair.ops="$OPS" -Dsurefire.failIfNoSpecifiedTests=false; then
        echo "pair model seed $s FAILED: nsc-controller/target/surefire-reports/io.evasan.nsc.cell.pair.ControllerPairModelTest.txt"
        exit 1
    fi
    grep -h "steps in" nsc-controller/target/surefire-reports/io.evasan.nsc.cell.pair.ControllerPairModelTest-output.txt | cut -c1-160
done
echo "pair model soak: $RUNS seeds from $SEED passed"
