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

    /** A request to the client: its method and params. */
    record Outgoing(String method, JsonNode params) {
    }

    /**
     * Sends every request at once, each under the id it is keyed by (a 2026-07-28 client behind a bridging proxy sees
     * these ids as its input requests' keys), and blocks until all are answered or {@code timeout} has passed. An
     * id still pending from an earlier call (one whose client never came back) is taken over: that call's wait
     * fails at once.
     *
     * @return each answer by id: the whole response, with its {@code result} or {@code error}
     * @throws ToolFailure if some answer did not come within {@code timeout}
     */
    Map<String, JsonNode> callAll(Map<String, Outgoing> requests, Duration timeout)
            throws ToolFailure, InterruptedException {
        Map<String, CompletableFuture<JsonNode>> replies = new java.util.LinkedHashMap<>();
        try {
            for (Map.Entry<String, Outgoing> request : requests.entrySet()) {
                CompletableFuture<JsonNode> reply = new CompletableFuture<>();
                CompletableFuture<JsonNode> superseded = pending.put(request.getKey(), reply);
                if (superseded != null) { // withdrawn first, so no answer to it is mistaken for the new one's
                    wire.notify("notifications/cancelled", Wire.object().put("requestId", request.getKey())
                            .put("reason", "superseded by a newer request with this id"));
                    superseded.complete(Wire.object().set("error", Wire.object()
                            .put("code", RpcException.INTERNAL_ERROR).put("message", "superseded by a newer request")));
                }
                replies.put(request.getKey(), reply);
                wire.request(request.getKey(), request.getValue().method(), request.getValue().params());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            Map<String, JsonNode> answers = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, CompletableFuture<JsonNode>> reply : replies.entrySet()) {
                long left = Math.max(0, deadline - System.nanoTime());
                answers.put(reply.getKey(), reply.getValue().get(left, TimeUnit.NANOSECONDS));
            }
            return answers;
        } catch (TimeoutException e) {
            throw new ToolFailure("no response to every request within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new IllegalStateException("reply futures are never completed exceptionally", e);
        } finally {
            replies.forEach(pending::remove); // only our own futures: a newer call's stay
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
