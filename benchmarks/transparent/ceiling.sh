#!/usr/bin/env bash
# Where the ceiling is for the transparent proxy's throughput target (GitHub issue "Transparent proxy": at 64
# connections at least 80% of nginx as a reverse proxy; results in BENCHMARKS.md, "Where the ceiling is").
# run.sh measures each path once, one after the other; on a noisy shared VM that makes ratios between paths
# shaky. This script compares them side by side instead: every server runs at once, and each round loads each of
# them in turn for SECS seconds, the starting point rotating from round to round and the order reversed every
# other round, so that no path always follows the same one. Per round it records req/s, the server's CPU time per
# request (from /proc) and the ratio to nginx as proxy of that same round; it prints the median of each over the
# rounds.
#
# Paths, all in front of (or instead of) the same upstream nginx as run.sh's, all on 127.0.0.1:
#   nginx-proxy   nginx as a reverse proxy (the target's reference, configured as in run.sh);
#   ours          our transparent proxy (runner jar, defaults, LocalStorage);
#   bare-jetty    io.mcpproxy.benchmarks.BareJettyForwarder: Jetty server + jetty-client, none of our logic;
#   jetty-own-client  io.mcpproxy.benchmarks.SharedSelectorForwarder: the Jetty server with a minimal upstream
#                 client of our own instead of jetty-client, its connections on the server's own selector and the
#                 whole exchange on that one thread: what replacing jetty-client could buy;
#   jetty-alone   io.mcpproxy.benchmarks.JettyFixedAnswer: the Jetty server half alone, answering by itself
#                 (no upstream exchange: its req/s is not a proxy's; its CPU per request is the server half's cost);
#   event-loop    io.mcpproxy.benchmarks.EventLoopForwarder: plain Java NIO, one thread for client and upstream
#                 sockets alike (nginx's architecture), bytes forwarded as they are: what Java can do without Jetty.
#
# Usage (from anywhere):   bash benchmarks/transparent/ceiling.sh
# Environment knobs:       ROUNDS=7 SECS=5 CONNS=64 SERVER_WARMUP=20 NGINX_PROXY_WORKERS=1 QUIET_MAX_WAIT=900
#                          SKIP_BUILD=1 (use the jars already built)
# Installs when missing:   wrk, nginx-light, curl (apt-get, needs root).
# Bounded: ROUNDS x 6 paths x SECS seconds of load plus the warm-ups; every process it starts runs in its own
# process group and is stopped by the EXIT trap.
set -euo pipefail

ROUNDS=${ROUNDS:-7}
SECS=${SECS:-5}
CONNS=${CONNS:-64}
SERVER_WARMUP=${SERVER_WARMUP:-20}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benchmarks/transparent
WORK=$(mktemp -d /tmp/mcp-transparent-ceiling.XXXXXX)
BENCH_NAME=transparent-ceiling
OWN_WRK_SCRIPT=$HERE/post.lua
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh"

install_load_tools
command -v java >/dev/null || die "java (17+) is needed"
build_jars
# shellcheck source=common.sh
source "$HERE/common.sh"

PATHS=(nginx-proxy ours bare-jetty jetty-own-client jetty-alone event-loop)
declare -A URL PG
URL[nginx-proxy]=$NGXPROXY
PG[nginx-proxy]=$NGX_PG
start_java() { # $1 = path label, rest = java arguments after the port (the port is appended where PORT stands)
  local label=$1 port
  shift
  port=$(free_port)
  start_group "$WORK/$label.log" java "${@//PORT/$port}"
  URL[$label]=http://127.0.0.1:$port
  PG[$label]=$STARTED_PID
  wait_http "${URL[$label]}/mcp" "$STARTED_PID"
}
start_java ours -jar "$WORK/mcp-proxy.jar" transparent --port PORT --target "$DIRECT/mcp"
start_java bare-jetty -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.BareJettyForwarder PORT "$DIRECT"
start_java jetty-own-client -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.SharedSelectorForwarder PORT "$DIRECT"
start_java jetty-alone -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.JettyFixedAnswer PORT
start_java event-loop -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.EventLoopForwarder PORT "$DIRECT"
for label in "${PATHS[@]}"; do
  check_answer "${URL[$label]}"
  log "$label at ${URL[$label]}"
