package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.WAIT;
import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.ExampleServerCommand;
import io.mcpproxy.core.testing.SseEvents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The legacy HTTP+SSE proxy end to end with a real example server and real HTTP clients. */
class SseProxyIT {

    private SseProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    private SseProxy start(SseProxy.Builder builder) throws Exception {
        proxy = builder.command(ExampleServerCommand.commandLine()).port(0).build();
        proxy.start();
        return proxy;
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void endpointEventThenRepliesOnTheStream() throws Exception {
        start(SseProxy.builder());
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            assertTrue(client.endpoint.matches("/messages\\?session_id=[A-Za-z0-9_-]{32}"), client.endpoint);
            assertTrue(proxy.sessions().get(client.sessionId()).isPresent(), "the session exists in storage");
            ObjectNode init = client.initialize();
            assertEquals("2024-11-05", init.path("result").path("protocolVersion").asText());
            assertEquals("hello", text(client.call(client.request("tools/call", toolCall("echo",
                    Map.of("text", "hello"))))));
        }
    }

    @Test
    void twoClientsEachSeeOnlyTheirOwnReplies() throws Exception {
        start(SseProxy.builder());
        try (SseTestClient a = SseTestClient.connect(http, proxy.uri());
             SseTestClient b = SseTestClient.connect(http, proxy.uri())) {
            a.initialize();
            b.initialize();
            for (int i = 0; i < 20; i++) {
                // the same ids on both sessions, interleaved
                ObjectNode toA = a.request("tools/call", toolCall("echo", Map.of("text", "for a " + i)));
                ObjectNode toB = b.request("tools/call", toolCall("echo", Map.of("text", "for b " + i)));
                assertEquals(202, a.post(toA).statusCode());
                assertEquals(202, b.post(toB).statusCode());
                assertEquals("for a " + i, text(a.events.nextMessage(WAIT)));
                assertEquals("for b " + i, text(b.events.nextMessage(WAIT)));
            }
            assertTrue(a.events.quietFor(Duration.ofMillis(300)), "nothing else reached a");
            assertTrue(b.events.quietFor(Duration.ofMillis(10)), "nothing else reached b");
        }
    }

