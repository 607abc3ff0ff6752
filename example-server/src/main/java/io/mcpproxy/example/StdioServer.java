package io.mcpproxy.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The JSON-RPC plumbing shared by every server of this module: reads newline-delimited JSON-RPC from stdin,
 * runs each request on its own worker thread through a {@link RequestHandler}, honours
 * {@code notifications/cancelled}, and hands responses to server-to-client requests back to
 * {@link OutgoingRequests}. What the server actually answers is entirely up to the handler.
 */
final class StdioServer {

    /** Answers one client request by method; runs on a worker thread. */
    @FunctionalInterface
    interface RequestHandler {
        /**
         * @param params the request's params, an empty object if it had none
         * @return the result to send
         * @throws InterruptedException only when the request was cancelled
         */
        JsonNode handle(String method, JsonNode params) throws RpcException, InterruptedException;
    }

    private final Wire wire;
    private final ServerState state;
    private final OutgoingRequests outgoing;
    private final RequestHandler handler;
    /** Requests being handled, by the JSON text of their id, so a cancellation can find them. */
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Unbounded on purpose: a request blocked on the client (sampling) must never starve the others. */
    private final ExecutorService workers = Executors.newCachedThreadPool(daemonThreads());

    StdioServer(Wire wire, ServerState state, OutgoingRequests outgoing, RequestHandler handler) {
        this.wire = wire;
        this.state = state;
        this.outgoing = outgoing;
        this.handler = handler;
    }

    /**
     * The whole life of a server process: serves MCP on the real stdin/stdout until stdin ends, then exits the
     * JVM with code 0 (1 if stdin cannot be read).
     *
     * @param startNote appended to the "started" log line, may be empty
     * @param factory builds the server around the protocol writer
     */
    static void serveStdioAndExit(String startNote, Function<Wire, StdioServer> factory) {
        // Keep a private handle on the real stdout, then point System.out at stderr: a stray println anywhere
        // lands in the log instead of corrupting the protocol stream.
        Wire wire = new Wire(new FileOutputStream(FileDescriptor.out));
        System.setOut(System.err);
        Log.log("started, pid %d%s", ProcessHandle.current().pid(), startNote);
        try {
            factory.apply(wire).run(System.in);
        } catch (IOException e) {
            Log.log("cannot read stdin: %s", e);
            System.exit(1);
        }
        Log.log("stdin closed, exiting");
        System.exit(0); // explicit: requests still running on workers are abandoned, the client has left
    }

