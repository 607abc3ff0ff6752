# Shared shell helpers of the benchmark scripts (benchmarks/*/run.sh, benchmarks/transparent/ceiling.sh);
# sourced, never run on its own.
#
# The sourcing script sets (before sourcing, or at least before calling what uses them):
#   BENCH_NAME      prefix of log lines
#   WORK            its work directory (named in the final log line)
#   BUSY_PATTERN    pgrep -f pattern of processes that make the machine not quiet (wait_quiet)
#   OTHERS_PATTERN  pgrep -f pattern of other heavy processes that disturb a measured point (others_busy)
#   OWN_WRK_SCRIPT  optional: a wrk running any other script counts as another heavy process too
#   QUIET_MAX_WAIT  seconds wait_quiet / wait_others wait at most
# and gets: GROUPS_STARTED (process groups the EXIT trap stops), WATCHER, STARTED_PID, LOAD_AT_START.

GROUPS_STARTED=()
WATCHER=""

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$BENCH_NAME" -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

stop_group() { # $1 = process-group id (the leader's pid); SIGTERM, then SIGKILL after 10 s
  local pg=$1 i
  kill -TERM -- "-$pg" 2>/dev/null || return 0
  for i in $(seq 100); do
    kill -0 -- "-$pg" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pg" 2>/dev/null || true
}

cleanup() {
  local pg
  [ -z "$WATCHER" ] || kill "$WATCHER" 2>/dev/null || true
  for pg in "${GROUPS_STARTED[@]}"; do stop_group "$pg"; done
  GROUPS_STARTED=()
  log "logs and raw output: $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_group() { # $1 = log file, rest = command; runs it in a new session/process group, sets STARTED_PID
  local out=$1; shift
  setsid "$@" >"$out" 2>&1 </dev/null &
  STARTED_PID=$!
  GROUPS_STARTED+=("$STARTED_PID")
}

stop_pid_group() { # stops one group we started and forgets it
  local pg=$1 kept=() g
  stop_group "$pg"
  for g in "${GROUPS_STARTED[@]}"; do [ "$g" = "$pg" ] || kept+=("$g"); done
  GROUPS_STARTED=("${kept[@]}")
}

free_port() { # a loopback port nobody listens on, below the kernel's ephemeral range (where outgoing
  # connections, e.g. wrk's or a proxy's, take their local ports: a listener there can fail with "address in use")
  local p lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$lo" -gt 12000 ] || die "the ephemeral port range starts at $lo: no room for our listeners below it"
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port"
}

wait_http() { # $1 = URL, $2 = pid; waits up to 90 s for anything listening
  local i
  for i in $(seq 900); do
    kill -0 "$2" 2>/dev/null || die "server for $1 exited; see logs in $WORK"
    if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.1
  done
  die "nothing answered at $1 within 90 s"
}

wait_quiet() { # $1 = label; waits (polling every 20 s) for load < 0.8 and no BUSY_PATTERN process; sets LOAD_AT_START
  local waited=0 load busy
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    busy=$(pgrep -f "$BUSY_PATTERN" | tr '\n' ' ' || true)
    if [ -z "$busy" ] && awk -v l="$load" 'BEGIN { exit !(l < 0.8) }'; then break; fi
    if [ "$waited" -ge "$QUIET_MAX_WAIT" ]; then
      log "WARNING: still busy after ${QUIET_MAX_WAIT}s (load $load, processes: ${busy:-none}); measuring anyway"
      break
    fi
    log "$1: waiting for a quiet machine (load $load, other processes: ${busy:-none})"
    sleep 20
    waited=$((waited + 20))
  done
  LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
  log "$1: load average at start $LOAD_AT_START"
}

