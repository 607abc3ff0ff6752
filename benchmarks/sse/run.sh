#!/usr/bin/env bash
# Legacy HTTP+SSE proxy benchmark (GitHub issue "Legacy HTTP+SSE transport", section "Benchmark"; results in
# BENCHMARKS.md). One run on one machine, everything on 127.0.0.1, the proxy always in its own JVM
# (runner/target/mcp-proxy.jar sse) in front of the stdio EchoStdioServer (shared backend mode, the default):
#
#   (1) throughput and latency at 1 and 64 concurrent clients: io.mcpproxy.benchmarks.SseLoad (raw sockets, one
#       thread per client). Each client has its own SSE stream and session, opened and initialized before the
#       clock starts, then loops: POST tools/call echo (202), wait for the answer event on its stream. WARMUP s of
#       unmeasured load, then DURATION s measured: req/s, p50, p99. Before the first point the proxy gets
#       SERVER_WARMUP s of unmeasured load at the largest client count (JIT).
#   (2) memory per idle connected SSE client: a FRESH proxy JVM (-Xmx$PROXY_HEAP). A separate Python process
#       (benchmarks/sse/idle_clients.py) opens IDLE streams (GET /sse, reads the endpoint event, then stays
#       connected reading keep-alive comments). Heap after a full GC (jcmd GC.class_histogram total = live bytes;
#       jcmd GC.heap_info "used" right after that GC) and RSS (ps) of the proxy JVM before connecting (after a
#       warm-up round of WARM_IDLE streams that connect and go) and with all IDLE connected (after SETTLE s, which
#       covers one 15 s keep-alive round); the difference / IDLE = bytes per connection. Verified by the clients
#       (IDLE endpoint events with IDLE distinct session ids) and by `ss` (ESTABLISHED sockets on the proxy port).
#
# Before each phase the script waits (polling every 20 s, at most QUIET_MAX_WAIT s) until the 1-minute load
# average is below 0.8 and no other benchmark/test/build process (wrk, surefire, failsafe, maven, ...) runs; it
# prints the load average each phase started at. During every measured load point a watcher looks for such
# processes each second; a disturbed point is redone (up to 3 attempts) and the table says whether the kept one was
# disturbed. At the end it prints Markdown tables.
#
# Usage (from anywhere):   bash benchmarks/sse/run.sh
# Environment knobs:       DURATION=10 WARMUP=3 SERVER_WARMUP=20 CONNS="1 64" IDLE=10000 WARM_IDLE=1000
#                          SETTLE=20 PROXY_HEAP=1g QUIET_MAX_WAIT=900 SKIP_BUILD=1 (use the jars already built)
#                          PHASES="load memory" (either or both)
#                          PROXY_JAVA_OPTS="..." (extra JVM options for the proxy, e.g. JFR)
# Needs:                   Java 17 (java, jcmd), Maven, Python 3.8+, ss (iproute2), curl; hard fd limit >= IDLE+100.
# Every process it starts runs in its own process group and is stopped by the EXIT trap; every step is bounded.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
SERVER_WARMUP=${SERVER_WARMUP:-20}
CONNS=${CONNS:-"1 64"}
IDLE=${IDLE:-10000}
WARM_IDLE=${WARM_IDLE:-1000}
SETTLE=${SETTLE:-20}
PROXY_HEAP=${PROXY_HEAP:-1g}
QUIET_MAX_WAIT=${QUIET_MAX_WAIT:-900}
PHASES=${PHASES:-"load memory"}
BUSY_PATTERN='wrk |mcp-streamable-bench|surefire|failsafe|ci-fresh|plexus-classworlds'
OTHERS_PATTERN='wrk |mcp-streamable-bench|mcp-transparent-bench|surefire|failsafe|ci-fresh|plexus-classworlds'
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benchmarks/sse
WORK=$(mktemp -d /tmp/mcp-sse-bench.XXXXXX)
LOAD_RESULTS=()
MEMORY_TABLE=""
PHASE_LOADS=""

BENCH_NAME=sse-bench
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh" # log, die, process groups (stopped on exit), quiet/disturbance checks, field

wait_phase() { # $1 = phase: wait_quiet, recording the phase's load average for the report
  wait_quiet "$1"
  PHASE_LOAD=$LOAD_AT_START
  PHASE_LOADS="$PHASE_LOADS $1: $PHASE_LOAD;"
}

established() { # ESTABLISHED TCP connections whose local port is $1
  ss -Htn state established "( sport = :$1 )" | wc -l
}

