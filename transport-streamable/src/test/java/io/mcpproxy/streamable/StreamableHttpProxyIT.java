package io.mcpproxy.streamable;

import io.mcpproxy.session.Session;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.core.testing.SlowClients;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.testing.ProxyExtension;
import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.params;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Await;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Streamable HTTP proxy end to end: real Jetty, real example server process, real HTTP client. */
class StreamableHttpProxyIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private StreamableHttpProxy proxy;
    private HttpClient http;
    private McpTestClient client;

    @BeforeEach
    void start() throws Exception {
        proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(200)).maxBodySize(64 * 1024));
        http = HttpClient.newHttpClient();
        client = new McpTestClient(http, proxy.uri());
    }

    @Test
    void initializeListAndCallThroughJsonResponses() throws Exception {
        ObjectNode initialized = client.initialize();
        assertEquals("example-server", initialized.path("result").path("serverInfo").path("name").asText());
        assertEquals("2025-06-18", initialized.path("result").path("protocolVersion").asText());
        assertNotNull(client.sessionId);

        McpTestClient.Reply tools = client.post(client.request("tools/list", null));
        assertEquals(200, tools.status());
        assertTrue(tools.contentType().startsWith("application/json"), tools.contentType());
        assertTrue(tools.body().contains("\"echo\""), tools.body());

        McpTestClient.Reply echo = client.post(client.request("tools/call", toolCall("echo", Map.of("text", "hi"))));
        assertEquals(200, echo.status());
        assertEquals("hi", text(echo.json()));
        assertEquals("2025-06-18", proxy.sessions().get(Session.Type.STREAMABLE, client.sessionId).orElseThrow()
                .metadata("protocol_version").orElseThrow());
    }

    @Test
    void aRequestBeforeInitializeIsAnsweredByTheProxyAndNeverReachesTheServer() throws Exception {
        // no era probe: the proxy's own server/discover would be the one the server sees
        proxy = proxies.start(builder -> builder.serverEra(ServerEra.LEGACY));
        client = new McpTestClient(http, proxy.uri());
        McpTestClient.Reply discover = client.post(client.request("server/discover", JsonRpc.objectNode()));
        assertEquals(400, discover.status(), discover.body());
        assertJsonRpcError(discover.body(), -32600);
        client.initialize();
        assertEquals("[\"initialize\",\"tools/call\"]", text(client.callTool("requests", Map.of())),
                "the server never saw server/discover");
    }

    @Test
    void aSlowHeadAndAStalledBodyGet408WithinTheirTimeouts() throws Exception {
        StreamableHttpProxy limited = proxies.start(builder -> builder.headerTimeout(Duration.ofSeconds(1))
                .bodyTimeout(Duration.ofSeconds(1)));
        SlowClients.assertSlowClientsTimedOut(limited.port(), "/mcp", Duration.ofSeconds(1));
    }

    @Test
    void laterSessionsAreInitializedByTheProxyEvenThoughTheServerRefusesASecondInitialize() throws Exception {
        client.initialize();
        McpTestClient second = new McpTestClient(http, proxy.uri());
        second.protocolVersion = "2025-03-26";
        ObjectNode answer = second.initialize();
        assertEquals("2025-03-26", answer.path("result").path("protocolVersion").asText(),
                "an older supported version is granted to the later client");
        assertEquals("example-server", answer.path("result").path("serverInfo").path("name").asText());
        assertNotEquals(client.sessionId, second.sessionId);
        assertEquals("from second", text(second.callTool("echo", Map.of("text", "from second"))));
        assertEquals("from first", text(client.callTool("echo", Map.of("text", "from first"))));
    }

    @Test
    void progressTurnsTheAnswerIntoAnSseStream() throws Exception {
        client.initialize();
        ObjectNode call = client.request("tools/call", toolCall("progress", Map.of("steps", 3, "delayMs", 5)));
        ((ObjectNode) call.get("params")).set("_meta", params("progressToken", "my-token"));
        McpTestClient.Reply reply = client.post(call);
        assertEquals(200, reply.status());
        assertTrue(reply.contentType().startsWith("text/event-stream"), reply.contentType());
        List<ObjectNode> events = reply.events();
        List<ObjectNode> progress = events.stream()
                .filter(e -> "notifications/progress".equals(JsonRpc.method(e))).toList();
        assertEquals(3, progress.size(), events.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals("my-token", progress.get(i).path("params").path("progressToken").asText(),
                    "the client's own token comes back");
            assertEquals(i + 1, progress.get(i).path("params").path("progress").asInt());
        }
        assertTrue(events.stream().anyMatch(e -> "notifications/message".equals(JsonRpc.method(e))));
        ObjectNode last = events.get(events.size() - 1);
        assertEquals(call.get("id").asLong(), last.get("id").asLong());
        assertEquals("done 3 steps", text(last));
    }

    @Test
    void eachSessionsLogLevelFiltersOnlyTheLogMessagesItReceives() throws Exception {
        client.initialize();
        McpTestClient other = new McpTestClient(http, proxy.uri());
        other.initialize();
        assertEquals(200, client.post(client.request("logging/setLevel", params("level", "error"))).status());
        // info log messages from the one shared server: the other session never asked for less
        assertEquals(2, logMessages(other), "the other session still gets its info logs");
        assertEquals(0, logMessages(client), "this session asked for errors only");
        assertEquals(200, other.post(other.request("logging/setLevel", params("level", "debug"))).status());
        assertEquals(0, logMessages(client), "another session's setLevel does not change this one's");
    }

    /** Log messages on the stream of a two-step progress call (the example server logs each step at info). */
    private static long logMessages(McpTestClient via) throws Exception {
        McpTestClient.Reply reply = via.post(via.request("tools/call", toolCall("progress",
                Map.of("steps", 2, "delayMs", 1))));
        assertEquals("done 2 steps", text(reply.response()), reply.body());
        return reply.events().stream().filter(m -> "notifications/message".equals(JsonRpc.method(m))).count();
    }

    @Test
    void sessionsOf20251125GetAPrimingEventAndUniqueEventIds() throws Exception {
        client.protocolVersion = "2025-11-25";
        client.initialize();
        ObjectNode call = client.request("tools/call", toolCall("progress", Map.of("steps", 2, "delayMs", 1)));
        ((ObjectNode) call.get("params")).set("_meta", params("progressToken", 5));
        HttpResponse<InputStream> streaming = client.open(client.newPost(JsonRpc.toJson(call)).build());
        try (SseEvents events = new SseEvents(streaming.body())) {
            SseEvents.Event priming = events.next(WAIT);
            assertTrue(priming.isPriming(), "first event primes the stream: " + priming);
            assertNotNull(priming.id());
            java.util.Set<String> ids = new java.util.HashSet<>(List.of(priming.id()));
            SseEvents.Event event;
            while ((event = events.next(WAIT)) != null) {
                assertEquals("message", event.name());
                assertTrue(ids.add(event.id()), "unique id " + event.id());
            }
            assertTrue(ids.size() >= 5, "priming + 2 progress + 2 log + response: " + ids);
        }
    }

    @Test
    void aClientDisconnectIsNotACancellation() throws Exception {
        client.initialize();
        String body = JsonRpc.toJson(client.request("tools/call", toolCall("slow", Map.of("ms", 500))));
        String raw = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " + client.sessionId
                + "\r\nContent-Length: " + body.getBytes().length + "\r\n\r\n" + body;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.getOutputStream().write(raw.getBytes());
            socket.getOutputStream().flush();
            Thread.sleep(100);
        } // the client goes away before the answer
        Thread.sleep(700);
        assertEquals("[]", text(client.callTool("cancelled", Map.of())), "the server saw no cancellation");
        assertEquals(0, proxy.stats().timeouts());
    }

    @Test
    void samplingRoundTripOnThePostStream() throws Exception {
        client.initialize();
        ObjectNode call = client.request("tools/call", toolCall("sample", Map.of("prompt", "say hi")));
        HttpResponse<InputStream> streaming = client.open(client.newPost(JsonRpc.toJson(call)).build());
        assertEquals(200, streaming.statusCode());
        try (SseEvents events = new SseEvents(streaming.body())) {
            ObjectNode sampling = events.nextMessage(WAIT);
            assertEquals("sampling/createMessage", JsonRpc.method(sampling));
            ObjectNode answer = JsonRpc.result(sampling.get("id"), params("role", "assistant",
                    "content", Map.of("type", "text", "text", "hello from the client"), "model", "test"));
            assertEquals(202, client.post(answer).status());
            ObjectNode result = events.nextMessage(WAIT);
            assertEquals(call.get("id").asLong(), result.get("id").asLong());
            assertEquals("sampled: hello from the client", text(result));
        }
    }

    @Test
    void getStreamCarriesListChangedAndASecondGetTakesOver() throws Exception {
        client.initialize();
        HttpResponse<InputStream> get = client.openGet();
        assertEquals(200, get.statusCode());
        assertTrue(get.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        try (SseEvents first = new SseEvents(get.body())) {
            HttpResponse<InputStream> second = client.openGet();
            assertEquals(200, second.statusCode(), "the newest GET stream takes over; it is never refused");
            try (SseEvents events = new SseEvents(second.body())) {
                Await.until(first::ended, WAIT);
                assertTrue(first.ended(), "the replaced stream is ended");

                assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
                ObjectNode changed = events.nextMessage(WAIT);
                assertEquals("notifications/tools/list_changed", JsonRpc.method(changed));

                Await.until(() -> events.comments().stream().anyMatch(comment -> comment.contains("keep-alive")),
                        WAIT);
                assertTrue(events.comments().stream().anyMatch(comment -> comment.contains("keep-alive")),
                        "keep-alive comments every 200 ms: " + events.comments());
            }
        }
    }

    @Test
    void aSessionGoneFromStorageEndsHereTooStreamAndServerChannel() throws Exception {
        int channelsBefore = proxy.backends().shared().channelCount();
        client.initialize();
        assertEquals(channelsBefore + 1, proxy.backends().shared().channelCount());
        HttpResponse<InputStream> get = client.openGet();
        assertEquals(200, get.statusCode());
        try (SseEvents events = new SseEvents(get.body())) {
            // as if it expired in storage, or was deleted through another replica
            assertTrue(proxy.sessions().delete(Session.Type.STREAMABLE, client.sessionId));
            Await.until(events::ended, WAIT); // the next keep-alive (every 200 ms) finds the session gone
            assertTrue(events.ended(), "the GET stream of a session gone from storage ends");
            Await.until(() -> proxy.backends().shared().channelCount() == channelsBefore, WAIT);
            assertEquals(channelsBefore, proxy.backends().shared().channelCount(), "its server channel is closed");
            assertEquals(404, client.post(client.request("ping", null)).status());
        }
    }

    /** Replaces the proxy with one of short keep-alive interval and TTL, and initializes a client on it. */
    private void restartWithKeepAliveAndTtl(Duration keepAlive, Duration ttl) throws Exception {
        proxy = proxies.start(builder -> builder.keepAliveInterval(keepAlive).sessionTtl(ttl));
        client = new McpTestClient(http, proxy.uri());
        client.initialize();
    }

    @Test
    void aClientThatOnlyListensKeepsItsSession() throws Exception {
        restartWithKeepAliveAndTtl(Duration.ofMillis(200), Duration.ofSeconds(1));
        HttpResponse<InputStream> get = client.openGet();
        try (SseEvents events = new SseEvents(get.body())) {
            Thread.sleep(2_500); // 2.5 TTLs without a POST: only the keep-alives refresh the session
            assertFalse(events.ended());
            assertEquals("still here", text(client.callTool("echo", Map.of("text", "still here"))));
        }
    }

    @Test
    void aTtlShorterThanTheKeepAliveIntervalStillKeepsAListeningClientsSession() throws Exception {
        restartWithKeepAliveAndTtl(Duration.ofSeconds(15), Duration.ofSeconds(1)); // keep-alives every 333 ms then
        try (SseEvents events = new SseEvents(client.openGet().body())) {
            Thread.sleep(2_500);
            assertFalse(events.ended());
            assertEquals("still here", text(client.callTool("echo", Map.of("text", "still here"))));
        }
    }

    @Test
    void aCallThatOutlastsTheTtlKeepsItsSession() throws Exception {
        restartWithKeepAliveAndTtl(Duration.ofMillis(200), Duration.ofSeconds(1));
        CompletableFuture<ObjectNode> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return client.callTool("slow", Map.of("ms", 2_500));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1_800); // no other request meanwhile
        assertEquals("meanwhile", text(client.callTool("echo", Map.of("text", "meanwhile"))));
        assertTrue(text(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS)).startsWith("slept"),
                "the long call was answered");
    }

    @Test
    void aListeningClientThatReconnectsAfterMoreThanTheTtlKeepsItsSession() throws Exception {
        restartWithKeepAliveAndTtl(Duration.ofMillis(100), Duration.ofSeconds(2)); // idle sweep every second
        try (SseEvents events = new SseEvents(client.openGet().body())) {
            Thread.sleep(3_000); // listening for longer than the TTL, sending nothing
            assertFalse(events.ended());
        } // the GET connection drops
        Thread.sleep(1_200); // at least one idle sweep runs meanwhile, well inside the TTL since the last keep-alive
        assertEquals("reconnected", text(client.callTool("echo", Map.of("text", "reconnected"))));
    }

    @Test
    void deleteEndsTheSessionAndLaterRequestsGet404() throws Exception {
        client.initialize();
        assertEquals(204, client.delete().status());
        assertTrue(proxy.sessions().get(Session.Type.STREAMABLE, client.sessionId).isEmpty(), "removed from storage");
        ObjectNode ping = client.request("ping", null);
        McpTestClient.Reply after = client.post(ping);
        assertEquals(404, after.status());
        assertEquals("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"},\"id\":"
                + ping.get("id") + "}", after.body());
        assertEquals(404, client.delete().status());
        client.initialize(); // a client that got 404 starts over
        assertEquals("again", text(client.callTool("echo", Map.of("text", "again"))));
    }

    @Test
    void notificationsAndResponsesOnlyGet202() throws Exception {
        client.initialize();
        McpTestClient.Reply reply = client.post(JsonRpc.notification("notifications/roots/list_changed", null));
        assertEquals(202, reply.status());
        assertEquals("", reply.body());
    }

    @Test
    void aResponseToNoServerRequestOfTheSessionIsRefusedWith400() throws Exception {
        client.initialize();
        ObjectNode stray = JsonRpc.result(JsonRpc.MAPPER.getNodeFactory().textNode("srv-never-sent"),
                JsonRpc.objectNode());
        assertError(client.newPost(JsonRpc.toJson(stray)).build(), 400, -32600);
        assertEquals(1, proxy.stats().misdirectedResponses(), "refused, counted, never sent to the server");
    }

    @Test
    void malformedRequestsGetJsonRpcErrors() throws Exception {
        client.initialize();
        assertError(client.newPost("{not json").build(), 400, -32700);
        assertError(client.newPost("{\"hello\":\"world\"}").build(), 400, -32600);
        assertError(client.newPost("[{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}]").build(), 400, -32600);
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("Content-Type", "text/plain").build(), 415, -32600);
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("Accept", "application/json").build(), 406, -32600);
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("Accept", "text/event-stream").build(), 406, -32600);
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("Accept", "*/*").build(), 406, -32600); // both types must be named
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("Accept", "application/json;q=0, text/event-stream").build(), 406, -32600); // refused
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}")
                .setHeader("MCP-Protocol-Version", "1999-01-01").build(), 400, -32022); // UnsupportedProtocolVersion
        assertError(client.newPost("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1,\"params\":{\"pad\":\""
                + "x".repeat(70_000) + "\"}}").build(), 413, -32600);
        byte[] unsized = ("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1,\"params\":{\"pad\":\""
                + "x".repeat(70_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = assertError(client.newPost("").POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(unsized))).build(), 413, -32600); // chunked: no Content-Length
        // where that body ends is not known once its reading failed: the connection is not reused
        assertEquals("close", chunked.headers().firstValue("Connection").orElse(""));
        assertError(HttpRequest.newBuilder(proxy.uri()).PUT(HttpRequest.BodyPublishers.ofString("{}")).build(),
                405, -32600);
        assertError(HttpRequest.newBuilder(proxy.uri().resolve("/elsewhere")).GET().build(), 404, -32601);
        assertError(HttpRequest.newBuilder(proxy.uri()).header("Accept", "application/json").GET().build(),
                406, -32600);
        assertError(HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/*").GET().build(), 406, -32600);

        McpTestClient anonymous = new McpTestClient(http, proxy.uri());
        McpTestClient.Reply noSession = anonymous.post(anonymous.request("tools/list", null));
        assertEquals(400, noSession.status());
        assertJsonRpcError(noSession.body(), -32600);

        anonymous.sessionId = "no-such-session";
        ObjectNode list = anonymous.request("tools/list", null);
        McpTestClient.Reply unknown = anonymous.post(list);
        assertEquals(404, unknown.status());
        assertEquals(list.get("id").asLong(), unknown.json().get("id").asLong(), "request id echoed");
        anonymous.sessionId = "has space";
        assertEquals(404, anonymous.post(anonymous.request("tools/list", null)).status());
    }

    @Test
    void batchesOnlyIn20250326AndAnsweredTogether() throws Exception {
        client.protocolVersion = "2025-03-26";
        client.initialize();
        String batch = "[" + JsonRpc.toJson(client.request("tools/call", toolCall("slow", Map.of("ms", 1_000))))
                + "," + JsonRpc.toJson(client.request("tools/call", toolCall("slow", Map.of("ms", 1_000)))) + "]";
        long start = System.nanoTime();
        McpTestClient.Reply reply = client.send(client.newPost(batch).build());
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertEquals(200, reply.status());
        assertEquals(2, JsonRpc.parse(reply.body().getBytes()).size(), reply.body());
        assertTrue(millis < 1_900, "two 1 s calls ran concurrently (one after the other takes 2 s), took " + millis
                + " ms");

        client.protocolVersion = "2025-06-18";
        assertError(client.newPost(batch).build(), 400, -32600);
    }

    @Test
    void theSessionRecordsTheVersionTheServerNegotiatedNotTheOneRequested() throws Exception {
        client.protocolVersion = null; // no header: the version in question is the one inside initialize
        ObjectNode initialized = client.initialize("2099-01-01"); // unknown to the server: it offers its latest
        String negotiated = initialized.path("result").path("protocolVersion").asText();
        assertEquals("2025-11-25", negotiated);
        Supplier<String> stored = () -> proxy.sessions().get(Session.Type.STREAMABLE, client.sessionId).orElseThrow()
                .metadata("protocol_version").orElse(null);
        Await.until(() -> negotiated.equals(stored.get()), WAIT); // recorded off the reader thread: may trail
        assertEquals(negotiated, stored.get());
    }

    @Test
    void anEarlyErrorKeepsTheConnectionForTheNextRequest() throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}";
        String refused = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Accept: */*\r\nContent-Length: " + body.length() + "\r\n\r\n";
        String next = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(refused.getBytes());
            socket.getOutputStream().flush();
            Thread.sleep(300); // the body comes late, as from a client that sends headers and body separately
            socket.getOutputStream().write((body + next).getBytes());
            String answers = new String(socket.getInputStream().readAllBytes());
            assertTrue(answers.startsWith("HTTP/1.1 406"), answers);
            // the next request on the same connection is answered (400: it names no session), not lost
            assertTrue(answers.contains("HTTP/1.1 400"), answers);
        }
    }

    @Test
    void withoutAVersionHeaderTheSessionsNegotiatedVersionApplies() throws Exception {
        client.initialize(); // negotiates 2025-06-18
        client.protocolVersion = null;
        assertEquals("no header", text(client.callTool("echo", Map.of("text", "no header"))));
        // 2025-03-26 is the one version with JSON-RPC batches. The spec's "assume 2025-03-26" without the header is
        // for a server with no other way to know; this session negotiated 2025-06-18, so its batch is refused.
        String batch = "[" + JsonRpc.toJson(client.request("ping", null)) + ","
                + JsonRpc.toJson(client.request("ping", null)) + "]";
        assertError(client.newPost(batch).build(), 400, -32600);

        McpTestClient older = new McpTestClient(http, proxy.uri());
        older.protocolVersion = "2025-03-26";
        older.initialize();
        older.protocolVersion = null;
        McpTestClient.Reply accepted = older.send(older.newPost(batch).build());
        assertEquals(200, accepted.status(), accepted.body());
        assertEquals(2, JsonRpc.parse(accepted.body().getBytes()).size(), accepted.body());

        McpTestClient fresh = new McpTestClient(http, proxy.uri());
        fresh.protocolVersion = "2025-03-26";
        assertError(fresh.newPost("[" + JsonRpc.toJson(fresh.request("initialize", JsonRpc.MAPPER.valueToTree(
                Map.of("protocolVersion", "2025-03-26", "capabilities", Map.of(), "clientInfo",
                        Map.of("name", "t", "version", "1"))))) + "]").build(), 400, -32600); // not in a batch
    }

    @Test
    void foreignOriginsAndHostsAreForbidden() throws Exception {
        client.initialize();
        assertError(client.newPost(JsonRpc.toJson(client.request("ping", null)))
                .header("Origin", "https://evil.example").build(), 403, -32600);
        McpTestClient.Reply loopbackOrigin = client.send(client.newPost(JsonRpc.toJson(client.request("ping", null)))
                .header("Origin", "http://localhost:3000").build());
        assertEquals(200, loopbackOrigin.status());
        // java.net.http does not let a test forge Host; a raw socket does.
        String raw = "POST /mcp HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.getOutputStream().write(raw.getBytes());
            String answer = new String(socket.getInputStream().readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            assertTrue(answer.contains("application/json") && answer.contains("\"error\""), answer);
        }
    }

    private HttpResponse<String> assertError(HttpRequest request, int status, int code) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "JSON error body for " + status);
        assertJsonRpcError(response.body(), code);
        return response;
    }

    private static void assertJsonRpcError(String body, int code) {
        ObjectNode error = (ObjectNode) JsonRpc.parse(body.getBytes());
        assertEquals("2.0", error.path("jsonrpc").asText(), body);
        assertEquals(code, error.path("error").path("code").asInt(), body);
        assertTrue(error.has("id"), body);
    }
}
