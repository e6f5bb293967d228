#!/usr/bin/env bash
# The cost of the cell's cache mirroring and of the non-optimized path, over iSCSI, in the same run.
#
# Starts the embedded appliance (./appliance.sh: NSC A and B, two portals each) in a temporary data
# directory on free ports, creates a 1 GiB thin LUN owned by NSC A (preferred A, FAILOVER_FAILBACK),
# presents it, fills it once, and then measures with qemu-img bench -w (libiscsi, as in
# iscsi-vs-tgtd.sh) four configurations, each REPS times:
#   mirrored    both NSCs up, through A's first portal: A's write cache is mirrored into B
#   unmirrored  B killed (POST /api/controllers/B/drills kill): A acknowledges without a mirror
#   optimized   after POST /api/controllers/B/restart (mirror re-established), through A's portal
#               (active/optimized: the owner's own portal)
#   non-opt     same state, through B's first portal (active/non-optimized: B carries the I/O to
#               the owner A); the writes each NSC's cache acknowledged are counted from /metrics
# After a warm-up (each row through both portals, one kill/restart cycle, not counted), per rep the
# order is mirrored, kill, unmirrored, restart, optimized, non-opt in even reps and kill, unmirrored,
# restart, mirrored, non-opt, optimized in odd reps. Before each run the cell's dirty
# cache must have drained (GET /api/controllers cacheDirtyBytes == 0, at most 30 s).
# Rows: 4 KiB random write at queue depth 32 (offsets spread with -S), 1 MiB sequential write at
# queue depth 8. Printed: medians, ratio of the medians (goal: mirrored/unmirrored >= 0.8) and the
# median of the per-rep (paired) ratios.
#
# Usage: bench/scripts/mirror-cost.sh [--reps N] [--scale F] [--raid RAID0|RAID1|RAID5] [--rows REGEX] [--keep]
#   --scale multiplies the op counts (default 1: ~2-5 s per run on 2 cores); --raid: level of the
#   LUN's data (default: the appliance's, RAID5).
# Needs: a built appliance (mvn -q -B -ntp -pl deploy -am package -DskipTests), qemu-utils,
# qemu-block-extra, curl, jq, python3, JDK 17.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CMDLINE="$0 $*"
REPS=3
SCALE=1
RAID=""
ROWS_RE="."
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --scale) SCALE="$2"; shift ;;
    --raid) RAID="$2"; shift ;;
    --rows) ROWS_RE="$2"; shift ;;
    --keep) KEEP=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in qemu-img curl jq python3 java; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install qemu-utils qemu-block-extra curl jq python3)" >&2; exit 2; }
