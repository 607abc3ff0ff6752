#!/usr/bin/env bash
# Interleaved A/B of two builds of the runner (BENCHMARKS.md, "A/B of a change on the request path"): the same
# load against both, alternating, so that a shared machine's drift hits both alike. Everything on 127.0.0.1.
#
#   transparent  each jar's `transparent` proxy in front of one nginx upstream (return 200 JSON), POST load
#                (benchmarks/transparent/post.lua); nginx as a reverse proxy in front of the same upstream is the
#                reference of each round;
#   transparent-modern  the same proxies (started once for both modes), the same load as 2026-07-28 requests
#                (WRK_ERA=modern: _meta in the body, MCP-Protocol-Version, Mcp-Method and Mcp-Name headers);
#   json, sse    each jar's `streamable` proxy in front of EchoStdioServer, one session per connection, tools/call
#                echo (a JSON answer) and echo_progress with a progress token (an SSE answer)
#                (benchmarks/streamable/mcp.lua);
#   modern       the same proxy and tool as json, called as a 2026-07-28 request without a session (issue 20's
#                target: at least 90% of json's throughput; MODES="json modern" with the same jar twice).
#
# Each proxy first gets SERVER_WARMUP s of unmeasured, verified load per mode (the JIT), then ROUNDS rounds run every
# path once, SECS s each at CONNS connections, the order reversed every other round; a round that another heavy
# process (a build, a test) disturbed is marked. At the end: per path the median req/s and CPU µs per request of the
# proxy's process group (backend included) over the rounds, then per mode the median over the rounds of new/old in
# the same round (and modern/json per side), which a machine's drift between rounds hardly moves.
#
# Usage:     OLD_JAR=/path/old/mcp-proxy.jar NEW_JAR=/path/new/mcp-proxy.jar bash benchmarks/ab/run.sh
#            (e.g. `git worktree add ../old <commit> && (cd ../old && mvn -B -q package -DskipTests -pl runner -am)`)
# Knobs:     ROUNDS=6 SECS=5 CONNS=64 SERVER_WARMUP=30 MODES="transparent json sse" QUIET_MAX_WAIT=900
#            (MODES may also name transparent-modern and modern)
#            OLD_ARGS="..." NEW_ARGS="..." (runner options added for that side, e.g. the same jar twice with
#            NEW_ARGS="--admin-port 0 --access-log" to measure what metrics and the access log cost)
#            WRK_DELAY_MS=D (each connection pauses D ms between requests: both sides below saturation serve about
#            the same rate, and the CPU ratio is the cost per request; see benchmarks/transparent/post.lua)
#            PROXY_CPUS=1 (the proxies and their stdio servers on these CPUs, `taskset -c` syntax; run the script
#            itself under `taskset -c 0` so that wrk and nginx keep to the others: the load generator then does not
#            compete with the proxy for its cores. The pinned JVMs are told the machine's core count, so that they
#            keep the GC and compiler threads of an unpinned run: on one CPU the JVM would pick the serial GC)
# Needs:     Java 17, wrk, nginx-light, curl (installed with apt-get when missing); benchmarks/target/benchmarks.jar
#            (built here unless SKIP_BUILD=1) for EchoStdioServer.
set -euo pipefail

ROUNDS=${ROUNDS:-6}
SECS=${SECS:-5}
CONNS=${CONNS:-64}
SERVER_WARMUP=${SERVER_WARMUP:-30}
MODES=${MODES:-"transparent json sse"}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benchmarks/transparent # post.lua and common.sh live there
WORK=$(mktemp -d /tmp/mcp-ab-bench.XXXXXX)
BENCH_NAME=ab
: "${OLD_JAR:?OLD_JAR= the runner jar of the build before}" "${NEW_JAR:?NEW_JAR= the runner jar of the build after}"

# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh"
install_load_tools
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && timeout 900 mvn -B -q package -DskipTests -pl benchmarks -am)
fi
cp "$OLD_JAR" "$WORK/old.jar"
cp "$NEW_JAR" "$WORK/new.jar"
cp "$ROOT/benchmarks/target/benchmarks.jar" "$WORK/"
ECHO_CMD=(java -XX:+UseSerialGC -Xmx128m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.EchoStdioServer)
# shellcheck source=../transparent/common.sh
source "$HERE/common.sh" # the nginx upstream (DIRECT) and nginx as a proxy (NGXPROXY, NGX_PG); run_wrk