    @Test
    void badPostsGetJsonRpcErrors() throws Exception {
        start(SseProxy.builder().maxBodySize(1024));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            assertError(client.post("{not json"), 400, -32700);
            assertError(client.post("{\"jsonrpc\":\"2.0\"}"), 400, -32600);
            assertError(client.post("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1,\"params\":{\"x\":\""
                    + "y".repeat(2000) + "\"}}"), 413, -32600);
            URI messages = proxy.uri().resolve("/messages");
            assertError(http.send(HttpRequest.newBuilder(messages).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()),
                    400, -32600);
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(messages + "?session_id=nope"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":7}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, unknown.statusCode());
            assertEquals("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"},"
                    + "\"id\":7}", unknown.body());
            assertError(http.send(HttpRequest.newBuilder(proxy.uri().resolve(client.endpoint))
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString()), 415, -32600);
            assertError(http.send(HttpRequest.newBuilder(proxy.uri()).header("Accept", "application/json").GET()
                    .build(), HttpResponse.BodyHandlers.ofString()), 406, -32600);
            assertError(http.send(HttpRequest.newBuilder(messages).GET().build(),
                    HttpResponse.BodyHandlers.ofString()), 405, -32600);
            assertError(http.send(HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/event-stream")
                    .header("Origin", "https://evil.example").GET().build(), HttpResponse.BodyHandlers.ofString()),
                    403, -32600);
        }
    }

    private static void assertError(HttpResponse<String> response, int status, int code) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
        ObjectNode error = (ObjectNode) JsonRpc.parse(response.body().getBytes());
        assertEquals(code, error.path("error").path("code").asInt(), response.body());
    }

    @Test
    void endpointUriIsAbsoluteWithAPublicBaseUrl() throws Exception {
        start(SseProxy.builder().publicBaseUrl("https://gateway.example/tools/"));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            assertTrue(client.endpoint.startsWith("https://gateway.example/tools/messages?session_id="),
                    client.endpoint);
        }
    }

    @Test
    void forwardedHeadersCountOnlyWhenTrustedAndAllThreeArePresent() throws Exception {
        start(SseProxy.builder().trustProxyHeaders(true));
        assertEquals("https://edge.example/prefix/messages?session_id=",
                endpointWith(Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "edge.example",
                        "X-Forwarded-Prefix", "/prefix")).replaceAll("session_id=.*", "session_id="));
        assertTrue(endpointWith(Map.of("X-Forwarded-Host", "edge.example")).startsWith("/messages?"),
                "one header alone is ignored");
        proxy.close();
        start(SseProxy.builder());
        assertTrue(endpointWith(Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "edge.example",
                "X-Forwarded-Prefix", "/prefix")).startsWith("/messages?"), "untrusted by default");
    }

    private String endpointWith(Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/event-stream");
        headers.forEach(request::header);
        HttpResponse<java.io.InputStream> response = http.send(request.GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (SseEvents events = new SseEvents(response.body())) {
            return events.next(WAIT).data();
        }
    }

    @Test
    void keepAlivesRefreshTheTtlOfAnIdleConnectedClient() throws Exception {
        start(SseProxy.builder().sessionTtl(Duration.ofSeconds(1)).keepAliveInterval(Duration.ofMillis(200)));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            Thread.sleep(2_500); // idle for 2.5 TTLs, only keep-alives flow
            assertTrue(client.events.comments().contains("keep-alive"));
            assertEquals("still here", text(client.call(client.request("tools/call",
                    toolCall("echo", Map.of("text", "still here"))))));
        }
    }

    @Test
    void progressAndSamplingTravelOnTheSessionStream() throws Exception {
        start(SseProxy.builder());
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            ObjectNode call = client.request("tools/call", toolCall("sample", Map.of("prompt", "p")));
            assertEquals(202, client.post(call).statusCode());
            ObjectNode sampling = client.events.nextMessage(WAIT);
            assertEquals("sampling/createMessage", JsonRpc.method(sampling));
            assertEquals(202, client.post(JsonRpc.result(sampling.get("id"), JsonRpc.MAPPER.valueToTree(Map.of(
                    "role", "assistant", "content", Map.of("type", "text", "text", "yes"), "model", "m"))))
                    .statusCode());
            ObjectNode result = client.events.nextMessage(WAIT);
            assertEquals("sampled: yes", text(result));
        }
    }

    @Test
    void closedStreamsLeaveNothingBehind() throws Exception {
        // A closed connection shows when the next write fails: keep-alives bound how long that takes.
        start(SseProxy.builder().keepAliveInterval(Duration.ofMillis(100)));
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            SseTestClient client = SseTestClient.connect(http, proxy.uri());
            ids.add(client.sessionId());
            client.close();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (proxy.localSessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, proxy.localSessionCount(), "in-memory sessions");
        assertEquals(0, proxy.backends().shared().channelCount(), "backend channels");
        for (String id : ids) {
            assertFalse(awaitRemovedFromStorage(id), "storage still holds " + id);
        }
    }

    /** Storage is cleaned on a worker thread just after the in-memory map: wait for it, bounded. */
    private boolean awaitRemovedFromStorage(String sessionId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (proxy.sessions().storage().load(sessionId, Duration.ofMinutes(1)).isPresent()
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return proxy.sessions().storage().load(sessionId, Duration.ofMinutes(1)).isPresent();
    }

    @Test
    void aClientThatStopsReadingIsCutOffAtTheBound() throws Exception {
        start(SseProxy.builder().streamBuffer(100, 256 * 1024));
        java.net.Socket reader = new java.net.Socket("127.0.0.1", proxy.port());
        reader.setReceiveBufferSize(4096);
        reader.getOutputStream().write(("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes());
        java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream()));
        String endpoint = null;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: /messages")) {
                endpoint = line.substring("data: ".length());
                break;
            }
        }
        assertTrue(endpoint != null);
        String sessionId = endpoint.substring(endpoint.indexOf('=') + 1);
        ObjectNode call = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(1), "tools/call",
                toolCall("progress", Map.of("steps", 100_000, "delayMs", 0)));
        ((ObjectNode) call.get("params")).set("_meta", JsonRpc.objectNode().put("progressToken", "t"));
        HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(proxy.uri().resolve(endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        JsonRpc.toJson(call))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode());
        // the test never reads again: the proxy must cut the stream instead of buffering 200,000 events (progress + log per step)
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (proxy.localSessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, proxy.localSessionCount(), "the slow consumer's stream was closed");
        assertFalse(awaitRemovedFromStorage(sessionId), "the cut-off session is gone from storage");
        reader.close();
    }
}