    /** Reads messages until EOF; requests are handed to workers, everything else is handled right here. */
    void run(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            try {
                handleLine(line);
            } catch (RuntimeException e) {
                // One bad message must not take the whole server down.
                Log.log("failed to handle message %s: %s", Log.abbreviate(line), e);
            }
        }
    }

    private void handleLine(String line) {
        JsonNode message;
        try {
            message = Wire.JSON.readTree(line);
        } catch (JsonProcessingException e) {
            Log.log("ignoring line that is not JSON: %s", Log.abbreviate(line));
            return;
        }
        if (!message.isObject()) {
            Log.log("ignoring JSON that is not an object (batches are not supported): %s", Log.abbreviate(line));
            return;
        }
        JsonNode id = message.get("id");
        if (!message.path("jsonrpc").asText().equals("2.0") || !message.path("jsonrpc").isTextual()) {
            invalid(id, "jsonrpc must be \"2.0\"", line);
            return;
        }
        JsonNode method = message.get("method");
        JsonNode params = message.get("params");
        if (method == null) {
            if (usable(id) && (message.has("result") || message.has("error"))) {
                onResponse(message, line);
            } else {
                invalid(id, "neither a request, a notification nor a response", line);
            }
        } else if (!method.isTextual()) {
            invalid(id, "method must be a string", line);
        } else if (params != null && !params.isNull() && !params.isObject()) {
            if (usable(id)) {
                wire.error(id, new RpcException(RpcException.INVALID_PARAMS, "params must be an object"));
            } else {
                Log.log("ignoring message whose params are not an object: %s", Log.abbreviate(line));
            }
        } else if (id == null) {
            onNotification(method.asText(), params == null || params.isNull() ? Wire.object() : params);
        } else if (!usable(id)) {
            invalid(id, "id must be a string or a number", line);
        } else {
            onRequest(id, method.asText(), params == null || params.isNull() ? Wire.object() : params);
        }
    }

    private void onRequest(JsonNode id, String method, JsonNode params) {
        String key = Wire.toJson(id);
        InFlight flight = new InFlight();
        // Registered here on the reader thread, before any later line is read, so a cancellation that
        // immediately follows the request always finds it.
        inFlight.put(key, flight);
        workers.execute(() -> serve(id, key, method, params, flight));
    }

    private void serve(JsonNode id, String key, String method, JsonNode params, InFlight flight) {
        flight.start(Thread.currentThread());
        JsonNode result = null;
        RpcException error = null;
        try {
            result = handler.handle(method, params);
        } catch (RpcException e) {
            error = e;
        } catch (InterruptedException e) {
            // Only a cancellation interrupts a worker; finish() below confirms it and we stay silent.
        } catch (RuntimeException e) {
            Log.log("%s failed: %s", method, e);
            error = new RpcException(RpcException.INTERNAL_ERROR, "Internal error: " + e.getMessage());
        } finally {
            inFlight.remove(key, flight);
        }
        if (flight.finish()) {
            Log.log("request %s (%s) was cancelled, sending no response", key, method);
        } else if (error != null) {
            wire.error(id, error);
        } else if (result != null) {
            wire.respond(id, result);
        } else {
            wire.error(id, new RpcException(RpcException.INTERNAL_ERROR, "Internal error: interrupted"));
        }
    }

    private void onNotification(String method, JsonNode params) {
        switch (method) {
            case "notifications/initialized" -> { }
            case "notifications/cancelled" -> cancel(params.get("requestId"), params.path("reason").asText(""));
            case "notifications/roots/list_changed" -> workers.execute(this::fetchRoots);
            default -> Log.log("ignoring notification %s", method);
        }
    }

    /** What servers do when the client's roots changed: ask for them (on a worker: the answer comes via stdin). */
    private void fetchRoots() {
        try {
            JsonNode roots = outgoing.call("roots/list", Wire.object(), Duration.ofSeconds(10)).path("roots");
            state.rootsChanged(Wire.toJson(roots));
        } catch (ToolFailure e) {
            state.rootsChanged("roots/list failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void cancel(JsonNode requestId, String reason) {
        if (requestId == null || requestId.isNull()) {
            Log.log("ignoring notifications/cancelled without requestId");
            return;
        }
        state.recordCancelled(requestId);
        InFlight flight = inFlight.get(Wire.toJson(requestId));
        Log.log("client cancelled request %s%s%s", Wire.toJson(requestId), reason.isEmpty() ? "" : ": " + reason,
                flight == null ? " (not running, nothing to stop)" : "");
        if (flight != null) {
            flight.cancel();
        }
    }

    private void onResponse(JsonNode message, String line) {
        if (!outgoing.complete(message)) {
            Log.log("ignoring response with unknown id: %s", Log.abbreviate(line));
        }
    }

    /** Answers -32600 if the message has an id we can echo back; without one there is nobody to answer. */
    private void invalid(JsonNode id, String reason, String line) {
        if (usable(id)) {
            wire.error(id, new RpcException(RpcException.INVALID_REQUEST, "Invalid Request: " + reason));
        } else {
            Log.log("ignoring invalid message (%s): %s", reason, Log.abbreviate(line));
        }
    }

    private static boolean usable(JsonNode id) {
        return id != null && (id.isTextual() || id.isNumber());
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            // Daemon: EOF on stdin must end the process even while a worker sleeps or waits for the client.
            Thread thread = new Thread(task, "example-worker-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