done

wait_quiet "all paths"
for label in "${PATHS[@]:1}"; do
  log "warm-up of $label: ${SERVER_WARMUP}s at $CONNS connections, responses verified (not measured)"
  run_wrk_verified "$WORK/warmup-$label.txt" "$SERVER_WARMUP" "$CONNS" "${URL[$label]}/mcp" ""
done
sleep 5 # let the compiler threads finish what the warm-ups queued

ROWS=() # "round label rps cpu_us_per_request disturbed"
# No second wait for a quiet machine: the load average now is the warm-ups' own, and an idle JVM left for minutes
# measured slower again in its first rounds.
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  wait_others
  start_watch "$WORK/round-$round.others"
  for i in $(seq 0 $((${#PATHS[@]} - 1))); do
    n=${#PATHS[@]}
    [ $((round % 2)) = 1 ] || i=$((n - 1 - i)) # every other round backwards
    label=${PATHS[$(((i + round - 1) % n))]}
    t0=$(group_ticks "${PG[$label]}")
    run_wrk "$WORK/round-$round-$label.txt" "$SECS" "$CONNS" "${URL[$label]}/mcp" ""
    t1=$(group_ticks "${PG[$label]}")
    line=$(grep -m1 '^RESULT' "$WORK/round-$round-$label.txt") || die "no RESULT for $label in round $round"
    [ "$(field errors "$line")" = 0 ] || die "$label: wrk errors in round $round: $line"
    cpu=$(us_per_request $((t1 - t0)) "$(field requests "$line")" 1)
    ROWS+=("$round $label $(field rps "$line") $cpu")
    log "round $round $label: $(field rps "$line") req/s, $cpu µs CPU per request"
  done
  disturbed=no
  stop_watch "$WORK/round-$round.others" || disturbed=yes
  [ "$disturbed" = no ] \
    || log "round $round was disturbed by $(tr ' ' '\n' <"$WORK/round-$round.others" | sort -u | xargs)"
  for i in $(seq $((${#ROWS[@]} - ${#PATHS[@]})) $((${#ROWS[@]} - 1))); do ROWS[i]="${ROWS[i]} $disturbed"; done
done

echo
echo "### Transparent proxy ceiling, $(date -u +%Y-%m-%d\ %H:%M) UTC: $ROUNDS interleaved rounds of ${SECS}s per path" \
  "at $CONNS connections (wrk, benchmarks/transparent/post.lua)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by wrk, the" \
  "upstream nginx and every server; $(java -version 2>&1 | sed -n 1p); load average at the start of the rounds" \
  "$LOAD_AT_START. Medians over the undisturbed rounds ($(printf '%s\n' "${ROWS[@]}" | awk '$5 == "yes"' |
  cut -d' ' -f1 | sort -u | wc -l) of $ROUNDS disturbed)."
echo
echo "| path | req/s | share of nginx as proxy (same round) | CPU µs per request |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}" | awk -v order="${PATHS[*]}" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $5 == "no" { rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $4; round[$1, $2] = $3 }
  END {
    for (k in round) { split(k, p, SUBSEP); if (p[2] != "nginx-proxy") share[p[2]] = share[p[2]] " " 100 * round[k] / round[p[1], "nginx-proxy"] }
    split(order, labels, " ")
    for (i = 1; i in labels; i++) {
      l = labels[i]
      if (rps[l] == "") continue
      printf "| %s | %.0f | %s | %.1f |\n", l, median(rps[l]), l == "nginx-proxy" ? "100%" : sprintf("%.1f%%", median(share[l])), median(cpu[l])
    }
  }'
echo
echo "(jetty-alone answers by itself: its req/s and share are not a proxy's; only its CPU per request compares.)"
