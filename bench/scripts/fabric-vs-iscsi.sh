#!/usr/bin/env bash
# The same LUN of the cell through the simulated FC fabric (sanhost, NBD) and directly over iSCSI.
#
# Starts the embedded appliance (./appliance.sh) in a temporary data directory on free ports on
# 127.0.0.1 (iSCSI portals, management API, FC switch), creates a LUN and presents it to every
# initiator ("*", host LUN 1), then starts sanhost (sanhost/sanhost.sh, one HBA) on the appliance's
# switch; sanhost logs in, finds the four target N_Ports and exports the LUN over NBD.
#
# Then, --reps times, each load runs through both clients back to back, alternating which goes
# first (the machine is shared: only figures of the same run compare):
#   iscsi: qemu-img bench ... iscsi://PORTAL/IQN/1   (PORTAL: the first portal of the LUN's owner)
#   fabric: qemu-img bench ... nbd://127.0.0.1:NBD   (sanhost -> FC frames -> switch -> FcpTarget)
# Loads: 4 KiB random write and read at QD32 (-S 32436224 spreads them), 1 MiB sequential write and
# read at QD8. Writes go first so that the reads find written blocks. Prints every run, then per load
# the medians and the median of the per-rep ratios fabric/iscsi against the goal of 0.6x.
#
# --jfr DIR: JFR recordings of the appliance and of sanhost (settings=profile) are dumped into DIR at
# the end (appliance.jfr, sanhost.jfr); read them with `jfr print --events jdk.ExecutionSample`.
#
# Usage: bench/scripts/fabric-vs-iscsi.sh [--reps N] [--lun-mib M] [--count4k N] [--count1m N] [--jfr DIR] [--keep]
# Needs: built jars (mvn -B -ntp -o -q -pl deploy,sanhost -am package -DskipTests), qemu-utils,
# qemu-block-extra (libiscsi driver), curl, jq, python3, JDK 17.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CMDLINE="$0 $*"
REPS=3
LUN_MIB=256
COUNT4K=20000
COUNT1M=384
JFR_DIR=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --lun-mib) LUN_MIB="$2"; shift ;;
    --count4k) COUNT4K="$2"; shift ;;
    --count1m) COUNT1M="$2"; shift ;;
    --jfr) JFR_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    --keep) KEEP=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in qemu-img curl jq python3 java; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install qemu-utils qemu-block-extra curl jq python3)" >&2; exit 2; }
