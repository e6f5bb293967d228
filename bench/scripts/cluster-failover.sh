#!/usr/bin/env bash
# Leader failover of the clustered cell (deploy/cell.sh: controllers A and B as two processes on the clustered
# event bus), seen by a real single-path iSCSI initiator.
#
# Starts the cell with deploy/cell.sh in a temporary data directory on free ports (portals P, P+1: A's; P+2, P+3:
# B's) with a --lun-mib first LUN (host LUN 0, presented to every initiator), and runs one client that writes
# without pause through the LEADER's own first portal: qemu-io over libiscsi fed one 64 KiB write at a time on its
# stdin (bench/scripts/qd1_client.py, queue depth 1), each acknowledgement time-stamped. The client keeps that
# address for the whole run: after a kill the survivor serves the dead leader's addresses; the killed process,
# started again, follows and relays its own addresses to the leader.
#
# Then --kills times: SIGKILL the leader (deploy/cell.sh drill kill X), so the kills alternate A, B, A, ...; the
# survivor claims the quorum lease, replays the mirror it held and leads. Measured per kill, from the controllers'
# output lines (time-stamped as they are written) and the client's acknowledgements:
#   detect    kill -> the survivor's "leader proc-x is silent" line
#   claim     its "claimed the quorum lease ... N ms after the leader was seen dead" (N)
#   tko       its "took over as leader N ms after its partner was seen dead" (N), split into the phases it lists
#             (pool, maps, controller, portals, management) and the mirrored writes it replayed ("unm": the dead
#             leader ran unmirrored)
#   tko-at    kill -> that line; ports-at: kill -> "serves its partner's host ports" (the dead leader's addresses)
#   client    kill -> the acknowledgement that ended the client's stall (the goal: 1 s); stall: that longest ack gap
#   rejoin    drill start -> the restarted process's "follows" line; rj-stall: longest ack gap meanwhile
#   served    kill -> the client's address served again (ports-at when it was the dead leader's, else tko-at)
#   conn1     (strace) first connect() of the initiator after the kill, ms after the kill; conn2: its first
#             connect() after its address is served again, ms after that (libiscsi's reconnect back-off)
# then drill start X, wait for "follows" and its "standby warm" (the follower readies its JVM once it follows), let the
# client write --gap seconds, and kill the new leader.
#
# At the end every acknowledged write is checked through both controllers' first portals (P and P+2, one served by
# the leader, the other relayed by the follower): slot by slot against the last acknowledged pattern
# (bench/scripts/acklog.py) and with qemu-img compare against the client's model image.
#
# Usage: bench/scripts/cluster-failover.sh [--kills N] [--gap S] [--heartbeat-timeout-ms MS] [--lun-mib M]
#                                          [--no-trace] [--keep]
#   --kills: number of leader kills (default 20); --gap: seconds of writing after a rejoin before the next kill
#   (default 4; libiscsi defers a reconnect that follows its previous one closely, see failover.sh);
#   --heartbeat-timeout-ms: passed to both controllers (default: the appliance's, 500); --lun-mib: first LUN size
#   (default 64); --keep leaves the work dir.
# Needs: the appliance jar (built offline here when missing or older than the sources), qemu-utils,
# qemu-block-extra (libiscsi driver), coreutils stdbuf, python3, JDK 17; strace optional.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CMDLINE="$0 $*"
# failover_options; start_appliance, api, ensure_pair, unplanned_takeovers; now, start_client, acks, wait_acks,
# stop_client (the QD1 client)
. "$ROOT/bench/scripts/cell-lib.sh"
failover_options "$@"
for tool in qemu-io qemu-img stdbuf python3 java mvn; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install qemu-utils qemu-block-extra python3)" >&2; exit 2; }
done

# ---- the jar, fresh before the first cell.sh call; every call then runs it without cell.sh's freshness check
JAR="$ROOT/deploy/target/evasan-appliance.jar"
if [ ! -f "$JAR" ] || [ -n "$(cd "$ROOT" && find . -path '*/src/main/*' -newer "$JAR" -print -quit)" ] \
   || [ -n "$(cd "$ROOT" && find . -name pom.xml -newer "$JAR" -print -quit)" ]; then
  echo "building the appliance jar (offline)..." >&2
  (cd "$ROOT" && mvn -B -ntp -o -q -pl deploy -am package -DskipTests)
