#!/usr/bin/env bash
# The clustered cell: controllers A and B, each a process of its own on the clustered Vert.x event bus (Hazelcast
# on 127.0.0.1), over one data directory's sparse-file drives. The lease holder leads (pool, maps, both caches,
# management API); the other follows (holds the mirror of every cache, relays its own host ports to the leader)
# and takes over when the leader dies or hangs.
#
#   deploy/cell.sh [run] [launcher options]   start both, print their output, stop both on Ctrl-C / SIGTERM
#   deploy/cell.sh drill kill|stop|cont|start A|B [DATA_DIR]
#                                             SIGKILL / SIGSTOP / SIGCONT one controller process, or start it again
#   deploy/cell.sh drill partition SECONDS [DATA_DIR]
#                                             cut the event bus between the two for SECONDS (both keep the drives:
#                                             the quorum lease decides; DATA_DIR/cell/partition states the end)
#   deploy/cell.sh status [DATA_DIR]          which process runs and which one leads
#
# Options (run): those of ./appliance.sh; defaults here: --data-dir data-cell, --iscsi-port 3260 (portals
# 3260..3263: A's two, then B's two), --mgmt-port 8080, --cluster evasan-cell. Each process logs to
# DATA_DIR/nsc-a.out / nsc-b.out and writes its pid to DATA_DIR/nsc-a.pid / nsc-b.pid.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
JAR=deploy/target/evasan-appliance.jar
MAIN=()
need_main() {   # the launcher, built first when missing or older than the sources (run and drill start only)
  if [ -n "${EVASAN_APPLIANCE_CLASSPATH:-}" ]; then
    MAIN=(-cp "$EVASAN_APPLIANCE_CLASSPATH" io.evasan.deploy.Appliance)
    return
  fi
  if [ ! -f "$JAR" ] || [ -n "$(find . -path '*/src/main/*' -newer "$JAR" -print -quit)" ] \
     || [ -n "$(find . -name pom.xml -newer "$JAR" -print -quit)" ]; then
    echo "building the appliance (first run or sources changed)..." >&2
    mvn -q -B -ntp -pl deploy -am package -DskipTests
  fi
  MAIN=(-cp "$JAR" io.evasan.deploy.Appliance)
}

cmd=run
case "${1:-}" in
  run|drill|status) cmd=$1; shift ;;
esac

pidfile() { echo "$1/nsc-$(echo "$2" | tr 'AB' 'ab').pid"; }

role_of() {   # role_of DATA_DIR NSC: leader or follower, from the newest role line of its output
  local last
  last=$(grep -aoE "leads the cell|took over as leader|follows proc-" "$1/nsc-$(echo "$2" | tr 'AB' 'ab').out" 2>/dev/null \
         | tail -1 || true)
  case $last in
    follows*) echo follower ;;
    "") echo starting ;;
    *) echo leader ;;
  esac
}

start_one() {   # start_one NSC DATA_DIR args...
  local nsc=$1 data=$2; shift 2
  local out="$data/nsc-$(echo "$nsc" | tr 'AB' 'ab').out"
  java -Xmx2g "@$PWD/jvm.flags" "${MAIN[@]}" --nsc "$nsc" --data-dir "$data" "$@" >"$out" 2>&1 &
  echo $! >"$(pidfile "$data" "$nsc")"
  echo "evasan-cell: controller $nsc started (pid $!, output $out)"
}

