#!/usr/bin/env bash
# Forwarding between replicas (README "Running several replicas"; results in BENCHMARKS.md). Everything on
# 127.0.0.1: two Streamable HTTP replicas of the runner jar in front of EchoStdioServer, sharing one private
# redis-server (no persistence), forwarding on (--advertise-url, a cluster secret). Paths:
#
#   owner      1 connection straight to the replica that holds the session;
#   forwarded  1 connection straight to the other replica (every request forwarded to the owner): the forwarded
#              request's added p50 is forwarded minus owner;
#   one        nginx (worker_processes 1) to the first replica alone, sessions held there;
#   pair       nginx round robin over both replicas, sessions opened through the same round robin (every second
#              request forwarded); one and pair at 1 and CONNS_HIGH connections.
#
# With OLD_JAR set, a second pair runs from that jar (its own key prefix on the same Redis) and every path is
# measured for both builds, alternating, so that a shared machine's drift hits both alike (an interleaved A/B).
#
# Load: wrk with benchmarks/streamable/mcp.lua (tools/call echo, JSON answers), one MCP session per connection
# opened with curl before wrk starts. SERVER_WARMUP s of verified load per pair first (the JIT), then ROUNDS rounds
# of every path, SECS s each, the order reversed every other round. At the end, per path: median req/s, p50, p99,
# and CPU µs per request of the build's two replicas (their stdio servers included) and the shared Redis.
#
# Usage:   bash benchmarks/replicas/run.sh              (the jars of this checkout, built here)
#          OLD_JAR=/path/old/mcp-proxy.jar bash benchmarks/replicas/run.sh
# Knobs:   ROUNDS=3 SECS=8 SERVER_WARMUP=10 CONNS_HIGH=64 QUIET_MAX_WAIT=900 SKIP_BUILD=1 (use the jars already built)
# Needs:   Java 17, redis-server, wrk, nginx-light, curl (the last three installed with apt-get when missing).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}
SERVER_WARMUP=${SERVER_WARMUP:-10}
CONNS_HIGH=${CONNS_HIGH:-64}
QUIET_MAX_WAIT=${QUIET_MAX_WAIT:-900}
BUSY_PATTERN='wrk |mcp-streamable-bench|mcp-transparent-bench|mcp-ab-bench|surefire|failsafe|ci-fresh|plexus-classworlds'
OTHERS_PATTERN=$BUSY_PATTERN
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/mcp-replicas-bench.XXXXXX)
BENCH_NAME=replicas
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh"
install_load_tools
command -v redis-server >/dev/null || die "redis-server is needed"
build_jars
mv "$WORK/mcp-proxy.jar" "$WORK/new.jar"
BUILDS=(new)
if [ -n "${OLD_JAR:-}" ]; then
  cp "$OLD_JAR" "$WORK/old.jar"
  BUILDS=(new old)
fi
ECHO_CMD=(java -XX:+UseSerialGC -Xmx128m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.EchoStdioServer)

REDIS_PORT=$(free_port)
start_group "$WORK/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
  --dir "$WORK"
REDIS_PG=$STARTED_PID
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export MCP_PROXY_CLUSTER_SECRET="a benchmark secret shared by the replicas"
declare -A URL PORT PG
for build in "${BUILDS[@]}"; do
  for replica in a b; do
    port=$(free_port)
    start_group "$WORK/$build-$replica.log" java -jar "$WORK/$build.jar" streamable --port "$port" \
      --redis-url "redis://127.0.0.1:$REDIS_PORT" --redis-key-prefix "bench:$build:" \
      --replica-id "$build-$replica" --advertise-url "http://127.0.0.1:$port" -- "${ECHO_CMD[@]}"
    PORT[$build-$replica]=$port
    PG[$build-$replica]=$STARTED_PID
    wait_http "http://127.0.0.1:$port/mcp" "$STARTED_PID"
  done
done

