package io.mcpproxy.streamable;

import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.session.Session;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.http.MirroredHeaders;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.BackendUnavailableException;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.stdio.backend.ClientCapabilities;
import io.mcpproxy.stdio.backend.ServerEra;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Modern (2026-07-28) POSTs on the Streamable HTTP endpoint, served without a session. In front of a modern stdio
 * server (see {@link ServerEra}) each request goes to it as it is, on a channel of its own, and the server answers
 * it itself ({@code server/discover}, input requests and {@code subscriptions/listen} included; the methods the
 * revision removed are answered 404 by the proxy, whatever the server). Otherwise they are bridged to the legacy
 * stdio server of shared mode. Each request gets a channel of its own on the shared server, which ends with it:
 * the channel first goes through the server's cached {@code initialize} (the proxy initializes the server as its
 * own client when no session has yet), then {@code server/discover} is answered from that result, and every other
 * request is forwarded with the {@code _meta["io.modelcontextprotocol/…"]} keys a legacy server cannot read
 * removed; what the server asks the client during a call becomes an {@code InputRequiredResult}
 * ({@link InputRequiredBridge}), and {@code subscriptions/listen} is served by {@link ListenRequests}. In per-session
 * mode modern requests are refused with an {@code UnsupportedProtocolVersionError} that
 * lists only the session revisions, so clients fall back to a session.
 */
final class StatelessRequests {

    /** {@code UnsupportedProtocolVersionError}: the request's version is not one the proxy serves. */
    static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private static final String CHANNEL_PREFIX = "stateless-";
    /**
     * Requests the 2026-07-28 revision removed (session handshake, ping, log level, per-connection subscriptions):
     * 404, as for any unknown method.
     */
    private static final Set<String> NOT_SERVED = Set.of("initialize", "ping", "logging/setLevel",
            "resources/subscribe", "resources/unsubscribe");

    /** What a channel declares when its request may ask for input, and otherwise (shared: never changed). */
    private static final JsonNode ROUTED_CAPABILITIES = ClientCapabilities.routed(ProtocolVersions.LATEST);
    static final JsonNode NO_CAPABILITIES = JsonRpc.objectNode();

    private final ProxyContext context;
    private final Backends backends;
    private final MirroredToolParameters toolParameters = new MirroredToolParameters();
    private final AtomicLong channels = new AtomicLong();
    private final InputRequiredBridge inputs;
    private final ListenRequests listens;

    StatelessRequests(ProxyContext context, InputRequestSettings inputRequests) {
        this.context = context;
        this.backends = context.backends();
        this.inputs = new InputRequiredBridge(context, inputRequests);
        this.listens = new ListenRequests(context);
    }

    /** Ends the calls that wait for their clients' input (the proxy stops). */
    void stop() {
        inputs.stop();
    }

    /** Answers 400 with the modern {@code UnsupportedProtocolVersionError} listing {@code supported}. */
    static void unsupportedVersion(Request request, Response response, Callback callback, JsonNode id,
                                   String requested, List<String> supported, String why) {
        ObjectNode data = JsonRpc.objectNode().put("requested", requested);
        supported.forEach(data.putArray("supported")::add);
        ObjectNode error = JsonRpc.error(id, UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version "
                + requested + why, data);
        if (id == null) {
            JsonRpcPost.rejectUnread(request, response, callback, 400, error);
        } else {
            JsonResponses.write(response, callback, 400, error);
        }
    }

    /** Why a request's {@code _meta} lacks what every modern request carries, or null when it has it. */
    private static String invalidMeta(ObjectNode message) {
        JsonNode meta = message.path("params").path("_meta");
        if (!meta.isObject()) {
            return "a modern request carries _meta";
        }
        if (!meta.path(ModernMeta.PROTOCOL_VERSION).isTextual()) {
            return "_meta lacks " + ModernMeta.PROTOCOL_VERSION;
        }
        if (!meta.path(ModernMeta.CLIENT_CAPABILITIES).isObject()) {
            return "_meta lacks " + ModernMeta.CLIENT_CAPABILITIES;
        }
        return null;
    }

