package io.mcpproxy.streamable;

import io.mcpproxy.core.testing.SseEvents;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately plain MCP Streamable HTTP client for tests: every header is visible and overridable, so tests
 * can also send what real clients never would.
 */
final class McpTestClient {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final HttpClient http;
    private final URI uri;
    private final AtomicLong ids = new AtomicLong();
    String sessionId;
    String protocolVersion = "2025-06-18";
    /** The {@code Authorization} header every request carries; null: none. */
    String authorization;

    McpTestClient(HttpClient http, URI uri) {
        this.http = http;
        this.uri = uri;
    }

    /** A POST response, whatever its type; SSE bodies are read to the end. */
    record Reply(int status, HttpResponse<InputStream> raw, String contentType, String body, List<ObjectNode> events) {
        ObjectNode json() {
            return (ObjectNode) JsonRpc.parse(body.getBytes(StandardCharsets.UTF_8));
        }

        /** The JSON-RPC response: the JSON body, or the last SSE message. */
        ObjectNode response() {
            return contentType.startsWith("text/event-stream") ? events.get(events.size() - 1) : json();
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    ObjectNode request(String method, JsonNode params) {
        return JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(ids.incrementAndGet()), method, params);
    }

    static ObjectNode params(Object... keyValues) {
        ObjectNode params = JsonRpc.objectNode();
        for (int i = 0; i < keyValues.length; i += 2) {
            params.set((String) keyValues[i], JsonRpc.MAPPER.valueToTree(keyValues[i + 1]));
        }
        return params;
    }

    static ObjectNode toolCall(String tool, Map<String, ?> arguments) {
        return params("name", tool, "arguments", arguments);
    }

    HttpRequest.Builder newPost(String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(WAIT)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sessionId != null) {
            builder.header("Mcp-Session-Id", sessionId);
        }
        if (protocolVersion != null) {
            builder.header("MCP-Protocol-Version", protocolVersion);
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    Reply post(JsonNode message) throws IOException, InterruptedException {
        return send(newPost(JsonRpc.toJson(message)).build());
    }

    /** Sends and reads the whole reply (JSON or SSE). */
    Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (type.startsWith("text/event-stream")) {
            try (SseEvents events = new SseEvents(response.body())) {
                return new Reply(response.statusCode(), response, type, "", events.remaining(WAIT));
            }
        }
        String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        return new Reply(response.statusCode(), response, type, body, List.of());
    }

    /** Sends and returns the response with its body still streaming (for SSE replies read step by step). */
    HttpResponse<InputStream> open(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    }

    /** initialize + notifications/initialized; remembers the session id. */
    ObjectNode initialize() throws IOException, InterruptedException {
        return initialize(protocolVersion);
    }

    /** initialize asking for {@code requestedVersion} (the header still follows {@link #protocolVersion}). */
    ObjectNode initialize(String requestedVersion) throws IOException, InterruptedException {
        return initialize(requestedVersion, Map.of("sampling", Map.of(), "elicitation", Map.of(),
                "roots", Map.of("listChanged", true)), "test-client");
    }

    /** initialize declaring {@code capabilities}, as client {@code clientName}. */
    ObjectNode initialize(String requestedVersion, Map<String, ?> capabilities, String clientName)
            throws IOException, InterruptedException {
        sessionId = null;
        Reply reply = post(request("initialize", params("protocolVersion", requestedVersion,
                "capabilities", capabilities, "clientInfo", Map.of("name", clientName, "version", "1"))));
        if (reply.status() != 200) {
            throw new AssertionError("initialize answered " + reply.status() + ": " + reply.body());
        }
        sessionId = reply.header("Mcp-Session-Id");
        Reply initialized = post(JsonRpc.notification("notifications/initialized", null));
        if (initialized.status() != 202) {
            throw new AssertionError("notifications/initialized answered " + initialized.status());
        }
        return reply.response();
    }

    /** tools/call and its final response. */
    ObjectNode callTool(String tool, Map<String, ?> arguments) throws IOException, InterruptedException {
        return post(request("tools/call", toolCall(tool, arguments))).response();
    }

    /**
     * Calls the example server's {@code sample} tool and answers its sampling request, on the call's own stream,
     * with {@code answerText}.
     *
     * @return the tool's text
     */
    String sampleAnswering(String answerText) throws IOException, InterruptedException {
        ObjectNode call = request("tools/call", toolCall("sample", Map.of("prompt", "say hi")));
        HttpResponse<InputStream> streaming = open(newPost(JsonRpc.toJson(call)).build());
        if (streaming.statusCode() != 200) {
            throw new AssertionError("sample answered " + streaming.statusCode());
        }
        try (SseEvents events = new SseEvents(streaming.body())) {
            ObjectNode sampling = events.nextMessage(WAIT);
            if (!"sampling/createMessage".equals(JsonRpc.method(sampling))) {
                throw new AssertionError("expected the sampling request, got " + sampling);
            }
            Reply answered = post(JsonRpc.result(sampling.get("id"), params("role", "assistant",
                    "content", Map.of("type", "text", "text", answerText), "model", "m")));
            if (answered.status() != 202) {
                throw new AssertionError("the sampling answer got " + answered.status());
            }
            return text(events.nextMessage(WAIT));
        }
    }

    static String text(ObjectNode response) {
        JsonNode result = response.get("result");
        if (result == null) {
            throw new AssertionError("expected a result, got " + response);
        }
        return result.path("content").path(0).path("text").asText();
    }

    /** Opens the standalone GET stream. */
    HttpResponse<InputStream> openGet() throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .header("Accept", "text/event-stream").GET();
        if (sessionId != null) {
            builder.header("Mcp-Session-Id", sessionId);
        }
        if (protocolVersion != null) {
            builder.header("MCP-Protocol-Version", protocolVersion);
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    Reply delete() throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(WAIT).DELETE();
        if (sessionId != null) {
            builder.header("Mcp-Session-Id", sessionId);
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return send(builder.build());
    }
}
