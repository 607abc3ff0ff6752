#!/usr/bin/env bash
# The 2026-07-28 conformance requirement set against a modern stdio MCP server (the official Python SDK's own,
# transport-streamable/src/test/resources/python/modern_server.py) twice: over the server's own Streamable HTTP,
# then through the Streamable proxy in front of it over stdio. Fails unless the proxy scores at least what the
# server scores by itself, scenario by scenario.
#
#   scripts/conformance-modern-server.sh        (after `mvn -B package -DskipTests`; makes the Python venv if missing)
#
# Environment: CONFORMANCE_VERSION (default 0.2.0-alpha.12), SUITE_TIMEOUT (seconds, default 600).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.2.0-alpha.12}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-600}
VENV=$ROOT/transport-streamable/target/py-mcp
SERVER=$ROOT/transport-streamable/src/test/resources/python/modern_server.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance-modern.XXXXXX")
SERVER_PID=
log() { echo "[conformance-modern] $*" >&2; }
cleanup() {
    [[ -z "$SERVER_PID" ]] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    log "logs kept in $WORK"
}
trap cleanup EXIT

if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("mcp") != "2.3.0")' 2>/dev/null; then
    log "making the Python venv with mcp==2.3.0 in $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --timeout 5 --retries 0 mcp==2.3.0
fi

# Per scenario "name passed failed", from a suite log's summary.
scores() {
    sed -n '/=== SUMMARY ===/,$p' "$1" | sed 's/\x1b\[[0-9;]*m//g' \
        | sed -n 's/^[✓✗] \([^:]*\): \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2 \3/p' | sort
}

# 1. The server by itself.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$VENV/bin/python" "$SERVER" --http "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
log "the server's own Streamable HTTP on port $PORT"
set +e
timeout --kill-after=10 "$SUITE_TIMEOUT" npx -y -p node@22 -p "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
    conformance server --url "http://127.0.0.1:$PORT/mcp" --requirements 2026-07-28 >"$WORK/direct.log" 2>&1
set -e
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

# 2. Through the proxy, the same server over stdio.
set +e
CONFORMANCE_VERSION=$CONFORMANCE_VERSION SERVER_COMMAND="$VENV/bin/python $SERVER" \
    bash "$ROOT/scripts/conformance.sh" --no-build -- --requirements 2026-07-28 >"$WORK/proxy.log" 2>&1
set -e
proxy_log=$(sed -n 's/.*logs kept in \([^ ]*\) .*/\1/p' "$WORK/proxy.log" | tail -n 1)/suite.log

scores "$WORK/direct.log" >"$WORK/direct.scores"
scores "$proxy_log" >"$WORK/proxy.scores"
[[ -s "$WORK/direct.scores" && -s "$WORK/proxy.scores" ]] || { log "a run has no summary"; exit 1; }
echo "direct:        $(grep -E '^Total:' "$WORK/direct.log" | tail -n 1)"
echo "through proxy: $(grep -E '^Total:' "$proxy_log" | tail -n 1)"
worse=$(join -a 1 -e 0 -o 0,1.2,2.2 "$WORK/direct.scores" "$WORK/proxy.scores" | awk '$3 < $2 { print $1 " (" $2 " -> " $3 " passed)" }')
if [[ -n "$worse" ]]; then
    log "the proxy scores less than the server by itself on: $worse"
    exit 1
fi
log "the proxy scores at least what the server scores by itself on every scenario"