# ---------------------------------------------------------------------------------------------------- checks/build
for tool in java jcmd python3 ss curl setsid; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done
HARD_FDS=$(ulimit -Hn)
[ "$HARD_FDS" = unlimited ] || [ "$HARD_FDS" -ge $((IDLE + 100)) ] || die "hard fd limit $HARD_FDS < IDLE+100"
[ "$HARD_FDS" = unlimited ] || ulimit -n "$HARD_FDS" # the proxy JVM raises its own soft limit to the hard one anyway; Python does too
build_jars
JAR_LIST=$(unzip -Z1 "$WORK/benchmarks.jar")
grep -qx 'io/mcpproxy/benchmarks/SseLoad.class' <<<"$JAR_LIST" || die "SseLoad missing from benchmarks.jar"
if grep -qx 'io/mcpproxy/benchmarks/EchoStdioServer.class' <<<"$JAR_LIST"; then
  BACKEND_CMD=(java -XX:+UseSerialGC -Xmx128m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.EchoStdioServer)
  BACKEND_NAME=EchoStdioServer
else
  BACKEND_CMD=(java -jar "$WORK/mcp-proxy.jar" example-server)
  BACKEND_NAME="mcp-proxy example-server"
fi
LOADGEN=(java -XX:+UseSerialGC -Xmx512m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.SseLoad)
log "work dir $WORK; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

start_proxy() { # $1 = log name, rest = extra JVM options; sets PROXY_PID, PROXY_PORT, PROXY_URL
  local name=$1; shift
  start_group "$WORK/$name.log" java -Xmx"$PROXY_HEAP" "$@" ${PROXY_JAVA_OPTS:-} -jar "$WORK/mcp-proxy.jar" \
    sse --port 0 -- "${BACKEND_CMD[@]}"
  PROXY_PID=$STARTED_PID
  PROXY_URL=""
  for _ in $(seq 600); do
    PROXY_URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*/sse' "$WORK/$name.log" || true)
    [ -n "$PROXY_URL" ] && break
    kill -0 "$PROXY_PID" 2>/dev/null || die "the proxy exited: $(cat "$WORK/$name.log")"
    sleep 0.1
  done
  [ -n "$PROXY_URL" ] || die "the proxy printed no URL within 60 s"
  PROXY_PORT=$(printf '%s' "$PROXY_URL" | sed -E 's#.*:([0-9]+)/sse#\1#')
  grep -q -- '-jar' <<<"$(tr '\0' ' ' <"/proc/$PROXY_PID/cmdline")" || die "pid $PROXY_PID is not the proxy JVM"
  log "proxy ($name) at $PROXY_URL, pid $PROXY_PID, backend $BACKEND_NAME"
}

# ---------------------------------------------------------------------------------------------------- (1) load
if [[ " $PHASES " == *" load "* ]]; then
  wait_phase "load"
  LOAD_PHASE_LOAD=$PHASE_LOAD
  start_proxy proxy-load
  MAX_CONNS=0
  for c in $CONNS; do [ "$c" -gt "$MAX_CONNS" ] && MAX_CONNS=$c; done
  if [ "$SERVER_WARMUP" -gt 0 ]; then
    log "server warm-up: $MAX_CONNS clients, ${SERVER_WARMUP}s (not measured)"
    timeout $((SERVER_WARMUP + 120)) "${LOADGEN[@]}" "$PROXY_URL" "$MAX_CONNS" "$SERVER_WARMUP" 1 \
      >"$WORK/server-warmup.txt" 2>&1 || die "server warm-up failed: $(cat "$WORK/server-warmup.txt")"
  fi
  for c in $CONNS; do
    out="$WORK/sseload-$c.txt"
    disturbed=yes
    for attempt in 1 2 3; do
      wait_others
      log "$c client(s): warm-up ${WARMUP}s, measuring ${DURATION}s"
      start_watch "$out.others"
      timeout $((WARMUP + DURATION + 180)) "${LOADGEN[@]}" "$PROXY_URL" "$c" "$WARMUP" "$DURATION" >"$out" 2>&1 \
        || die "SseLoad failed: $(cat "$out")"
      line=$(grep -m1 '^RESULT' "$out") || die "no RESULT in $out"
      log "  $line"
      if stop_watch "$out.others"; then disturbed=no; break; fi
      log "  disturbed by $(tr ' ' '\n' <"$out.others" | sort -u | xargs); attempt $attempt of 3"
    done
    LOAD_RESULTS+=("$line disturbed=$disturbed")
  done
  stop_pid_group "$PROXY_PID"
fi

