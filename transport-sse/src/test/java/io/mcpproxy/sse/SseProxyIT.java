package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.WAIT;
import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.core.testing.SlowClients;
import io.mcpproxy.session.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The legacy HTTP+SSE proxy end to end with a real example server and real HTTP clients. */
class SseProxyIT {

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    private SseProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void endpointEventThenRepliesOnTheStream() throws Exception {
        proxy = proxies.start();
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            assertTrue(client.endpoint.matches("/messages\\?session_id=[A-Za-z0-9_-]{32}"), client.endpoint);
            assertTrue(proxy.sessions().get(Session.Type.SSE, client.sessionId()).isPresent(),
                    "the session exists in storage");
            ObjectNode init = client.initialize();
            assertEquals("2024-11-05", init.path("result").path("protocolVersion").asText());
            assertEquals("hello", text(client.call(client.request("tools/call", toolCall("echo",
                    Map.of("text", "hello"))))));
        }
    }

    @Test
    void aRequestBeforeInitializeIsAnsweredByTheProxyAndNeverReachesTheServer() throws Exception {
        // no era probe: the proxy's own server/discover would be the one the server sees
        proxy = proxies.start(builder -> builder.serverEra(ServerEra.LEGACY));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            ObjectNode discover = client.call(client.request("server/discover", JsonRpc.objectNode()));
            assertEquals(JsonRpc.INVALID_REQUEST, discover.path("error").path("code").asInt(), discover.toString());
            assertTrue(discover.path("error").path("message").asText().contains("before initialize"),
                    discover.toString());
            assertTrue(client.call(client.request("ping", null)).has("result"), "ping may come first");
            client.initialize();
            assertEquals("[\"ping\",\"initialize\",\"tools/call\"]", text(client.call(client.request("tools/call",
                    toolCall("requests", Map.of())))), "the server never saw server/discover");
        }
    }

    @Test
    void aSlowHeadAndAStalledBodyGet408WithinTheirTimeouts() throws Exception {
        proxy = proxies.start(builder -> builder.headerTimeout(Duration.ofSeconds(1))
                .bodyTimeout(Duration.ofSeconds(1)));
        SlowClients.assertSlowClientsTimedOut(proxy.port(), "/messages?session_id=x", Duration.ofSeconds(1));
    }

    @Test
    void pastTheSessionLimitAStreamGets503UntilOneCloses() throws Exception {
        // short keep-alives: a closed stream is noticed at its next failed write
        proxy = proxies.start(builder -> builder.maxSessions(1).keepAliveInterval(Duration.ofMillis(200)));
        HttpRequest open = HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/event-stream").GET().build();
        try (SseTestClient first = SseTestClient.connect(http, proxy.uri())) {
            HttpResponse<String> refused = http.send(open, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertTrue(refused.body().contains("\"reason\":\"too_many_sessions\""), refused.body());
        }
        assertTrue(Await.until(() -> {
            try (SseTestClient next = SseTestClient.connect(http, proxy.uri())) {
                return next.sessionId() != null;
            } catch (Exception | AssertionError stillFull) {
                return false;
            }
        }, Duration.ofSeconds(10)), "the closed stream's session gave its place");
    }

    @Test
    void anAnswerLargerThanTheStreamBufferReachesAClientThatReads() throws Exception {
        proxy = proxies.start(builder -> builder.streamBuffer(100, 65_536));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            String large = "z".repeat(200_000); // one event three times the buffer's byte bound
            assertEquals(large, text(client.call(client.request("tools/call", toolCall("echo",
                    Map.of("text", large))))));
            assertEquals("after", text(client.call(client.request("tools/call", toolCall("echo",
                    Map.of("text", "after"))))), "the stream is still open");
        }
    }

    @Test
    void twoClientsEachSeeOnlyTheirOwnReplies() throws Exception {
        proxy = proxies.start();
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
        proxy = proxies.start(builder -> builder.maxBodySize(1024));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            assertError(client.post("{not json"), 400, -32700);
            assertError(client.post("{\"jsonrpc\":\"2.0\"}"), 400, -32600);
            assertError(client.post("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1,\"params\":{\"x\":\""
                    + "y".repeat(2000) + "\"}}"), 413, -32600);
            HttpResponse<String> unsized = client.postChunked("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1,"
                    + "\"params\":{\"x\":\"" + "y".repeat(2000) + "\"}}");
            assertError(unsized, 413, -32600); // unsized: the limit shows only while reading
            // where that body ends is not known once its reading failed: the connection is not reused
            assertEquals("close", unsized.headers().firstValue("Connection").orElse(""));
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
            assertError(http.send(HttpRequest.newBuilder(proxy.uri()).header("Accept", "*/*, text/event-stream;q=0")
                    .GET().build(), HttpResponse.BodyHandlers.ofString()), 406, -32600); // named and refused
            assertError(http.send(HttpRequest.newBuilder(messages).GET().build(),
                    HttpResponse.BodyHandlers.ofString()), 405, -32600);
            assertError(http.send(HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/event-stream")
                    .header("Origin", "https://evil.example").GET().build(), HttpResponse.BodyHandlers.ofString()),
                    403, -32600);
        }
    }

    @Test
    void aPostOfNothingButAnAnswerNobodyAskedForIs400AndAGetWithoutAcceptOpensAStream() throws Exception {
        proxy = proxies.start();
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            assertError(client.post("{\"jsonrpc\":\"2.0\",\"id\":\"srv-999\",\"result\":{}}"), 400, -32600);
            assertEquals(1, proxy.stats().misdirectedResponses());
        }
        HttpResponse<InputStream> noAccept = http.send(HttpRequest.newBuilder(proxy.uri()).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream()); // no Accept header accepts anything (RFC 9110)
        try (SseEvents events = new SseEvents(noAccept.body())) {
            assertEquals(200, noAccept.statusCode());
            assertEquals("endpoint", events.next(WAIT).name());
        }
    }

    @Test
    void closingTheProxyPastItsDrainTimeoutStillAnswersTheCallsInFlight() throws Exception {
        proxy = proxies.start(builder -> builder.drainTimeout(Duration.ofMillis(300)));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            client.initialize();
            ObjectNode slow = client.request("tools/call", toolCall("slow", Map.of("ms", 10_000)));
            assertEquals(202, client.post(slow).statusCode());
            Await.until(() -> proxy.backends().inFlight() == 1, WAIT);
            proxy.close(); // the call is still running when the drain time is up
            ObjectNode answer = client.events.nextMessage(WAIT);
            assertEquals(slow.get("id").asLong(), answer.path("id").asLong(), answer.toString());
            assertTrue(answer.has("error"), "answered with an error, not dropped: " + answer);
        }
    }

    private static void assertError(HttpResponse<String> response, int status, int code) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
        ObjectNode error = (ObjectNode) JsonRpc.parse(response.body().getBytes());
        assertEquals(code, error.path("error").path("code").asInt(), response.body());
    }

    @Test
    void aForgedHostHeaderIsRefusedBeforeAnySessionExists() throws Exception {
        proxy = proxies.start();
        // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host. The JDK client
        // will not forge Host, so a raw request does.
        RawResponse forged = raw("GET /sse HTTP/1.1\r\nHost: evil.example:" + proxy.port()
                + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n");
        assertEquals(403, forged.status(), forged.body());
        assertEquals("application/json", forged.header("content-type"));
        ObjectNode error = (ObjectNode) JsonRpc.parse(forged.body().getBytes(StandardCharsets.UTF_8));
        assertEquals(-32600, error.path("error").path("code").asInt(), forged.body());
        assertTrue(error.path("error").path("message").asText().contains("evil.example"), forged.body());
        assertEquals(0, proxy.localSessionCount(), "no stream, no session");
    }

    /** A response read from a raw socket until the server closes it ({@code Connection: close}). */
    private record RawResponse(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    private RawResponse raw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(bytes);
            String text = bytes.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String[] head = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                headers.put(head[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                        head[i].substring(colon + 1).trim());
            }
            String body = text.substring(end + 4);
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = dechunk(body);
            }
            return new RawResponse(Integer.parseInt(head[0].split(" ")[1]), headers, body);
        }
    }

    private static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    @Test
    void endpointUriIsAbsoluteWithAPublicBaseUrl() throws Exception {
        proxy = proxies.start(builder -> builder.publicBaseUrl("https://gateway.example/tools/"));
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri())) {
            assertTrue(client.endpoint.startsWith("https://gateway.example/tools/messages?session_id="),
                    client.endpoint);
        }
    }

    private static final Map<String, String> FORWARDED = Map.of("X-Forwarded-Proto", "https",
            "X-Forwarded-Host", "edge.example", "X-Forwarded-Prefix", "/prefix");

    @Test
    void forwardedHeadersCountOnlyWhenTrustedAndAllThreeArePresent() throws Exception {
        proxy = proxies.start(builder -> builder.trustProxyHeaders(true));
        assertEquals("https://edge.example/prefix/messages?session_id=", withoutId(endpointWith(FORWARDED)));
        assertRelative(Map.of("X-Forwarded-Host", "edge.example"), "one header alone is ignored");
        for (String missing : FORWARDED.keySet()) {
            Map<String, String> two = new HashMap<>(FORWARDED);
            two.remove(missing);
            assertRelative(two, "two headers without " + missing + " are ignored");
        }
        proxy = proxies.start();
        assertRelative(FORWARDED, "untrusted by default");
    }

    @Test
    void forwardedHeadersUseTheirFirstElementAndOnlyHttpSchemes() throws Exception {
        proxy = proxies.start(builder -> builder.trustProxyHeaders(true));
        // Proxies in a chain append their own values: the first one is what the client connected to.
        assertEquals("https://edge.example/prefix/messages?session_id=", withoutId(endpointWith(Map.of(
                "X-Forwarded-Proto", "https, http", "X-Forwarded-Host", "edge.example , inner.internal:8080",
                "X-Forwarded-Prefix", "/prefix/,/inner"))));
        assertEquals("http://edge.example:8443/messages?session_id=", withoutId(endpointWith(Map.of(
                "X-Forwarded-Proto", "HTTP", "X-Forwarded-Host", "edge.example:8443", "X-Forwarded-Prefix", "/"))));
        for (String proto : List.of("javascript", "ftp", "file", "wss", "http:", "https://x")) {
            Map<String, String> headers = new HashMap<>(FORWARDED);
            headers.put("X-Forwarded-Proto", proto);
            assertRelative(headers, "proto " + proto + " is ignored");
        }
        for (String host : List.of("evil.example/path", "user@evil.example", "edge.example?x=1", "a b")) {
            Map<String, String> headers = new HashMap<>(FORWARDED);
            headers.put("X-Forwarded-Host", host);
            assertRelative(headers, "host " + host + " is ignored");
        }
        Map<String, String> noSlash = new HashMap<>(FORWARDED);
        noSlash.put("X-Forwarded-Prefix", "prefix");
        assertRelative(noSlash, "a prefix that is not a path is ignored");
    }

    private void assertRelative(Map<String, String> headers, String why) throws Exception {
        String endpoint = endpointWith(headers);
        assertTrue(endpoint.startsWith("/messages?session_id="), why + ": " + endpoint);
    }

    private static String withoutId(String endpoint) {
        return endpoint.replaceAll("session_id=.*", "session_id=");
    }

    private String endpointWith(Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(proxy.uri()).header("Accept", "text/event-stream");
        headers.forEach(request::header);
        HttpResponse<InputStream> response = http.send(request.GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (SseEvents events = new SseEvents(response.body())) {
            return events.next(WAIT).data();
        }
    }

    @Test
    void keepAlivesRefreshTheTtlOfAnIdleConnectedClient() throws Exception {
        proxy = proxies.start(builder -> builder.sessionTtl(Duration.ofSeconds(1))
                .keepAliveInterval(Duration.ofMillis(200)));
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
        proxy = proxies.start();
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
        proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(100)));
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            SseTestClient client = SseTestClient.connect(http, proxy.uri());
            ids.add(client.sessionId());
            client.close();
        }
        Await.until(() -> proxy.localSessionCount() == 0, Duration.ofSeconds(20));
        assertEquals(0, proxy.localSessionCount(), "in-memory sessions");
        assertEquals(0, proxy.backends().shared().channelCount(), "backend channels");
        assertEquals(0, proxy.backends().inFlight(), "requests in flight");
        for (String id : ids) {
            assertFalse(awaitRemovedFromStorage(id), "storage still holds " + id);
        }
    }

    @Test
    void aClosedStreamGivesItsPerSessionSlotToTheNextClient() throws Exception {
        // A closed connection shows when the next write fails: keep-alives bound that.
        proxy = proxies.start(builder -> builder.backendMode(BackendMode.PER_SESSION).maxBackends(1)
                .keepAliveInterval(Duration.ofMillis(100)));
        for (int round = 1; round <= 3; round++) { // the one slot used and freed several times over
            long pid;
            try (SseTestClient client = awaitPerSessionSlot()) {
                client.initialize();
                pid = Long.parseLong(text(client.call(client.request("tools/call", toolCall("pid", Map.of())))));
            }
            Await.until(() -> !alive(pid), Duration.ofSeconds(10));
            assertFalse(alive(pid), "round " + round + ": the closed stream's process stopped");
        }
        try (SseTestClient client = awaitPerSessionSlot()) {
            client.initialize();
            assertEquals("ok", text(client.call(client.request("tools/call", toolCall("echo", Map.of("text", "ok"))))));
        }
    }

    /**
     * A stream, once the proxy has reaped the previous session's process (moments after it is seen dead). With the
     * slot never given back, this stays 503 and fails.
     */
    private SseTestClient awaitPerSessionSlot() throws Exception {
        SseTestClient[] connected = new SseTestClient[1];
        Await.until(() -> {
            try {
                connected[0] = SseTestClient.connect(http, proxy.uri());
                return true;
            } catch (AssertionError refused) { // 503
                return false;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(10));
        return connected[0] != null ? connected[0] : SseTestClient.connect(http, proxy.uri());
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Storage is cleaned on a worker thread just after the in-memory map: wait for it, bounded. */
    private boolean awaitRemovedFromStorage(String sessionId) throws InterruptedException {
        Await.until(() -> !inStorage(sessionId), Duration.ofSeconds(10));
        return inStorage(sessionId);
    }

    private boolean inStorage(String sessionId) {
        return proxy.sessions().storage().load(Session.Type.SSE, sessionId, Duration.ofMinutes(1)).isPresent();
    }

    @Test
    void droppingTheStreamDuringACallEndsTheSessionAndLeaksNothing() throws Exception {
        // This server never sees notifications/cancelled, so it answers the abandoned call anyway: the proxy must
        // drop that late answer and count it. A dead connection shows at the next write: keep-alives bound that.
        List<String> deafToCancellation = new ArrayList<>(List.of("sh", "-c",
                "grep --line-buffered -v notifications/cancelled | exec \"$0\" \"$@\""));
        deafToCancellation.addAll(ExampleServerCommand.commandLine());
        proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(100))
                .command(deafToCancellation));
        // A first client warms the thread pools up to their working size before the baseline is taken.
        try (SseTestClient warmUp = SseTestClient.connect(http, proxy.uri())) {
            warmUp.initialize();
            assertEquals("warm", text(warmUp.call(warmUp.request("tools/call", toolCall("echo",
                    Map.of("text", "warm"))))));
        }
        Await.until(() -> proxy.localSessionCount() == 0, Duration.ofSeconds(20));
        assertEquals(0, proxy.localSessionCount(), "the warm-up session ended before the baseline");
        ThreadCounts baseline = ThreadCounts.now();
        long lateBefore = proxy.stats().lateResponses();

        SseTestClient client = SseTestClient.connect(http, proxy.uri());
        String sessionId = client.sessionId();
        client.initialize();
        // Long enough that the drop below is noticed first even on a loaded machine (asserted, not assumed).
        assertEquals(202, client.post(client.request("tools/call", toolCall("slow", Map.of("ms", 8_000))))
                .statusCode());
        Await.until(() -> proxy.backends().inFlight() == 1, Duration.ofSeconds(10));
        assertEquals(1, proxy.backends().inFlight(), "the slow call is in flight");
        client.close();

        Await.until(() -> proxy.localSessionCount() == 0 && proxy.backends().inFlight() == 0, Duration.ofSeconds(20));
        assertEquals(0, proxy.localSessionCount(), "the stream's session is gone from memory");
        assertEquals(0, proxy.backends().inFlight(), "the abandoned call is no longer in flight");
        assertEquals(lateBefore, proxy.stats().lateResponses(), "the session ended before the server answered");
        assertEquals(0, proxy.backends().shared().channelCount(), "backend channels");
        assertFalse(awaitRemovedFromStorage(sessionId), "the session is gone from storage");

        Await.until(() -> proxy.stats().lateResponses() > lateBefore, Duration.ofSeconds(30));
        assertEquals(lateBefore + 1, proxy.stats().lateResponses(), "the server's late answer was dropped, counted");
        assertEquals(0, proxy.stats().undeliverable(), "and not mistaken for a message without a session");

        Await.until(() -> ThreadCounts.now().within(baseline), Duration.ofSeconds(20));
        ThreadCounts after = ThreadCounts.now();
        assertTrue(after.within(baseline), "threads before " + baseline + ", after " + after);

        HttpResponse<String> late = http.send(HttpRequest.newBuilder(proxy.uri().resolve(client.endpoint))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":9}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, late.statusCode(), late.body());
        assertEquals("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"},"
                + "\"id\":9}", late.body());
    }

    /**
     * Live threads, split so that a leak cannot hide: dedicated threads (timers, readers, anything created per
     * session) must return exactly to the baseline; pooled workers (Jetty's {@code mcp-proxy-<n>}, the common
     * fork-join pool) may keep a few more warm, within a small margin. The test's own client threads are not the
     * proxy's and are left out.
     */
    private record ThreadCounts(long dedicated, long pooled) {
        private static final int POOL_MARGIN = 3;

        static ThreadCounts now() {
            long dedicated = 0;
            long pooled = 0;
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                String name = thread.getName();
                if (!thread.isAlive() || name.startsWith("HttpClient-") || name.equals("test-sse-reader")) {
                    continue;
                }
                if (name.matches("mcp-proxy-\\d+") || name.startsWith("ForkJoinPool")) {
                    pooled++;
                } else {
                    dedicated++;
                }
            }
            return new ThreadCounts(dedicated, pooled);
        }

        boolean within(ThreadCounts baseline) {
            return dedicated <= baseline.dedicated && pooled <= baseline.pooled + POOL_MARGIN;
        }
    }

    @ParameterizedTest(name = "bound {0} events / {1} bytes")
    @CsvSource({"100, 262144", "100000, 65536"}) // the events bound hits first, then the bytes bound
    void aClientThatStopsReadingIsCutOffAtTheBoundWithoutGrowingTheHeap(int maxEvents, long maxBytes)
            throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        proxy = proxies.start(builder -> builder.streamBuffer(maxEvents, maxBytes).meterRegistry(registry));
        Socket reader = new Socket("127.0.0.1", proxy.port());
        reader.setReceiveBufferSize(4096);
        reader.getOutputStream().write(("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream(),
                StandardCharsets.UTF_8));
        String endpoint = null;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: /messages")) {
                endpoint = line.substring("data: ".length());
                break;
            }
        }
        assertNotNull(endpoint);
        String sessionId = endpoint.substring(endpoint.indexOf('=') + 1);
        SseStream stream = proxy.stream(sessionId); // held here before the endpoint event was sent
        assertNotNull(stream);
        ObjectNode initialize = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(0), "initialize",
                JsonRpc.MAPPER.valueToTree(Map.of("protocolVersion", "2024-11-05", "capabilities", Map.of(),
                        "clientInfo", Map.of("name", "slow-consumer", "version", "1"))));
        assertEquals(202, http.send(HttpRequest.newBuilder(proxy.uri().resolve(endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        JsonRpc.toJson(initialize))).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: {") && line.contains("\"result\"")) {
                break; // initialized: the session's requests reach the server now
            }
        }
        ObjectNode call = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(1), "tools/call",
                toolCall("progress", Map.of("steps", 100_000, "delayMs", 0)));
        ((ObjectNode) call.get("params")).set("_meta", JsonRpc.objectNode().put("progressToken", "t"));
        HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(proxy.uri().resolve(endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        JsonRpc.toJson(call))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode());
        // The test never reads again: 200,000 events (progress + log per step, ~40 MB) are far more than the socket
        // buffers hold, so the proxy must cut the stream instead of buffering them.
        Await.until(() -> proxy.localSessionCount() == 0, Duration.ofSeconds(30));
        assertEquals(0, proxy.localSessionCount(), "the slow consumer's stream was closed");
        assertEquals(1, registry.get("mcp.proxy.sse.slow.consumers").tags("transport", "sse").counter().count());
        assertEquals(0, registry.get("mcp.proxy.sse.streams.open").tags("transport", "sse").gauge().value());
        assertTrue(registry.get("mcp.proxy.sse.events").counter().count() >= stream.peakQueuedEvents(),
                "every queued event counted");
        assertFalse(stream.isOpen());
        // The heap did not grow with the backlog: the queue never held more than the bound, and it reached the
        // bound (so the bound, not something else, ended the stream).
        int peakEvents = stream.peakQueuedEvents();
        long peakBytes = stream.peakQueuedBytes();
        String peaks = "peak " + peakEvents + " events / " + peakBytes + " bytes";
        assertTrue(peakEvents <= maxEvents && peakBytes <= maxBytes, peaks);
        assertTrue(peakEvents == maxEvents || peakBytes > maxBytes - 1024, "the bound was reached: " + peaks);
        assertEquals(0, stream.queued(), "the backlog was released");
        assertFalse(awaitRemovedFromStorage(sessionId), "the cut-off session is gone from storage");
        reader.close();
    }
}
