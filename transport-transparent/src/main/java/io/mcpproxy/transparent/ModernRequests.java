package io.mcpproxy.transparent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.MirroredHeaders;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.observe.Exchanges;
import io.mcpproxy.core.observe.McpMethods;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Requests of a modern revision (2026-07-28, without sessions) through the transparent proxy. They carry no session
 * the proxy could route on, so they go round robin and teach it none; what the proxy does act on is their
 * {@code MCP-Protocol-Version} (stateless routing) and {@code Mcp-Method} (the metrics' and access log's method), so
 * it checks the standard mirrored headers against the body first, as the specification asks of an intermediary
 * that acts on them. Only modern bodies are parsed; a legacy body goes on unread.
 */
final class ModernRequests {

    static final String VERSION_HEADER = "MCP-Protocol-Version";

    private ModernRequests() {
    }

    /** The modern revision the request's {@code MCP-Protocol-Version} names, or null for a legacy request. */
    static String versionOf(Request request) {
        String version = request.getHeaders().get(VERSION_HEADER);
        return ProtocolVersions.isModern(version) ? version : null;
    }

    /**
     * Checks a modern request's body against its mirrored headers and tags the exchange with its method. A body that
     * is not one JSON-RPC request (none, not JSON, a batch, a notification) goes on unchecked and untagged: the proxy
     * acts on nothing in it, and the target answers what it cannot serve.
     *
     * @param body the request body, null for none
     * @return whether the request goes on; if not, it was answered with 400 and {@code HeaderMismatch} (-32020)
     */
    static boolean admit(Request request, Response response, Callback callback, byte[] body, String version) {
        JsonNode json = JsonRpc.parseOrNull(body);
        if (JsonRpc.Kind.of(json) != JsonRpc.Kind.REQUEST) {
            return true;
        }
        ObjectNode message = (ObjectNode) json;
        String mismatch = MirroredHeaders.forwardedMismatch(request.getHeaders(), message, version);
        if (mismatch != null) {
            JsonResponses.error(response, callback, 400, message.get("id"), MirroredHeaders.HEADER_MISMATCH,
                    "Header mismatch: " + mismatch);
            return false;
        }
        Exchanges.mcpMethod(request, McpMethods.tagOf(JsonRpc.method(message)));
        return true;
    }
}