fi
export EVASAN_APPLIANCE_CLASSPATH="$JAR"
CELL="$ROOT/deploy/cell.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cluster-failover-XXXXXX")"
DATA="$WORK/data"
CELL_PID=""
STAMP_PID=""
CLIENT_PID=""
cleanup() {
  touch "$WORK/stop" "$WORK/stop-stamps" 2>/dev/null || true
  if [ -n "$CLIENT_PID" ]; then
    for _ in $(seq 1 50); do kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true
  fi
  if [ -n "$CELL_PID" ]; then   # cell.sh stops both controllers on SIGTERM (the follower first)
    kill -TERM "$CELL_PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$CELL_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$CELL_PID" 2>/dev/null && echo "cell.sh did not stop both controllers within 60 s: killing them" >&2
    for n in a b; do   # a controller cell.sh left running (or one restarted by a drill after cell.sh ended)
      if [ -f "$DATA/nsc-$n.pid" ] && kill -0 "$(cat "$DATA/nsc-$n.pid")" 2>/dev/null; then
        kill -KILL "$(cat "$DATA/nsc-$n.pid")" 2>/dev/null || true
      fi
    done
    kill -KILL "$CELL_PID" 2>/dev/null || true; wait "$CELL_PID" 2>/dev/null || true
  fi
  if [ -n "$STAMP_PID" ]; then wait "$STAMP_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# ---- free ports: four consecutive for the portals, one for the management API
read -r P MGMT < <(python3 - <<'EOF'
import random, socket
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(500):
    p = random.randrange(20000, 40000, 8)
    if all(free(p + i) for i in range(5)):
        print(p, p + 4); break
EOF
)
[ -n "${P:-}" ] || { echo "no four free consecutive ports found" >&2; exit 1; }
LUN_BYTES=$((LUN_MIB * 1048576))
SLOT=65536
CELL_ARGS=(--data-dir "$DATA" --iscsi-port "$P" --mgmt-port "$MGMT" --cluster "evasan-bench-$$"
           --first-lun-size "$LUN_BYTES")
[ -n "$HB_MS" ] && CELL_ARGS+=(--heartbeat-timeout-ms "$HB_MS")
mkdir -p "$DATA"

# ---- the controllers' output lines, time-stamped as they are written ($WORK/events: EPOCH NSC LINE); a restarted
# controller's output file starts again from empty
cat >"$WORK/stamp.py" <<'EOF'
import os, sys, time
data, out_path, stop = sys.argv[1:4]
files = {"A": os.path.join(data, "nsc-a.out"), "B": os.path.join(data, "nsc-b.out")}
state = {k: [None, 0, 0, b""] for k in files}   # file, inode, position, partial line
with open(out_path, "a", buffering=1) as out:
    while not os.path.exists(stop):
        for k, path in files.items():
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            f, ino, pos, part = state[k]
            if f is None or st.st_ino != ino or st.st_size < pos:
                if f is not None:
                    f.close()
                f, ino, pos, part = open(path, "rb"), st.st_ino, 0, b""
            chunk = f.read()
            now = time.time()
            pos += len(chunk)
            lines = (part + chunk).split(b"\n")
            part = lines.pop()
            for line in lines:
                if line.startswith(b"evasan"):
                    out.write("%.6f %s %s\n" % (now, k, line.decode("utf-8", "replace")))
            state[k] = [f, ino, pos, part]
        time.sleep(0.005)
EOF
python3 "$WORK/stamp.py" "$DATA" "$WORK/events" "$WORK/stop-stamps" &
STAMP_PID=$!

"$CELL" run "${CELL_ARGS[@]}" >"$WORK/cell.log" 2>&1 &
CELL_PID=$!

since() { # NSC REGEX T: the time of NSC's first output line matching REGEX stamped after epoch T (empty: none yet)
  awk -v n="$1" -v re="$2" -v t="$3" '$1 > t && $2 == n && $0 ~ re { print $1; exit }' "$WORK/events" 2>/dev/null || true
}
wait_line() { # NSC REGEX T TIMEOUT_S: waits for such a line, prints its time; fails on timeout
  local deadline=$(( $(date +%s) + $4 )) at
  while true; do
    at="$(since "$1" "$2" "$3")"
    [ -n "$at" ] && { echo "$at"; return 0; }
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
leader() { # the controller cell.sh status calls the leader while the other follows (empty otherwise)
  "$CELL" status "$DATA" | awk '/: pid .*, leader$/ { l = substr($2, 1, 1) } /: pid .*, follower$/ { f++ }
                               END { if (l != "" && f == 1) print l }'
}
other() { [ "$1" = A ] && echo B || echo A; }
# A leader with a follower before a kill: a controller that ended without a kill (a leader that lost its lease to a
# takeover on a loaded machine halts) is started again and logged in $WORK/incidents (printed at the end).
ensure_cell() { # prints the leader; fails when there is none with a follower within 180 s
  local n f l deadline=$(( $(date +%s) + 180 )) t
  while [ "$(date +%s)" -lt "$deadline" ]; do
    l="$(leader)"
    [ -n "$l" ] && { echo "$l"; return 0; }
    for n in A B; do
      f="$DATA/nsc-$(echo "$n" | tr AB ab).pid"
      if ! kill -0 "$(cat "$f")" 2>/dev/null; then
        echo "$(date -u +%T) controller $n ended without a kill ($(grep -E 'halting|lease' "$DATA/nsc-$(echo "$n" | tr AB ab).out" \
              | grep '^evasan' | tail -1)): started again" >>"$WORK/incidents"
        t="$(now)"
        "$CELL" drill start "$n" "$DATA" >/dev/null
        wait_line "$n" 'follows proc-|leads the cell' "$t" 120 >/dev/null || true
      fi
    done
    sleep 0.2
  done
  return 1
}

T_START="$(now)"
wait_line A 'leads the cell|follows proc-' 0 180 >/dev/null && wait_line B 'leads the cell|follows proc-' 0 180 >/dev/null \
  || { echo "the cell did not start:" >&2; tail -30 "$WORK/cell.log" >&2; exit 1; }
for _ in $(seq 1 600); do LEADER="$(leader)"; [ -n "$LEADER" ] && break; sleep 0.1; done
[ -n "$LEADER" ] || { echo "no leader with a follower:" >&2; "$CELL" status "$DATA" >&2; tail -30 "$WORK/cell.log" >&2; exit 1; }
LOUT="$DATA/nsc-$(echo "$LEADER" | tr AB ab).out"
IQN="$(sed -n 's/^iSCSI target \([^,]*\), portals.*/\1/p' "$LOUT" | head -1)"
[ -n "$IQN" ] || { echo "cannot read the target IQN from $LOUT" >&2; cat "$LOUT" >&2; exit 1; }
grep -q '^ *presented: ' "$LOUT" || { echo "the first LUN is not presented:" >&2; cat "$LOUT" >&2; exit 1; }
if [ "$LEADER" = A ]; then CLIENT_PORT=$P; else CLIENT_PORT=$((P + 2)); fi
URL="iscsi://127.0.0.1:$CLIENT_PORT/$IQN/0"
URL_A="iscsi://127.0.0.1:$P/$IQN/0"
URL_B="iscsi://127.0.0.1:$((P + 2))/$IQN/0"

TRACE_FILE=""
if [ "$TRACE" = 1 ] && command -v strace >/dev/null; then TRACE_FILE="$WORK/connects.trace"; fi
CONNECT_TRACE="$TRACE_FILE" start_client "$URL" "$LUN_BYTES" "$SLOT"
wait_acks 200 60 || { echo "client did not start writing: $(tail -3 "$WORK/ack.log" 2>/dev/null)" >&2; exit 1; }

echo "cluster-failover: $CMDLINE   ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "cell: deploy/cell.sh run ${CELL_ARGS[*]//$WORK/\$WORK}   (first leader: $LEADER, up in $(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s)"
echo "client: qemu-io -f raw $URL ($LEADER's own first portal; writes of 64 KiB at QD1 over $LUN_MIB MiB)"

cat >"$WORK/cycle.py" <<'EOF'
import re, sys
ack_log, events, trace, client_nsc, k, dead, t0, t2, tf, a0, c0, n1, c1 = sys.argv[1:]
t0, t2, tf, c0, c1 = map(float, (t0, t2, tf, c0, c1))
survivor = "B" if dead == "A" else "A"
acks = [float(l.split()[1]) for l in open(ack_log) if l.startswith("ACK ")]
ev = []
for l in open(events):
    f = l.rstrip("\n").split(" ", 2)
    if len(f) == 3 and float(f[0]) > t0 and f[1] == survivor:
        ev.append((float(f[0]), f[2]))
def first(pattern):
    return next(((t, m) for t, l in ev for m in [re.search(pattern, l)] if m), (float("nan"), None))
nan = float("nan")
silent, _ = first(r"leader proc-\w is silent")
_, claim = first(r"claimed the quorum lease \(generation \d+\) (\d+) ms after")
tko_at, tko = first(r"took over as leader (\d+) ms after its partner was seen dead(?: \(serving host I/O after \d+ ms\))?; lease generation (\d+); (.*)")
if not tko:   # it gave up its claim and started over: "leads the cell (lease generation G), opened in N ms (...)"
    tko_at, tko = first(r"leads the cell \(lease generation (\d+)\), opened in (\d+) ms (.*)")
ports_at, _ = first(r"serves its partner's host ports")
phase = {}
mirrored = "?"
if tko:
    rest = tko.group(3)
    m = re.search(r"(\d+) mirrored writes", rest)
    mirrored = m.group(1) if m else ("unm" if "unmirrored" in rest else "anew")
    m = re.search(r"\(([^()]*)\)\s*$", rest)
    for part in (m.group(1).split(", ") if m else []):
        name, value, _ = part.rsplit(" ", 2)   # "pool 12 ms"
        phase[name] = float(value)
# the client's stall around the kill: the longest gap between acks in [t0 - 0.5 s, restart]; the ack that ends it is
# the first write served after the kill (a write in flight at the kill may still be acknowledged just after t0)
w = [t for t in acks if t0 - 0.5 <= t <= t2]
stall, first_ack = max([(b - a, b) for a, b in zip(w, w[1:]) if b > t0] or [(nan, nan)])
v = [t for t in acks if t2 - 0.5 <= t <= tf + 0.5]
rj_stall = max([b - a for a, b in zip(v, v[1:]) if b > t2] or [0])
# the client's address is served again: by the survivor's "portals" phase when it is the survivor's own (relayed
# until the kill), else once the survivor serves its dead partner's addresses
served_at = ports_at if dead == client_nsc else tko_at
conn1 = conn2 = nan
if trace != "-":
    try:
        conn = [float(f[1]) for f in (l.split() for l in open(trace)) if len(f) > 2 and f[2].startswith("connect(")]
        conn1 = next((c for c in conn if c >= t0), nan)
        conn2 = next((c for c in conn if c >= served_at), nan)
    except FileNotFoundError:
        pass
ms = lambda x: x * 1000
print("%4s %4s %6.0f %6.0f %6.0f %6.0f %6.0f %6s %6.0f %6.0f %6.0f %6.0f %6.0f %6.0f %6.0f %6.0f %5.0f %6.0f %4s %6.0f %6.0f %6.0f" % (
    k, dead, ms(silent - t0), float(claim.group(1)) if claim else nan,
    float(tko.group(1)) if tko and tko.re.pattern.startswith("took") else nan,
    phase.get("pool", nan), phase.get("maps", nan), mirrored, phase.get("controller", nan), phase.get("portals", nan),
    phase.get("management", nan), ms(tko_at - t0), ms(ports_at - t0), ms(first_ack - t0), ms(stall),
    ms(tf - t2), ms(rj_stall), (int(n1) - int(a0)) / (c1 - c0),
    (tko.group(2) if tko.re.pattern.startswith("took") else tko.group(1)) if tko else "?",
    ms(conn1 - t0), ms(served_at - t0), ms(conn2 - served_at)), flush=True)
EOF
printf "%4s %4s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %5s %6s %4s %6s %6s %6s\n" \
  kill dead detect claim tko pool maps mirror ctrl portal mgmt tko-at ports client stall rejoin rj-st w/s gen conn1 \
  served conn2
: >"$WORK/figures.txt"
: >"$WORK/drill-ms"
: >"$WORK/incidents"
BROKEN=""
for k in $(seq 1 "$KILLS"); do
  a0="$(acks)"; c0="$(now)"
  X="$(ensure_cell)" || { BROKEN="kill $k: no leader with a follower ($("$CELL" status "$DATA" | tr '\n' ';'))"; break; }
  Y="$(other "$X")"
  [ "$k" -gt 1 ] || wait_line "$Y" 'standby warm' 0 120 >/dev/null || echo "$(date -u +%T) kill 1: $Y not warm" >>"$WORK/incidents"
  wait_acks 50 30 || { BROKEN="client stopped writing before kill $k"; break; }
  t0="$(now)"
  "$CELL" drill kill "$X" "$DATA" >/dev/null
  t1="$(now)"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$WORK/drill-ms"
  # (a survivor that gives up its claim starts over and "leads the cell" instead: logged, measured all the same)
  if ! wait_line "$Y" 'took over as leader|leads the cell' "$t0" 180 >/dev/null; then
    jstack "$(cat "$DATA/nsc-$(echo "$Y" | tr AB ab).pid")" >"$WORK/stuck-$Y.jstack" 2>&1 || true
    BROKEN="kill $k: $Y did not lead within 180 s (its threads: \$WORK/stuck-$Y.jstack; evasan-cluster thread:
$(grep -A12 '"evasan-cluster"' "$WORK/stuck-$Y.jstack" | grep -E '^\s+at ' | head -12))"
    break
  fi
  gaveup="$(since "$Y" 'the lease stays with' "$t0")"
  [ -z "$gaveup" ] || echo "$(date -u +%T) kill $k: $Y gave up its claim ($(grep -a 'the lease stays with' "$WORK/events" \
    | tail -1 | cut -d' ' -f3-)), led again only after it" >>"$WORK/incidents"
  wait_acks 20 60 || { BROKEN="kill $k: client did not resume within 60 s after the takeover"; break; }
  t2="$(now)"
  "$CELL" drill start "$X" "$DATA" >/dev/null
  tf="$(wait_line "$X" 'follows proc-' "$t2" 120)" || { BROKEN="kill $k: restarted $X did not follow within 120 s"; break; }
  # a follower readies its JVM in the background once it follows (StandbyWarmup): the next kill finds it warm
  wait_line "$X" 'standby warm' "$t2" 120 >/dev/null || echo "$(date -u +%T) kill $k: $X not warm within 120 s" >>"$WORK/incidents"
  sleep "$GAP"   # the client keeps writing before the next kill
  n1="$(acks)"; c1="$(now)"
  python3 "$WORK/cycle.py" "$WORK/ack.log" "$WORK/events" "${TRACE_FILE:--}" "$LEADER" "$k" "$X" "$t0" "$t2" "$tf" "$a0" "$c0" \
    "$n1" "$c1" | tee -a "$WORK/figures.txt"
done

if [ -n "$BROKEN" ]; then
  echo "STOPPED EARLY: $BROKEN"
  for n in a b; do echo "--- nsc-$n.out (last 15 lines)"; tail -15 "$DATA/nsc-$n.out"; done
  echo "--- client log (last 5 lines)"; tail -5 "$WORK/ack.log"
fi

# ---- stop the client after its current write; read the LUN back through both controllers' first portals
stop_client
qemu-img convert -f raw -O raw "$URL_A" "$WORK/via-a.img"
qemu-img convert -f raw -O raw "$URL_B" "$WORK/via-b.img"
CMP_A="$(qemu-img compare -f raw -F raw "$WORK/model.img" "$URL_A" 2>&1 | tail -1)" || true
CMP_B="$(qemu-img compare -f raw -F raw "$WORK/model.img" "$URL_B" 2>&1 | tail -1)" || true
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores, shared)"
count() { grep -c "$1" "$WORK/events" || true; }
echo "claims after a silent leader: $(count 'is silent (.*claiming'), takeovers: $(count 'took over as leader')," \
  "claims given up: $(count 'the lease stays with') for $(wc -l <"$WORK/figures.txt") kills;" \
  "halts on a lost lease: $(count 'halting without writing'); leader saw its follower die: $(count 'its partner is down')"
if [ -s "$WORK/incidents" ]; then echo "incidents:"; sed 's/^/  /' "$WORK/incidents"; fi

PYTHONPATH="$ROOT/bench/scripts" python3 - "$WORK" "$SLOT" "$LUN_BYTES" "$KILLS" "$CMP_A" "$CMP_B" <<'EOF'
import statistics, sys
from acklog import Replay
work, slot, lun_bytes, kills, cmp_a, cmp_b = sys.argv[1:]
slot = int(slot); nslots = int(lun_bytes) // slot
log = Replay(f"{work}/ack.log", nslots)
lost_a, ghost_a = log.check(f"{work}/via-a.img", slot)
lost_b, ghost_b = log.check(f"{work}/via-b.img", slot)
fig = [l.split() for l in open(f"{work}/figures.txt")]
n = len(fig)
def col(i): return [float(r[i]) for r in fig if r[i] not in ("nan", "?", "unm", "anew")]
def mm(xs): return (statistics.median(xs), max(xs)) if xs else (float("nan"), float("nan"))
drill = [float(l) for l in open(f"{work}/drill-ms")]
print()
print(f"kills completed: {n} of {kills} (alternating {' '.join(r[1] for r in fig)}); writes acknowledged: "
      f"{log.acked} (64 KiB, QD1), reported failed: {log.fails}; qemu-io restarts: {log.restarts}")
print("%-58s %8s %8s" % ("", "median", "max"))
rows = [("detection (kill -> survivor's 'leader is silent')", 2),
        ("lease claimed (after seen dead, survivor's figure)", 3),
        ("took over (after seen dead, survivor's figure)", 4),
        ("  phase pool", 5), ("  phase maps", 6), ("  mirrored writes replayed", 7), ("  phase controller", 8),
        ("  phase portals", 9), ("  phase management", 10),
        ("kill -> 'took over as leader' line", 11),
        ("kill -> dead leader's addresses served by the survivor", 12),
        ("kill -> client's next acknowledged write (end of its stall)", 13),
        ("client stall at the kill (longest ack gap)", 14),
        ("restart -> 'follows' (rejoin)", 15),
        ("client stall at the rejoin (longest ack gap)", 16)]
for name, i in rows:
    unit = "" if i == 7 else " ms"
    print("%-58s %8.0f %8.0f%s" % (name, *mm(col(i)), unit))
unm = sum(1 for r in fig if r[7] == "unm")
if unm:
    print(f"  takeovers after a leader that ran unmirrored (its own logs replayed): {unm} of {n}")
anew = sum(1 for r in fig if r[7] == "anew")
if anew:
    print(f"  survivors that gave up their claim and started over (no takeover figures): {anew} of {n}")
print("%-58s %8.0f %8.0f ms" % ("kill -> the client's address served again", *mm(col(20))))
if col(19):
    print("%-58s %8.0f %8.0f ms" % ("initiator's first connect() after the kill", *mm(col(19))))
    print("%-58s %8.0f %8.0f ms" % ("  its first connect() after its address is served, after", *mm(col(21))))
print("%-58s %8.1f %8.1f ms" % ("(kill drill: deploy/cell.sh drill kill, start -> return)", *mm(drill)))
print(f"acknowledged writes lost: {lost_a} (read through A's first portal), {lost_b} (through B's); "
      f"slots never acknowledged but changed: {ghost_a}/{ghost_b}")
print(f"qemu-img compare model vs LUN: via A: {cmp_a}; via B: {cmp_b}")
goal = 1000.0
cli = mm(col(13))
print("ratio to the goal of 1 s (kill -> first I/O served, client-side): median %.2fx, max %.2fx of the goal"
      % (cli[0] / goal, cli[1] / goal))
print("(context: ONTAP documents takeover times of up to 15 s: max here = %.3f of that)" % (cli[1] / 15000))
ok = lost_a == 0 and lost_b == 0 and ghost_a == 0 and ghost_b == 0 and n == int(kills)
print("RESULT:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