declare -A URL PG
PATHS=()
read -r -a OLD_EXTRA <<< "${OLD_ARGS:-}"
read -r -a NEW_EXTRA <<< "${NEW_ARGS:-}"
extra_args() { # $1 = old|new: sets EXTRA to that side's added runner options
  if [ "$1" = old ]; then EXTRA=("${OLD_EXTRA[@]}"); else EXTRA=("${NEW_EXTRA[@]}"); fi
}
start_proxy() { # $1 = label, rest = runner arguments (PORT stands for the port)
  local label=$1 port jar
  shift
  port=$(free_port)
  jar=$WORK/${label%%-*}.jar
  local pin=()
  [ -z "${PROXY_CPUS:-}" ] ||
    pin=(env JAVA_TOOL_OPTIONS="-XX:ActiveProcessorCount=$(nproc --all)" taskset -c "$PROXY_CPUS")
  start_group "$WORK/$label.log" "${pin[@]}" java -jar "$jar" "${@//PORT/$port}"
  PG[$label]=$STARTED_PID
  URL[$label]=http://127.0.0.1:$port
}

for mode in $MODES; do
  case $mode in
    transparent|transparent-modern)
      if [ -z "${URL[nginx-proxy]:-}" ]; then
        PATHS+=(nginx-proxy)
        URL[nginx-proxy]=$NGXPROXY/mcp
        PG[nginx-proxy]=$NGX_PG
      fi
      for side in old new; do
        if [ -z "${URL[$side-proxy]:-}" ]; then
          extra_args "$side"
          start_proxy "$side-proxy" transparent --port PORT --target "$DIRECT/mcp" "${EXTRA[@]}"
          wait_http "${URL[$side-proxy]}/mcp" "${PG[$side-proxy]}"
        fi
        URL[$side-$mode]=${URL[$side-proxy]}/mcp
        PG[$side-$mode]=${PG[$side-proxy]}
        PATHS+=("$side-$mode")
      done ;;
    json|sse|modern)
      for side in old new; do
        if [ -z "${URL[$side-streamable]:-}" ]; then
          extra_args "$side"
          start_proxy "$side-streamable" streamable --port PORT "${EXTRA[@]}" -- "${ECHO_CMD[@]}"
          wait_http "${URL[$side-streamable]}/mcp" "${PG[$side-streamable]}"
          open_sessions "${URL[$side-streamable]}/mcp" "$CONNS" "$WORK/sessions-$side.txt"
        fi
        URL[$side-$mode]=${URL[$side-streamable]}/mcp
        PG[$side-$mode]=${PG[$side-streamable]}
        PATHS+=("$side-$mode")
      done ;;
    *) die "unknown mode $mode" ;;
  esac
done

measure() { # $1 = label, $2 = seconds, $3 = out file, $4 = verify (1 or 0)
  local label=$1 mode=${1#*-} side=${1%%-*} threads=1
  [ "$CONNS" -gt 1 ] && threads=2
  case $label in
    nginx-proxy|*-transparent|*-transparent-modern)
      local era=legacy
      [ "${label%-modern}" = "$label" ] || era=modern
      if [ "$4" = 1 ]; then WRK_ERA=$era run_wrk_verified "$3" "$2" "$CONNS" "${URL[$label]}" ""
      else WRK_ERA=$era run_wrk "$3" "$2" "$CONNS" "${URL[$label]}" ""; fi ;;
    *)
      WRK_VERIFY=$4 timeout $(($2 + 60)) wrk -t"$threads" -c"$CONNS" -d"${2}s" --timeout 5s \
        -s "$ROOT/benchmarks/streamable/mcp.lua" "${URL[$label]}" -- "$WORK/sessions-$side.txt" "$threads" "$mode" \
        "$RANDOM" >"$3" 2>&1 || die "wrk failed: $(cat "$3")"
      if [ "$4" = 1 ]; then
        [ "$(field bad "$(grep -m1 '^VERIFY' "$3" || echo 'bad=?')")" = 0 ] || die "$label: bad answers: $(cat "$3")"
      fi ;;
  esac
}

wait_quiet "all paths"
for label in "${PATHS[@]}"; do
  [ "$label" = nginx-proxy ] && continue
  log "warm-up of $label: ${SERVER_WARMUP}s at $CONNS connections, answers verified (not measured)"
  measure "$label" "$SERVER_WARMUP" "$WORK/warmup-$label.txt" 1
done
sleep 5 # the compiler threads finish what the warm-ups queued