    /**
     * A POST whose {@code MCP-Protocol-Version} is a modern revision, or one the proxy does not serve at all (its
     * body is read so that the {@code UnsupportedProtocolVersionError} carries the request's id).
     */
    void post(Request request, Response response, Callback callback, String version) {
        if (!JsonRpcPost.lists(request, "application/json") || !JsonRpcPost.lists(request, "text/event-stream")) {
            JsonRpcPost.rejectUnread(request, response, callback, 406, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: Accept must list both application/json and text/event-stream");
            return;
        }
        JsonRpcPost.read(request, response, callback, context.maxBodyBytes(),
                "Invalid Request: JSON-RPC batches are not part of protocol version " + version,
                body -> message(request, response, callback, body, version));
    }

    private void message(Request request, Response response, Callback callback, JsonRpcPost.Messages body,
                         String version) {
        ObjectNode message = body.messages().get(0);
        if (refused(request, response, callback, message, version)) {
            return;
        }
        if (serverIsModern()) { // it serves listen streams and input requests itself
            forward(request, response, callback, message);
        } else if ("subscriptions/listen".equals(JsonRpc.method(message))) {
            listens.listen(request, response, callback, message);
        } else if (InputRequiredBridge.continues(message)) {
            inputs.retry(request, response, callback, body.body(), message, () -> exchange(request, response,
                    callback, message));
        } else {
            forward(request, response, callback, message);
        }
    }

    /**
     * Answers a message the proxy does not forward, in the order the checks depend on each other: the version
     * first (nothing else is known to apply otherwise), then the message kind, {@code _meta}, the method, the
     * mirrored headers, and last the backend mode.
     *
     * @return whether it was answered
     */
    private boolean refused(Request request, Response response, Callback callback, ObjectNode message,
                            String version) {
        JsonNode id = message.get("id");
        if (!ProtocolVersions.isModern(version)) {
            // data.supported lists what server/discover does; sessions are the other era, found by initialize
            unsupportedVersion(request, response, callback, id, version, ProtocolVersions.MODERN,
                    "; sessions (initialize) serve " + String.join(", ", ProtocolVersions.SUPPORTED));
            return true;
        }
        switch (JsonRpc.Kind.of(message)) {
            case REQUEST -> { }
            case NOTIFICATION -> {
                JsonResponses.empty(response, callback, 202); // none is defined: cancelling is closing the stream
                return true;
            }
            default -> {
                JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                        "Invalid Request: a modern client sends only requests");
                return true;
            }
        }
        String method = JsonRpc.method(message);
        String invalidMeta = invalidMeta(message);
        String invalidInput = InputRequiredBridge.invalid(message);
        String mismatch = invalidMeta != null || NOT_SERVED.contains(method) ? null
                : MirroredHeaders.mismatch(request.getHeaders(), message, version, "tools/call".equals(method)
                        ? toolParameters.of(message.path("params").path("name").asText(null)) : Map.of());
        if (invalidMeta != null) {
            JsonResponses.error(response, callback, 400, id, JsonRpc.INVALID_PARAMS, "Invalid params: " + invalidMeta);
        } else if (invalidInput != null) {
            JsonResponses.error(response, callback, 400, id, JsonRpc.INVALID_PARAMS, "Invalid params: " + invalidInput);
        } else if (NOT_SERVED.contains(method)) {
            JsonResponses.error(response, callback, 404, id, JsonRpc.METHOD_NOT_FOUND, "Method not found: " + method
                    + " is not part of protocol version " + version + " or not served by this proxy yet");
        } else if (mismatch != null) {
            JsonResponses.error(response, callback, 400, id, MirroredHeaders.HEADER_MISMATCH,
                    "Header mismatch: " + mismatch);
        } else if (backends.mode() != BackendMode.SHARED) {
            unsupportedVersion(request, response, callback, id, version, ProtocolVersions.SUPPORTED,
                    ": in per-session mode the proxy serves sessions only");
        } else {
            return false;
        }
        return true;
    }

