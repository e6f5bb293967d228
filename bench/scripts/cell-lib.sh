# Shared by the cell benchmarks (failover.sh, cluster-failover.sh, mirror-cost.sh): sourced once ROOT (the
# repository) is set; the functions use WORK (the run's temp dir, holding appliance.log and incidents) when called;
# start_appliance sets TOKEN, API and the portals.

failover_options() { # the failover benchmarks' options: sets KILLS, GAP, HB_MS, LUN_MIB, TRACE, KEEP
  KILLS=20
  HB_MS=""
  LUN_MIB=64
  KEEP=0
  TRACE=1
  GAP=4
  while [ $# -gt 0 ]; do
    case "$1" in
      --kills) KILLS="$2"; shift ;;
      --heartbeat-timeout-ms) HB_MS="$2"; shift ;;
      --lun-mib) LUN_MIB="$2"; shift ;;
      --keep) KEEP=1 ;;
      --no-trace) TRACE=0 ;;
      --gap) GAP="$2"; shift ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
  done
}

start_appliance() { # ARGS...: runs ./appliance.sh in the background (APP_PID, log in $WORK/appliance.log), waits for it,
                   # and reads IQN, PORTAL_A, PORTAL_B, API, TOKEN, METRICS from its start-up text
  "$ROOT/appliance.sh" "$@" >"$WORK/appliance.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 600); do grep -q "evasan: running" "$WORK/appliance.log" 2>/dev/null && break; sleep 0.2; done
  grep -q "evasan: running" "$WORK/appliance.log" || { echo "appliance did not start:" >&2; tail -20 "$WORK/appliance.log" >&2; exit 1; }
  IQN="$(sed -n 's/^iSCSI target \([^,]*\), portals.*/\1/p' "$WORK/appliance.log" | head -1)"
  PORTAL_A="$(sed -n 's/^ *\(127\.0\.0\.1:[0-9]*\),[0-9]* (NSC A).*/\1/p' "$WORK/appliance.log" | head -1)"
  PORTAL_B="$(sed -n 's/^ *\(127\.0\.0\.1:[0-9]*\),[0-9]* (NSC B).*/\1/p' "$WORK/appliance.log" | head -1)"
  API="$(sed -n 's/.*management API \(http[^ ]*\/api\) .*/\1/p' "$WORK/appliance.log" | head -1)"
  TOKEN="$(sed -n 's/.*management API token[^:]*: \([^ ]*\).*/\1/p' "$WORK/appliance.log" | head -1)"
  for v in IQN PORTAL_A PORTAL_B API TOKEN; do
    [ -n "${!v}" ] || { echo "cannot read $v from the appliance's start-up text:" >&2; cat "$WORK/appliance.log" >&2; exit 1; }
  done
  METRICS="${API%/api}/metrics"
}

# api METHOD PATH [BODY]: prints the answer; fails (with the answer on stderr) unless 2xx
api() {
  local out code
  out="$(curl -sS -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
           ${3:+-d "$3"} -w '\n%{http_code}' "$API$2")" || { echo "curl $1 $2 failed" >&2; return 1; }
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  if [ "${code:0:1}" != 2 ]; then echo "$1 $2 -> $code $out" >&2; return 1; fi
  printf '%s\n' "$out"
}
# The pair must be up before a drill: a controller its partner took over without a drill (a heartbeat
# timeout on a loaded machine, also seen at start-up) is restarted through the API and logged in
# $WORK/incidents (printed at the end). RESYNCHRONIZING is waited for.
ensure_pair() {
  local s id
  for _ in $(seq 1 100); do
    s="$(api GET /controllers | jq -r '[.[] | "\(.id):\(.state)"] | join(" ")')"
    [ "$s" = "A:ONLINE B:ONLINE" ] && return 0
    if echo "$s" | grep -Eq 'FAILED|HUNG'; then
      echo "$(date -u +%T) controllers $s without a drill: restarting the failed one" >>"$WORK/incidents"
      for id in A B; do
        if echo "$s" | grep -Eq "$id:(FAILED|HUNG)"; then api POST /controllers/$id/restart '{}' >/dev/null || true; fi
      done
    fi
    sleep 0.1
  done
  echo "controllers did not come back online: $s" >&2
  return 1
}
unplanned_takeovers() { # takeovers in the appliance log not caused by this script's drills on B
  local ab ba drills
  ba="$(grep -c 'nsc-b takes over nsc-a' "$WORK/appliance.log" || true)"
  ab="$(grep -c 'nsc-a takes over nsc-b' "$WORK/appliance.log" || true)"
  drills="$(api GET /drills | jq 'length')"
  echo $(( ba + ab - drills ))
}

# ---- the single-path QD1 client (bench/scripts/qd1_client.py); its log is $WORK/ack.log, its model $WORK/model.img
now() { date +%s.%N; }
start_client() { # URL LUN_BYTES SLOT_BYTES: starts the client in the background (CLIENT_PID); CONNECT_TRACE honoured
  python3 "$ROOT/bench/scripts/qd1_client.py" "$1" "$2" "$3" "$WORK/ack.log" "$WORK/model.img" "$WORK/stop" \
    2>"$WORK/client.err" &
  CLIENT_PID=$!
}
acks() { local n; n="$(grep -c '^ACK' "$WORK/ack.log" 2>/dev/null)" || true; echo "${n:-0}"; }
# (printf, not print: awk prints a fraction with OFMT %.6g, i.e. an epoch time rounded to 10^4 s)
last_ack_time() { awk '$1 == "ACK" { t = $2 } END { printf "%.6f\n", t + 0 }' "$WORK/ack.log"; }
wait_acks() { # N TIMEOUT_S: until N more acks than now; fails on timeout
  local want=$(( $(acks) + $1 )) deadline
  deadline=$(( $(date +%s) + $2 ))
  while [ "$(acks)" -lt "$want" ]; do
    kill -0 "$CLIENT_PID" 2>/dev/null || { echo "client ended: $(tail -3 "$WORK/ack.log") $(cat "$WORK/client.err")" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
stop_client() { # after its current write; waits for its END line
  touch "$WORK/stop"
  for _ in $(seq 1 300); do grep -q '^END' "$WORK/ack.log" && break; sleep 0.1; done
  grep -q '^END' "$WORK/ack.log" || echo "client did not end cleanly: $(tail -2 "$WORK/ack.log")"
  wait "$CLIENT_PID" 2>/dev/null || true
  CLIENT_PID=""
}
