package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests this server sends to the client ({@code sampling/createMessage}, {@code roots/list},
 * {@code elicitation/create}) and the tools blocked waiting for their answers.
 *
 * <p>Ids are strings {@code "srv-<n>"}: the client's own ids are usually numbers, and a distinct prefix makes
 * server-originated traffic obvious in a proxy's logs.
 */
final class OutgoingRequests {

    private final Wire wire;
    private final AtomicLong counter = new AtomicLong();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    OutgoingRequests(Wire wire) {
        this.wire = wire;
    }

    /**
     * Sends a request and blocks the calling worker until the matching response arrives.
     *
     * @return the response's {@code result}
     * @throws ToolFailure if the client answered with an error or not within {@code timeout}
     * @throws InterruptedException if the tool call that needed this answer was cancelled
     */
    JsonNode call(String method, JsonNode params, Duration timeout) throws ToolFailure, InterruptedException {
        String id = "srv-" + counter.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply); // before sending: the answer may arrive before send() returns
        try {
            wire.request(id, method, params);
            JsonNode response = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode error = response.get("error");
            if (error != null && !error.isNull()) {
                throw new ToolFailure(error.path("message").asText("client returned an error"));
            }
            return response.path("result");
        } catch (TimeoutException e) {
            throw new ToolFailure("no response to " + method + " within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new IllegalStateException("reply futures are never completed exceptionally", e);
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Hands a client response to the tool waiting for it.
     *
     * @return false if nobody waits for this id (unknown, or already timed out)
     */
    boolean complete(JsonNode response) {
        JsonNode id = response.get("id");
        CompletableFuture<JsonNode> reply = id.isTextual() ? pending.remove(id.asText()) : null;
        return reply != null && reply.complete(response);
    }
}