# ---------------------------------------------------------------------------------------------------- (2) memory
heap_numbers() { # prints "live_bytes heap_used_kib rss_kib" of the proxy JVM after a full GC
  local hist used rss
  jcmd "$PROXY_PID" GC.class_histogram >"$WORK/histogram-$1.txt" 2>&1 || die "jcmd failed: $(head -3 "$WORK/histogram-$1.txt")"
  hist=$(awk '$1=="Total"{print $3}' "$WORK/histogram-$1.txt")
  jcmd "$PROXY_PID" GC.heap_info >"$WORK/heap-info-$1.txt" 2>&1
  used=$(grep -m1 -o 'used [0-9]*K' "$WORK/heap-info-$1.txt" | tr -dc 0-9)
  rss=$(ps -o rss= -p "$PROXY_PID" | tr -d ' ')
  [ -n "$hist" ] && [ -n "$used" ] && [ -n "$rss" ] || die "could not read heap/RSS numbers ($1)"
  echo "$hist $used $rss"
}

wait_sessions_gone() { # until the proxy holds no SseSession (a stream whose client left unnoticed ends at its next
  local n                # keep-alive write, up to 15 s later), at most 90 s
  for _ in $(seq 18); do
    sleep 5
    n=$(jcmd "$PROXY_PID" GC.class_histogram | awk '$4=="io.mcpproxy.sse.SseSession"{n=$2} END{print n+0}')
    [ "$n" = 0 ] && return 0
  done
  log "WARNING: the proxy still holds $n SseSession objects after 90 s"
}

sessions_held() { # SseSession instances in the proxy's last class histogram $1 (= sessions the proxy holds)
  awk '$4=="io.mcpproxy.sse.SseSession"{n=$2} END{print n+0}' "$WORK/histogram-$1.txt"
}

if [[ " $PHASES " == *" memory "* ]]; then
  wait_phase "memory"
  MEMORY_PHASE_LOAD=$PHASE_LOAD
  start_proxy proxy-memory
  # Warm-up round: classes loaded, pools and session machinery exercised, then everything disconnects.
  log "warm-up round: $WARM_IDLE idle streams connect, then go"
  timeout 300 python3 "$HERE/idle_clients.py" --port "$PROXY_PORT" --count "$WARM_IDLE" --hold 3 \
    >"$WORK/idle-warmup.txt" 2>&1 || die "idle warm-up failed: $(cat "$WORK/idle-warmup.txt")"
  wait_sessions_gone
  read -r B_LIVE B_USED B_RSS <<<"$(heap_numbers before)"
  B_CONN=$(established "$PROXY_PORT")
  log "before: live heap $B_LIVE B, heap used ${B_USED} KiB, RSS ${B_RSS} KiB, $B_CONN connections"

  log "opening $IDLE idle SSE streams from a separate Python process"
  start_group "$WORK/idle-clients.txt" python3 "$HERE/idle_clients.py" --port "$PROXY_PORT" --count "$IDLE" \
    --ready-file "$WORK/idle-ready.txt" --hold 1800
  IDLE_PID=$STARTED_PID
  for _ in $(seq 600); do
    [ -s "$WORK/idle-ready.txt" ] && break
    kill -0 "$IDLE_PID" 2>/dev/null || die "idle_clients.py exited: $(tail -5 "$WORK/idle-clients.txt")"
    sleep 0.5
  done
  [ -s "$WORK/idle-ready.txt" ] || die "idle clients not connected within 300 s: $(tail -3 "$WORK/idle-clients.txt")"
  READY=$(cat "$WORK/idle-ready.txt")
  log "  $READY"
  [ "$(field n "$READY")" = "$IDLE" ] && [ "$(field unique_sessions "$READY")" = "$IDLE" ] \
    || die "not all $IDLE streams got their own session: $READY"
  log "settling ${SETTLE}s (one keep-alive round)"
  sleep "$SETTLE"
  A_CONN=$(established "$PROXY_PORT")
  read -r A_LIVE A_USED A_RSS <<<"$(heap_numbers after)"
  A_CONN2=$(established "$PROXY_PORT")
  log "with $IDLE: live heap $A_LIVE B, heap used ${A_USED} KiB, RSS ${A_RSS} KiB, $A_CONN / $A_CONN2 connections"
  stop_pid_group "$IDLE_PID"
  FINAL=$(grep -m1 '^FINAL' "$WORK/idle-clients.txt" || echo "FINAL missing")
  log "  idle clients at stop: $FINAL"
  wait_sessions_gone
  read -r C_LIVE C_USED C_RSS <<<"$(heap_numbers gone)"
  log "after they left: live heap $C_LIVE B, heap used ${C_USED} KiB, RSS ${C_RSS} KiB," \
    "$(established "$PROXY_PORT") connections"
  # The classes whose live bytes grew most, per connection.
  awk -v n="$IDLE" '
    FNR==NR && $1 ~ /^[0-9]+:$/ { bytes[$4] = $3; count[$4] = $2; next }
    $1 ~ /^[0-9]+:$/ { d = $3 - bytes[$4]; if (d > 0) printf "%d %.1f %.2f %s\n", d, d / n, ($2 - count[$4]) / n, $4 }
  ' "$WORK/histogram-before.txt" "$WORK/histogram-after.txt" | sort -rn | sed -n '1,15p' >"$WORK/histogram-growth.txt"
  MEMORY_TABLE=$(awk -v n="$IDLE" -v bl="$B_LIVE" -v al="$A_LIVE" -v bu="$B_USED" -v au="$A_USED" \
    -v br="$B_RSS" -v ar="$A_RSS" -v cl="$C_LIVE" -v cr="$C_RSS" -v bc="$B_CONN" -v ac="$A_CONN" \
    -v bs="$(sessions_held before)" -v as="$(sessions_held after)" -v cs="$(sessions_held gone)" 'BEGIN {
      printf "| measure | before (0 streams) | with %d idle streams | delta per stream | after they left |\n", n
      printf "| --- | ---: | ---: | ---: | ---: |\n"
      printf "| ESTABLISHED sockets on the proxy port (ss) | %d | %d | | |\n", bc, ac
      printf "| SseSession objects in the proxy heap (class histogram) | %d | %d | | %d |\n", bs, as, cs
      printf "| live heap after full GC (class histogram total) | %.1f MiB | %.1f MiB | %.0f B = %.2f KiB | %.1f MiB |\n",
        bl / 1048576, al / 1048576, (al - bl) / n, (al - bl) / n / 1024, cl / 1048576
      printf "| heap used after that GC (GC.heap_info) | %.1f MiB | %.1f MiB | %.0f B = %.2f KiB | |\n",
        bu / 1024, au / 1024, (au - bu) * 1024 / n, (au - bu) / n
      printf "| RSS of the proxy JVM | %.1f MiB | %.1f MiB | %.0f B = %.2f KiB | %.1f MiB |\n",
        br / 1024, ar / 1024, (ar - br) * 1024 / n, (ar - br) / n, cr / 1024
    }')
  stop_pid_group "$PROXY_PID"
