package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.observe.Health;
import io.mcpproxy.session.Await;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a transparent proxy with a meter registry counts, upstream side included, and what its health says. */
class TransparentMetricsIT {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    @Test
    void upstreamExchangesErrorAnswersAndTheClientSideAreCountedByTargetAndStatus() throws Exception {
        TestUpstream a = track(new TestUpstream("a").start(0, 30_000));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI down = URI.create("http://127.0.0.1:" + closedPort + "/mcp");
        TransparentProxy proxy = track(TransparentProxy.builder().targets(List.of(a.uri(), down))
                .healthCheckInterval(Duration.ofMillis(100)).meterRegistry(registry).port(0).build());
        proxy.start();
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));

        String session = client.initialize(); // the closed port fails its probe: new sessions go to a
        int calls = 5;
        for (int i = 0; i < calls; i++) {
            assertEquals(200, client.post(session, "tools/list").statusCode());
        }

        String target = "127.0.0.1:" + a.port();
        assertEquals(1 + calls, Search.in(registry).name("mcp.proxy.upstream.requests")
                .tags("target", target, "status_class", "2xx").timer().count());
        assertEquals(1 + calls, Search.in(registry).name("mcp.proxy.http.requests")
                .tags("transport", "transparent", "status", "200", "http_method", "POST").timers().stream()
                .mapToLong(timer -> timer.count()).sum(), "the initialize and the calls");
        assertTrue(Search.in(registry).name("mcp.proxy.storage.operations").tags("op", "load").timer().count()
                >= calls);
        assertTrue(Await.until(() -> registry.get("mcp.proxy.upstream.connections").tag("state", "idle").gauge()
                .value() >= 1, Duration.ofSeconds(5)), "the pooled connection to a");

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
}
