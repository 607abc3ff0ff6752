package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.session.Await;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-session mode under {@code maxBackends}: however a session ends, its process stops and its slot serves the
 * next session. Only live processes count; 503 only when that many really run.
 */
class PerSessionSlotsIT {

    private static final Duration PROCESS_EXIT = Duration.ofSeconds(10);

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.backendMode(BackendMode.PER_SESSION));

    private StreamableHttpProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void deletedSessionsGiveTheirSlotsToNewSessions() throws Exception {
        proxy = proxies.start(builder -> builder.maxBackends(2));
        for (int round = 1; round <= 3; round++) { // every slot used and freed several times over
            McpTestClient a = initialized();
            McpTestClient b = initialized();
            long pidA = pid(a);
            long pidB = pid(b);
            assertEquals(503, initializeStatus(new McpTestClient(http, proxy.uri())), "round " + round + ": bounded");

            assertEquals(204, a.delete().status());
            assertEquals(204, b.delete().status());
            assertFalse(awaitExit(pidA), "round " + round + ": the deleted session's process stopped");
            assertFalse(awaitExit(pidB), "round " + round + ": the deleted session's process stopped");
        }
        McpTestClient next = initialized(); // fails with 503 while dead processes still hold the slots
        assertEquals("ok", text(next.callTool("echo", Map.of("text", "ok"))));
    }

    @Test
    void aSessionEndedByItsTtlGivesItsSlotToTheNextSession() throws Exception {
        proxy = proxies.start(builder -> builder.maxBackends(1).sessionTtl(Duration.ofSeconds(1)));
        long expiredPid = pid(initialized()); // then left idle: it expires after 1 s
        assertFalse(awaitExit(expiredPid), "the expired session's process stopped");
        McpTestClient next = awaitSlot();
        assertEquals("ok", text(next.callTool("echo", Map.of("text", "ok"))));
    }

    @Test
    void aSessionWhoseProcessExitedGivesItsSlotToTheNextSession() throws Exception {
        proxy = proxies.start(builder -> builder.maxBackends(1));
        McpTestClient crashing = initialized();
        long crashedPid = pid(crashing);
        assertEquals(-32000, crashing.callTool("crash", Map.of()).path("error").path("code").asInt());
        assertFalse(awaitExit(crashedPid), "the process exited");
        McpTestClient next = awaitSlot();
        assertEquals("ok", text(next.callTool("echo", Map.of("text", "ok"))));
    }

    @Test
    void aSessionIdleForTheBackendIdleTimeoutLosesItsProcessAndGets404() throws Exception {
        proxy = proxies.start(builder -> builder.maxBackends(1).backendIdleTimeout(Duration.ofSeconds(1)));
        McpTestClient idle = initialized();
        long idlePid = pid(idle);
        assertFalse(awaitExit(idlePid), "the idle session's process stopped");
        assertEquals(404, idle.post(idle.request("tools/list", null)).status(), "ended as on a server exit");
        McpTestClient next = awaitSlot(); // its slot serves the next session
        assertEquals("ok", text(next.callTool("echo", Map.of("text", "ok"))));
    }

    @Test
    void aSessionInUseKeepsItsProcessPastTheBackendIdleTimeout() throws Exception {
        proxy = proxies.start(builder -> builder.backendIdleTimeout(Duration.ofSeconds(1)));
        McpTestClient busy = initialized();
        long busyPid = pid(busy);
        McpTestClient idle = initialized();
        long idlePid = pid(idle);
        long end = System.nanoTime() + Duration.ofMillis(2_500).toNanos();
        while (System.nanoTime() < end) {
            assertEquals("ok", text(busy.callTool("echo", Map.of("text", "ok"))));
            Thread.sleep(300);
        }
        assertEquals(busyPid, pid(busy), "the same process all along");
        assertFalse(awaitExit(idlePid), "while the idle one stopped");
    }

    private McpTestClient initialized() throws Exception {
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        return client;
    }

    /**
     * A new session, once the proxy has reaped the ended session's process (moments after it is seen dead). With
     * the slot never given back, this stays 503 and fails.
     */
    private McpTestClient awaitSlot() throws Exception {
        McpTestClient client = new McpTestClient(http, proxy.uri());
        boolean initialized = Await.until(() -> {
            try {
                client.initialize();
                return true;
            } catch (AssertionError refused) { // 503
                return false;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, PROCESS_EXIT);
        if (!initialized) {
            client.initialize(); // a last try, failing with the proxy's answer
        }
        return client;
    }

    private int initializeStatus(McpTestClient client) throws Exception {
        return client.post(client.request("initialize", McpTestClient.params("protocolVersion", "2025-06-18",
                "capabilities", Map.of(), "clientInfo", Map.of("name", "refused", "version", "1")))).status();
    }

    private static long pid(McpTestClient client) throws Exception {
        return Long.parseLong(text(client.callTool("pid", Map.of())));
    }

    /** @return whether the process still runs after a bounded wait */
    private static boolean awaitExit(long pid) throws InterruptedException {
        Await.until(() -> !alive(pid), PROCESS_EXIT);
        return alive(pid);
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
