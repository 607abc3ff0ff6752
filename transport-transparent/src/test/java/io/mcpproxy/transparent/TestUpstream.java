package io.mcpproxy.transparent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * A real HTTP upstream for the transparent proxy's tests, counting the TCP connections it accepts. It speaks just
 * enough MCP: initialize issues {@code Mcp-Session-Id}; other POSTs answer with which upstream served them; GET
 * streams SSE events; legacy {@code /sse} announces an endpoint; DELETE answers the status the test asks for;
 * {@code /lasting-stream} and {@code /lasting-sse} are streams that stay open for a few seconds.
 */
final class TestUpstream implements AutoCloseable {

    /** Starts the name of every thread of a test upstream, to tell them from the proxy's. */
    static final String THREAD_NAME_PREFIX = "test-upstream-";
    final String name;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final List<String> cookiesSeen = new CopyOnWriteArrayList<>();
    final List<String> forwardedFor = new CopyOnWriteArrayList<>();
    final List<String> connectionHeaders = new CopyOnWriteArrayList<>();
    final List<HttpFields> headersSeen = new CopyOnWriteArrayList<>();
    final List<HttpVersion> versionsSeen = new CopyOnWriteArrayList<>();
    /** Each request's target (path and query) as it came over the wire. */
    final List<String> targetsSeen = new CopyOnWriteArrayList<>();
    final AtomicLong streamClosedAtNanos = new AtomicLong();
    /** What {@code POST /auth} answers with its 401: an OAuth challenge, and a body over 16 KiB. */
    static final String UNAUTHORIZED_CHALLENGE =
            "Bearer resource_metadata=\"http://127.0.0.1/.well-known/oauth-protected-resource\"";
    static final String UNAUTHORIZED_BODY = "{\"error\":\"invalid_token\",\"detail\":\"" + "x".repeat(64 * 1024) + "\"}";
    /** How long {@code GET /lasting-stream} (events every 100 ms) and {@code GET /lasting-sse} (silent) stay open. */
    static final int LASTING_STREAM_MILLIS = 3_000;
    volatile int deleteStatus = 200;
    /** Opened by a test to let {@code /held-stream} send its event. */
    final java.util.concurrent.CountDownLatch releaseHeldEvent = new java.util.concurrent.CountDownLatch(1);
    /** Replaces "name-session-" before the counter in the session ids this upstream issues. */
    volatile String sessionIdStem;
    /** Appended to every session id this upstream issues (a JWT-sized id, say). */
    volatile String sessionIdSuffix = "";
    volatile long slowMillis;
    private final AtomicInteger sessions = new AtomicInteger();
    private Server server;
    private ServerConnector connector;
    private int port;
    private boolean http2;

    TestUpstream(String name) {
        this.name = name;
    }

    /** Starts on {@code port} (0 = any) with the given idle timeout for its connections. */
    TestUpstream start(int port, long idleTimeoutMillis) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName(THREAD_NAME_PREFIX + name);
        server = new Server(threads, new ScheduledExecutorScheduler(THREAD_NAME_PREFIX + name + "-timer", true), null);
        connector = http2
                ? new ServerConnector(server, 1, 1, new HTTP2CServerConnectionFactory(new HttpConfiguration()))
                : new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(idleTimeoutMillis);
        connector.addEventListener(new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                accepted.incrementAndGet();
                open.incrementAndGet();
            }