done
for jar in deploy/target/evasan-appliance.jar sanhost/target/sanhost.jar; do
  [ -f "$ROOT/$jar" ] || { echo "no $jar: build first: mvn -B -ntp -o -q -pl deploy,sanhost -am package -DskipTests" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fabric-vs-iscsi-XXXXXX")"
APP_PID=""
SAN_PID=""
cleanup() {
  if [ -n "$JFR_DIR" ]; then
    [ -n "$SAN_PID" ] && jcmd "$SAN_PID" JFR.dump name=bench filename="$JFR_DIR/sanhost.jfr" >/dev/null 2>&1 || true
    [ -n "$APP_PID" ] && jcmd "$APP_PID" JFR.dump name=bench filename="$JFR_DIR/appliance.jfr" >/dev/null 2>&1 || true
  fi
  if [ -n "$SAN_PID" ]; then kill "$SAN_PID" 2>/dev/null || true; wait "$SAN_PID" 2>/dev/null || true; fi
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
jfr_opts() { [ -n "$JFR_DIR" ] && echo "-XX:StartFlightRecording=name=bench,settings=profile" || true; }

# ---- the appliance: fresh pool, free ports (read from its start-up text)
APP_ARGS=(--data-dir "$WORK/data" --iscsi-port 0 --mgmt-port 0 --fabric-port 0)
# exec: $! is the JVM itself (appliance.sh execs java), so jcmd can reach it
(cd "$ROOT" && JAVA_TOOL_OPTIONS="$(jfr_opts)" exec ./appliance.sh "${APP_ARGS[@]}") >"$WORK/appliance.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 600); do grep -q "evasan: running" "$WORK/appliance.log" 2>/dev/null && break; sleep 0.2; done
grep -q "evasan: running" "$WORK/appliance.log" || { echo "appliance did not start:" >&2; tail -20 "$WORK/appliance.log" >&2; exit 1; }
IQN="$(sed -n 's/^iSCSI target \([^,]*\), portals.*/\1/p' "$WORK/appliance.log" | head -1)"
PORTAL_A="$(sed -n 's/^ *\(127\.0\.0\.1:[0-9]*\),[0-9]* (NSC A).*/\1/p' "$WORK/appliance.log" | head -1)"
PORTAL_B="$(sed -n 's/^ *\(127\.0\.0\.1:[0-9]*\),[0-9]* (NSC B).*/\1/p' "$WORK/appliance.log" | head -1)"
FABRIC="$(sed -n 's/^FC fabric: .* on \/\{0,1\}\([0-9.]*:[0-9]*\),.*/\1/p' "$WORK/appliance.log" | head -1)"
API="$(sed -n 's/.*management API \(http[^ ]*\/api\) .*/\1/p' "$WORK/appliance.log" | head -1)"
TOKEN="$(sed -n 's/.*management API token[^:]*: \([^ ]*\).*/\1/p' "$WORK/appliance.log" | head -1)"
for v in IQN PORTAL_A PORTAL_B FABRIC API TOKEN; do
  [ -n "${!v}" ] || { echo "cannot read $v from the appliance's start-up text:" >&2; cat "$WORK/appliance.log" >&2; exit 1; }
done
api() { # METHOD PATH [BODY]: prints the answer; fails unless 2xx
  local out code
  out="$(curl -sS -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
           ${3:+-d "$3"} -w '\n%{http_code}' "$API$2")" || { echo "curl $1 $2 failed" >&2; return 1; }
  code="${out##*$'\n'}"; out="${out%$'\n'*}"
  if [ "${code:0:1}" != 2 ]; then echo "$1 $2 -> $code $out" >&2; return 1; fi
  printf '%s\n' "$out"
}
LUN=fvi
api POST /luns "{\"name\":\"$LUN\",\"sizeBytes\":$((LUN_MIB * 1048576))}" >/dev/null
api POST /luns/$LUN/present '{"initiator":"*","hostLun":1}' >/dev/null
OWNER="$(api GET /luns/$LUN/ownership | jq -r .owner)"
if [ "$OWNER" = B ]; then PORTAL="$PORTAL_B"; else PORTAL="$PORTAL_A"; fi
ISCSI_URL="iscsi://$PORTAL/$IQN/1"

# ---- sanhost: one HBA on the appliance's switch, NBD on a free port
(cd "$ROOT" && JAVA_TOOL_OPTIONS="$(jfr_opts)" exec sanhost/sanhost.sh --fabric "$FABRIC" --wwpn 10:00:00:00:c9:bb:00:01 \
   --nbd-port 0 --control-port 0) >"$WORK/sanhost.log" 2>&1 &
SAN_PID=$!
for _ in $(seq 1 600); do grep -q "sanhost: ready" "$WORK/sanhost.log" 2>/dev/null && break; sleep 0.2; done
grep -q "sanhost: ready" "$WORK/sanhost.log" || { echo "sanhost did not start:" >&2; tail -20 "$WORK/sanhost.log" >&2; exit 1; }
NBD="$(sed -n 's/^sanhost: nbd on \([0-9.]*:[0-9]*\) .*/\1/p' "$WORK/sanhost.log" | head -1)"
NBD_URL="nbd://$NBD"
qemu-img info "$NBD_URL" >"$WORK/nbd-info" 2>&1 || { echo "no LUN on $NBD_URL:" >&2; cat "$WORK/nbd-info" "$WORK/sanhost.log" >&2; exit 1; }

echo "fabric-vs-iscsi: $CMDLINE   ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "LUN $LUN_MIB MiB, owner $OWNER; iscsi: $ISCSI_URL; fabric: sanhost (1 HBA) on switch $FABRIC, $NBD_URL"

# bench NAME URL ARGS...: ops/s of one qemu-img bench run (COUNT / seconds)
bench() {
  local url="$1"; shift
  local out
  out="$(qemu-img bench -f raw -t none "$@" "$url" 2>&1)" || { echo "qemu-img bench $* $url failed: $out" >&2; return 1; }
  sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p' <<<"$out"
}
LOADS=("randwrite-4k-qd32|-w -c $COUNT4K -d 32 -s 4096 -S 32436224|4096|$COUNT4K"
       "randread-4k-qd32|-c $COUNT4K -d 32 -s 4096 -S 32436224|4096|$COUNT4K"
       "seqwrite-1m-qd8|-w -c $COUNT1M -d 8 -s 1048576|1048576|$COUNT1M"
       "seqread-1m-qd8|-c $COUNT1M -d 8 -s 1048576|1048576|$COUNT1M")
: >"$WORK/runs.tsv"
printf "%-18s %4s %-7s %10s %10s %10s\n" load rep side seconds ops/s MB/s
for rep in $(seq 1 "$REPS"); do
  for l in "${LOADS[@]}"; do
    IFS='|' read -r name args size count <<<"$l"
    if [ $(( rep % 2 )) = 1 ]; then order="iscsi fabric"; else order="fabric iscsi"; fi
    for side in $order; do
      if [ "$side" = iscsi ]; then url="$ISCSI_URL"; else url="$NBD_URL"; fi
      # shellcheck disable=SC2086
      s="$(bench "$url" $args)"
      awk -v n="$name" -v r="$rep" -v sd="$side" -v s="$s" -v c="$count" -v z="$size" \
        'BEGIN { printf "%-18s %4d %-7s %10.3f %10.0f %10.1f\n", n, r, sd, s, c / s, c * z / s / 1e6 }'
      printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rep" "$side" "$s" "$(( count * 1 ))" >>"$WORK/runs.tsv"
    done
  done
done
echo
python3 - "$WORK/runs.tsv" <<'EOF'
import statistics, sys
runs = {}
for l in open(sys.argv[1]):
    name, rep, side, s, count = l.split()
    runs.setdefault(name, {}).setdefault(int(rep), {})[side] = int(count) / float(s)
print("%-18s %12s %12s %8s %s" % ("load (median)", "iscsi", "fabric", "ratio", "per-rep ratios (goal >= 0.60x)"))
ok = True
for name, reps in runs.items():
    unit = 1 if "4k" in name else 1 << 20
    fmt = (lambda v: "%8.0f IOPS" % v) if unit == 1 else (lambda v: "%7.1f MiB/s" % v)
    i = statistics.median(r["iscsi"] for r in reps.values())
    f = statistics.median(r["fabric"] for r in reps.values())
    ratios = [r["fabric"] / r["iscsi"] for r in reps.values()]
    m = statistics.median(ratios)
    ok = ok and m >= 0.6
    print("%-18s %12s %12s %7.2fx %s" % (name, fmt(i), fmt(f), m, " ".join("%.2f" % x for x in ratios)))
print("goal fabric >= 0.6x iscsi on every load:", "MET" if ok else "NOT MET")
EOF
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