ROWS=() # "label rps cpu disturbed"
PAIRED=() # "round label rps cpu", for the ratios of one round's paths
for round in $(seq "$ROUNDS"); do
  wait_others
  start_watch "$WORK/round-$round.others"
  n=${#PATHS[@]}
  round_rows=()
  for i in $(seq 0 $((n - 1))); do
    [ $((round % 2)) = 1 ] || i=$((n - 1 - i))
    label=${PATHS[$i]}
    t0=$(group_ticks "${PG[$label]}")
    measure "$label" "$SECS" "$WORK/round-$round-$label.txt" 0
    t1=$(group_ticks "${PG[$label]}")
    line=$(grep -m1 '^RESULT' "$WORK/round-$round-$label.txt") || die "no RESULT for $label in round $round"
    [ "$(field errors "$line")" = 0 ] || die "$label: wrk errors in round $round: $line"
    cpu=$(us_per_request $((t1 - t0)) "$(field requests "$line")" 1)
    round_rows+=("$label $(field rps "$line") $cpu")
    PAIRED+=("$round $label $(field rps "$line") $cpu")
    log "round $round $label: $(field rps "$line") req/s, $cpu µs CPU per request"
  done
  disturbed=no
  stop_watch "$WORK/round-$round.others" || disturbed=yes
  for row in "${round_rows[@]}"; do ROWS+=("$row $disturbed"); done
done

echo
echo "### A/B, $(date -u +%Y-%m-%d\ %H:%M) UTC: $ROUNDS interleaved rounds of ${SECS}s per path at $CONNS connections"
echo
echo "old: $OLD_JAR ${OLD_ARGS:-}; new: $NEW_JAR ${NEW_ARGS:-}${PROXY_CPUS:+; proxies on CPUs $PROXY_CPUS}. Machine: $(nproc --all) cores, $(java -version 2>&1 | head -1); load average at start" \
  "$LOAD_AT_START; rounds disturbed by other processes: $(printf '%s\n' "${ROWS[@]}" | awk '$4 == "yes"' | wc -l)" \
  "of ${#ROWS[@]} measurements."
echo
echo "| path | median req/s | min | max | median CPU µs per request |"
echo "| --- | ---: | ---: | ---: | ---: |"
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for label in "${PATHS[@]}"; do
  rps=$(printf '%s\n' "${ROWS[@]}" | awk -v l="$label" '$1 == l { print $2 }')
  cpu=$(printf '%s\n' "${ROWS[@]}" | awk -v l="$label" '$1 == l { print $3 }')
  printf '| %s | %.0f | %.0f | %.0f | %.1f |\n' "$label" "$(median <<<"$rps")" "$(sort -n <<<"$rps" | head -1)" \
    "$(sort -n <<<"$rps" | tail -1)" "$(median <<<"$cpu")"
done

# A machine's drift between rounds is larger than a few percent; two paths measured seconds apart in the same round
# drift alike. So the ratio of two paths is taken per round, and its median over the rounds is the comparison.
ratio() { # $1 = numerator label, $2 = denominator label: median over rounds of the rps and CPU ratios
  printf '%s\n' "${PAIRED[@]}" | awk -v a="$1" -v b="$2" '
    $2 == a { ra[$1] = $3; ca[$1] = $4 } $2 == b { rb[$1] = $3; cb[$1] = $4 }
    END { for (r in ra) if (r in rb && rb[r] > 0 && cb[r] > 0) print ra[r] / rb[r], ca[r] / cb[r] }' >"$WORK/ratio"
  [ -s "$WORK/ratio" ] || return 0
  printf '| %s / %s | %.3f | %.3f | %.3f | %.3f |\n' "$1" "$2" "$(cut -d' ' -f1 "$WORK/ratio" | median)" \
    "$(cut -d' ' -f1 "$WORK/ratio" | sort -n | head -1)" "$(cut -d' ' -f1 "$WORK/ratio" | sort -n | tail -1)" \
    "$(cut -d' ' -f2 "$WORK/ratio" | median)"
}
echo
echo "| paired per round | median req/s ratio | min | max | median CPU ratio |"
echo "| --- | ---: | ---: | ---: | ---: |"
for mode in $MODES; do ratio "new-$mode" "old-$mode"; done
if [[ " $MODES " == *" json "* && " $MODES " == *" modern "* ]]; then
  ratio old-modern old-json
  ratio new-modern new-json
fi
