#!/usr/bin/env bash
# iSCSI target benchmark: the embedded appliance (./appliance.sh: iscsi transport, scsi executor,
# controller, thin 1 GiB LUN on a RAID0 pool of sparse drive files) against Debian tgtd (sparse
# file-backed LUN), plus, as an extra column, our transport alone over an in-memory LU
# (io.evasan.iscsi.StandaloneTarget). All on loopback, driven one after the other by the same
# independent libiscsi client (qemu-img bench).
#
# Rows: 4 KiB random read/write at queue depth 1 and 32 (offsets spread with -S), 1 MiB sequential
# read/write at depth 8. Each row runs REPS times alternating the targets; the printed figures are
# the medians and the ratios of the medians (appliance RAID0 / tgtd, in-memory / tgtd).
#
# Usage: bench/scripts/iscsi-vs-tgtd.sh [--no-build] [--reps N] [--scale F] [--rows REGEX]
#   --scale multiplies the op counts (default 1: ~2-10 s per run on 2 cores).
# Needs: tgt, qemu-utils, qemu-block-extra, libiscsi-bin (Debian), JDK 17, Maven.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$ROOT/bench/target/iscsi-vs-tgtd"
OUR_PORT="${OUR_PORT:-3290}"
APP_PORT="${APP_PORT:-3293}"
TGT_PORT="${TGT_PORT:-3291}"
TGT_CTL_PORT="${TGT_CTL_PORT:-3292}"
LUN_BYTES=$((1024 * 1024 * 1024))
OUR_IQN="iqn.2026-01.io.evasan:bench"
TGT_IQN="iqn.2024-01.peer.local:tgt1"
REPS=3
SCALE=1
BUILD=1
ROWS_RE="."
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --reps) REPS="$2"; shift ;;
    --scale) SCALE="$2"; shift ;;
    --rows) ROWS_RE="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in tgtd tgtadm qemu-img java mvn; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install tgt qemu-utils qemu-block-extra libiscsi-bin)" >&2; exit 2; }
done
mkdir -p "$WORK"

if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && mvn -q -B -pl iscsi -am install -DskipTests)
fi
(cd "$ROOT" && mvn -q -B -o -pl iscsi dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null)
CP="$ROOT/iscsi/target/classes:$(cat "$WORK/cp.txt")"

OUR_PID=""
TGT_PID=""
APP_PID=""
cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [ -n "$OUR_PID" ]; then kill "$OUR_PID" 2>/dev/null || true; wait "$OUR_PID" 2>/dev/null || true; fi
  # tgtd ignores SIGTERM
  if [ -n "$TGT_PID" ]; then kill -9 "$TGT_PID" 2>/dev/null || true; wait "$TGT_PID" 2>/dev/null || true; fi
  rm -f "$WORK/tgt-lun.img"
  rm -rf "$WORK/appliance"
}
trap cleanup EXIT

# ---- tgtd with a sparse file-backed, thin LUN 1
rm -f "$WORK/tgt-lun.img"
truncate -s "$LUN_BYTES" "$WORK/tgt-lun.img"
setsid tgtd -f -C "$TGT_CTL_PORT" --iscsi portal=127.0.0.1:"$TGT_PORT" >"$WORK/tgtd.log" 2>&1 &
TGT_PID=$!
for _ in $(seq 1 50); do
  tgtadm -C "$TGT_CTL_PORT" --lld iscsi --op show --mode target >/dev/null 2>&1 && break
  sleep 0.1
done
tgtadm -C "$TGT_CTL_PORT" --lld iscsi --op new --mode target --tid 1 -T "$TGT_IQN"
tgtadm -C "$TGT_CTL_PORT" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$WORK/tgt-lun.img"
tgtadm -C "$TGT_CTL_PORT" --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params thin_provisioning=1
tgtadm -C "$TGT_CTL_PORT" --lld iscsi --op bind --mode target --tid 1 -I ALL
TGT_URL="iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1"

# ---- our target
java -Xmx3g "@$ROOT/jvm.flags" -XX:+UseParallelGC -cp "$CP" io.evasan.iscsi.StandaloneTarget \
  --port "$OUR_PORT" --iqn "$OUR_IQN" --size "$LUN_BYTES" >"$WORK/ours.log" 2>&1 &
