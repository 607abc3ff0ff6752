package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.jsonrpc.JsonRpc;

/**
 * Client requests to a modern (2026-07-28) server process, which takes no {@code initialize} and reads each
 * request's {@code _meta}:
 * <ul>
 *   <li>a modern client's request (its {@code _meta} names a modern protocol version) goes as it is, with its
 *       {@code _meta}; the server answers {@code server/discover} itself, and its {@code InputRequiredResult}s reach
 *       the client unchanged (the retry carries all the server needs, so any session or replica can take it);</li>
 *   <li>a legacy session (2025-11-25 and older) is bridged: its {@code initialize} is answered by the proxy from the
 *       server's {@code server/discover} result, {@code ping} and {@code logging/setLevel} by the proxy too, and
 *       each later request gets the modern {@code _meta}: protocol version, the session's client capabilities and
 *       client info, and the log level it set; an {@code InputRequiredResult} is bridged to server requests of the
 *       session ({@link InputRequestBridge}). Per-session {@code resources/subscribe} is not bridged (the server
 *       has only {@code subscriptions/listen}): it is answered {@code -32601}.</li>
 * </ul>
 */
final class ModernServerRequests {


    /** Sends a client request on to the server (id and progress token made proxy-unique, timeout armed). */
    interface Forwarder {
        void forward(ClientSession session, ObjectNode request, Backend.Exchange exchange, String method);
    }

    private final String serverName;
    private final Forwarder forwarder;
    private final InputRequestBridge inputs;

    ModernServerRequests(String serverName, Forwarder forwarder) {
        this.serverName = serverName;
        this.forwarder = forwarder;
        this.inputs = new InputRequestBridge((session, request, exchange) ->
                forwarder.forward(session, request, exchange, JsonRpc.method(request)));
    }

    /** See {@link InputRequestBridge#answered}. */
    boolean inputAnswered(ClientSession session, ObjectNode response) {
        return inputs.answered(session, response);
    }

    /** See {@link InputRequestBridge#sessionEnded}. */
    void sessionEnded(ClientSession session) {
        inputs.sessionEnded(session);
    }

    /** Whether {@code request} comes from a modern client: its {@code _meta} names a modern protocol version. */
    static boolean fromModernClient(ObjectNode request) {
        return ProtocolVersions.isModern(request.path("params").path("_meta").path(ModernMeta.PROTOCOL_VERSION)
                .asText(null));
    }

    void request(ClientSession session, ObjectNode request, Backend.Exchange exchange) {
        String method = JsonRpc.method(request);
        if (fromModernClient(request)) {
            forwarder.forward(session, request, exchange, method);
            return;
        }
        JsonNode id = request.get("id");
        switch (method == null ? "" : method) {
            case "initialize" -> initialize(session, request, exchange);
            case "ping" -> exchange.onResponse(JsonRpc.result(id, JsonRpc.objectNode()));
            default -> {
                if (!session.protocol().isInitialized()) {
                    exchange.onResponse(JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "Invalid Request: '" + method
                            + "' before initialize; only initialize and ping may come first"));
                } else if ("logging/setLevel".equals(method)) {
                    session.protocol().setLogLevel(request.path("params").path("level").asText());
                    exchange.onResponse(JsonRpc.result(id, JsonRpc.objectNode()));
                } else if ("resources/subscribe".equals(method) || "resources/unsubscribe".equals(method)) {
                    exchange.onResponse(JsonRpc.error(id, JsonRpc.METHOD_NOT_FOUND, "Method not found: " + method
                            + " (the MCP server '" + serverName + "' is modern: it has subscriptions/listen only)"));
                } else {
                    ObjectNode modern = withModernMeta(session, request);
                    Backend.Exchange bridging = inputs.exchange(session, modern, exchange); // copies it first
                    forwarder.forward(session, modern, bridging, method);
                }
            }
        }
    }

    /**
     * A legacy session's {@code initialize}: the server's {@code server/discover} (sent with this session's
     * {@code _meta}) turned into an {@code InitializeResult}.
     */
    private void initialize(ClientSession session, ObjectNode request, Backend.Exchange exchange) {
        JsonNode params = request.path("params");
        session.protocol().declared(params.get("capabilities"));
        session.protocol().introduced(params.get("clientInfo"));
        String requested = params.path("protocolVersion").asText(null);
        ObjectNode discover = JsonRpc.request(request.get("id"), "server/discover", JsonRpc.objectNode());
        forwarder.forward(session, withModernMeta(session, discover), new Backend.Exchange() {
            @Override
            public boolean onMessage(ObjectNode message) {
                return exchange.onMessage(message);
            }

            @Override
            public void onResponse(ObjectNode response) {
                if (response.get("result") instanceof ObjectNode result) {
                    session.protocol().initialized();
                    exchange.onResponse(JsonRpc.result(response.get("id"), initializeResult(result, requested)));
                } else {
                    exchange.onResponse(response);
                }
            }
        }, "server/discover");
    }

    /** A {@code DiscoverResult} as the {@code InitializeResult} of a session that asked for {@code requested}. */
    ObjectNode initializeResult(ObjectNode discover, String requested) {
        ObjectNode result = JsonRpc.objectNode();
        result.put("protocolVersion", ProtocolVersions.SUPPORTED.contains(requested) ? requested
                : ProtocolVersions.LATEST);
        result.set("capabilities", discover.path("capabilities").isObject() ? discover.get("capabilities")
                : JsonRpc.objectNode());
        JsonNode serverInfo = discover.path("_meta").path(ModernMeta.SERVER_INFO);
        result.set("serverInfo", serverInfo.isObject() ? serverInfo
                : JsonRpc.objectNode().put("name", serverName).put("version", ""));
        if (discover.path("instructions").isTextual()) {
            result.set("instructions", discover.get("instructions"));
        }
        return result;
    }

    /** A legacy session's request with the {@code _meta} every modern request carries. */
    private static ObjectNode withModernMeta(ClientSession session, ObjectNode request) {
        ObjectNode params = request.get("params") instanceof ObjectNode object ? object : request.putObject("params");
        ObjectNode meta = params.get("_meta") instanceof ObjectNode object ? object : params.putObject("_meta");
        meta.put(ModernMeta.PROTOCOL_VERSION, ProtocolVersions.LATEST_MODERN);
        JsonNode capabilities = session.protocol().capabilities();
        meta.set(ModernMeta.CLIENT_CAPABILITIES, capabilities != null && capabilities.isObject()
                ? capabilities.deepCopy() : JsonRpc.objectNode());
        JsonNode clientInfo = session.protocol().clientInfo();
        if (clientInfo != null && clientInfo.isObject()) {
            meta.set(ModernMeta.CLIENT_INFO, clientInfo.deepCopy());
        }
        String logLevel = session.protocol().logLevel();
        if (logLevel != null) {
            meta.set(ModernMeta.LOG_LEVEL, TextNode.valueOf(logLevel));
        }
        return request;
    }
}