    /** The answer to one modern request: JSON, or an SSE stream scoped to it. */
    private StatelessExchange exchange(Request request, Response response, Callback callback, ObjectNode message) {
        String logLevel = message.path("params").path("_meta").path(ModernMeta.LOG_LEVEL).asText(null);
        return new StatelessExchange(request, response, callback, context.streams(),
                context.sseMetrics(Session.Type.STREAMABLE), JsonRpc.method(message), logLevel);
    }

    /** Sends the request on a channel of its own, once that channel has gone through the server's initialize. */
    private void forward(Request request, Response response, Callback callback, ObjectNode message) {
        request.addIdleTimeoutListener(timeout -> false); // the server may take minutes
        StatelessExchange exchange = exchange(request, response, callback, message);
        Backend.Channel channel;
        try {
            channel = backends.open(CHANNEL_PREFIX + channels.incrementAndGet(), new DroppingListener());
        } catch (BackendUnavailableException e) {
            JsonResponses.unavailable(response, callback, message.get("id"), "server_unavailable", e.getMessage(),
                    1);
            return;
        }
        Thread caller = Thread.currentThread();
        channel.whenServerEraKnown(era -> {
            if (era == ServerEra.MODERN) { // as it is: the server reads its _meta
                exchange.channel(channel);
                onRequestThread(caller, () -> send(channel, message, exchange, exchange));
            } else {
                bridge(request, channel, message, exchange, caller);
            }
        });
    }

    /** Sends the request to the legacy server once the channel has gone through its initialize. */
    private void bridge(Request request, Backend.Channel channel, ObjectNode message, StatelessExchange exchange,
                        Thread caller) {
        boolean asksForInput = InputRequiredBridge.asksForInput(JsonRpc.method(message));
        Backend.Exchange answer;
        if (asksForInput) { // the call owns the channel: it may outlive this HTTP request
            answer = inputs.start(channel, message, request, exchange);
        } else {
            exchange.channel(channel);
            answer = exchange;
        }
        JsonNode capabilities = asksForInput ? ROUTED_CAPABILITIES : NO_CAPABILITIES;
        ObjectNode cached = channel.initializeFromCache(capabilities);
        if (cached != null) { // the usual case: no initialize message at all
            onRequestThread(caller, () -> initializedThen(channel, message, exchange, answer, cached));
            return;
        }
        initialized(channel, message.get("id"), answer::onResponse, capabilities, serverResult -> onRequestThread(
                caller, () -> initializedThen(channel, message, exchange, answer, serverResult)));
    }

    /**
     * Runs {@code next} here when still on the request's own thread (the era and initialize were known at once),
     * else later: the thread that reads the server's output must not wait for the next send.
     */
    private void onRequestThread(Thread caller, Runnable next) {
        if (Thread.currentThread() == caller) {
            next.run();
        } else {
            context.runLater(next);
        }
    }

    /** Whether the shared server is known to be modern: it then answers every method it is sent itself. */
    private boolean serverIsModern() {
        Backend shared = backends.shared();
        return shared != null && shared.serverEra() == ServerEra.MODERN;
    }

    /**
     * Runs {@code then} with the server's initialize result once the channel has gone through it; gives
     * {@code failed} the client's error otherwise.
     *
     * @param capabilities what the channel declares: every capability the proxy routes when the request may ask
     *                     for input, so that the server's requests reach the call (which checks them against what
     *                     its client declared); else none
     */
    static void initialized(Backend.Channel channel, JsonNode clientId, Consumer<ObjectNode> failed,
                            JsonNode capabilities, Consumer<ObjectNode> then) {
        ObjectNode params = JsonRpc.objectNode().put("protocolVersion", ProtocolVersions.LATEST);
        params.set("capabilities", capabilities.deepCopy());
        params.putObject("clientInfo").put("name", "mcp-transport-proxy").put("version", "1");
        channel.request(JsonRpc.request(TextNode.valueOf("proxy-initialize"), "initialize", params),
                new Backend.Exchange() {
                    @Override
                    public boolean onMessage(ObjectNode message) {
                        return false;
                    }

                    @Override
                    public void onResponse(ObjectNode response) {
                        if (response.get("result") instanceof ObjectNode result) {
                            then.accept(result);
                        } else {
                            failed.accept(JsonRpc.proxyError(clientId, "server_unavailable",
                                    "The MCP server could not be initialized: "
                                            + response.path("error").path("message").asText()));
                        }
                    }
                });
    }