OUR_PID=$!
for _ in $(seq 1 100); do grep -q LISTENING "$WORK/ours.log" 2>/dev/null && break; sleep 0.1; done
grep -q LISTENING "$WORK/ours.log" || { echo "our target did not start:"; cat "$WORK/ours.log"; exit 1; }
OUR_URL="iscsi://127.0.0.1:$OUR_PORT/$OUR_IQN/0"

# ---- the appliance: fresh RAID0 pool under bench/target (sparse drive files), 1 GiB thin LUN 0
rm -rf "$WORK/appliance"
"$ROOT/appliance.sh" --data-dir "$WORK/appliance" --iscsi-port "$APP_PORT" --raid RAID0 \
  --first-lun-size "$LUN_BYTES" >"$WORK/appliance.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 1200); do grep -q "evasan: running" "$WORK/appliance.log" 2>/dev/null && break; sleep 0.5; done
grep -q "evasan: running" "$WORK/appliance.log" || { echo "appliance did not start:"; tail -20 "$WORK/appliance.log"; exit 1; }
APP_URL="$(sed -n 's/.*connect: \(iscsi:[^ ]*\).*/\1/p' "$WORK/appliance.log" | head -1)"
[ -n "$APP_URL" ] || { echo "no connect URL in appliance.log"; exit 1; }

# Fill every LUN once so reads hit written (allocated) data on all sides.
for url in "$APP_URL" "$OUR_URL" "$TGT_URL"; do
  qemu-img bench -f raw -t none -w -c $((LUN_BYTES / 1048576)) -d 8 -s 1048576 "$url" >/dev/null
done

# one run: prints ops/s
run_once() { # url count depth size step write
  local url="$1" count="$2" depth="$3" size="$4" step="$5" write="$6" out secs
  local args=(-f raw -t none -c "$count" -d "$depth" -s "$size")
  [ "$step" != "-" ] && args+=(-S "$step")
  [ "$write" = "w" ] && args+=(-w)
  out="$(qemu-img bench "${args[@]}" "$url" 2>&1)"
  secs="$(echo "$out" | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')"
  [ -n "$secs" ] || { echo "qemu-img bench failed: $out" >&2; exit 1; }
  awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.1f", c / s }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf "%-20s %11s %10s %11s %10s %7s %11s %7s\n" "row" "raid0 IOPS" "raid0 MiB/s" "tgtd IOPS" "tgtd MiB/s" "ratio" "in-mem IOPS" "ratio"
ROWS=(
  "4k-randread-qd1 $((20000 * SCALE)) 1 4096 32436224 r"
  "4k-randwrite-qd1 $((20000 * SCALE)) 1 4096 32436224 w"
  "4k-randread-qd32 $((100000 * SCALE)) 32 4096 32436224 r"
  "4k-randwrite-qd32 $((100000 * SCALE)) 32 4096 32436224 w"
  "1M-seqread-qd8 $((2000 * SCALE)) 8 1048576 - r"
  "1M-seqwrite-qd8 $((2000 * SCALE)) 8 1048576 - w"
)
for row in "${ROWS[@]}"; do
  set -- $row
  echo "$1" | grep -Eq "$ROWS_RE" || continue
  name="$1" count="$2" depth="$3" size="$4" step="$5" rw="$6"
  app=() tgt=() mem=()
  for _ in $(seq 1 "$REPS"); do
    app+=("$(run_once "$APP_URL" "$count" "$depth" "$size" "$step" "$rw")")
    tgt+=("$(run_once "$TGT_URL" "$count" "$depth" "$size" "$step" "$rw")")
    mem+=("$(run_once "$OUR_URL" "$count" "$depth" "$size" "$step" "$rw")")
  done
  a="$(printf '%s\n' "${app[@]}" | median)"
  t="$(printf '%s\n' "${tgt[@]}" | median)"
  m="$(printf '%s\n' "${mem[@]}" | median)"
  awk -v n="$name" -v a="$a" -v t="$t" -v m="$m" -v sz="$size" 'BEGIN {
    printf "%-20s %11.0f %10.1f %11.0f %10.1f %7.2f %11.0f %7.2f\n", n, a, a * sz / 1048576, t, t * sz / 1048576, a / t, m, m / t }'
done
echo "(raid0: ./appliance.sh --raid RAID0, thin 1 GiB LUN on sparse drive files; tgtd: sparse file LUN;"
echo " in-mem: StandaloneTarget, thin in-memory LU behind the same scsi executor; medians of $REPS alternating runs)"
