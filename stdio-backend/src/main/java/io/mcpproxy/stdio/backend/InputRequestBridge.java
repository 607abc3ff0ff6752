package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Bridges a modern server's {@code InputRequiredResult} (multi round-trip requests) to a legacy session, which knows
 * server requests instead: each of its {@code inputRequests} goes to the session's client as a server request on
 * the request's stream, and once every one is answered the request is sent again with {@code inputResponses} and
 * the server's {@code requestState}. The client sees one request and its final answer, as with a legacy server.
 */
final class InputRequestBridge {

    /** Most rounds of one request: a server that asks for input forever gets its client an error instead. */
    static final int MAX_ROUNDS = 16;

    /** Sends a session's request to the server again (a fresh registration under the client's id). */
    interface Resend {
        void resend(ClientSession session, ObjectNode request, Backend.Exchange exchange);
    }

    /** A server request sent to a session for one input request, waiting for the client's answer. */
    private record Pending(ClientSession session, Round round, String key) {
    }

    private final AtomicLong ids = new AtomicLong();
    /** Input requests sent to clients, by {@link RequestTable#idKey} of the id the client got. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Resend resend;

    InputRequestBridge(Resend resend) {
        this.resend = resend;
    }

    /**
     * The exchange for a legacy session's request to a modern server: bridges input rounds, passes the rest.
     *
     * @param request the request as the session sent it (with the modern {@code _meta}), kept for the retries
     */
    Backend.Exchange exchange(ClientSession session, ObjectNode request, Backend.Exchange client) {
        return new Bridging(session, request.deepCopy(), client, 1);
    }

    /**
     * A client's answer to one of the bridged input requests.
     *
     * @return false when it answers none (then it is an answer to a server request of its own)
     */
    boolean answered(ClientSession session, ObjectNode response) {
        String key = RequestTable.idKey(response.get("id"));
        Pending waiting = pending.get(key);
        if (waiting == null || waiting.session() != session || !pending.remove(key, waiting)) {
            return false;
        }
        waiting.round().answered(waiting.key(), response);
        return true;
    }

    /** Forgets the input requests of a session that ended: its requests were answered by the proxy. */
    void sessionEnded(ClientSession session) {
        pending.values().removeIf(waiting -> waiting.session() == session);
    }

    /** One request's way back while the server may still ask for input. */
    private final class Bridging implements Backend.Exchange {
        private final ClientSession session;
        private final ObjectNode request;
        private final Backend.Exchange client;
        private final int round;

        Bridging(ClientSession session, ObjectNode request, Backend.Exchange client, int round) {
            this.session = session;
            this.request = request;
            this.client = client;
            this.round = round;
        }

        @Override
        public boolean onMessage(ObjectNode message) {
            return client.onMessage(message);
        }

        @Override
        public void onResponse(ObjectNode response) {
            JsonNode result = response.path("result");
            if (!"input_required".equals(result.path("resultType").asText())) {
                client.onResponse(response);
            } else if (round >= MAX_ROUNDS) {
                client.onResponse(JsonRpc.proxyError(response.get("id"), "input_rounds",
                        "The MCP server asked for input " + MAX_ROUNDS + " times for one request"));
            } else {
                new Round(this, response.get("id"), result).start();
            }
        }

        /** The request again, with the answers to the last round's input requests and the server's state. */
        void retry(ObjectNode inputResponses, JsonNode requestState) {
            ObjectNode again = request.deepCopy();
            ObjectNode params = (ObjectNode) again.get("params");
            params.remove("inputResponses");
            params.remove("requestState");
            if (!inputResponses.isEmpty()) {
                params.set("inputResponses", inputResponses);
            }
            if (requestState != null && requestState.isTextual()) {
                params.set("requestState", requestState);
            }
            resend.resend(session, again, new Bridging(session, request, client, round + 1));
        }
    }

    /** The input requests of one {@code InputRequiredResult}, sent to the client and answered one by one. */
    private final class Round {
        private final Bridging request;
        private final JsonNode clientId;
        private final JsonNode inputRequests;
        private final JsonNode requestState;
        private final ObjectNode responses = JsonRpc.objectNode(); // guarded by this
        private final AtomicInteger outstanding;
        private final AtomicBoolean failed = new AtomicBoolean();

        Round(Bridging request, JsonNode clientId, JsonNode result) {
            this.request = request;
            this.clientId = clientId;
            this.inputRequests = result.path("inputRequests");
            this.requestState = result.get("requestState");
            this.outstanding = new AtomicInteger(inputRequests.size());
        }

        void start() {
            if (inputRequests.isEmpty()) {
                request.retry(JsonRpc.objectNode(), requestState); // state only: the server goes on with it
                return;
            }
            forEachInputRequest((key, input) -> {
                String id = "input-" + ids.incrementAndGet();
                pending.put(RequestTable.idKey(TextNode.valueOf(id)), new Pending(request.session, this, key));
                ObjectNode serverRequest = JsonRpc.request(TextNode.valueOf(id), input.path("method").asText(),
                        input.get("params"));
                if (!failed.get() && !request.client.onMessage(serverRequest)) {
                    pending.remove(RequestTable.idKey(TextNode.valueOf(id)));
                    fail("the client's stream is gone");
                }
            });
        }

        private void forEachInputRequest(BiConsumer<String, JsonNode> each) {
            for (Iterator<Map.Entry<String, JsonNode>> it = inputRequests.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                each.accept(entry.getKey(), entry.getValue());
            }
        }

        void answered(String key, ObjectNode response) {
            if (response.get("result") == null) {
                fail("the client answered " + inputRequests.path(key).path("method").asText() + " with an error: "
                        + response.path("error").path("message").asText());
                return;
            }
            synchronized (this) {
                responses.set(key, response.get("result"));
            }
            if (outstanding.decrementAndGet() == 0 && !failed.get()) {
                ObjectNode all;
                synchronized (this) {
                    all = responses.deepCopy();
                }
                request.retry(all, requestState);
            }
        }

        private void fail(String why) {
            if (failed.compareAndSet(false, true)) {
                request.client.onResponse(JsonRpc.proxyError(clientId, "input_failed",
                        "The MCP server's input request could not be answered: " + why));
            }
        }
    }
}
