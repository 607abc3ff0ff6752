package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.Session;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The upstream-connection rules, proven by counting the TCP connections a real upstream accepts. */
class UpstreamConnectionsIT {

    private TestUpstream upstream;
    private TransparentProxy proxy;
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();

    @AfterEach
    void close() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        upstream.close();
    }

    private ProxyClient start(long upstreamIdleMillis, TransparentProxy.Builder builder) throws Exception {
        return start(new TestUpstream("u"), upstreamIdleMillis, builder);
    }

    private ProxyClient start(TestUpstream upstream, long upstreamIdleMillis, TransparentProxy.Builder builder)
            throws Exception {
        this.upstream = upstream.start(0, upstreamIdleMillis);
        proxy = builder.target(upstream.uri()).port(0).build();
        proxy.start();
        return new ProxyClient(http, proxy.uri("/mcp"));
    }

    /** {@code total} POSTs from {@code concurrency} threads; returns how many failed. */
    private int burst(ProxyClient client, int total, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            workers.add(pool.submit(() -> {
                while (next.getAndIncrement() < total) {
                    try {
                        HttpResponse<String> response = client.post(null, "tools/list");
                        if (response.statusCode() != 200) {
                            failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        return failed.get();
    }

    @Test
    void tenThousandRequestsAtConcurrency32UseAtMost32UpstreamConnections() throws Exception {
        // Pooling is under test, not idle expiry or ramp-up: on a starved 2-core CI machine a 4 s idle timeout can
        // expire pooled connections mid-burst, and while the first connects are slow Jetty's pool may start a few
        // more than the 32 that end up busy. The pool bound is set to the workload's concurrency so the count is
        // exact; what it proves is that 10,000 requests reuse 32 connections.
        ProxyClient client = start(30_000, TransparentProxy.builder().poolIdleTimeout(Duration.ofSeconds(60))
                .maxConnectionsPerUpstream(32));
        assertEquals(0, burst(client, 10_000, 32));
        assertEquals(10_000, upstream.requests.get());
        System.out.printf("pooled: accepted %d, open at the end %d%n", upstream.accepted.get(), upstream.open.get());
        assertTrue(upstream.accepted.get() <= 32, "upstream connections: " + upstream.accepted.get());
        System.out.printf("pooled: 10,000 requests at concurrency 32 over %d upstream connections%n",
                upstream.accepted.get());
    }

    @Test
    void poolingRateZeroOpensOneConnectionPerRequest() throws Exception {
        ProxyClient client = start(30_000, TransparentProxy.builder().poolingRate(0.0));
        assertEquals(0, burst(client, 300, 4));
        assertEquals(300, upstream.requests.get());
        // one connection per request: never fewer connections than requests (the pool may open one spare)
        assertTrue(upstream.accepted.get() >= 300 && upstream.accepted.get() <= 310,
                "upstream connections: " + upstream.accepted.get());
        assertTrue(upstream.connectionHeaders.stream().allMatch("close"::equalsIgnoreCase),
                "every request asked the upstream to close its connection");
    }

    @Test
    void idlePoolingOffKeepsNoConnectionOpenAfterTheBurst() throws Exception {
        ProxyClient client = start(30_000, TransparentProxy.builder().idlePooling(false));
        assertEquals(0, burst(client, 200, 8));
        Await.until(() -> upstream.open.get() == 0, Duration.ofSeconds(5));
        assertEquals(0, upstream.open.get(), "no idle upstream connection left open");
    }

    @Test
    void anUpstreamThatClosesIdleConnectionsFirstCausesNoClientVisibleError() throws Exception {
        // The upstream drops idle connections after 100 ms; the proxy would keep them for 10 s.
        ProxyClient client = start(100, TransparentProxy.builder().poolIdleTimeout(Duration.ofSeconds(10)));
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> response = client.post(null, "tools/list");
            assertEquals(200, response.statusCode(), "request " + i + ": " + response.body());
            Thread.sleep(150 + (i % 3) * 20); // land just after the upstream closed the pooled connection
        }
        assertTrue(upstream.accepted.get() > 1, "the upstream really recycled connections");
    }

    @Test
    void requestsAfterAnUpstreamRestartSucceedWithoutRestartingTheProxy() throws Exception {
        ProxyClient client = start(30_000, TransparentProxy.builder());
        assertEquals(0, burst(client, 50, 4));
        upstream.restart();
        int failedAfter = 0;
        for (int i = 0; i < 50; i++) {
            if (client.post(null, "tools/list").statusCode() != 200) {
                failedAfter++;
            }
        }
        assertEquals(0, failedAfter, "every request after the restart succeeded");
    }

    @Test
    void http2ToTheUpstreamMultiplexesEverySessionAndStreamOnOneConnection() throws Exception {
        ProxyClient client = start(new TestUpstream("h").http2Only(), 30_000, TransparentProxy.builder().http2(true));
        String session = client.initialize(); // the first exchange opens the connection and learns its stream limit
        assertEquals(upstream.uri().toString(),
                proxy.sessions().get(Session.Type.TRANSPARENT,
                        session).orElseThrow().metadata(Session.BACKEND_URL).orElseThrow());
        assertEquals("h", ProxyClient.servedBy(client.post(session, "tools/list")));

        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(proxy.uri("/mcp"))
                .header("Accept", "text/event-stream").header("Mcp-Session-Id", session).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (SseEvents events = new SseEvents(stream.body())) {
            assertEquals("1", events.next(Duration.ofSeconds(5)).id(), "events stream through while it runs");
            assertEquals(0, burst(client, 2_000, 32), "calls multiplexed beside the open stream");
            assertEquals("2", events.next(Duration.ofSeconds(5)).id());
        }

        assertEquals(1, upstream.accepted.get(), "one multiplexed upstream connection");
        assertTrue(upstream.versionsSeen.stream().allMatch(HttpVersion.HTTP_2::equals), "" + upstream.versionsSeen);
        assertEquals(2_003, upstream.versionsSeen.size());
        for (HttpFields headers : upstream.headersSeen) {
            assertFalse(headers.contains(HttpHeader.CONNECTION), "no connection-specific header over HTTP/2");
        }
    }
}
