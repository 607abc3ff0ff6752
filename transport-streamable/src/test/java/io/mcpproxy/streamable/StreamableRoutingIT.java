package io.mcpproxy.streamable;

import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.testing.ProxyExtension;
import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Await;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routing under load and failure: colliding ids, crashes, timeouts, subscriptions, per-session processes. */
class StreamableRoutingIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private StreamableHttpProxy proxy;
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(16)).build();

    /** 50 sessions x 200 calls, every session using the same ids 1..200: each answer reaches its own session. */
    @Test
    void fiftySessionsWithCollidingIdsGetOnlyTheirOwnAnswers() throws Exception {
        proxy = proxies.start();
        int sessions = 50;
        int calls = 200;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Integer>> results = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            int session = s;
            results.add(pool.submit(() -> {
                McpTestClient client = new McpTestClient(http, proxy.uri());
                client.initialize();
                int ok = 0;
                for (int i = 1; i <= calls; i++) {
                    ObjectNode call = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(i), "tools/call",
                            toolCall("echo", Map.of("text", "session " + session + " call " + i)));
                    ObjectNode response = client.post(call).response();
                    if (response.get("id").asInt() != i) {
                        throw new AssertionError("wrong id " + response.get("id") + " for call " + i);
                    }
                    String text = text(response);
                    if (!text.equals("session " + session + " call " + i)) {
                        throw new AssertionError("session " + session + " got someone else's answer: " + text);
                    }
                    ok++;
                }
                return ok;
            }));
        }
        int total = 0;
        for (Future<Integer> result : results) {
            total += result.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(sessions * calls, total);
        assertEquals(0, proxy.stats().undeliverable());
        assertEquals(0, proxy.stats().lateResponses());
    }

    @Test
    void reusingAnIdStillInFlightIsAnErrorNotSomeoneElsesAnswer() throws Exception {
        proxy = proxies.start();
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        ObjectNode slow = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(7), "tools/call",
                toolCall("slow", Map.of("ms", 800)));
        var first = http.sendAsync(client.newPost(JsonRpc.toJson(slow)).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);
        ObjectNode echo = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(7), "tools/call",
                toolCall("echo", Map.of("text", "duplicate")));
        ObjectNode duplicate = client.post(echo).response();
        assertEquals(-32600, duplicate.path("error").path("code").asInt(), duplicate.toString());
        assertEquals("slept 800 ms", text((ObjectNode) JsonRpc.parse(first.get(5, TimeUnit.SECONDS).body().getBytes())));
    }

    @Test
    void aCrashAnswersInFlightRequestsWithinOneSecondThenTheServerRestarts() throws Exception {
        proxy = proxies.start(builder -> builder.restartBackoff(Duration.ofMillis(100), Duration.ofSeconds(2)));
        McpTestClient victim = new McpTestClient(http, proxy.uri());
        victim.initialize();
        long firstPid = proxy.backends().shared().pid();

        var slow = http.sendAsync(victim.newPost(JsonRpc.toJson(victim.request("tools/call",
                toolCall("slow", Map.of("ms", 30_000))))).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);
        McpTestClient killer = new McpTestClient(http, proxy.uri());
        killer.initialize();
        long crashAt = System.nanoTime();
        var crash = http.sendAsync(killer.newPost(JsonRpc.toJson(killer.request("tools/call",
                toolCall("crash", Map.of())))).build(), HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> failed = slow.get(5, TimeUnit.SECONDS);
        long millis = Duration.ofNanos(System.nanoTime() - crashAt).toMillis();
        ObjectNode error = (ObjectNode) JsonRpc.parse(failed.body().getBytes());
        assertEquals(-32000, error.path("error").path("code").asInt(), failed.body());
        assertEquals("server_exited", error.path("error").path("data").path("reason").asText());
        assertTrue(millis < 1_000, "in-flight request failed after " + millis + " ms");
        assertEquals(-32000, ((ObjectNode) JsonRpc.parse(crash.get(5, TimeUnit.SECONDS).body().getBytes()))
                .path("error").path("code").asInt());

        assertEquals(404, victim.post(victim.request("tools/list", null)).status(), "sessions on the dead server end");

        Await.until(() -> proxy.backends().shared().isUp(), Duration.ofSeconds(10));
        assertTrue(proxy.backends().shared().isUp(), "the shared server was restarted");
        assertNotEquals(firstPid, proxy.backends().shared().pid(), "a new process");
        victim.initialize();
        assertEquals("alive", text(victim.callTool("echo", Map.of("text", "alive"))));
        assertEquals(1, proxy.stats().restarts());
    }

    @Test
    void aTimedOutRequestGetsAnErrorAndTheServerGetsCancelled() throws Exception {
        proxy = proxies.start(builder -> builder.requestTimeout(Duration.ofMillis(1_500)));
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        ObjectNode slow = client.request("tools/call", toolCall("slow", Map.of("ms", 5_000)));
        ObjectNode response = client.post(slow).response();
        assertEquals("timeout", response.path("error").path("data").path("reason").asText(), response.toString());
        assertEquals(slow.get("id").asLong(), response.get("id").asLong());

        String cancelled = text(client.callTool("cancelled", Map.of()));
        assertTrue(cancelled.matches("\\[\\d+]"), "the server saw notifications/cancelled for one request: "
                + cancelled);
        assertEquals(1, proxy.stats().timeouts());
    }

    @Test
    void aClientCancellationReachesTheServerWithTheProxysId() throws Exception {
        proxy = proxies.start();
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        ObjectNode slow = client.request("tools/call", toolCall("slow", Map.of("ms", 10_000)));
        var pending = http.sendAsync(client.newPost(JsonRpc.toJson(slow)).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        ObjectNode cancel = JsonRpc.notification("notifications/cancelled",
                McpTestClient.params("requestId", slow.get("id"), "reason", "user pressed stop"));
        assertEquals(202, client.post(cancel).status());
        ObjectNode answer = (ObjectNode) JsonRpc.parse(pending.get(5, TimeUnit.SECONDS).body().getBytes());
        assertEquals(-32800, answer.path("error").path("code").asInt());
        assertTrue(text(client.callTool("cancelled", Map.of())).matches("\\[\\d+]"));
    }

    @Test
    void resourceUpdatesReachOnlySubscribedSessions() throws Exception {
        proxy = proxies.start();
        McpTestClient subscriber = new McpTestClient(http, proxy.uri());
        subscriber.initialize();
        McpTestClient bystander = new McpTestClient(http, proxy.uri());
        bystander.initialize();
        HttpResponse<InputStream> subscriberGet = subscriber.openGet();
        HttpResponse<InputStream> bystanderGet = bystander.openGet();
        try (SseEvents subscriberEvents = new SseEvents(subscriberGet.body());
             SseEvents bystanderEvents = new SseEvents(bystanderGet.body())) {
            ObjectNode subscribed = subscriber.post(subscriber.request("resources/subscribe",
                    McpTestClient.params("uri", "example://greeting"))).response();
            assertTrue(subscribed.has("result"), subscribed.toString());
            assertEquals("updated example://greeting",
                    text(bystander.callTool("update_resource", Map.of("uri", "example://greeting"))));
            ObjectNode update = subscriberEvents.nextMessage(WAIT);
            assertEquals("notifications/resources/updated", JsonRpc.method(update));
            assertEquals("example://greeting", update.path("params").path("uri").asText());
            assertTrue(bystanderEvents.quietFor(Duration.ofMillis(500)), "the bystander is not subscribed");
        }
    }

    @Test
    void sessionsShareOneServerSubscriptionUntilTheLastUnsubscribes() throws Exception {
        proxy = proxies.start(builder -> builder.serverEra(ServerEra.LEGACY)); // it counts what the server saw
        McpTestClient first = initializedSession();
        McpTestClient second = initializedSession();
        ObjectNode uri = McpTestClient.params("uri", "example://shared");
        assertTrue(first.post(first.request("resources/subscribe", uri)).response().has("result"));
        assertTrue(second.post(second.request("resources/subscribe", uri)).response().has("result"));
        assertEquals("[\"initialize\",\"resources/subscribe\",\"tools/call\"]",
                text(first.callTool("requests", Map.of())), "the second was answered by the proxy");

        assertTrue(first.post(first.request("resources/unsubscribe", uri)).response().has("result"));
        assertEquals("updated example://shared",
                text(first.callTool("update_resource", Map.of("uri", "example://shared"))), "the second wants it");
        assertTrue(second.post(second.request("resources/unsubscribe", uri)).response().has("result"));
        assertEquals("not subscribed example://shared",
                text(first.callTool("update_resource", Map.of("uri", "example://shared"))), "the last one left");
    }

    private McpTestClient initializedSession() throws Exception {
        McpTestClient session = new McpTestClient(http, proxy.uri());
        session.initialize();
        return session;
    }

    @Test
    void perSessionModeGivesEachSessionItsOwnProcessAndStopsItWithTheSession() throws Exception {
        proxy = proxies.start(builder -> builder.backendMode(BackendMode.PER_SESSION).maxBackends(2));
        McpTestClient a = new McpTestClient(http, proxy.uri());
        a.initialize();
        McpTestClient b = new McpTestClient(http, proxy.uri());
        b.initialize();
        assertNotEquals(text(a.callTool("pid", Map.of())), text(b.callTool("pid", Map.of())));
        assertEquals(2, proxy.backends().perSessionCount());

        McpTestClient c = new McpTestClient(http, proxy.uri());
        McpTestClient.Reply refused = c.post(c.request("initialize", McpTestClient.params("protocolVersion",
                "2025-06-18", "capabilities", Map.of(), "clientInfo", Map.of("name", "c", "version", "1"))));
        assertEquals(503, refused.status(), "bounded");
        assertTrue(refused.header("Retry-After") != null);

        assertEquals(204, a.delete().status());
        Await.until(() -> proxy.backends().perSessionCount() <= 1, Duration.ofSeconds(5));
        assertEquals(1, proxy.backends().perSessionCount(), "the ended session's process stopped");
        c.initialize();
        assertEquals("ok", text(c.callTool("echo", Map.of("text", "ok"))));
    }
}