mkdir -p "$WORK/nginx/tmp"
servers=""
for build in "${BUILDS[@]}"; do
  PORT[$build-one]=$(free_port)
  PORT[$build-pair]=$(free_port)
  a=${PORT[$build-a]} b=${PORT[$build-b]}
  servers+="
  upstream $build-one { server 127.0.0.1:$a; keepalive 128; }
  upstream $build-pair { server 127.0.0.1:$a; server 127.0.0.1:$b; keepalive 128; }
  server { listen 127.0.0.1:${PORT[$build-one]}; location / { proxy_pass http://$build-one; include common.conf; } }
  server { listen 127.0.0.1:${PORT[$build-pair]}; location / { proxy_pass http://$build-pair; include common.conf; } }"
done
cat >"$WORK/nginx/common.conf" <<'CONF'
proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host 127.0.0.1; proxy_buffering off;
CONF
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  $servers
}
CONF
start_group "$WORK/nginx.log" "$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf"
NGINX_PG=$STARTED_PID

# Per build: sessions held by replica a (owner, forwarded, one) and sessions opened through the round robin (pair)
for build in "${BUILDS[@]}"; do
  URL[$build-owner]=http://127.0.0.1:${PORT[$build-a]}/mcp
  URL[$build-forwarded]=http://127.0.0.1:${PORT[$build-b]}/mcp
  URL[$build-one]=http://127.0.0.1:${PORT[$build-one]}/mcp
  URL[$build-pair]=http://127.0.0.1:${PORT[$build-pair]}/mcp
  wait_http "${URL[$build-pair]}" "$NGINX_PG"
  open_sessions "${URL[$build-owner]}" "$CONNS_HIGH" "$WORK/sessions-$build-a.txt"
  open_sessions "${URL[$build-pair]}" "$CONNS_HIGH" "$WORK/sessions-$build-pair.txt"
done

measure() { # $1 = build, $2 = path, $3 = connections, $4 = seconds, $5 = out file, $6 = verify (1 or 0)
  local build=$1 path=$2 conns=$3 threads=1 sessions=$WORK/sessions-$1-a.txt
  [ "$conns" -gt 1 ] && threads=2
  [ "$path" = pair ] && sessions=$WORK/sessions-$build-pair.txt
  head -n "$conns" "$sessions" >"$5.sessions"
  WRK_VERIFY=$6 timeout $(($4 + 60)) wrk -t"$threads" -c"$conns" -d"${4}s" --timeout 5s --latency \
    -s "$ROOT/benchmarks/streamable/mcp.lua" "${URL[$build-$path]}" -- "$5.sessions" "$threads" json "$RANDOM" \
    >"$5" 2>&1 || die "wrk failed: $(cat "$5")"
  if [ "$6" = 1 ]; then
    [ "$(field bad "$(grep -m1 '^VERIFY' "$5" || echo 'bad=?')")" = 0 ] || die "$build $path: bad answers: $(cat "$5")"
  fi
}

POINTS=("owner 1" "forwarded 1" "one 1" "pair 1" "one $CONNS_HIGH" "pair $CONNS_HIGH")
wait_quiet "replicas"
for build in "${BUILDS[@]}"; do
  log "warm-up of $build: ${SERVER_WARMUP}s through the round robin and ${WARMUP:-3}s per path (not measured)"
  measure "$build" pair "$CONNS_HIGH" "$SERVER_WARMUP" "$WORK/warmup-$build.txt" 1
  for point in "${POINTS[@]}"; do
    read -r path conns <<<"$point"
    measure "$build" "$path" "$conns" "${WARMUP:-3}" "$WORK/warmup-$build-$path-$conns.txt" 1
  done
done

ticks() { # CPU clock ticks so far of build $1's two replicas (stdio servers included) and of the shared Redis
  echo $(($(group_ticks "${PG[$1-a]}") + $(group_ticks "${PG[$1-b]}") + $(group_ticks "$REDIS_PG")))
}

ROWS=() # "build path conns rps p50 p99 cpu"
for round in $(seq "$ROUNDS"); do
  order=("${BUILDS[@]}")
  if [ $((round % 2)) = 0 ] && [ ${#BUILDS[@]} = 2 ]; then order=(old new); fi
  for point in "${POINTS[@]}"; do
    read -r path conns <<<"$point"
    wait_others
    for build in "${order[@]}"; do
      out=$WORK/round-$round-$build-$path-$conns.txt
      t0=$(ticks "$build")
      measure "$build" "$path" "$conns" "$SECS" "$out" 0
      t1=$(ticks "$build")
      line=$(grep -m1 '^RESULT' "$out") || die "no RESULT in $out"
      cpu=$(us_per_request $((t1 - t0)) "$(field requests "$line")" 1)
      [ "$(field errors "$line")" = 0 ] || die "$build $path c=$conns: wrk errors: $line"
      log "round $round $build $path c=$conns: $line cpu_us=$cpu"
      ROWS+=("$build $path $conns $(field rps "$line") $(field p50_ms "$line") $(field p99_ms "$line") $cpu")
    done
  done
done

echo
echo "### Forwarding between replicas, $(date -u +%Y-%m-%d\ %H:%M) UTC: $ROUNDS rounds of ${SECS}s per path"
echo
echo "Builds: new = this checkout${OLD_JAR:+; old = $OLD_JAR}. Machine: $(nproc) cores," \
  "$(java -version 2>&1 | head -1); load average at start $LOAD_AT_START."
echo
echo "| build | path | connections | median req/s | median p50 ms | median p99 ms | median CPU µs per request |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for point in "${POINTS[@]}"; do
  read -r path conns <<<"$point"
  for build in "${BUILDS[@]}"; do
    col() { printf '%s\n' "${ROWS[@]}" | awk -v b="$build" -v p="$path" -v c="$conns" -v f="$1" \
      '$1 == b && $2 == p && $3 == c { print $f }' | median; }
    printf '| %s | %s | %s | %.0f | %.3f | %.3f | %.1f |\n' "$build" "$path" "$conns" "$(col 4)" "$(col 5)" "$(col 6)" \
      "$(col 7)"
  done
done
