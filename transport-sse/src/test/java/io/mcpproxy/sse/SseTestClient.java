package io.mcpproxy.sse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** A plain legacy HTTP+SSE client for tests: one GET stream, POSTs to the announced endpoint. */
final class SseTestClient implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(15);

    private final HttpClient http;
    private final URI base;
    private final AtomicLong ids = new AtomicLong();
    final HttpResponse<InputStream> stream;
    final SseEvents events;
    final String endpoint;
    /** The {@code Authorization} header the POSTs carry; null: none. */
    String authorization;

    private SseTestClient(HttpClient http, URI base, HttpResponse<InputStream> stream, SseEvents events,
                          String endpoint) {
        this.http = http;
        this.base = base;
        this.stream = stream;
        this.events = events;
        this.endpoint = endpoint;
    }

    /** Opens the stream and reads the endpoint event. */
    static SseTestClient connect(HttpClient http, URI sseUri) throws Exception {
        return connect(http, sseUri, null);
    }

    /** Opens the stream with {@code authorization} (null: none), which the POSTs then carry too. */
    static SseTestClient connect(HttpClient http, URI sseUri, String authorization) throws Exception {
        HttpRequest.Builder get = HttpRequest.newBuilder(sseUri).header("Accept", "text/event-stream").GET();
        if (authorization != null) {
            get.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response = http.send(get.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + sseUri + " answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes()));
        }
        SseEvents events = new SseEvents(response.body());
        SseEvents.Event first = events.next(WAIT);
        if (first == null || !"endpoint".equals(first.name())) {
            throw new AssertionError("first event must be 'endpoint', got " + first);
        }
        SseTestClient client = new SseTestClient(http, sseUri, response, events, first.data());
        client.authorization = authorization;
        return client;
    }

    String sessionId() {
        return endpoint.substring(endpoint.indexOf("session_id=") + "session_id=".length());
    }

    ObjectNode request(String method, JsonNode params) {
        return JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(ids.incrementAndGet()), method, params);
    }

    HttpResponse<String> post(JsonNode message) throws IOException, InterruptedException {
        return post(JsonRpc.toJson(message));
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        HttpRequest.Builder post = HttpRequest.newBuilder(base.resolve(endpoint)).timeout(WAIT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            post.header("Authorization", authorization);
        }
        return http.send(post.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a body without Content-Length ({@code Transfer-Encoding: chunked}). */
    HttpResponse<String> postChunked(String body) throws IOException, InterruptedException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return http.send(HttpRequest.newBuilder(base.resolve(endpoint)).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a request (expects 202) and returns its response from the stream, skipping other messages. */
    ObjectNode call(ObjectNode request) throws Exception {
        HttpResponse<String> accepted = post(request);
        if (accepted.statusCode() != 202) {
            throw new AssertionError("POST answered " + accepted.statusCode() + ": " + accepted.body());
        }
        while (true) {
            ObjectNode message = events.nextMessage(WAIT);
            if (request.get("id").asLong() == message.path("id").asLong(-1) && JsonRpc.method(message) == null) {
                return message;
            }
        }
    }

    ObjectNode initialize() throws Exception {
        ObjectNode answer = call(request("initialize", JsonRpc.MAPPER.valueToTree(Map.of(
                "protocolVersion", "2024-11-05", "capabilities", Map.of("sampling", Map.of(), "roots", Map.of()),
                "clientInfo", Map.of("name", "sse-test", "version", "1")))));
        HttpResponse<String> initialized = post(JsonRpc.notification("notifications/initialized", null));
        if (initialized.statusCode() != 202) {
            throw new AssertionError("initialized answered " + initialized.statusCode());
        }
        return answer;
    }

    static ObjectNode toolCall(String tool, Map<String, ?> arguments) {
        return JsonRpc.MAPPER.valueToTree(Map.of("name", tool, "arguments", arguments));
    }

    static String text(ObjectNode response) {
        return response.path("result").path("content").path(0).path("text").asText();
    }

    @Override
    public void close() throws IOException {
        events.close();
    }
}
