package io.mcpproxy.core.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.ResponseHead;
import io.mcpproxy.core.testing.SilentStreamUpstream;
import io.mcpproxy.core.testing.SocketUpstream;
import io.mcpproxy.session.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarding engine on its own: a Jetty proxy whose handler forwards every request as a
 * {@link ForwardedExchange} (adapted per test through its hooks) to a real Jetty upstream on a loopback port.
 */
class ForwardedExchangeIT {

    /** Makes the exchange of each request the proxy receives. */
    private interface Exchanges {
        ForwardedExchange create(Forwarder forwarder, Request request, Response response, Callback callback,
                                 byte[] body, URI upstream);
    }

    private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}";

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> targetsSeen = new CopyOnWriteArrayList<>();
    private final List<HttpFields> headersSeen = new CopyOnWriteArrayList<>();
    private Server upstream;
    private Server proxy;
    private org.eclipse.jetty.client.HttpClient client;
    private volatile Exchanges exchanges = ForwardedExchange::new;
    private URI upstreamBase;
    private volatile URI upstreamUri;

    @BeforeEach
    void start() throws Exception {
        upstream = new Server();
        ServerConnector upstreamConnector = new ServerConnector(upstream, 1, 1);
        upstreamConnector.setHost("127.0.0.1");
        upstream.addConnector(upstreamConnector);
        upstream.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return serveUpstream(request, response, callback);
            }
        });
        upstream.start();
        upstreamBase = URI.create("http://127.0.0.1:" + upstreamConnector.getLocalPort() + "/base");
        upstreamUri = upstreamBase;
        startProxy(UpstreamPoolSettings.DEFAULTS);
    }

    private void startProxy(UpstreamPoolSettings pool) throws Exception {
        client = UpstreamClients.newClient("test-forward", pool, InvocationType.NON_BLOCKING);
        client.start();
        Forwarder forwarder = new Forwarder(client, pool);
        proxy = new Server();
        ServerConnector connector = new ServerConnector(proxy, 1, 1);
        connector.setHost("127.0.0.1");
        proxy.addConnector(connector);
        proxy.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.asByteArrayAsync(request, 1 << 20).whenComplete((body, failure) -> {
                    if (failure != null) {
                        callback.failed(failure);
                        return;
                    }
                    exchanges.create(forwarder, request, response, callback, body.length == 0 ? null : body,
                            upstreamUri).send();
                });
                return true;
            }
        });
        proxy.start();
    }

    private void stopProxy() throws Exception {
        proxy.stop();
        client.stop();
    }

    @AfterEach
    void stop() throws Exception {
        stopProxy();
        upstream.stop();
    }

    private boolean serveUpstream(Request request, Response response, Callback callback) throws Exception {
        targetsSeen.add(request.getHttpURI().getPathQuery());
        headersSeen.add(HttpFields.build(request.getHeaders()).asImmutable());
        if (Request.getPathInContext(request).equals("/slow")) {
            Thread.sleep(1_500);
        }
        response.getHeaders().put("X-Upstream", "yes");
        response.getHeaders().put("Content-Type", "text/plain");
        response.write(true, ByteBuffer.wrap("hello from upstream".getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    private URI proxyUri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) proxy.getConnectors()[0]).getLocalPort()
                + pathAndQuery);
    }

    private HttpResponse<String> post(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(proxyUri(pathAndQuery)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("X-Drop-Me", "secret")
                .POST(HttpRequest.BodyPublishers.ofString(CALL)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode reason(HttpResponse<String> response) {
        return JsonRpc.parse(response.body().getBytes(StandardCharsets.UTF_8)).path("error").path("data")
                .path("reason");
    }

    @Test
    void theRequestTargetIsTheClientsByDefaultAndWhatThePathHookChoosesOtherwise() throws Exception {
        assertEquals(200, post("/mcp?x=a%20b").statusCode());
        assertEquals("/mcp?x=a%20b", targetsSeen.get(0), "as the client sent it");

        exchanges = (forwarder, request, response, callback, body, upstream) ->
                new ForwardedExchange(forwarder, request, response, callback, body, upstream) {
                    @Override
                    protected String proxyToServerPathAndQuery() {
                        return "/replica" + super.proxyToServerPathAndQuery();
                    }
                };
        assertEquals(200, post("/mcp?x=1").statusCode());
        assertEquals("/replica/mcp?x=1", targetsSeen.get(1));
    }

    @Test
    void theHeadersHookAddsAMarkerAndDropsAHeaderBesideTheForwardingHeaders() throws Exception {
        exchanges = (forwarder, request, response, callback, body, upstream) ->
                new ForwardedExchange(forwarder, request, response, callback, body, upstream) {
                    @Override
                    protected void adjustProxyToServerHeaders(HttpFields.Mutable proxyToServerHeaders) {
                        proxyToServerHeaders.put("X-Forwarded-By-Replica", "replica-a");
                        proxyToServerHeaders.remove("X-Drop-Me");
                    }
                };
        assertEquals(200, post("/mcp").statusCode());
        HttpFields seen = headersSeen.get(0);
        assertEquals("replica-a", seen.get("X-Forwarded-By-Replica"));
        assertFalse(seen.contains("X-Drop-Me"), seen.toString());
        assertEquals("127.0.0.1", seen.get("X-Forwarded-For"));
        assertEquals("application/json", seen.get("Content-Type"));
    }

    @Test
    void aResponseHeadTheHookRefusesIsAnsweredByTheErrorHookWithNothingOfTheUpstream() throws Exception {
        exchanges = (forwarder, request, response, callback, body, upstream) ->
                new ForwardedExchange(forwarder, request, response, callback, body, upstream) {
                    @Override
                    protected Throwable onServerToProxyResponseHead(
                            org.eclipse.jetty.client.Response serverToProxyResponse) {
                        return new IllegalStateException("refused by the head hook");
                    }

                    @Override
                    protected void writeProxyToClientError(Throwable failure) {
                        if (causedBy(failure, IllegalStateException.class)) {
                            writeProxyToClientError(503, "refused_here", "Refused", failure);
                        } else {
                            super.writeProxyToClientError(failure);
                        }
                    }
                };
        HttpResponse<String> refused = post("/mcp");
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("refused_here", reason(refused).asText());
        assertEquals(7, JsonRpc.parse(refused.body().getBytes(StandardCharsets.UTF_8)).path("id").asInt(),
                "the request's id");
        assertTrue(refused.headers().firstValue("X-Upstream").isEmpty(), "no upstream header reached the client");
        assertEquals(1, targetsSeen.size());
    }

    @Test
    void aBodyTransformerChangesTheBodyAndTheResponseStatesNoLength() throws Exception {
        exchanges = (forwarder, request, response, callback, body, upstream) ->
                new ForwardedExchange(forwarder, request, response, callback, body, upstream) {
                    @Override
                    protected BodyTransformer newServerToProxyBodyTransformer(
                            org.eclipse.jetty.client.Response serverToProxyResponse) {
                        return new HoldingUpperCase();
                    }
                };
        HttpResponse<String> transformed = post("/mcp");
        assertEquals(200, transformed.statusCode());
        assertEquals("HELLO FROM UPSTREAM!", transformed.body());
        assertTrue(transformed.headers().firstValue("Content-Length").isEmpty(),
                "the upstream's length no longer holds: " + transformed.headers().map());
        assertEquals(List.of("yes"), transformed.headers().allValues("X-Upstream"));
    }

    /** Holds the body until its end, then sends it in upper case with a '!' more. */
    private static final class HoldingUpperCase implements BodyTransformer {
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();

        @Override
        public ByteBuffer apply(ByteBuffer chunk) {
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(bytes);
            held.writeBytes(bytes);
            return BufferUtil.EMPTY_BUFFER;
        }

        @Override
        public ByteBuffer flush() {
            return ByteBuffer.wrap((held.toString(StandardCharsets.UTF_8).toUpperCase(Locale.ROOT) + "!")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void theCompletionHookRunsOnceBeforeTheEndOfASizedAnswerReachesTheClient() throws Exception {
        List<String> completions = new CopyOnWriteArrayList<>();
        exchanges = (forwarder, request, response, callback, body, upstream) ->
                new ForwardedExchange(forwarder, request, response, callback, body, upstream) {
                    @Override
                    protected void onServerToProxyResponseComplete(Result result) {
                        completions.add(result.getResponse().getStatus() + " committed="
                                + proxyToClientResponse().isCommitted());
                    }
                };
        HttpResponse<String> answer = post("/mcp");
        assertEquals("hello from upstream", answer.body());
        // the whole body is its own last bytes: held until the upstream exchange completed, so nothing was sent
        assertEquals(List.of("200 committed=false"), completions);

        upstreamUri = closedPortUri();
        assertEquals(502, post("/mcp").statusCode());
        assertEquals(List.of("200 committed=false", "0 committed=false"), completions, "once, also for a failure");
    }

    @Test
    void failuresAreAnsweredAsJsonRpcErrors502And504ByDefault() throws Exception {
        upstreamUri = closedPortUri();
        HttpResponse<String> unreachable = post("/mcp");
        assertEquals(502, unreachable.statusCode());
        assertEquals("application/json", unreachable.headers().firstValue("Content-Type").orElse(""));
        assertEquals("upstream_unreachable", reason(unreachable).asText());

        stopProxy();
        startProxy(UpstreamPoolSettings.DEFAULTS.withResponseIdleTimeout(Duration.ofMillis(300)));
        upstreamUri = upstreamBase;
        HttpResponse<String> silent = post("/slow");
        assertEquals(504, silent.statusCode());
        assertEquals("upstream_timeout", reason(silent).asText());
    }

    @Test
    void aRequestTheUpstreamReadAndLeftUnansweredIsNeverSentAgain() throws Exception {
        AtomicInteger requestsSeen = new AtomicInteger();
        try (SocketUpstream hangsUp = new SocketUpstream("hangs-up") {
            {
                startAccepting();
            }

            @Override
            protected void serve(Socket socket) {
                try (socket) {
                    if (readRequestHead(socket.getInputStream()) != null) {
                        requestsSeen.incrementAndGet(); // then the connection closes, unanswered
                    }
                } catch (IOException e) {
                    // closed
                }
            }
        }) {
            upstreamUri = hangsUp.uri();
            HttpResponse<String> answer = post("/mcp");
            assertEquals(502, answer.statusCode(), answer.body());
            assertEquals(1, requestsSeen.get(), "request bytes were sent: no retry");
        }
    }

    @Test
    void aClientThatLeavesASilentStreamReleasesTheUpstreamAtOnce() throws Exception {
        try (SilentStreamUpstream silent = new SilentStreamUpstream(true)) {
            upstreamUri = silent.uri();
            int port = ((ServerConnector) proxy.getConnectors()[0]).getLocalPort();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                String head = ResponseHead.read(socket.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), "the stream's head went out ahead: " + head);
                Await.until(() -> silent.requestsSeen.get() == 1, Duration.ofSeconds(5));
                assertEquals(0, silent.closedAtNanos.get(), "the upstream exchange is open");
            }
            // The upstream stays silent: only the proxy noticing the client leave closes its connection (else the
            // response idle timeout would, minutes later).
            Await.until(() -> silent.closedAtNanos.get() != 0, Duration.ofSeconds(5));
            assertTrue(silent.closedAtNanos.get() != 0, "the upstream connection was released");
        }
    }

    private static URI closedPortUri() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/mcp");
        }
    }
}
