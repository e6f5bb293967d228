#!/usr/bin/env bash
# Runs the embedded appliance. Builds it first when the launcher jar is missing or older than
# the sources. All arguments go to the launcher (see: ./appliance.sh --help).
#
# Stopping: Ctrl-C (SIGINT) or SIGTERM is a clean stop, also when this script runs as a background job of
# another script (such a job starts with SIGINT ignored, which a JVM cannot undo: SIGINT's default is
# restored here, before the JVM starts). Files: umask 077, so everything under the data directory is
# private to its owner from creation (the launcher also tightens what exists at start).
# EVASAN_APPLIANCE_CLASSPATH (tests): run io.evasan.deploy.Appliance from that class path instead of the jar.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
JAR=deploy/target/evasan-appliance.jar
if [ -n "${EVASAN_APPLIANCE_CLASSPATH:-}" ]; then
  MAIN=(-cp "$EVASAN_APPLIANCE_CLASSPATH" io.evasan.deploy.Appliance)
else
  if [ ! -f "$JAR" ] || [ -n "$(find . -path '*/src/main/*' -newer "$JAR" -print -quit)" ] \
     || [ -n "$(find . -name pom.xml -newer "$JAR" -print -quit)" ]; then
    echo "building the appliance (first run or sources changed)..." >&2
    mvn -q -B -ntp -pl deploy -am package -DskipTests
  fi
  MAIN=(-jar "$JAR")
fi
# restore SIGINT's default disposition for the JVM (coreutils >= 8.31 env; else perl; else the launcher warns)
if env --default-signal=INT true 2>/dev/null; then
  DEFAULT_INT=(env --default-signal=INT)
elif command -v perl >/dev/null; then
  DEFAULT_INT=(perl -e '$SIG{INT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\n"')
else
  DEFAULT_INT=()
fi
# JVM flags: the one list in jvm.flags (a java argument file, shared with Surefire and the tests' child JVMs)
exec ${DEFAULT_INT[@]+"${DEFAULT_INT[@]}"} java -Xmx4g "@$PWD/jvm.flags" "${MAIN[@]}" "$@"