others_busy() { # other heavy processes (tests, builds, other benchmarks), as "pid:name" words
  local p cmd wrks=""
  [ -z "${OWN_WRK_SCRIPT:-}" ] || wrks=$(pgrep -x wrk || true)
  for p in $(pgrep -f "$OTHERS_PATTERN" || true) $wrks; do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
    [ -n "$cmd" ] || continue
    [ -n "${OWN_WRK_SCRIPT:-}" ] && [[ "$cmd" == *"$OWN_WRK_SCRIPT"* ]] && continue
    printf '%s:%s ' "$p" "$(basename "${cmd%% *}")"
  done
}

wait_others() { # before a point: until no other heavy process runs (our own servers idle meanwhile)
  local waited=0 busy
  while busy=$(others_busy); [ -n "$busy" ]; do
    [ "$waited" -ge "$QUIET_MAX_WAIT" ] && { log "WARNING: others still running: $busy"; return 0; }
    log "  waiting: other processes run ($busy)"
    sleep 20
    waited=$((waited + 20))
  done
}

start_watch() { # $1 = file: records, every second, other heavy processes that run during a measurement
  : >"$1"
  ( while :; do b=$(others_busy); [ -z "$b" ] || echo "$b" >>"$1"; sleep 1; done ) &
  WATCHER=$!
}

stop_watch() { # returns 0 when the measurement ran undisturbed
  kill "$WATCHER" 2>/dev/null || true
  wait "$WATCHER" 2>/dev/null || true
  WATCHER=""
  [ ! -s "$1" ]
}

group_ticks() { # CPU time (clock ticks, user + system) of every process in process group $1; 0 for ""
  local p t=0
  [ -n "$1" ] || { echo 0; return; }
  for p in $(pgrep -g "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

CLK_TCK=$(getconf CLK_TCK)
us_per_request() { # $1 = CPU clock ticks used, $2 = requests, $3 = decimals (default 0): CPU microseconds per request
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" -v d="${3:-0}" 'BEGIN { fmt = "%." d "f"; printf fmt, t / hz * 1e6 / n }'
}

field() { # $1 = key, $2 = RESULT line
  printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1==k{print $2}'
}

install_load_tools() { # wrk, nginx-light, curl, setsid via apt-get (needs root) when missing; sets NGINX
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  command -v curl >/dev/null || need+=(curl)
  command -v setsid >/dev/null || need+=(util-linux)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    timeout 300 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${need[@]}"
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

build_jars() { # builds runner + benchmarks unless SKIP_BUILD=1, then copies both jars into $WORK
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building the runner and benchmarks jars"
    (cd "$ROOT" && timeout 900 mvn -B -q package -DskipTests -pl runner,benchmarks -am)
  fi
  [ -f "$ROOT/runner/target/mcp-proxy.jar" ] || die "runner/target/mcp-proxy.jar missing"
  [ -f "$ROOT/benchmarks/target/benchmarks.jar" ] || die "benchmarks/target/benchmarks.jar missing"
  # Private copies: a rebuild during the run must not swap a jar under a running JVM.
  cp "$ROOT/runner/target/mcp-proxy.jar" "$ROOT/benchmarks/target/benchmarks.jar" "$WORK/"
}

open_sessions() { # $1 = URL, $2 = count, $3 = file: MCP sessions opened with curl (initialize +
  # notifications/initialized), one Mcp-Session-Id per line
  local url=$1 n=$2 file=$3 i hdr sid code
  : >"$file"
  for i in $(seq "$n"); do
    hdr=$(curl -sS --max-time 10 -D - -o /dev/null -X POST "$url" \
      -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",
           "capabilities":{},"clientInfo":{"name":"wrk-bench","version":"1.0.0"}}}')
    sid=$(printf '%s\n' "$hdr" | tr -d '\r' | awk 'tolower($1)=="mcp-session-id:"{print $2}')
    [ -n "$sid" ] || die "initialize at $url returned no Mcp-Session-Id: $hdr"
    code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$url" \
      -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-06-18' \
      -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')
    [ "$code" = 202 ] || die "notifications/initialized at $url answered $code"
    echo "$sid" >>"$file"
  done
}
