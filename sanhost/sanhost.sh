#!/usr/bin/env bash
# Runs sanhost, the multipath host on the simulated FC fabric (see sanhost/README.md). Builds the
# jar first when it is missing or older than the sources. All arguments go to sanhost:
#   sanhost/sanhost.sh --fabric 127.0.0.1:PORT --wwpn 10:00:00:00:c9:aa:00:01 [--wwpn ...] --nbd-port 10809
#   sanhost/sanhost.sh paths --control-port 10810
# EVASAN_SANHOST_CLASSPATH (tests): run io.evasan.sanhost.Sanhost from that class path instead of the jar.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$ROOT/sanhost/target/sanhost.jar"
if [ -n "${EVASAN_SANHOST_CLASSPATH:-}" ]; then
  MAIN=(-cp "$EVASAN_SANHOST_CLASSPATH" io.evasan.sanhost.Sanhost)
else
  if [ ! -f "$JAR" ] || [ -n "$(cd "$ROOT" && find sanhost fabric-sim scsi -path '*/src/main/*' -newer "$JAR" -print -quit)" ]; then
    echo "building sanhost (first run or sources changed)..." >&2
    (cd "$ROOT" && mvn -q -B -ntp -pl sanhost -am package -DskipTests)
  fi
  MAIN=(-jar "$JAR")
fi
exec java -Xmx1g "@$ROOT/jvm.flags" "${MAIN[@]}" "$@"
