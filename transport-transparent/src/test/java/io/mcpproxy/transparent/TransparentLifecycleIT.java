package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.RawHttp;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.Session;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The transparent proxy as a Jetty component: mounted in someone else's server, started and stopped cleanly. */
class TransparentLifecycleIT {

    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}";

    @Test
    void aUsersServerRunsTheTransparentHandlerBesideItsOwnHandler() throws Exception {
        try (TestUpstream upstream = new TestUpstream("a").start(0, 30_000)) {
            Handler transparent = TransparentProxy.builder().target(upstream.uri()).pathPrefix("/upstream")
                    .buildHandler();
            Handler mine = new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    if (!Request.getPathInContext(request).equals("/hello")) {
                        return false;
                    }
                    response.write(true, ByteBuffer.wrap("hello from the user's handler".getBytes(
                            StandardCharsets.UTF_8)), callback);
                    return true;
                }
            };
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            server.setHandler(new Handler.Sequence(transparent, mine));
            // the proxy's handler inside the wrapper that marks and measures its exchanges
            TransparentHandler handler = (TransparentHandler) ((Handler.Wrapper) transparent).getHandler();
            assertFalse(handler.forwarder().client().isStarted(), "nothing starts before the server does");

            server.start();
            try {
                URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
                HttpClient http = HttpClient.newHttpClient();
                ProxyClient client = new ProxyClient(http, base.resolve("/upstream/mcp"));
                String session = client.initialize();
                assertEquals("a", ProxyClient.servedBy(client.post(session, "tools/list")), "forwarded");
                assertEquals(upstream.uri().toString(), handler.sessions().manager().get(Session.Type.TRANSPARENT,
                        session).orElseThrow()
                        .metadata(Session.BACKEND_URL).orElseThrow(), "learned");
                HttpResponse<String> hello = http.send(HttpRequest.newBuilder(base.resolve("/hello")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, hello.statusCode());
                assertEquals("hello from the user's handler", hello.body(), "outside the prefix: the user's handler");
            } finally {
                server.stop();
            }
            assertTrue(handler.isStopped());
            assertTrue(handler.forwarder().client().isStopped(), "the proxy's client stops with the server");
            assertTrue(handler.sessions().manager().storage() instanceof LocalStorage);
        }
    }

    @Test
    void noThreadOfTheProxySurvivesClose() throws Exception {
        try (TestUpstream upstream = new TestUpstream("a").start(0, 30_000)) {
            Set<Long> before = liveThreadIds();
            TransparentProxy proxy = TransparentProxy.builder().target(upstream.uri()).port(0)
                    .healthCheckInterval(Duration.ofMillis(100)).build();
            assertEquals(List.of(), threadsStartedSince(before), "nothing starts in a constructor");

            proxy.start();
            RawHttp.Answer initialized = RawHttp.exchange(proxy.port(), "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + INITIALIZE.length()
                    + "\r\nConnection: close\r\n\r\n" + INITIALIZE);
            assertEquals("HTTP/1.1 200 OK", initialized.statusLine(), initialized.text());
            assertNotEquals(List.of(), threadsStartedSince(before), "the proxy runs threads of its own");

            proxy.close();
            // Jetty joins its threads with a timeout of its own: they may take a moment to end
            assertTrue(Await.until(() -> threadsStartedSince(before).isEmpty(), Duration.ofSeconds(10)),
                    () -> "threads alive after close: " + describe(before));
        }
    }

    @Test
    void aStartThatCannotBindItsPortLeavesNoThreadBehind() throws Exception {
        try (TestUpstream upstream = new TestUpstream("a").start(0, 30_000);
             ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<Long> before = liveThreadIds();
            TransparentProxy proxy = TransparentProxy.builder().target(upstream.uri()).port(taken.getLocalPort())
                    .build();
            assertThrows(IOException.class, proxy::start);
            proxy.close();
            assertTrue(Await.until(() -> threadsStartedSince(before).isEmpty(), Duration.ofSeconds(10)),
                    () -> "threads alive after the failed start: " + describe(before));
        }
    }

    /** The threads {@link #threadsStartedSince} finds, each with where it stands. */
    private static String describe(Set<Long> before) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(thread -> threadsStartedSince(before).contains(thread.getKey().getName()))
                .map(thread -> thread.getKey().getName() + " at " + List.of(thread.getValue()))
                .collect(Collectors.joining("\n"));
    }

    private static Set<Long> liveThreadIds() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getId).collect(Collectors.toSet());
    }

    /** Names of the threads alive now that were not at {@code before}, other than a test upstream's. */
    private static List<String> threadsStartedSince(Set<Long> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !before.contains(thread.getId()))
                .map(Thread::getName)
                .filter(name -> !name.startsWith(TestUpstream.THREAD_NAME_PREFIX))
                .sorted()
                .toList();
    }
}
