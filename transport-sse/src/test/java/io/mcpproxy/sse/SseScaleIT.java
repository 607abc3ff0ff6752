package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcpproxy.stdio.testing.ProxyExtension;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** 1,000 SSE clients connected at once, each completing a call; prints heap and thread counts. */
class SseScaleIT {

    private static final int CLIENTS = 1_000;

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    @Test
    void aThousandConcurrentClientsEachCompleteACall() throws Exception {
        SseProxy proxy = proxies.start();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<HttpClient> httpClients = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // several clients: one HttpClient caps its connections per host
            httpClients.add(HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build());
        }
        List<SseTestClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<SseTestClient>> connecting = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            HttpClient http = httpClients.get(i % httpClients.size());
            connecting.add(pool.submit(() -> SseTestClient.connect(http, proxy.uri())));
        }
        for (Future<SseTestClient> future : connecting) {
            clients.add(future.get(60, TimeUnit.SECONDS));
        }
        assertEquals(CLIENTS, proxy.localSessionCount(), "all connected at once");

        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            SseTestClient client = clients.get(i);
            int n = i;
            calls.add(pool.submit(() -> {
                client.initialize();
                return text(client.call(client.request("tools/call", toolCall("echo", Map.of("text", "client " + n)))));
            }));
        }
        for (int i = 0; i < CLIENTS; i++) {
            assertEquals("client " + i, calls.get(i).get(60, TimeUnit.SECONDS));
        }
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        long heapMb = (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024);
        int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
        long proxyThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("mcp-")).count();
        System.out.printf("SSE scale: %d clients connected and answered; heap used %d MB (test clients included);"
                + " JVM threads %d -> %d (one reader thread per test client); proxy threads (mcp-*) %d%n",
                CLIENTS, heapMb, threadsBefore, threadsAfter, proxyThreads);
        assertEquals(0, proxy.stats().undeliverable());
        for (SseTestClient client : clients) {
            client.close();
        }
        pool.shutdownNow();
    }
}