case $cmd in
  status)
    data=${1:-data-cell}
    for n in A B; do
      f=$(pidfile "$data" $n)
      if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
        echo "controller $n: pid $(cat "$f"), $(role_of "$data" $n)"
      else
        echo "controller $n: not running"
      fi
    done
    ;;
  drill)
    what=${1:?kill, stop, cont, start or partition}
    if [ "$what" = partition ]; then
      secs=${2:?partition SECONDS}; data=${3:-data-cell}
      if ! [[ $secs =~ ^[0-9]+([.][0-9]+)?$ ]] || [ "$(awk -v s="$secs" 'BEGIN { print (s > 0 && s <= 3600) }')" != 1 ]; then
        echo "evasan-cell: drill partition: SECONDS is a number in (0, 3600], got $secs" >&2; exit 2
      fi
      if [ ! -d "$data/cell" ]; then
        echo "evasan-cell: drill partition: $data/cell missing (start the cell with deploy/cell.sh --data-dir $data first)" >&2
        exit 2
      fi
      now_ms=$(date +%s%3N)
      until_ms=$(awk -v n="$now_ms" -v s="$secs" 'BEGIN { printf "%.0f", n + s * 1000 }')
      echo "$until_ms" >"$data/cell/partition.tmp" && mv -f "$data/cell/partition.tmp" "$data/cell/partition"
      echo "evasan-cell: the bus between A and B is cut for $secs s (until $(date -d "@$((until_ms / 1000))" +%T))"
      exit 0
    fi
    nsc=${2:?A or B}; data=${3:-data-cell}
    case $nsc in A|B) ;; *) echo "evasan-cell: drill $what: the controller is A or B, got $nsc" >&2; exit 2 ;; esac
    f=$(pidfile "$data" "$nsc")
    if [ "$what" != start ] && ! { [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }; then
      echo "evasan-cell: drill $what: controller $nsc is not running (no live pid in $f)" >&2; exit 2
    fi
    if [ "$what" = start ] && [ ! -f "$data/cell-args" ]; then
      echo "evasan-cell: drill start: $data/cell-args missing (start the cell with deploy/cell.sh --data-dir $data first)" >&2
      exit 2
    fi
    case $what in
      kill) kill -KILL "$(cat "$f")"; echo "evasan-cell: SIGKILL to controller $nsc" ;;
      stop) kill -STOP "$(cat "$f")"; echo "evasan-cell: SIGSTOP to controller $nsc (resume: $0 drill cont $nsc)" ;;
      cont) kill -CONT "$(cat "$f")"; echo "evasan-cell: SIGCONT to controller $nsc" ;;
      start)
        need_main
        args_file="$data/cell-args"
        mapfile -t saved <"$args_file"
        start_one "$nsc" "$data" "${saved[@]}" ;;
      *) echo "evasan-cell: drill kill|stop|cont|start A|B [DATA_DIR], or drill partition SECONDS [DATA_DIR]" >&2
         exit 2 ;;
    esac
    ;;
  run)
    need_main
    data=data-cell; args=()
    have_cluster=no; have_port=no; have_mgmt=no
    while [ $# -gt 0 ]; do
      case $1 in
        --data-dir) data=$2; shift 2 ;;
        --data-dir=*) data=${1#*=}; shift ;;
        --cluster|--cluster=*) have_cluster=yes; args+=("$1"); shift ;;
        --iscsi-port|--iscsi-port=*) have_port=yes; args+=("$1"); shift ;;
        --mgmt-port|--mgmt-port=*) have_mgmt=yes; args+=("$1"); shift ;;
        *) args+=("$1"); shift ;;
      esac
    done
    [ $have_cluster = yes ] || args+=(--cluster evasan-cell)
    [ $have_port = yes ] || args+=(--iscsi-port 3260)
    [ $have_mgmt = yes ] || args+=(--mgmt-port 8080)
    mkdir -p "$data"
    printf '%s\n' "${args[@]}" >"$data/cell-args"
    stop_all() {
      trap - INT TERM
      # the follower first: the leader then drains and closes without handing over
      for n in B A; do
        f=$(pidfile "$data" $n)
        if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
          [ "$(role_of "$data" $n)" = follower ] || continue
          kill -CONT "$(cat "$f")" 2>/dev/null || true
          kill -TERM "$(cat "$f")" 2>/dev/null || true
          while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.2; done
        fi
      done
      for n in A B; do
        f=$(pidfile "$data" $n)
        if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
          kill -CONT "$(cat "$f")" 2>/dev/null || true
          kill -TERM "$(cat "$f")" 2>/dev/null || true
          while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.2; done
        fi
      done
      echo "evasan-cell: stopped"
      exit 0
    }
    trap stop_all INT TERM
    start_one A "$data" "${args[@]}"
    sleep 1   # A first: on a fresh data directory it creates the pool (either could; this keeps it predictable)
    start_one B "$data" "${args[@]}"
    tail -n +1 -F "$data/nsc-a.out" "$data/nsc-b.out" 2>/dev/null | grep --line-buffered "^evasan" &
    tailer=$!
    trap 'kill $tailer 2>/dev/null; stop_all' INT TERM
    while true; do sleep 1; done
    ;;
esac