            @Override
            public void onClosed(Connection connection) {
                open.decrementAndGet();
            }
        });
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return serve(request, response, callback);
            }
        });
        server.start();
        this.port = connector.getLocalPort();
        return this;
    }

    /** Speaks only HTTP/2 over cleartext (h2c with prior knowledge), as an upstream that requires HTTP/2. */
    TestUpstream http2Only() {
        this.http2 = true;
        return this;
    }

    int port() {
        return port;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port + "/mcp");
    }

    /** Stops and starts again on the same port: a restarted upstream. */
    void restart() throws Exception {
        long idle = connector.getIdleTimeout();
        server.stop();
        start(port, idle);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private boolean serve(Request request, Response response, Callback callback) throws Exception {
        requests.incrementAndGet();
        String cookie = request.getHeaders().get("Cookie");
        cookiesSeen.add(cookie == null ? "" : cookie);
        String xff = request.getHeaders().get("X-Forwarded-For");
        forwardedFor.add(xff == null ? "" : xff);
        String connection = request.getHeaders().get("Connection");
        connectionHeaders.add(connection == null ? "" : connection);
        versionsSeen.add(request.getConnectionMetaData().getHttpVersion());
        targetsSeen.add(request.getHttpURI().getPathQuery());
        headersSeen.add(HttpFields.build(request.getHeaders()).asImmutable());
        String path = Request.getPathInContext(request);
        switch (request.getMethod() + " " + path) {
            case "POST /mcp" -> post(request, response, callback);
            case "GET /mcp" -> stream(response, callback, 20, 50);
            case "GET /sse" -> legacy(response, callback, 0);
            case "GET /lasting-stream" -> stream(response, callback, LASTING_STREAM_MILLIS / 100, 100);
            case "GET /lasting-sse" -> legacy(response, callback, LASTING_STREAM_MILLIS);
            case "POST /messages" -> json(response, callback, 202, null);
            case "DELETE /mcp" -> {
                response.setStatus(deleteStatus);
                response.write(true, null, callback);
            }
            case "POST /auth" -> {
                response.setStatus(401);
                response.getHeaders().put("WWW-Authenticate", UNAUTHORIZED_CHALLENGE);
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, ByteBuffer.wrap(UNAUTHORIZED_BODY.getBytes(StandardCharsets.UTF_8)), callback);
            }
            case "POST /early-hints" -> {
                response.writeInterim(103, HttpFields.build().put("Link", "</style.css>; rel=preload")).get();
                response.getHeaders().put("X-Answer", "final");
                post(request, response, callback);
            }
            case "GET /held-stream", "POST /held-stream" -> held(response, callback);
            case "GET /gzip" -> {
                response.getHeaders().put("Content-Encoding", "gzip");
                response.getHeaders().put("Content-Type", "application/octet-stream");
                response.write(true, ByteBuffer.wrap(new byte[] {31, -117, 8, 0, 1, 2, 3}), callback);
            }
            default -> {
                response.setStatus(404);
                response.write(true, null, callback);
            }
        }
        return true;
    }

    private void post(Request request, Response response, Callback callback) throws Exception {
        JsonNode body = JsonRpc.parse(Content.Source.asString(request, StandardCharsets.UTF_8).getBytes());
        if (slowMillis > 0) {
            Thread.sleep(slowMillis);
        }
        String method = body.path("method").asText();
        ObjectNode result = JsonRpc.objectNode().put("servedBy", name).put("method", method);
        if ("initialize".equals(method)) {
            String sessionId = (sessionIdStem != null ? sessionIdStem : name + "-session-") + sessions.incrementAndGet()
                    + sessionIdSuffix;
            response.getHeaders().put("Mcp-Session-Id", sessionId);
            result.put("protocolVersion", "2025-06-18");
        }
        if ("set_cookie".equals(method)) {
            response.getHeaders().add("Set-Cookie", "secret=" + name + "; Path=/");
        }
        json(response, callback, 200, JsonRpc.result(body.get("id"), result));
    }

    private void json(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        if (body == null) {
            response.write(true, null, callback);
            return;
        }
        response.getHeaders().put("Content-Type", "application/json");
        response.write(true, ByteBuffer.wrap(JsonRpc.toBytes(body)), callback);
    }

    /** A daemon thread for a response written over time, named as this upstream's. */
    private Thread newWriter(Runnable write) {
        Thread writer = new Thread(write, THREAD_NAME_PREFIX + name + "-writer");
        writer.setDaemon(true);
        return writer;
    }

    /** {@code events} SSE events, one every {@code everyMillis}; notes when the client connection went away. */
    private void stream(Response response, Callback callback, int events, long everyMillis) {
        response.getHeaders().put("Content-Type", "text/event-stream");
        Thread writer = newWriter(() -> {
            try {
                for (int i = 1; i <= events; i++) {
                    String event = "id: " + i + "\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"tick\","
                            + "\"params\":{\"n\":" + i + "}}\n\n";
                    Callback.Completable written = new Callback.Completable();
                    response.write(false, ByteBuffer.wrap(event.getBytes(StandardCharsets.UTF_8)), written);
                    written.get();
                    Thread.sleep(everyMillis);
                }
                response.write(true, null, callback);
            } catch (Exception e) {
                streamClosedAtNanos.set(System.nanoTime());
                callback.failed(e);
            }
        });
        writer.start();
    }

    /** An event stream whose head goes out at once and whose only event waits for {@link #releaseHeldEvent}. */
    private void held(Response response, Callback callback) {
        response.getHeaders().put("Content-Type", "text/event-stream");
        response.write(false, null, Callback.from(() -> {
            Thread writer = newWriter(() -> {
                try {
                    releaseHeldEvent.await();
                    response.write(true, ByteBuffer.wrap("data: released\n\n".getBytes(StandardCharsets.UTF_8)),
                            callback);
                } catch (InterruptedException e) {
                    callback.failed(e);
                }
            });
            writer.start();
        }, callback::failed));
    }

    /** A legacy SSE stream: its endpoint event, {@code holdMillis} of silence, one message, the end. */
    private void legacy(Response response, Callback callback, long holdMillis) {
        response.getHeaders().put("Content-Type", "text/event-stream");
        String id = name + "-legacy-" + sessions.incrementAndGet();
        String endpoint = "event: endpoint\ndata: /messages?session_id=" + id + "\n\n";
        Runnable last = () -> response.write(true, ByteBuffer.wrap(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"bye\"}\n\n".getBytes()), callback);
        response.write(false, ByteBuffer.wrap(endpoint.getBytes(StandardCharsets.UTF_8)), Callback.from(() -> {
            if (holdMillis == 0) {
                last.run();
                return;
            }
            Thread writer = newWriter(() -> {
                try {
                    Thread.sleep(holdMillis);
                    last.run();
                } catch (InterruptedException e) {
                    callback.failed(e);
                }
            });
            writer.start();
        }, callback::failed));
    }
}
