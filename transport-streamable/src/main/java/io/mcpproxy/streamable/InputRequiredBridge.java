package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.auth.Principal;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.cluster.Cluster;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multi round-trip requests (2026-07-28) of modern clients, bridged to the legacy server's own requests to its
 * client: starts a {@link BridgedCall} for each {@code tools/call}, {@code prompts/get} and {@code resources/read},
 * and serves a retry carrying {@code requestState} here when this replica holds the waiting call, or forwards it to
 * the replica that does. A state that fails its integrity check, and one whose call is unknown here (expired,
 * answered already, or of a replica that is gone), get 400 with {@code -32602} ({@code data.reason}
 * {@code request_state_invalid} or {@code request_state_unknown}): the client starts the request over.
 */
final class InputRequiredBridge {

    private static final Logger LOG = LoggerFactory.getLogger(InputRequiredBridge.class);
    /** What the cluster secret is stretched into for {@code requestState} MACs. */
    private static final String KEY_PURPOSE = "mcp-proxy request state";

    private final ProxyContext context;
    private final WaitingCalls waiting;
    private final RequestStates states;

    InputRequiredBridge(ProxyContext context, InputRequestSettings settings) {
        this.context = context;
        this.waiting = new WaitingCalls(settings, context::scheduler);
        Cluster cluster = context.cluster();
        this.states = new RequestStates(cluster.derivedKey(KEY_PURPOSE), cluster.replicaId(),
                cluster.forwarding() ? cluster.advertiseUrl() : null);
    }

    /** Whether {@code method}'s result may ask for input. */
    static boolean asksForInput(String method) {
        return BridgedCall.METHODS.contains(method);
    }

    /** Whether {@code message} continues a call that waits for input. */
    static boolean continues(ObjectNode message) {
        return message.path("params").path("requestState").isTextual();
    }

    /** Why {@code message}'s {@code inputResponses} or {@code requestState} are malformed, or null. */
    static String invalid(ObjectNode message) {
        JsonNode params = message.path("params");
        boolean carries = params.has("inputResponses") || params.has("requestState");
        if (!carries) {
            return null;
        }
        if (!asksForInput(JsonRpc.method(message))) {
            return "inputResponses and requestState continue only " + String.join(", ",
                    BridgedCall.METHODS.stream().sorted().toList());
        }
        if (params.has("requestState") && !params.get("requestState").isTextual()) {
            return "requestState must be a string";
        }
        JsonNode responses = params.get("inputResponses");
        if (responses == null) {
            return null;
        }
        if (!responses.isObject()) {
            return "inputResponses must be an object";
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = responses.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> response = it.next();
            if (!response.getValue().isObject()) {
                return "inputResponses[\"" + response.getKey() + "\"] must be a result object";
            }
        }
        return null;
    }

    /** The first round of a call on its own {@code channel}: the call is the backend's exchange for it. */
    BridgedCall start(Backend.Channel channel, ObjectNode message, Request request, StatelessExchange exchange) {
        BridgedCall call = new BridgedCall(channel, message, principalOf(request), waiting, states,
                context::scheduler, BridgedCall.Round.of(message, exchange));
        exchange.onAbandoned(() -> call.abandoned(exchange));
        return call;
    }

    /**
     * A retry carrying {@code requestState}: continued here, forwarded to the replica holding its call, or refused.
     *
     * @param body     the request body as read, for forwarding
     * @param exchange makes the round's answer once the call is found here
     */
    void retry(Request request, Response response, Callback callback, byte[] body, ObjectNode message,
               Supplier<StatelessExchange> exchange) {
        JsonNode id = message.get("id");
        RequestStates.Claim claim = states.verify(message.path("params").path("requestState").asText());
        if (claim == null) {
            refuse(response, callback, id, "request_state_invalid", "requestState failed its integrity check: it"
                    + " was changed, or another proxy (one without this cluster's secret) issued it");
            return;
        }
        if (!states.isHere(claim)) {
            elsewhere(request, response, callback, body, id, claim);
            return;
        }
        BridgedCall call = waiting.peek(claim.waitingId());
        if (call == null || !call.startedBy(principalOf(request))) { // another principal learns nothing of it
            unknown(response, callback, id, "it expired (after " + waiting.inputTimeout()
                    + "), was answered already, or never was");
        } else if (!call.sameRequest(message)) {
            refuse(response, callback, id, "request_state_mismatch", "requestState belongs to another request:"
                    + " a retry carries the method and params of the request it continues");
        } else if (!waiting.take(claim.waitingId(), call)) {
            unknown(response, callback, id, "another retry with it came first");
        } else {
            request.addIdleTimeoutListener(timeout -> false); // the server may take minutes
            StatelessExchange round = exchange.get();
            round.onAbandoned(() -> call.abandoned(round));
            call.retried(BridgedCall.Round.of(message, round));
        }
    }

    /** A state naming another replica: forwarded to it while it lives, unknown when it is gone. */
    private void elsewhere(Request request, Response response, Callback callback, byte[] body, JsonNode id,
                           RequestStates.Claim claim) {
        Cluster cluster = context.cluster();
        if (ProxyContext.isForwarded(request) || !cluster.forwarding() || claim.replicaUrl() == null) {
            unknown(response, callback, id, "the proxy replica holding the call cannot be reached from here");
            return;
        }
        switch (cluster.liveness(claim.replica())) {
            case ALIVE -> cluster.forward(request, response, callback, body, claim.replicaUrl());
            case GONE -> {
                LOG.info("a retry names a call held by replica {}, which is gone", claim.replica());
                unknown(response, callback, id, "the proxy replica holding the call is gone");
            }
            case UNKNOWN -> JsonResponses.unavailable(response, callback, id, "owner_unknown", "Whether the proxy"
                    + " replica holding this call lives is not known right now; retry shortly", 1);
        }
    }

    /** Ends every waiting call (the proxy stops). */
    void stop() {
        waiting.expireAll();
    }

    private static void unknown(Response response, Callback callback, JsonNode id, String why) {
        refuse(response, callback, id, "request_state_unknown", "requestState names a call that no longer waits: "
                + why + "; send the request again without requestState");
    }

    private static void refuse(Response response, Callback callback, JsonNode id, String reason, String why) {
        JsonResponses.write(response, callback, 400, JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Invalid params: "
                + why, JsonRpc.objectNode().put("reason", reason)));
    }

    private static String principalOf(Request request) {
        Principal principal = Authentication.principalOf(request);
        return principal == null ? null : principal.digest();
    }
}