done
[ -f "$ROOT/deploy/target/evasan-appliance.jar" ] || {
  echo "no deploy/target/evasan-appliance.jar: build first: mvn -q -B -ntp -pl deploy -am package -DskipTests" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mirror-cost-XXXXXX")"
APP_PID=""
cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

APP_ARGS=(--data-dir "$WORK/data" --iscsi-port 0 --mgmt-port 0)
[ -n "$RAID" ] && APP_ARGS+=(--raid "$RAID")
# start_appliance, api, ensure_pair, unplanned_takeovers
. "$ROOT/bench/scripts/cell-lib.sh"
start_appliance "${APP_ARGS[@]}"
cache_acks() { # NSC (a|b): writes its cache acknowledged so far
  curl -sS -H "Authorization: Bearer $TOKEN" "$METRICS" \
    | sed -n "s/^evasan_cache_ack_latency_seconds_count{cache=\"nsc-$1\"} \([0-9.E]*\)\$/\1/p" | head -1
}
state() { api GET /controllers | jq -r '[.[] | "\(.id):\(.state):\(.mirror)"] | join(" ")'; }
settle() { # until the cell's write cache is clean (max 30 s), at least 1 s
  sleep 1
  for _ in $(seq 1 300); do
    [ "$(api GET /controllers | jq '[.[].cacheDirtyBytes] | max')" = 0 ] && return 0
    sleep 0.1
  done
  echo "warning: dirty cache did not drain within 30 s" >&2
}

: >"$WORK/incidents"
ensure_pair || exit 1
LUN=mc-a
LUN_BYTES=$((1024 * 1024 * 1024))
api POST /luns "{\"name\":\"$LUN\",\"sizeBytes\":$LUN_BYTES}" >/dev/null
api POST /luns/$LUN/present '{"initiator":"*","hostLun":1}' >/dev/null
api PUT /luns/$LUN/ownership '{"preferred":"A","mode":"FAILOVER_FAILBACK"}' >/dev/null
[ "$(api GET /luns/$LUN/ownership | jq -r .owner)" = A ] || { echo "$LUN is not owned by A" >&2; exit 1; }
URL_A="iscsi://$PORTAL_A/$IQN/1"
URL_B="iscsi://$PORTAL_B/$IQN/1"

LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
# fill once so the measured writes overwrite allocated space
qemu-img bench -f raw -t none -w -c $((LUN_BYTES / 1048576)) -d 8 -s 1048576 "$URL_A" >/dev/null
settle

run_once() { # url count depth size step: prints ops/s
  local url="$1" count="$2" depth="$3" size="$4" step="$5" out secs
  local args=(-f raw -t none -w -c "$count" -d "$depth" -s "$size")
  [ "$step" != "-" ] && args+=(-S "$step")
  out="$(qemu-img bench "${args[@]}" "$url" 2>&1)"
  secs="$(echo "$out" | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')"
  [ -n "$secs" ] || { echo "qemu-img bench failed: $out" >&2; exit 1; }
  awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.1f", c / s }'
}

ROWS=(
  "4k-randwrite-qd32 $((30000 * SCALE)) 32 4096 32436224"
  "1M-seqwrite-qd8 $((1000 * SCALE)) 8 1048576 -"
)
# results: lines "config row rep ops/s" in $WORK/runs
: >"$WORK/runs"
: >"$WORK/paths"
measure() { # config url expected-state-regex
  local config="$1" url="$2" want="$3" s
  [ "$want" = "$BOTH" ] && { ensure_pair; restart_b_wait; }
  s="$(state)"
  echo "$s" | grep -Eq "$want" || { echo "$config: cell state is '$s', expected /$want/" >&2; exit 1; }
  for row in "${ROWS[@]}"; do
    set -- $row
    echo "$1" | grep -Eq "$ROWS_RE" || continue
    settle
    local a0 b0
    a0="$(cache_acks a)"; b0="$(cache_acks b)"
    echo "$config $1 $rep $(run_once "$url" "$2" "$3" "$4" "$5") $4" >>"$WORK/runs"
    echo "$config $1 $rep $a0 $(cache_acks a) $b0 $(cache_acks b)" >>"$WORK/paths"
    s="$(state)"
    echo "$s" | grep -Eq "$want" || echo "$(date -u +%T) $config $1 rep $rep: state changed during the run: $s" >>"$WORK/incidents"
  done
}
kill_b() {
  local r
  ensure_pair
  r="$(api POST /controllers/B/drills '{"kind":"kill","force":true}')"
  echo "kill drill on B: $(jq -c '{detectionMillis, takeoverMillis, outcome}' <<<"$r")" >>"$WORK/events"
}
restart_b() {
  local r
  r="$(api POST /controllers/B/restart '{}')"
  echo "restart of B: $(jq -c '{failedBack}' <<<"$r")" >>"$WORK/events"
  restart_b_wait
}
restart_b_wait() { # both online and mirrored, the LUN on A
  for _ in $(seq 1 300); do
    [ "$(state)" = "A:ONLINE:MIRRORED B:ONLINE:MIRRORED" ] && break
    sleep 0.1
  done
  [ "$(api GET /luns/$LUN/ownership | jq -r .owner)" = A ] || { echo "$LUN not owned by A after the restart" >&2; exit 1; }
}

BOTH='^A:ONLINE:MIRRORED B:ONLINE:MIRRORED$'
ALONE='^A:ONLINE:LOST B:FAILED:'
# warm-up (not counted): every row through both portals and one kill/restart cycle
rep=0
measure warm-up "$URL_A" "$BOTH"; measure warm-up "$URL_B" "$BOTH"
kill_b; measure warm-up "$URL_A" "$ALONE"; restart_b
: >"$WORK/runs"
: >"$WORK/paths"
: >"$WORK/events"
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then
    kill_b; measure unmirrored "$URL_A" "$ALONE"; restart_b
    measure mirrored "$URL_A" "$BOTH"
    measure non-opt "$URL_B" "$BOTH"; measure optimized "$URL_A" "$BOTH"
  else
    measure mirrored "$URL_A" "$BOTH"
    kill_b; measure unmirrored "$URL_A" "$ALONE"; restart_b
    measure optimized "$URL_A" "$BOTH"; measure non-opt "$URL_B" "$BOTH"
  fi
done

echo "mirror-cost: $CMDLINE   ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg))"
echo "appliance: ./appliance.sh ${APP_ARGS[*]/$WORK/\$WORK}; LUN $LUN 1 GiB thin, owner A (FAILOVER_FAILBACK), filled once"
echo "client: qemu-img bench -f raw -t none -w over libiscsi; A's portal $URL_A, B's portal $URL_B; reps $REPS"
python3 - "$WORK/runs" "$WORK/paths" "$ROWS_RE" <<'EOF'
import re, statistics, sys
runs, paths, rows_re = sys.argv[1:]
r = {}
size = {}
for l in open(runs):
    c, row, rep, ops, sz = l.split()
    r.setdefault((c, row), {})[int(rep)] = float(ops); size[row] = int(sz)
def med(c, row): return statistics.median(r[(c, row)].values())
def paired(a, b, row):
    return statistics.median(r[(a, row)][k] / r[(b, row)][k] for k in r[(a, row)] if k in r[(b, row)])
rows = [row for row in ("4k-randwrite-qd32", "1M-seqwrite-qd8") if (("mirrored", row) in r)]
for title, a, b, goal in (("mirroring: A's cache mirrored into B vs A alone (B killed), through A's portal",
                           "mirrored", "unmirrored", 0.8),
                          ("path: through B's portal (non-optimized, carried to owner A) vs A's portal (optimized), after B's restart",
                           "non-opt", "optimized", None)):
    print()
    print(title)
    print("%-20s %11s %10s %11s %10s %7s %7s %s" % ("row", a + " IOPS", "MiB/s", b + " IOPS", "MiB/s", "ratio", "paired",
                                                   "(goal >= %.1fx)" % goal if goal else ""))
    for row in rows:
        x, y = med(a, row), med(b, row)
        ratio = x / y
        verdict = "" if goal is None else ("meets" if ratio >= goal else "BELOW goal")
        print("%-20s %11.0f %10.1f %11.0f %10.1f %7.2f %7.2f %s" % (
            row, x, x * size[row] / 1048576, y, y * size[row] / 1048576, ratio, paired(a, b, row), verdict))
# which cache acknowledged the non-optimized writes
acc = {}
for l in open(paths):
    c, row, rep, a0, a1, b0, b1 = l.split()
    d = acc.setdefault(c, [0.0, 0.0])
    d[0] += float(a1) - float(a0); d[1] += float(b1) - float(b0)
print()
print("writes acknowledged per cache during the runs (evasan_cache_ack_latency_seconds_count):")
for c in ("mirrored", "unmirrored", "optimized", "non-opt"):
    if c in acc:
        print("  %-11s nsc-a %9.0f   nsc-b %9.0f" % (c, acc[c][0], acc[c][1]))
EOF
echo
echo "(medians of $REPS reps after a warm-up; 'paired' = median of the per-rep ratios; each run after the dirty cache drained)"
echo "every run (ops/s, rep 1..$REPS):"
for c in mirrored unmirrored optimized non-opt; do
  awk -v c="$c" '$1 == c { v[$2] = v[$2] sprintf(" %6.0f", $4) } END { for (r in v) printf "  %-11s %-18s%s\n", c, r, v[r] }' "$WORK/runs" | sort -k2
done
sed 's/^/  /' "$WORK/events" | sort | uniq -c | sed 's/^ */  /' | head -6
echo "unplanned takeovers (heartbeat timeouts without a drill, from the appliance log): $(unplanned_takeovers)"
if [ -s "$WORK/incidents" ]; then sed 's/^/  /' "$WORK/incidents"; fi
