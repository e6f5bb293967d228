#!/usr/bin/env bash
# Long version of ApplianceKillTest: many kill -9 points of the whole appliance under a real
# iSCSI initiator. Usage: tests/scripts/crash-appliance.sh [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
KILLS=${1:-25}
SEED=${2:-$RANDOM$RANDOM}
mvn -q -B -ntp -pl tests -am install -DskipTests
mvn -B -ntp -pl tests test -Dtest=ApplianceKillTest -Devasan.kills="$KILLS" -Devasan.seed="$SEED" \
    -Dsurefire.failIfNoSpecifiedTests=false
