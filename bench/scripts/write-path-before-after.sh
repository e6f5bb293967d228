#!/usr/bin/env bash
# The embedded appliance's write path over iSCSI, before and after a change, in the same run.
#
# Builds the launcher jar (deploy/target/evasan-appliance.jar) twice into a temporary directory:
# "before" from a git revision (git archive; default: the merge-base of HEAD and main) and "after"
# from the current tree (tracked and untracked, not ignored, files as they are on disk), each with
# an offline `mvn package -DskipTests` inside the temporary copy (nothing is installed into ~/.m2,
# nothing is written under this worktree's target directories). Then starts both appliances (fresh
# RAID0 pool of sparse drive files, thin 1 GiB LUN 0, own ports), fills each LUN once, and runs the
# rows below REPS times, alternating which side goes first. Prints the medians side by side, the
# ratio of the medians after/before, and the median of the per-rep (back-to-back) ratios. The client is qemu-img bench over libiscsi, as in iscsi-vs-tgtd.sh.
#
# Rows: 4 KiB random write at queue depth 32 (offsets spread with -S), 1 MiB sequential write at
# queue depth 8.
#
# Usage: bench/scripts/write-path-before-after.sh [--before REV] [--reps N] [--scale F] [--rows REGEX]
#                                                 [--keep] [--jar-cache DIR] [--settle S]
#   --scale multiplies the op counts (default 1, integer); --keep leaves the temporary directory;
#   --jar-cache: where the "before" jar is kept by commit id for the next run (default
#   bench/target/write-path-jars; "none" = always build). The "after" jar is always built.
#   --settle: seconds to wait after each run (default 3) so that the side that just ran has
#   destaged its cache before the other side runs (both appliances stay up).
# Needs: qemu-utils, qemu-block-extra (libiscsi driver), JDK 17, Maven with the project's
# dependencies already in ~/.m2 (the build is offline).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BEFORE_REV=""
REPS=3
SCALE=1
ROWS_RE="."
KEEP=0
JAR_CACHE="$ROOT/bench/target/write-path-jars"
SETTLE=3
while [ $# -gt 0 ]; do
  case "$1" in
    --before) BEFORE_REV="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    --scale) SCALE="$2"; shift ;;
    --rows) ROWS_RE="$2"; shift ;;
    --keep) KEEP=1 ;;
    --jar-cache) JAR_CACHE="$2"; shift ;;
    --settle) SETTLE="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in qemu-img java mvn git python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
if [ -z "$BEFORE_REV" ]; then
  BEFORE_REV="$(git -C "$ROOT" merge-base HEAD main 2>/dev/null || echo 31219b6)"
fi
BEFORE_SHA="$(git -C "$ROOT" rev-parse "$BEFORE_REV^{commit}")"
AFTER_DESC="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/write-path-XXXXXX")"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- sources: before = git archive of the revision, after = the current tree
mkdir -p "$WORK/before" "$WORK/after"
git -C "$ROOT" archive "$BEFORE_SHA" | tar -C "$WORK/before" -xf -
(cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) \
  | tar -C "$WORK/after" -xf -

build() { # dir
  echo "building $1 ..." >&2
  (cd "$WORK/$1" && mvn -B -ntp -o -q -pl deploy -am package -DskipTests >"$WORK/$1-build.log" 2>&1) \
    || { echo "build of $1 failed:" >&2; tail -30 "$WORK/$1-build.log" >&2; exit 1; }
  [ -f "$WORK/$1/deploy/target/evasan-appliance.jar" ] || { echo "no jar for $1" >&2; exit 1; }
}
CACHED_JAR="$JAR_CACHE/evasan-appliance-$BEFORE_SHA.jar"
if [ "$JAR_CACHE" != none ] && [ -f "$CACHED_JAR" ]; then
  echo "before: cached jar $CACHED_JAR" >&2
  mkdir -p "$WORK/before/deploy/target"
  cp "$CACHED_JAR" "$WORK/before/deploy/target/evasan-appliance.jar"
else
  build before
  if [ "$JAR_CACHE" != none ]; then
    mkdir -p "$JAR_CACHE"
    cp "$WORK/before/deploy/target/evasan-appliance.jar" "$CACHED_JAR.tmp" && mv "$CACHED_JAR.tmp" "$CACHED_JAR"
  fi
fi
build after

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

