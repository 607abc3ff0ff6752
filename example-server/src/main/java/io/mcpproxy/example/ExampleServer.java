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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small but real MCP server on the stdio transport: newline-delimited JSON-RPC 2.0 on stdin/stdout, logs on
 * stderr. It is the demo server behind the proxy and the child process of the proxy's integration tests.
 *
 * <h2>Running</h2>
 * <pre>java -cp example-server-0.1.0-SNAPSHOT.jar:jackson-databind.jar:jackson-core.jar:jackson-annotations.jar \
 *     io.mcpproxy.example.ExampleServer [--allow-reinitialize]</pre>
 * EOF on stdin ends the process with exit code 0.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>{@code initialize} answers with the client's protocol version if it is one of 2024-11-05, 2025-03-26,
 *       2025-06-18 or 2025-11-25, else 2025-11-25. A second {@code initialize} is refused with -32600
 *       "already initialized" unless started with {@code --allow-reinitialize}.</li>
 *   <li>{@code ping}, {@code logging/setLevel} (filters the {@code notifications/message} the server sends),
 *       {@code tools/list}, {@code tools/call}, {@code resources/list}, {@code resources/templates/list} (empty),
 *       {@code resources/read} (only {@code example://greeting}, else -32002), {@code resources/subscribe},
 *       {@code resources/unsubscribe} (any URI), {@code prompts/list}, {@code prompts/get} (prompt
 *       {@code greeting}, argument {@code name}). Anything else: -32601.</li>
 *   <li>Every request runs on its own worker thread, so a slow one never delays the others.
 *       {@code notifications/cancelled} interrupts the request and suppresses its response.</li>
 *   <li>Lines that are not JSON are logged and ignored; JSON that is not a valid JSON-RPC message gets -32600
 *       if it has a usable id, else is only logged.</li>
 * </ul>
 *
 * <h2>Tools</h2>
 * A failing tool (bad argument, client error, timeout) returns a result with {@code isError: true}; an unknown
 * tool name is a JSON-RPC error -32602 "Unknown tool: &lt;name&gt;".
 * <table>
 *   <caption>Tools</caption>
 *   <tr><th>name</th><th>arguments</th><th>result text / effect</th></tr>
 *   <tr><td>echo</td><td>text</td><td>the text</td></tr>
 *   <tr><td>slow</td><td>ms</td><td>"slept &lt;ms&gt; ms"; no response at all if cancelled</td></tr>
 *   <tr><td>progress</td><td>steps=3, delayMs=10</td><td>per step {@code notifications/progress} (with a
 *       progressToken) and {@code notifications/message}; then "done &lt;steps&gt; steps"</td></tr>
 *   <tr><td>sample</td><td>prompt</td><td>sends {@code sampling/createMessage}; "sampled: &lt;text&gt;"</td></tr>
 *   <tr><td>roots</td><td></td><td>sends {@code roots/list}; "roots: &lt;count&gt;"</td></tr>
 *   <tr><td>elicit</td><td>message</td><td>sends {@code elicitation/create};
 *       "elicited: &lt;action&gt; &lt;content JSON or null&gt;"</td></tr>
 *   <tr><td>crash</td><td>exitCode=3</td><td>halts the process with that code, no response</td></tr>
 *   <tr><td>notify_list_changed</td><td>kind=tools|resources|prompts</td>
 *       <td>sends {@code notifications/<kind>/list_changed}; "sent"</td></tr>
 *   <tr><td>update_resource</td><td>uri</td><td>sends {@code notifications/resources/updated} if subscribed;
 *       "updated &lt;uri&gt;" or "not subscribed &lt;uri&gt;"</td></tr>
 *   <tr><td>cancelled</td><td></td><td>JSON array of the request ids seen in {@code notifications/cancelled}</td></tr>
 *   <tr><td>garbage</td><td></td><td>writes the non-JSON line "this is not json" to stdout; "ok"</td></tr>
 *   <tr><td>pid</td><td></td><td>the process id</td></tr>
 * </table>
 * Server-to-client requests use ids {@code "srv-1"}, {@code "srv-2"}, … and wait up to 60 s for the answer.
 */
public final class ExampleServer {

    private final Wire wire;
    private final ServerState state;
    private final OutgoingRequests outgoing;
    private final Dispatcher dispatcher;
    /** Requests being handled, by the JSON text of their id, so a cancellation can find them. */
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Unbounded on purpose: a request blocked on the client (sampling) must never starve the others. */
    private final ExecutorService workers = Executors.newCachedThreadPool(daemonThreads());

    ExampleServer(Wire wire, boolean allowReinitialize) {
        this.wire = wire;
        this.state = new ServerState(allowReinitialize);
        this.outgoing = new OutgoingRequests(wire);
        this.dispatcher = new Dispatcher(state, new Tools(wire, outgoing, state));
    }

    /**
     * Serves MCP on stdin/stdout until stdin ends, then exits with code 0.
     *
     * @param args {@code --allow-reinitialize} to accept repeated {@code initialize} requests
     */
    public static void main(String[] args) {
        boolean allowReinitialize = false;
        for (String arg : args) {
            if (arg.equals("--allow-reinitialize")) {
                allowReinitialize = true;
            } else {
                System.err.println("usage: java -cp <classpath> io.mcpproxy.example.ExampleServer [--allow-reinitialize]");
                System.exit(2);
            }
        }
        // Keep a private handle on the real stdout, then point System.out at stderr: a stray println anywhere
        // lands in the log instead of corrupting the protocol stream.
        Wire wire = new Wire(new FileOutputStream(FileDescriptor.out));
        System.setOut(System.err);
        Log.log("started, pid %d%s", ProcessHandle.current().pid(),
                allowReinitialize ? ", re-initialization allowed" : "");
        try {
            new ExampleServer(wire, allowReinitialize).run(System.in);
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
            result = dispatcher.handle(method, params);
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
            default -> Log.log("ignoring notification %s", method);
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
