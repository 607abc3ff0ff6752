package io.mcpproxy.runner;

import static io.mcpproxy.runner.RunnerProcesses.firstLine;
import static io.mcpproxy.runner.RunnerProcesses.java;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.McpRequests;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.redis.RedisServerExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replicas as real processes sharing one Redis and forwarding to each other: what happens to their sessions when one
 * is killed outright, or stopped with SIGTERM while serving.
 */
class ReplicaFailureIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final String HEARTBEAT = "300ms";
    private final List<Process> replicas = new ArrayList<>();
    private final List<URI> uris = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void kill() {
        replicas.forEach(Process::destroyForcibly);
    }

    @Test
    void theSessionsOfAKilledOwnerAre404AtTheOthersAndTheOthersSessionsLiveOn() throws Exception {
        startReplicas(3);
        String ofFirst = initialize(uris.get(0));
        String ofSecond = initialize(uris.get(1));
        assertEquals(200, call(uris.get(2), ofFirst, "echo", "{\"text\":\"forwarded\"}").statusCode());

        replicas.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no drain, no goodbye
        long killedAt = System.nanoTime();
        Await.until(() -> call(uris.get(1), ofFirst, "echo", "{\"text\":\"x\"}").statusCode() == 404,
                Duration.ofSeconds(10));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        System.out.println("sessions of the killed replica answered 404 after " + millis + " ms (heartbeat "
                + HEARTBEAT + ")");
        HttpResponse<String> gone = call(uris.get(2), ofFirst, "echo", "{\"text\":\"x\"}");
        assertEquals(404, gone.statusCode(), gone.body());
        assertTrue(gone.body().contains("-32001"), gone.body());
        for (URI entry : List.of(uris.get(1), uris.get(2))) {
            HttpResponse<String> alive = call(entry, ofSecond, "echo", "{\"text\":\"still here\"}");
            assertEquals(200, alive.statusCode(), alive.body());
            assertTrue(alive.body().contains("still here"), alive.body());
        }
    }

    @Test
    void aReplicaStoppedWithSigtermWhileServingAnswersEveryRequestOnce() throws Exception {
        startReplicas(3);
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sessions.add(initialize(uris.get(i % 3)));
        }
        // Calls running at the first replica when it is told to stop: its drain lets them finish
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inFlight.add(http.sendAsync(McpRequests.post(uris.get(1 + i % 2), sessions.get(0), toolCall(100 + i, "slow",
                    "{\"ms\":1500}")), HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(300); // they reached the first replica (forwarded there from the two others)
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger requests = new AtomicInteger();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            int i = 0;
            while (System.nanoTime() < until) {
                // the load balancer no longer sends anything to the replica that is stopping
                URI entry = uris.get(1 + i % 2);
                String session = sessions.get(i % sessions.size());
                requests.incrementAndGet();
                HttpResponse<String> answer = call(entry, session, "echo", "{\"text\":\"load\"}");
                statuses.computeIfAbsent(answer.statusCode(), status -> new AtomicInteger()).incrementAndGet();
                i++;
            }
        });
        replicas.get(0).destroy(); // SIGTERM
        load.get(30, TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> call : inFlight) {
            HttpResponse<String> answer = call.get(30, TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(answer.body().contains("slept 1500 ms"), answer.body());
        }
        assertTrue(replicas.get(0).waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, replicas.get(0).exitValue(), "a clean stop");
        int answered = statuses.values().stream().mapToInt(AtomicInteger::get).sum();
        assertEquals(requests.get(), answered, "one answer per request: " + statuses);
        assertTrue(statuses.keySet().stream().allMatch(status -> status == 200 || status == 404 || status == 503),
                "200, 404 for a session that ended with its replica, 503 while that was not known yet: " + statuses);
        // the sessions of the replicas that stayed live on
        assertEquals(200, call(uris.get(2), sessions.get(1), "echo", "{\"text\":\"after\"}").statusCode());
        assertEquals(404, call(uris.get(2), sessions.get(0), "echo", "{\"text\":\"after\"}").statusCode(),
                "the stopped replica's sessions are over");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private void startReplicas(int count) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                ports.add(socket.getLocalPort());
            }
        }
        for (int i = 0; i < count; i++) {
            int port = ports.get(i);
            List<String> command = java(Main.class.getName(), "streamable", "--port", Integer.toString(port),
                    "--redis-url", REDIS.uri(), "--replica-id", "replica-" + i,
                    "--advertise-url", "http://127.0.0.1:" + port, "--heartbeat-interval", HEARTBEAT,
                    "--drain-timeout", "10s", "--");
            command.addAll(java(Main.class.getName(), "example-server"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().put(ClusterOptions.SECRET_VARIABLE, "the secret these replicas share");
            Process replica = builder.start();
            replicas.add(replica);
            uris.add(URI.create(firstLine(replica)));
        }
    }

    private String initialize(URI uri) throws Exception {
        HttpResponse<String> init = http.send(McpRequests.post(uri, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                + "\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, init.statusCode(), init.body());
        return init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    }

    private HttpResponse<String> call(URI uri, String session, String tool, String arguments) {
        try {
            return http.send(McpRequests.post(uri, session, toolCall(7, tool, arguments)), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String toolCall(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + arguments + "}}";
    }
}
