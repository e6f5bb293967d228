#!/usr/bin/env bash
# Runs the embedded appliance. Builds it first when the launcher jar is missing or older than
# the sources. All arguments go to the launcher (see: ./appliance.sh --help).
set -euo pipefail
cd "$(dirname "$0")"
JAR=deploy/target/evasan-appliance.jar
if [ ! -f "$JAR" ] || [ -n "$(find . -path '*/src/main/*' -newer "$JAR" -print -quit)" ] \
   || [ -n "$(find . -name pom.xml -newer "$JAR" -print -quit)" ]; then
  echo "building the appliance (first run or sources changed)..." >&2
  mvn -q -B -ntp -pl deploy -am package -DskipTests
fi
exec java -Xmx4g \
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED \
  -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true \
  -jar "$JAR" "$@"
