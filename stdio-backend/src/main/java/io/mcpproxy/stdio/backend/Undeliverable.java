package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import org.slf4j.Logger;

/**
 * How a router accounts for a server message that reaches no client: counted in
 * {@link BackendStats#undeliverable()} and logged with the reason on the router's own logger, so that nothing is
 * dropped silently.
 */
record Undeliverable(Logger log, String serverName, BackendStats stats) {

    /** Counts and logs {@code message}, which reaches nobody because of {@code why}. */
    void report(ObjectNode message, String why) {
        stats.undeliverable.incrementAndGet();
        log.info("[{}] undeliverable {} ({}): {}", serverName, JsonRpc.method(message), why, abbreviate(message));
    }

    /** The start of a message's JSON, short enough for a log line. */
    static String abbreviate(JsonNode message) {
        String json = JsonRpc.toJson(message);
        return json.length() <= 300 ? json : json.substring(0, 300) + "…";
    }
}
