#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against the
# Streamable HTTP proxy, with example-server's ConformanceServer as the stdio MCP server behind it.
#
#   scripts/conformance.sh [--direct] [--no-build] [-- <extra suite options, e.g. --scenario ping --verbose>]
#
#   --direct    would also run the suite directly against the server. The server speaks stdio only and the
#               suite needs an HTTP URL, so this is skipped with a note; the summary is printed instead.
#   --no-build  use the jars already built (runner/target/mcp-proxy.jar, example-server/target/*.jar).
#   --transparent  also put the transparent proxy in front of that HTTP endpoint and run the suite through it;
#               fails unless it scores exactly what the endpoint scores directly.
#   --expected-failures FILE  scenarios that fail for a known reason (one per line: name, then the reason;
#               # comments): the run passes when exactly those fail, and fails when another one does. One that
#               passes again is reported, so that the list shrinks.
#
# Environment: CONFORMANCE_VERSION (default 0.1.16, needs Node 22, fetched by npx as the npm package node@22),
#   PROXY_OPTS (extra options for `mcp-proxy.jar streamable`, word-split, e.g. "--backend-mode per-session"),
#   SERVER_COMMAND (the stdio MCP server behind the proxy instead of ConformanceServer, word-split, e.g.
#   "transport-streamable/target/py-mcp/bin/python transport-streamable/src/test/resources/python/modern_server.py"),
#   SUITE_TIMEOUT (seconds, default 600).
# Exit code: the suite's (0 = no failed check), or 2 for a usage/setup error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.1.16}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-600}
DIRECT=false
BUILD=true
TRANSPARENT=false
SUITE_ARGS=()
EXPECTED=

while (($#)); do
    case "$1" in
        --direct) DIRECT=true ;;
        --no-build) BUILD=false ;;
        --transparent) TRANSPARENT=true ;;
        --expected-failures) shift; EXPECTED=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
            [[ -f "$EXPECTED" ]] || { echo "no such file: $1" >&2; exit 2; } ;;
        --) shift; SUITE_ARGS=("$@"); break ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "[conformance] $*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")