    private void initializedThen(Backend.Channel channel, ObjectNode message, StatelessExchange exchange,
                                 Backend.Exchange answer, ObjectNode serverResult) {
        channel.notify(JsonRpc.notification("notifications/initialized", null)); // reaches only a new server
        String method = JsonRpc.method(message);
        if ("server/discover".equals(method)) {
            exchange.answer(JsonRpc.result(message.get("id"), discoverResult(serverResult)));
            return;
        }
        ObjectNode forwarded = withoutModernMeta(message);
        if (forwarded.get("params") instanceof ObjectNode params) {
            params.remove(List.of("inputResponses", "requestState")); // a legacy server knows neither
        }
        send(channel, forwarded, exchange, answer);
    }

    /**
     * Sends the request; the tools a {@code tools/list} answer names teach which parameters are mirrored.
     *
     * @param answer where the answer goes (the exchange, or the call that waits for its client's input)
     */
    private void send(Backend.Channel channel, ObjectNode forwarded, StatelessExchange exchange,
                      Backend.Exchange answer) {
        channel.request(forwarded, "tools/list".equals(JsonRpc.method(forwarded)) ? new Backend.Exchange() {
            @Override
            public boolean onMessage(ObjectNode related) {
                return exchange.onMessage(related);
            }

            @Override
            public void onResponse(ObjectNode response) {
                toolParameters.learn(response.path("result"));
                exchange.onResponse(response);
            }
        } : answer);
    }

    /** The legacy server's {@code initialize} result as a {@code DiscoverResult}. */
    static ObjectNode discoverResult(ObjectNode initializeResult) {
        ObjectNode result = JsonRpc.objectNode();
        ProtocolVersions.MODERN.forEach(result.putArray("supportedVersions")::add);
        result.set("capabilities", initializeResult.path("capabilities").isObject()
                ? initializeResult.get("capabilities").deepCopy() : JsonRpc.objectNode());
        if (initializeResult.path("instructions").isTextual()) {
            result.set("instructions", initializeResult.get("instructions"));
        }
        if (initializeResult.path("serverInfo").isObject()) {
            result.putObject("_meta").set(ModernMeta.SERVER_INFO, initializeResult.get("serverInfo").deepCopy());
        }
        return result; // resultType and the caching hints are added like those of any result
    }

    /**
     * A copy of {@code message} without the {@code _meta} keys of the modern revision. The message and its
     * {@code params} and {@code _meta} objects are copied, the values under them shared (the arguments are never
     * changed): a call that waits for input keeps the original to compare its retries with.
     */
    static ObjectNode withoutModernMeta(ObjectNode message) {
        ObjectNode copy = JsonRpc.objectNode().setAll(message);
        if (!(message.get("params") instanceof ObjectNode original)) {
            return copy;
        }
        ObjectNode params = copy.putObject("params").setAll(original);
        if (original.get("_meta") instanceof ObjectNode meta) {
            ObjectNode kept = JsonRpc.objectNode();
            meta.fields().forEachRemaining(field -> {
                if (!field.getKey().startsWith(ModernMeta.PREFIX)) {
                    kept.set(field.getKey(), field.getValue());
                }
            });
            if (kept.isEmpty()) {
                params.remove("_meta");
            } else {
                params.set("_meta", kept);
            }
        }
        return copy;
    }

    /**
     * What the server sends a stateless channel outside its request: list changes and resource updates, which a
     * modern client gets on a {@code subscriptions/listen} stream ({@link ListenStream}), never on a request's
     * channel. Taken and dropped.
     */
    private static final class DroppingListener implements Backend.Listener {
        @Override
        public boolean deliver(ObjectNode message) {
            return true;
        }

        @Override
        public void onEnded(String reason) {
            // the request in flight is answered with the server's exit by the backend
        }
    }
}
