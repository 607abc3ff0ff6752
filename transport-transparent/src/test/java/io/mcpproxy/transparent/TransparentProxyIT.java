package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.core.testing.CannedUpstream;
import io.mcpproxy.core.testing.EarlyAnswerUpstream;
import io.mcpproxy.core.testing.RawHttp;
import io.mcpproxy.core.testing.ResponseHead;
import io.mcpproxy.core.testing.SilentStreamUpstream;
import io.mcpproxy.core.testing.SlowClients;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.ForwardingStorage;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionStorageException;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The transparent proxy against real upstream servers on ephemeral ports. */
class TransparentProxyIT {

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient http = HttpClient.newHttpClient();
    private TestUpstream a;
    private TestUpstream b;

    @BeforeEach
    void upstreams() throws Exception {
        a = track(new TestUpstream("a").start(0, 30_000));
        b = track(new TestUpstream("b").start(0, 30_000));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        return closer.track(closeable);
    }

    private TransparentProxy proxy(TransparentProxy.Builder builder) throws Exception {
        TransparentProxy proxy = track(builder.port(0).build());
        proxy.start();
        return proxy;
    }

    @Test
    void sessionsAreLearnedAndStickToTheUpstreamThatCreatedThem() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        // in-process sessions never block: Jetty may handle requests and responses on its selector threads
        assertEquals(InvocationType.NON_BLOCKING, proxy.invocationType());
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        String first = client.initialize();
        String second = client.initialize();
        assertNotEquals(first.substring(0, 1), second.substring(0, 1), "round robin over both upstreams");
        Session learned = proxy.sessions().get(Session.Type.TRANSPARENT, first).orElseThrow();
        assertEquals(Session.Type.TRANSPARENT, learned.type());
        String backend = learned.metadata(Session.BACKEND_URL).orElseThrow();
        assertTrue(backend.equals(a.uri().toString()) || backend.equals(b.uri().toString()), backend);
        for (int i = 0; i < 10; i++) {
            assertEquals(first.substring(0, 1), ProxyClient.servedBy(client.post(first, "tools/list")));
            assertEquals(second.substring(0, 1), ProxyClient.servedBy(client.post(second, "tools/list")));
        }
    }

    @Test
    void aJwtSizedSessionIdIsLearnedAndRouted() throws Exception {
        b.sessionIdSuffix = "." + "J".repeat(2000); // MCP names a JWT as a session id; JWTs run past 1,000 chars
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        String first = client.initialize(); // round robin: one of the two comes from b
        String fromB = first.startsWith("b-") ? first : client.initialize();
        assertTrue(fromB.startsWith("b-session-") && fromB.length() > 2000, fromB);
        assertTrue(proxy.sessions().get(Session.Type.TRANSPARENT, fromB).isPresent(), "learned");
        HttpResponse<String> answer = client.post(fromB, "tools/list");
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("b", ProxyClient.servedBy(answer));
    }

    @Test
    void aSessionIdThatAnotherUpstreamsSessionHasIsRefusedNotShared() throws Exception {
        a.sessionIdStem = "numbered-session-"; // servers that count their sessions issue the same ids
        b.sessionIdStem = "numbered-session-";
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        String first = client.initialize(); // from one upstream
        assertEquals("numbered-session-1", first);
        String firstServer = ProxyClient.servedBy(client.post(first, "tools/list"));

        HttpResponse<String> second = client.post(null, "initialize"); // the other one issues the same id
        assertEquals(502, second.statusCode(), second.body());
        assertEquals("session_id_taken",
                JsonRpc.parse(second.body().getBytes()).path("error").path("data").path("reason").asText());
        for (int i = 0; i < 3; i++) {
            assertEquals(firstServer, ProxyClient.servedBy(client.post(first, "tools/list")), "still its own");
        }
    }

    @Test
    void aSessionTheStorageCouldNotRecordIs503NotAnIdThatLeadsNowhere() throws Exception {
        LocalStorage local = track(LocalStorage.create());
        AtomicBoolean storageDown = new AtomicBoolean(true);
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri())
                .withSessionStorage(new ForwardingStorage(local) {
                    @Override
                    public boolean createIfAbsent(Session session, Duration ttl) {
                        if (storageDown.get()) {
                            throw new SessionStorageException("Redis at 127.0.0.1:1 failed on SET: refused");
                        }
                        return super.createIfAbsent(session, ttl);
                    }
                }));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        HttpResponse<String> refused = client.post(null, "initialize");
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("storage_unavailable",
                JsonRpc.parse(refused.body().getBytes()).path("error").path("data").path("reason").asText());
        assertTrue(refused.headers().firstValue("Mcp-Session-Id").isEmpty(), "no id that no request could use");

        storageDown.set(false);
        String session = client.initialize(); // the client retries once storage is back
        assertEquals(200, client.post(session, "tools/list").statusCode());
    }

    @Test
    void unknownSessionsAreAnsweredWithoutAnyUpstream() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        HttpResponse<String> unknown = client.post("forged-session", "tools/list");
        assertEquals(404, unknown.statusCode());
        assertEquals("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"},\"id\":1}",
                unknown.body());
        HttpResponse<Void> get = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                .header("Mcp-Session-Id", "forged-session").GET().build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(404, get.statusCode());
        assertEquals(0, a.requests.get(), "no upstream contacted");

        HttpResponse<String> reinit = client.post("forged-session", "initialize");
        assertEquals(200, reinit.statusCode(), "an initialize carrying an unknown id passes through");
        assertEquals(1, a.requests.get());
    }

    @Test
    void unknownSessionStatusCanBe400() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).unknownSessionStatus(400));
        HttpResponse<String> unknown = new ProxyClient(http, proxy.uri("/mcp")).post("forged", "tools/list");
        assertEquals(400, unknown.statusCode());
        assertEquals(-32001, JsonRpc.parse(unknown.body().getBytes()).path("error").path("code").asInt());
    }

    @Test
    void deleteRemovesTheSessionOn2xxOr404AndKeepsItOn5xx() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        for (int status : new int[] {500, 200, 404}) {
            String session = client.initialize();
            a.deleteStatus = status;
            HttpResponse<Void> deleted = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                    .header("Mcp-Session-Id", session).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(status, deleted.statusCode());
            assertEquals(status == 500, proxy.sessions().get(Session.Type.TRANSPARENT, session).isPresent(),
                    "after upstream " + status);
        }
    }

    @Test
    void unreachableUpstreamIs502AndASlowOneIs504() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        TransparentProxy down = proxy(TransparentProxy.builder()
                .target(URI.create("http://127.0.0.1:" + closedPort + "/mcp")));
        HttpResponse<String> badGateway = new ProxyClient(http, down.uri("/mcp")).post(null, "initialize");
        assertEquals(502, badGateway.statusCode());
        assertEquals("application/json", badGateway.headers().firstValue("Content-Type").orElse(""));
        assertEquals("upstream_unreachable", JsonRpc.parse(badGateway.body().getBytes()).path("error").path("data")
                .path("reason").asText());

        a.slowMillis = 1_500;
        TransparentProxy slow = proxy(TransparentProxy.builder().target(a.uri())
                .responseIdleTimeout(Duration.ofMillis(300)));
        HttpResponse<String> timeout = new ProxyClient(http, slow.uri("/mcp")).post(null, "initialize");
        assertEquals(504, timeout.statusCode());
        assertEquals("upstream_timeout", JsonRpc.parse(timeout.body().getBytes()).path("error").path("data")
                .path("reason").asText());
    }

    @Test
    void anAnswerSlowerThanTheClientIdleTimeoutStillArrives() throws Exception {
        a.slowMillis = 1_500; // the client connection is silent for longer than its idle timeout
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).idleTimeout(Duration.ofMillis(400)));
        HttpResponse<String> answer = new ProxyClient(http, proxy.uri("/mcp")).post(null, "initialize");
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("a", ProxyClient.servedBy(answer));
    }

    @Test
    void cookiesOfOneClientNeverReachAnother() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        HttpResponse<String> setter = client.post(null, "set_cookie");
        assertTrue(setter.headers().firstValue("Set-Cookie").orElse("").startsWith("secret=a"),
                "Set-Cookie reaches the client");
        client.post(null, "tools/list");
        assertEquals("", a.cookiesSeen.get(a.cookiesSeen.size() - 1), "the proxy remembered nothing");
        new ProxyClient(http, proxy.uri("/mcp")).post(proxy.uri("/mcp"), null,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}");
        HttpResponse<String> withCookie = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                .header("Content-Type", "application/json").header("Cookie", "mine=1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, withCookie.statusCode());
        assertEquals("mine=1", a.cookiesSeen.get(a.cookiesSeen.size() - 1), "the client's own Cookie is forwarded");
        assertTrue(a.forwardedFor.get(a.forwardedFor.size() - 1).contains("127.0.0.1"), "X-Forwarded-For added");
    }

    @Test
    void aLarge401AndItsChallengeReachTheClientAsTheUpstreamSentThem() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).forwardAnyPath(true));
        HttpResponse<String> unauthorized = new ProxyClient(http, proxy.uri("/auth")).post(null, "tools/list");
        assertEquals(401, unauthorized.statusCode());
        assertEquals(List.of(TestUpstream.UNAUTHORIZED_CHALLENGE),
                unauthorized.headers().allValues("WWW-Authenticate"));
        assertEquals(TestUpstream.UNAUTHORIZED_BODY, unauthorized.body());
    }

    @Test
    void anInterimResponseBeforeTheAnswerLeavesOnlyTheAnswer() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).forwardAnyPath(true));
        HttpResponse<String> answer = new ProxyClient(http, proxy.uri("/early-hints")).post(null, "tools/list");
        assertEquals(200, answer.statusCode());
        assertEquals(List.of("final"), answer.headers().allValues("X-Answer"));
        assertEquals(List.of("application/json"), answer.headers().allValues("Content-Type"));
        assertEquals("a", ProxyClient.servedBy(answer));
    }

    @Test
    void aClientsExpectContinueIsAnsweredByTheProxyAndNotForwarded() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> answer = http11.send(HttpRequest.newBuilder(proxy.uri("/mcp")).expectContinue(true)
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("ping", JsonRpc.parse(answer.body().getBytes()).path("result").path("method").asText());
        assertEquals(1, a.headersSeen.size());
        assertFalse(a.headersSeen.get(0).contains("Expect"), a.headersSeen.get(0).toString());
    }

    @Test
    void theRequestTargetReachesTheUpstreamByteForByte() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).forwardAnyPath(true));
        String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}";
        // Non-ASCII escapes, path parameters, and a query java.net.URI rejects (a POST with it once hung).
        for (String target : List.of("/mcp/%E2%82%AC", "/mcp/%C3%A9", "/mcp/a;b=c", "/mcp?b=%26%20+x&c",
                "/mcp?q=a|b")) {
            String status = RawHttp.exchange(proxy.port(), "GET " + target + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n").statusLine();
            assertEquals("GET " + target, "GET " + a.targetsSeen.get(a.targetsSeen.size() - 1), status);
        }
        RawHttp.Answer answer = post(proxy, "/mcp?q=a|b", body);
        assertEquals("HTTP/1.1 200 OK", answer.statusLine(), answer.text());
        assertEquals("/mcp?q=a|b", a.targetsSeen.get(a.targetsSeen.size() - 1));

        int seen = a.requests.get();
        RawHttp.Answer malformed = post(proxy, "/mcp?x=%zz&q=%", body);
        assertEquals("HTTP/1.1 400 Bad Request", malformed.statusLine(), malformed.text());
        assertTrue(malformed.text().endsWith("\"code\":-32600,\"message\":\"Bad Request: malformed percent-encoding"
                + " in the request target\"},\"id\":null}"), malformed.text());
        assertEquals(seen, a.requests.get(), "a target the upstream client cannot send is answered here");
    }

    @Test
    void underAPrefixDotSegmentsReachTheUpstreamResolved() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).pathPrefix("/p")
                .forwardAnyPath(true));
        String status = RawHttp.exchange(proxy.port(), "GET /p/a/../mcp/%E2%82%AC?q=1 HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n").statusLine();
        assertEquals("HTTP/1.1 404 Not Found", status); // the upstream's answer to a path it does not serve
        assertEquals("/mcp/%E2%82%AC?q=1", a.targetsSeen.get(a.targetsSeen.size() - 1), "routed and sent alike");
    }

    private static RawHttp.Answer post(TransparentProxy proxy, String target, String body) throws Exception {
        return RawHttp.exchange(proxy.port(), "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"
                + body);
    }

    @Test
    void aBodyOverTheLimitIs413EvenWithoutContentLength() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).maxBodySize(1024));
        byte[] large = ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\""
                + "x".repeat(4096) + "\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (HttpRequest.BodyPublisher publisher : List.of(HttpRequest.BodyPublishers.ofByteArray(large),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(large)))) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                    .header("Content-Type", "application/json").POST(publisher).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(413, answer.statusCode(), answer.body());
            assertEquals(-32600, JsonRpc.parse(answer.body().getBytes()).path("error").path("code").asInt());
        }
        assertEquals(0, a.requests.get(), "nothing reached the upstream");
    }

    @Test
    void anEventStreamsHeadReachesTheClientBeforeItsFirstEvent() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).forwardAnyPath(true));
        for (String method : List.of("GET", "POST")) {
            HttpRequest request = HttpRequest.newBuilder(proxy.uri("/held-stream")).timeout(Duration.ofSeconds(20))
                    .header("Accept", "text/event-stream").header("Content-Type", "application/json")
                    .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}"))
                    .build();
            // send returns with the head; the upstream's event is still held back (a later method releases it)
            HttpResponse<InputStream> stream = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode(), method);
            assertEquals(List.of("text/event-stream"), stream.headers().allValues("Content-Type"), method);
            if (method.equals("POST")) {
                a.releaseHeldEvent.countDown();
                try (InputStream body = stream.body()) {
                    assertEquals("data: released\n\n", new String(body.readAllBytes()));
                }
            } else {
                stream.body().close();
            }
        }
    }

    @Test
    void aBodilessAnswerKeepsTheLengthTheUpstreamStatedAndGetsNoneInvented() throws Exception {
        CannedUpstream canned = track(new CannedUpstream(Map.of(
                "HEAD /chunked HTTP/1.1", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n",
                "HEAD /sized HTTP/1.1", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1234\r\n\r\n",
                "GET /not-modified HTTP/1.1", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n",
                "GET /not-modified-sized HTTP/1.1", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n"
                        + "Content-Length: 1234\r\n\r\n")));
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(canned.uri()).forwardAnyPath(true));
        TransparentProxy prefixed = proxy(TransparentProxy.builder().target(canned.uri()).pathPrefix("/up")
                .forwardAnyPath(true));
        Map<String, String> lengths = Map.of("HEAD /chunked", "", "HEAD /sized", "1234",
                "GET /not-modified", "", "GET /not-modified-sized", "1234", "GET /up/not-modified-sized", "1234");
        for (Map.Entry<String, String> expected : lengths.entrySet()) {
            int port = expected.getKey().contains(" /up/") ? prefixed.port() : proxy.port();
            RawHttp.Answer answer = RawHttp.exchange(port, expected.getKey()
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            String head = answer.text();
            assertTrue(head.endsWith("\r\n\r\n"), "a head and no body: " + head);
            String length = head.lines().filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
                    .map(line -> line.substring(15).trim()).findFirst().orElse("");
            assertEquals(expected.getValue(), length, expected.getKey() + ": " + head);
        }
    }

    @Test
    void aRequestTheUpstreamAnsweredBeforeReadingItsBodyIsNeverSentTwice() throws Exception {
        EarlyAnswerUpstream early = track(new EarlyAnswerUpstream());
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(early.uri()));
        String call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"x\":\""
                + "a".repeat(3_000_000) + "\"}}";
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(call)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(1, early.requestsSeen.get(), "the upstream had answered: the request is not sent again");
        assertEquals(413, answer.statusCode(), answer.body());
        assertEquals(EarlyAnswerUpstream.BODY, answer.body());
    }

    @Test
    void aBodyWithoutContentTypeReachesTheUpstreamWithoutOne() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        RawHttp.Answer answer = RawHttp.exchange(proxy.port(), "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: 37\r\nConnection: close\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}");
        assertEquals("HTTP/1.1 200 OK", answer.statusLine(), answer.text());
        assertFalse(a.headersSeen.get(0).contains("Content-Type"), a.headersSeen.get(0).toString());
    }

    @Test
    void compressedBodiesPassThroughUntouched() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).forwardAnyPath(true));
        HttpResponse<byte[]> gzip = http.send(HttpRequest.newBuilder(proxy.uri("/gzip")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("gzip", gzip.headers().firstValue("Content-Encoding").orElse(""));
        assertArrayEquals(new byte[] {31, -117, 8, 0, 1, 2, 3}, gzip.body());
    }

    @Test
    void sseStreamsEventByEventAndAClientDisconnectClosesTheUpstreamWithinOneSecond() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        String session = new ProxyClient(http, proxy.uri("/mcp")).initialize();
        long start = System.nanoTime();
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                .header("Accept", "text/event-stream").header("Mcp-Session-Id", session).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        SseEvents events = new SseEvents(stream.body());
        SseEvents.Event first = events.next(Duration.ofSeconds(5));
        long firstMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertEquals("1", first.id());
        assertTrue(firstMillis < 900, "first event after " + firstMillis + " ms: before the upstream finished (it needs"
                + " 1 s for all 20 events)");
        events.next(Duration.ofSeconds(5));

        long closedAt = System.nanoTime();
        events.close(); // the client goes away mid-stream
        assertReleasedWithinOneSecond(a.streamClosedAtNanos, closedAt);
    }

    /** {@code closedAtNanos}, which the upstream sets when it sees its connection end, is set within 1 s. */
    private static void assertReleasedWithinOneSecond(AtomicLong closedAtNanos, long clientLeftAtNanos)
            throws InterruptedException {
        Await.until(() -> closedAtNanos.get() != 0, Duration.ofSeconds(5));
        assertTrue(closedAtNanos.get() != 0, "the upstream saw its connection end");
        long millis = Duration.ofNanos(closedAtNanos.get() - clientLeftAtNanos).toMillis();
        assertTrue(millis < 1_000, "upstream connection released after " + millis + " ms");
    }

    @Test
    void aClientThatLeavesASilentStreamReleasesTheUpstreamWithinOneSecond() throws Exception {
        SilentStreamUpstream silent = track(new SilentStreamUpstream(true));
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(silent.uri()));
        assertUpstreamReleasedWhenTheClientLeaves(proxy, silent,
                "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n", true, 300);
    }

    @Test
    void aClientThatLeavesWhileTheUpstreamThinksReleasesTheUpstreamWithinOneSecond() throws Exception {
        SilentStreamUpstream silent = track(new SilentStreamUpstream(false));
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(silent.uri()));
        String call = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\"}";
        assertUpstreamReleasedWhenTheClientLeaves(proxy, silent, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + call.length() + "\r\n\r\n" + call, false, 0);
    }

    /**
     * Sends {@code request}, lets the upstream stay silent for {@code lingerMillis} (longer or shorter than the
     * exchange runs before the proxy watches its client), closes the client socket and times the upstream.
     */
    private static void assertUpstreamReleasedWhenTheClientLeaves(TransparentProxy proxy, SilentStreamUpstream silent,
                                                                  String request, boolean headExpected,
                                                                  long lingerMillis) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            client.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            client.setSoTimeout(5_000);
            if (headExpected) {
                String head = ResponseHead.read(client.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
            }
            Await.until(() -> silent.requestsSeen.get() == 1, Duration.ofSeconds(5));
            Thread.sleep(lingerMillis); // the exchange is open and silent
            assertEquals(1, silent.requestsSeen.get());
            assertEquals(0, silent.closedAtNanos.get(), "the upstream exchange is still open");
        }
        // the client went away; the upstream has sent nothing since
        assertReleasedWithinOneSecond(silent.closedAtNanos, System.nanoTime());
    }

    @Test
    void aSlowHeadAndAStalledBodyGet408WithinTheirTimeoutsAndReachNoUpstream() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).headerTimeout(Duration.ofSeconds(1))
                .bodyTimeout(Duration.ofSeconds(1)));
        SlowClients.assertSlowClientsTimedOut(proxy.port(), "/mcp", Duration.ofSeconds(1));
        assertEquals(0, a.requests.get());
    }

    @Test
    void pipelinedRequestsOnOneConnectionAreAllAnswered() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        a.slowMillis = 300; // the second request arrives while the first one's answer is pending
        StringBuilder pipelined = new StringBuilder();
        for (int id = 1; id <= 3; id++) {
            String call = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"initialize\"}";
            pipelined.append("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
                    .append(id == 3 ? "Connection: close\r\n" : "")
                    .append("Content-Length: ").append(call.length()).append("\r\n\r\n").append(call);
        }
        RawHttp.Answer answers = RawHttp.exchange(proxy.port(), pipelined.toString());
        String text = answers.text();
        assertEquals(3, text.split("HTTP/1.1 200 OK", -1).length - 1, text);
        assertTrue(text.indexOf("\"id\":1") < text.indexOf("\"id\":2")
                && text.indexOf("\"id\":2") < text.indexOf("\"id\":3"), text);
    }

    @Test
    void legacySseSessionsAreLearnedFromTheEndpointEventAndRewrittenUnderAPrefix() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).pathPrefix("/upstream-a")
                .forwardPaths(List.of("/sse"))); // a legacy upstream's stream; its message path is learned
        HttpResponse<String> stream = http.send(HttpRequest.newBuilder(proxy.uri("/upstream-a/sse"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(stream.body().startsWith("event: endpoint\ndata: /upstream-a/messages?session_id=a-legacy-"),
                stream.body());
        String session = stream.body().replaceAll("(?s).*session_id=([^\\n]+)\\n.*", "$1");
        assertTrue(proxy.sessions().get(Session.Type.TRANSPARENT, session).isPresent(), "learned " + session);
        HttpResponse<String> post = new ProxyClient(http, proxy.uri("/")).post(
                proxy.uri("/upstream-a/messages?session_id=" + session), null,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        assertEquals(202, post.statusCode());
        int seen = a.requests.get();
        HttpResponse<String> elsewhere = new ProxyClient(http, proxy.uri("/")).post(
                proxy.uri("/upstream-a/admin?session_id=" + session), null,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        assertEquals(404, elsewhere.statusCode(), "a live legacy session opens its own message path, no other");
        assertEquals(seen, a.requests.get());
        HttpResponse<String> unknown = new ProxyClient(http, proxy.uri("/")).post(
                proxy.uri("/upstream-a/messages?session_id=nope"), null,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        assertEquals(404, unknown.statusCode());
    }

    @Test
    void aClientThatOnlyListensKeepsItsSessionPastTheTtl() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).sessionTtl(Duration.ofSeconds(1))
                .forwardPaths(List.of("/lasting-stream", "/lasting-sse")));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        String listening = client.initialize();
        String quiet = client.initialize();
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(proxy.uri("/lasting-stream"))
                .header("Accept", "text/event-stream").header("Mcp-Session-Id", listening).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<String> legacy = http.send(HttpRequest.newBuilder(proxy.uri("/lasting-sse"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());
        // ofString returns once the legacy stream ended: 3 s, three TTLs, with no request naming either session
        String legacySession = legacy.body().replaceAll("(?s).*session_id=([^\\n]+)\\n.*", "$1");
        try (SseEvents events = new SseEvents(stream.body())) {
            assertEquals("1", events.next(Duration.ofSeconds(5)).id());
            assertEquals(404, client.post(quiet, "tools/list").statusCode(), "a session nobody used expired");
            assertEquals(200, client.post(listening, "tools/list").statusCode(), "the listening session did not");
            HttpResponse<String> afterStream = client.post(
                    proxy.uri("/messages?session_id=" + legacySession), null,
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
            assertEquals(202, afterStream.statusCode(), "a legacy session outlives the TTL while its stream is open");
        }
    }

    @Test
    void aClientWaitingForAnAnswerLongerThanTheTtlKeepsItsSession() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).sessionTtl(Duration.ofSeconds(1)));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        String session = client.initialize();
        a.slowMillis = 2_500; // every POST from now on: a long tool call
        java.util.concurrent.CompletableFuture<HttpResponse<String>> longCall =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.post(session, "tools/call");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        Thread.sleep(1_500); // past the TTL, no other request
        assertEquals(200, client.post(session, "tools/list").statusCode(), "the session is still there");
        assertEquals(200, longCall.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
    }

    @Test
    void aTargetThatFailsItsHealthProbeGetsNoNewSessions() throws Exception {
        URI dead = closedPortTarget();
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(dead, a.uri()))
                .healthCheckInterval(Duration.ofMillis(100)));
        Await.until(() -> !proxy.isHealthy(dead), Duration.ofSeconds(5));
        assertFalse(proxy.isHealthy(dead));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        for (int i = 0; i < 6; i++) {
            assertTrue(client.initialize().startsWith("a-session-"), "every new session goes to the live target");
        }
    }

    @Test
    void hopByHopHeadersStayBehindAndForwardingHeadersAreAdded() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}";
        String raw = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + proxy.port() + "\r\nContent-Type: application/json\r\n"
                + "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                + "Connection: X-Second-Hop\r\nX-Second-Hop: secret too\r\n" // every Connection field counts
                + "X-Custom: kept\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.getOutputStream().write(raw.getBytes());
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
        }
        org.eclipse.jetty.http.HttpFields seen = a.headersSeen.get(a.headersSeen.size() - 1);
        assertFalse(seen.contains("X-Hop"), "named in Connection: hop-by-hop");
        assertFalse(seen.contains("X-Second-Hop"), "named in a second Connection field");
        assertFalse(seen.contains("Keep-Alive"));
        assertFalse(seen.contains("TE"));
        assertEquals("kept", seen.get("X-Custom"));
        assertEquals("127.0.0.1", seen.get("X-Forwarded-For"));
        assertEquals("http", seen.get("X-Forwarded-Proto"));
        assertEquals("127.0.0.1:" + proxy.port(), seen.get("X-Forwarded-Host"));
        assertTrue(seen.get("Forwarded").startsWith("for=127.0.0.1;proto=http;host="), seen.get("Forwarded"));
    }

    @Test
    void aCallerSuppliedClientIsUsedAsIsAndLeftRunning() throws Exception {
        org.eclipse.jetty.client.HttpClient mine = new org.eclipse.jetty.client.HttpClient();
        mine.setMaxConnectionsPerDestination(3);
        mine.start();
        try {
            TransparentProxy proxy = TransparentProxy.builder().target(a.uri()).httpClient(mine)
                    .maxConnectionsPerUpstream(99).port(0).build();
            proxy.start();
            assertEquals(200, new ProxyClient(http, proxy.uri("/mcp")).post(null, "initialize").statusCode());
            assertEquals(3, mine.getMaxConnectionsPerDestination(), "never reconfigured");
            proxy.close();
            assertTrue(mine.isRunning(), "the caller's client outlives the proxy");
        } finally {
            mine.stop();
        }
    }

    @Test
    void aMissingOrUnparseableBackendUrlFallsBackToTheStaticTarget() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        proxy.sessions().register("odd-1", Session.Type.TRANSPARENT, java.util.Map.of(Session.BACKEND_URL,
                "::not a url"));
        proxy.sessions().register("odd-2", Session.Type.TRANSPARENT, java.util.Map.of());
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        assertEquals("a", ProxyClient.servedBy(client.post("odd-1", "tools/list")));
        assertEquals("a", ProxyClient.servedBy(client.post("odd-2", "tools/list")));
    }

    static ObjectNode json(HttpResponse<String> response) {
        return (ObjectNode) JsonRpc.parse(response.body().getBytes());
    }

    @Test
    void upstreamIoThreadsSizeTheUpstreamSelectors() throws Exception {
        TransparentProxy sized = proxy(TransparentProxy.builder().target(a.uri()).upstreamIoThreads(3));
        TransparentProxy byDefault = proxy(TransparentProxy.builder().target(a.uri()));
        assertEquals(3, selectorsOf(sized));
        assertEquals(TransparentProxy.DEFAULT_UPSTREAM_IO_THREADS, selectorsOf(byDefault));
        assertTrue(TransparentProxy.DEFAULT_UPSTREAM_IO_THREADS >= 2);
        assertEquals(200, new ProxyClient(http, sized.uri("/mcp")).post(null, "tools/list").statusCode());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> TransparentProxy.builder().upstreamIoThreads(0));
        assertEquals("upstreamIoThreads must be at least 1, got 0", zero.getMessage());
    }

    private static int selectorsOf(TransparentProxy proxy) {
        return ((org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP) proxy.client().getTransport())
                .getClientConnector().getSelectors();
    }

    @Test
    void upstreamExchangesErrorAnswersAndTheClientSideAreCountedByTargetAndStatus() throws Exception {
        URI down = closedPortTarget();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), down))
                .healthCheckInterval(Duration.ofMillis(100)).meterRegistry(registry));
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));

        String session = client.initialize(); // the closed port fails its probe: new sessions go to a
        int calls = 5;
        for (int i = 0; i < calls; i++) {
            assertEquals(200, client.post(session, "tools/list").statusCode());
        }

        String target = "127.0.0.1:" + a.port();
        assertEquals(1 + calls, Search.in(registry).name("mcp.proxy.upstream.requests")
                .tags("target", target, "status_class", "2xx").timer().count());
        // recorded when the exchange completes, which may be just after the client read the answer
        assertTrue(Await.until(() -> Search.in(registry).name("mcp.proxy.http.requests")
                .tags("transport", "transparent", "status", "200", "http_method", "POST").timers().stream()
                .mapToLong(timer -> timer.count()).sum() == 1 + calls, Duration.ofSeconds(5)),
                "the initialize and the calls");
        assertTrue(Search.in(registry).name("mcp.proxy.storage.operations").tags("op", "load").timer().count()
                >= calls);
        // The health probes share the pool and may hold or replace its connection for a moment: a call that finds
        // none idle makes one rest there again.
        boolean pooled = false;
        for (int attempt = 0; attempt < 10 && !pooled; attempt++) {
            pooled = Await.until(() -> registry.get("mcp.proxy.upstream.connections").tag("state", "idle").gauge()
                    .value() >= 1, Duration.ofMillis(500));
            if (!pooled) {
                assertEquals(200, client.post(session, "tools/list").statusCode());
            }
        }
        assertTrue(pooled, "the pooled connection to a");

        assertTrue(Await.until(() -> proxy.health().ready(), Duration.ofSeconds(5)), "a answers its probe");
        a.close();
        assertEquals(502, client.post(session, "tools/list").statusCode(), "its upstream is gone");
        assertEquals(1, Search.in(registry).name("mcp.proxy.upstream.errors")
                .tags("status", "502", "reason", "upstream_unreachable").counter().count());
        assertEquals(1, Search.in(registry).name("mcp.proxy.upstream.requests")
                .tags("target", target, "status_class", "none").timer().count());
        assertTrue(Await.until(() -> !proxy.health().ready(), Duration.ofSeconds(5)), "no target answers");
        Health health = proxy.health();
        assertFalse(health.checks().stream().filter(check -> check.name().equals("targets")).findFirst()
                .orElseThrow().up(), health.toString());
    }

    /** An upstream URI on a loopback port nothing listens on. */
    private static URI closedPortTarget() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/mcp");
        }
    }
}