PROXY_PID=
TRANSPARENT_PID=
cleanup() {
    local status=$?
    if [[ -n "$TRANSPARENT_PID" ]] && kill -0 "$TRANSPARENT_PID" 2>/dev/null; then
        kill -TERM "$TRANSPARENT_PID" 2>/dev/null || true
        wait "$TRANSPARENT_PID" 2>/dev/null || true
    fi
    if [[ -n "$PROXY_PID" ]] && kill -0 "$PROXY_PID" 2>/dev/null; then
        log "stopping proxy (pid $PROXY_PID)"
        kill -TERM "$PROXY_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do # the proxy drains and stops its MCP server; allow 15 s
            kill -0 "$PROXY_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$PROXY_PID" 2>/dev/null; then
            log "proxy still running, killing it"
            kill -KILL "$PROXY_PID" 2>/dev/null || true
        fi
        wait "$PROXY_PID" 2>/dev/null || true
    fi
    log "logs kept in $WORK (proxy.log = proxy and server stderr, suite.log = suite output)"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ROOT"

# 1. Build.
if $BUILD; then
    log "building (mvn install -DskipTests)"
    mvn -B -q -Dstyle.color=never install -DskipTests
fi
PROXY_JAR="$ROOT/runner/target/mcp-proxy.jar"
SERVER_JAR=$(ls "$ROOT"/example-server/target/example-server-*.jar 2>/dev/null \
    | grep -v -E -- '-(sources|javadoc|tests)\.jar$' | head -n 1 || true)
[[ -f "$PROXY_JAR" ]] || { log "missing $PROXY_JAR (build the runner module)"; exit 2; }
[[ -n "$SERVER_JAR" ]] || { log "missing example-server jar (build the example-server module)"; exit 2; }
if ! mvn -B -q -Dstyle.color=never dependency:build-classpath -pl example-server -DincludeScope=runtime \
        -Dmdep.outputFile="$WORK/classpath.txt" >"$WORK/classpath.log" 2>&1; then
    log "cannot compute the example-server classpath:"; cat "$WORK/classpath.log" >&2; exit 2
fi
SERVER_CP="$SERVER_JAR:$(cat "$WORK/classpath.txt")"

# 2. Start the proxy on a free port, ConformanceServer (or SERVER_COMMAND) behind it.
if [[ -n "${SERVER_COMMAND:-}" ]]; then
    read -r -a STDIO_SERVER <<< "$SERVER_COMMAND"
else
    STDIO_SERVER=(java -cp "$SERVER_CP" io.mcpproxy.example.ConformanceServer)
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT/mcp"
read -r -a EXTRA_PROXY_OPTS <<< "${PROXY_OPTS:-}"
log "starting proxy on port $PORT"
java -jar "$PROXY_JAR" streamable --port "$PORT" "${EXTRA_PROXY_OPTS[@]}" -- "${STDIO_SERVER[@]}" \
    >"$WORK/proxy.out" 2>"$WORK/proxy.log" &
PROXY_PID=$!

# 3. Wait (at most 60 s) until the port answers.
deadline=$((SECONDS + 60))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
        log "proxy exited before listening; its output:"
        cat "$WORK/proxy.out" "$WORK/proxy.log" >&2 || true
        exit 2
    fi
    if ((SECONDS >= deadline)); then
        log "proxy not listening on port $PORT after 60 s; its log:"
        tail -n 50 "$WORK/proxy.log" >&2 || true
        exit 2
    fi
    sleep 0.2
done
for _ in $(seq 1 50); do # the URL line follows the bind closely; don't insist on it
    [[ -s "$WORK/proxy.out" ]] && break
    sleep 0.1
done
log "proxy listening; it announced: $(head -n 1 "$WORK/proxy.out" 2>/dev/null || echo '(nothing yet)')"

# 4. Run the suite (bounded).
log "running @modelcontextprotocol/conformance@$CONFORMANCE_VERSION server --url $URL ${SUITE_ARGS[*]:-}"
set +e
timeout --kill-after=10 "$SUITE_TIMEOUT" \
    npx -y -p node@22 -p "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
    conformance server --url "$URL" "${SUITE_ARGS[@]}" 2>&1 | tee "$WORK/suite.log"
SUITE_RC=${PIPESTATUS[0]}
set -e
if ((SUITE_RC == 124 || SUITE_RC == 137)); then
    log "the suite did not finish within $SUITE_TIMEOUT s"
fi

# 4b. --transparent: the same suite through the transparent proxy in front of that HTTP endpoint.
if $TRANSPARENT; then
    TPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    log "starting the transparent proxy on port $TPORT in front of $URL"
    java -jar "$PROXY_JAR" transparent --port "$TPORT" --target "$URL" \
        >"$WORK/transparent.out" 2>"$WORK/transparent.log" &
    TRANSPARENT_PID=$!
    deadline=$((SECONDS + 60))
    until (exec 3<>"/dev/tcp/127.0.0.1/$TPORT") 2>/dev/null; do
        kill -0 "$TRANSPARENT_PID" 2>/dev/null || { log "transparent proxy exited"; cat "$WORK/transparent.log" >&2; exit 2; }
        ((SECONDS < deadline)) || { log "transparent proxy not listening after 60 s"; exit 2; }
        sleep 0.2
    done
    log "running the suite through the transparent proxy"
    set +e
    timeout --kill-after=10 "$SUITE_TIMEOUT" \
        npx -y -p node@22 -p "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
        conformance server --url "http://127.0.0.1:$TPORT/mcp" "${SUITE_ARGS[@]}" 2>&1 | tee "$WORK/suite-transparent.log"
    TRANSPARENT_RC=${PIPESTATUS[0]}
    set -e
    direct_total=$(grep -E '^Total:' "$WORK/suite.log" | tail -n 1)
    through_total=$(grep -E '^Total:' "$WORK/suite-transparent.log" | tail -n 1)
    echo "direct:            ${direct_total:-(no total)}"
    echo "through transparent: ${through_total:-(no total)}"
    if [[ -z "$direct_total" || "$direct_total" != "$through_total" || "$TRANSPARENT_RC" != "$SUITE_RC" ]]; then
        log "the transparent proxy changed the score"
        exit 1
    fi
fi

# 5. --direct: not possible for a stdio server; print the summary instead.
summary() {
    if grep -q '=== SUMMARY ===' "$WORK/suite.log"; then
        sed -n '/=== SUMMARY ===/,$p' "$WORK/suite.log"
    else
        grep -E '^(Passed:|Total:)|FAILURE' "$WORK/suite.log" || echo "(no summary line in the suite output)"
    fi
}
if $DIRECT; then
    log "--direct skipped: ConformanceServer speaks stdio only, the suite needs an HTTP URL"
    echo "----- summary (through the proxy) -----"
    summary
fi
log "suite exit code: $SUITE_RC"

# 6. --expected-failures: the scenarios that failed must be exactly the listed ones.
failed_scenarios() { # suite log -> the names of its failed scenarios, sorted
    sed -n '/=== SUMMARY ===/,$p' "$1" | sed 's/\x1b\[[0-9;]*m//g' | sed -n 's/^✗ \([^:]*\):.*/\1/p' | sort -u
}
if [[ -n "$EXPECTED" ]] && ((SUITE_RC != 124 && SUITE_RC != 137)); then
    grep -q '=== SUMMARY ===' "$WORK/suite.log" || { log "no summary in the suite output"; exit 1; }
    expected=$(grep -v -E '^[[:space:]]*(#|$)' "$EXPECTED" | awk '{ print $1 }' | sort -u)
    failed=$(failed_scenarios "$WORK/suite.log")
    unexpected=$(comm -23 <(echo "$failed") <(echo "$expected") | sed '/^$/d')
    passing=$(comm -13 <(echo "$failed") <(echo "$expected") | sed '/^$/d')
    [[ -z "$passing" ]] || log "listed as expected failures but passed (remove them from $EXPECTED): $(echo $passing)"
    if [[ -n "$unexpected" ]]; then
        log "scenarios that failed and are not expected to: $(echo $unexpected)"
        SUITE_RC=1
    else
        log "every failed scenario is an expected failure ($(echo "$failed" | sed '/^$/d' | wc -l) of them)"
        SUITE_RC=0
    fi
fi

# 7. The EXIT trap stops the proxy.
exit "$SUITE_RC"
