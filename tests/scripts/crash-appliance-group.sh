#!/usr/bin/env bash
# Long version of ApplianceGroupKillTest: many kill -9 points of the whole appliance while qemu-io writes to a
# LUN in a disk group created at run time over the management API and snapshots and snapclones of it are taken,
# presented and read over iSCSI (snapclones until they are promoted to LUNs).
# Usage: tests/scripts/crash-appliance-group.sh [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
KILLS=${1:-15}
SEED=${2:-$RANDOM$RANDOM}
mvn -q -B -ntp -pl tests -am install -DskipTests
mvn -B -ntp -pl tests test -Dtest=ApplianceGroupKillTest -Devasan.groupkills="$KILLS" -Devasan.seed="$SEED" \
    -Dsurefire.failIfNoSpecifiedTests=false