fi

# ---------------------------------------------------------------------------------------------------- tables
MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by the load generator and the servers; $(java -version 2>&1 | sed -n 1p); Python $(python3 -c 'import platform; print(platform.python_version())'); backend $BACKEND_NAME"
echo
echo "### Legacy HTTP+SSE benchmark, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $MACHINE. Load average (1/5/15 min) at the start of each phase:$PHASE_LOADS"
if [ ${#LOAD_RESULTS[@]} -gt 0 ]; then
  echo
  echo "Throughput/latency: SseLoad, ${DURATION}s measured after ${WARMUP}s warm-up per point (proxy: ${SERVER_WARMUP}s unmeasured load first), proxy -Xmx$PROXY_HEAP ${PROXY_JAVA_OPTS:-}"
  echo
  echo "| clients | req/s | p50 ms | p99 ms | max ms | errors | others ran during it |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for r in "${LOAD_RESULTS[@]}"; do
    printf '| %s | %.0f | %.3f | %.3f | %.3f | %s | %s |\n' "$(field clients "$r")" "$(field rps "$r")" \
      "$(field p50_ms "$r")" "$(field p99_ms "$r")" "$(field max_ms "$r")" "$(field errors "$r")" \
      "$(field disturbed "$r")"
  done
fi
if [ -n "$MEMORY_TABLE" ]; then
  echo
  echo "Memory: $IDLE idle streams from idle_clients.py ($READY; at stop: $FINAL), proxy -Xmx$PROXY_HEAP ${PROXY_JAVA_OPTS:-}"
  echo
  printf '%s\n' "$MEMORY_TABLE"
  echo
  echo "Largest live-heap growth by class (bytes per stream, instances per stream, class):"
  echo
  echo '```'
  awk '{ printf "%10s B  %6s  %s\n", $2, $3, $4 }' "$WORK/histogram-growth.txt"
  echo '```'
  awk -v n="$IDLE" -v bl="$B_LIVE" -v al="$A_LIVE" -v br="$B_RSS" -v ar="$A_RSS" 'BEGIN {
    h = (al - bl) / n / 1024; r = (ar - br) / n
    printf "\nTarget: under 64 KiB per idle connection. Live heap: %.2f KiB (%s); RSS: %.2f KiB (%s).\n",
      h, h < 64 ? "met" : "missed", r, r < 64 ? "met" : "missed" }'
fi
