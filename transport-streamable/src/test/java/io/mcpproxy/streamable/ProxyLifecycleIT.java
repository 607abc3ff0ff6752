package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.Await;
import io.mcpproxy.stdio.McpProxyHandler;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The proxy's life: mounted in an application's own Jetty server, and nothing of it left running after close. */
class ProxyLifecycleIT {

    @Test
    void theHandlerServesBesideTheApplicationsOwnHandlersInItsServer() throws Exception {
        McpProxyHandler mcp = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .buildHandler();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Sequence(new Hello(), mcp));
        server.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
            HttpResponse<String> hello = http.send(HttpRequest.newBuilder(base.resolve("/hello")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("hello from the application", hello.body());

            McpTestClient client = new McpTestClient(http, base.resolve("/mcp"));
            client.initialize();
            McpTestClient.Reply echo = client.post(client.request("tools/call", toolCall("echo", Map.of("text", "hi"))));
            assertEquals(200, echo.status());
            assertEquals("hi", text(echo.json()));
            assertTrue(mcp.backends().shared().isUp(), "the server process started with the application's server");
        } finally {
            server.stop();
        }
        assertFalse(mcp.backends().shared().isUp(), "the server process stopped with the application's server");
    }

    @Test
    void aGracefulStopOfTheApplicationsServerLetsTheCallInFlightFinish() throws Exception {
        McpProxyHandler mcp = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .buildHandler();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(mcp);
        server.setStopTimeout(10_000);
        server.start();
        McpTestClient client = new McpTestClient(HttpClient.newHttpClient(),
                URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/mcp"));
        client.initialize();
        CompletableFuture<McpTestClient.Reply> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return client.post(client.request("tools/call", toolCall("slow", Map.of("ms", 500))));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        Await.until(() -> mcp.backends().inFlight() == 1, McpTestClient.WAIT);

        server.stop();

        McpTestClient.Reply answer = slow.get(10, TimeUnit.SECONDS);
        assertEquals(200, answer.status());
        assertEquals("slept 500 ms", text(answer.json()));
    }

    @Test
    void answeredRequestsLeaveNoTimeoutBehindInTheProxysTimer() throws Exception {
        // Every request arms its timeout (5 min) on the proxy's one timer and its answer cancels it: kept queued until
        // their deadline, cancelled timeouts piled up by the million under load (BENCHMARKS.md, "Request timers").
        try (StreamableHttpProxy proxy = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .port(0).build()) {
            proxy.start();
            McpTestClient client = new McpTestClient(HttpClient.newHttpClient(), proxy.uri());
            client.initialize();
            for (int i = 0; i < 500; i++) {
                assertEquals(200, client.post(client.request("tools/call",
                        toolCall("echo", Map.of("text", "call " + i)))).status());
            }
            int queued = proxy.proxy().listener().queuedTimerTasks();
            assertTrue(queued < 20, "timer tasks queued after 500 answered requests: " + queued);
        }
    }

    @Test
    void buildingAProxyStartsNothing() throws Exception {
        Set<Thread> before = proxyThreads();
        StreamableHttpProxy proxy = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine()).port(0)
                .build();
        try {
            Set<Thread> built = proxyThreads();
            built.removeAll(before);
            assertTrue(built.isEmpty(), "threads started by a build: "
                    + built.stream().map(Thread::getName).collect(Collectors.toList()));
            assertFalse(proxy.backends().isRunning(), "no server process before start");
        } finally {
            proxy.close();
        }
    }

    @Test
    void noThreadOfTheProxySurvivesClose() throws Exception {
        Set<Thread> before = proxyThreads();
        StreamableHttpProxy proxy = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine()).port(0)
                .build();
        proxy.start();
        McpTestClient client = new McpTestClient(HttpClient.newHttpClient(), proxy.uri());
        client.initialize();
        assertEquals(200, client.post(client.request("tools/call", toolCall("echo", Map.of("text", "hi")))).status());
        assertFalse(proxyThreads().isEmpty(), "the proxy runs threads: " + proxyThreads());

        proxy.close();

        Set<Thread> after = proxyThreads();
        after.removeAll(before);
        assertTrue(after.isEmpty(), "threads left running: "
                + after.stream().map(Thread::getName).collect(Collectors.toList()));
    }

    /** The threads the proxy starts: its workers, its timer, the stdio server's reader and stderr copier. */
    private static Set<Thread> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(thread -> thread.getName().startsWith("mcp-")).collect(Collectors.toSet());
    }

    /** The application's own handler. */
    private static final class Hello extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!"/hello".equals(Request.getPathInContext(request))) {
                return false;
            }
            response.write(true, ByteBuffer.wrap("hello from the application".getBytes(StandardCharsets.UTF_8)),
                    callback);
            return true;
        }
    }
}