LUN_BYTES=$((1024 * 1024 * 1024))
declare -A URL
start() { # side
  local side="$1" iport mport log="$WORK/$1-appliance.log"
  iport="$(free_port)"
  mport="$(free_port)"
  (cd "$WORK/$side" && umask 077 && exec java -Xmx4g "@$WORK/$side/jvm.flags" -jar deploy/target/evasan-appliance.jar \
      --data-dir "$WORK/$side-data" --iscsi-port "$iport" --mgmt-port "$mport" --raid RAID0 \
      --first-lun-size "$LUN_BYTES" >"$log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 1200); do grep -q "evasan: running" "$log" 2>/dev/null && break; sleep 0.5; done
  grep -q "evasan: running" "$log" || { echo "$side appliance did not start:" >&2; tail -20 "$log" >&2; exit 1; }
  URL[$side]="$(sed -n 's/.*connect: \(iscsi:[^ ]*\).*/\1/p' "$log" | head -1)"
  [ -n "${URL[$side]}" ] || { echo "no connect URL in $log" >&2; exit 1; }
}
start before
start after

# fill each LUN once so the measured writes overwrite allocated space on both sides
for side in before after; do
  qemu-img bench -f raw -t none -w -c $((LUN_BYTES / 1048576)) -d 8 -s 1048576 "${URL[$side]}" >/dev/null
  sleep "$SETTLE"
done

run_once() { # url count depth size step
  local url="$1" count="$2" depth="$3" size="$4" step="$5" out secs
  local args=(-f raw -t none -w -c "$count" -d "$depth" -s "$size")
  [ "$step" != "-" ] && args+=(-S "$step")
  out="$(qemu-img bench "${args[@]}" "$url" 2>&1)"
  secs="$(echo "$out" | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')"
  [ -n "$secs" ] || { echo "qemu-img bench failed: $out" >&2; exit 1; }
  sleep "$SETTLE"
  awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.1f", c / s }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "before: ${BEFORE_SHA:0:7}   after: $AFTER_DESC   reps: $REPS   $(date -u '+%Y-%m-%d %H:%M UTC')"
printf "%-20s %12s %12s %12s %12s %7s %7s\n" "row" "before IOPS" "before MiB/s" "after IOPS" "after MiB/s" "ratio" "paired"
ROWS=(
  "4k-randwrite-qd32 $((100000 * SCALE)) 32 4096 32436224"
  "1M-seqwrite-qd8 $((2000 * SCALE)) 8 1048576 -"
)
for row in "${ROWS[@]}"; do
  set -- $row
  echo "$1" | grep -Eq "$ROWS_RE" || continue
  name="$1" count="$2" depth="$3" size="$4" step="$5"
  b=() a=()
  for i in $(seq 1 "$REPS"); do
    if [ $((i % 2)) = 1 ]; then
      b+=("$(run_once "${URL[before]}" "$count" "$depth" "$size" "$step")")
      a+=("$(run_once "${URL[after]}" "$count" "$depth" "$size" "$step")")
    else
      a+=("$(run_once "${URL[after]}" "$count" "$depth" "$size" "$step")")
      b+=("$(run_once "${URL[before]}" "$count" "$depth" "$size" "$step")")
    fi
  done
  bm="$(printf '%s\n' "${b[@]}" | median)"
  am="$(printf '%s\n' "${a[@]}" | median)"
  # the ratio of each rep's pair (run back to back) is steadier than the ratio of medians when
  # the machine's load drifts between reps
  pm="$(for i in "${!b[@]}"; do awk -v a="${a[$i]}" -v b="${b[$i]}" 'BEGIN { printf "%.4f\n", a / b }'; done | median)"
  awk -v n="$name" -v b="$bm" -v a="$am" -v p="$pm" -v sz="$size" -v bs="${b[*]}" -v as="${a[*]}" 'BEGIN {
    printf "%-20s %12.0f %12.1f %12.0f %12.1f %7.2f %7.2f   (before: %s; after: %s)\n", n, b, b * sz / 1048576, a, a * sz / 1048576, a / b, p, bs, as }'
done
echo "(both: appliance jar, --raid RAID0, thin 1 GiB LUN 0 on sparse drive files, filled once; qemu-img bench"
echo " over libiscsi on loopback; medians of $REPS runs per side, alternating which side runs first;"
echo " ratio = after median / before median; paired = median of the per-rep ratios after/before)"
