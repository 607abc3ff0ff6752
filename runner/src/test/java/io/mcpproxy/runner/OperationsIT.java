package io.mcpproxy.runner;

import static io.mcpproxy.runner.RunnerProcesses.java;
import static io.mcpproxy.runner.RunnerProcesses.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.redis.RedisServerExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner as operators run it: the admin listener's /metrics after a known load and a Redis outage, /readyz
 * through the outage, JSON log lines with the request's MDC and an access log, and a bad --redis-url.
 */
class OperationsIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Process runner;

    @TempDir
    Path dir;

    @AfterEach
    void kill() {
        if (runner != null) {
            runner.destroyForcibly();
        }
    }

    /** The runner on this classpath, with logback chosen among the test's SLF4J bindings and no SLF4J chatter. */
    private static List<String> runnerCommand(String... args) {
        List<String> command = java(Main.class.getName(), args);
        command.addAll(1, List.of("-Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider",
                "-Dslf4j.internal.verbosity=ERROR"));
        return command;
    }

    @Test
    void metricsCountTheLoadAndReadinessFollowsRedisWhileLogsAreJsonLinesWithoutFullSessionIds()
            throws Exception {
        Path stderr = dir.resolve("stderr.log");
        List<String> command = runnerCommand("streamable", "--port", "0", "--admin-port", "0", "--log-format", "json",
                "--access-log", "--redis-url", REDIS.uri(), "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(runner.getInputStream(),
                StandardCharsets.UTF_8));
        URI mcp = URI.create(readLine(stdout));
        URI admin = URI.create(readLine(stdout));
        assertTrue(admin.toString().matches("http://127\\.0\\.0\\.1:\\d+"), admin.toString());

        int sessions = 2;
        int callsEach = 3;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            String session = initialize(mcp);
            ids.add(session);
            for (int call = 0; call < callsEach; call++) {
                HttpResponse<String> echo = http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"id\":" + (call + 2)
                        + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}"),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, echo.statusCode(), echo.body());
            }
        }

        // An exchange is timed when it completes, which may come a moment after its client read the answer.
        assertTrue(Await.until(() -> sample(get(admin.resolve("/metrics")).body(),
                "mcp_proxy_http_requests_seconds_count", "mcp_method=\"tools/call\"", "status=\"200\"",
                "transport=\"streamable\"") == sessions * callsEach, Duration.ofSeconds(5)), "every call timed");
        String scrape = get(admin.resolve("/metrics")).body();
        assertEquals(sessions * callsEach, sample(scrape, "mcp_proxy_http_requests_seconds_count",
                "mcp_method=\"tools/call\"", "status=\"200\"", "transport=\"streamable\""), scrape);
        assertEquals(sessions, sample(scrape, "mcp_proxy_sessions_opened_total", "transport=\"streamable\""));
        assertEquals(sessions, sample(scrape, "mcp_proxy_sessions_active", "transport=\"streamable\""));
        assertEquals(1, sample(scrape, "mcp_proxy_backend_starts_total"));
        assertTrue(sample(scrape, "jvm_threads_live_threads") > 0, "JVM metrics");
        assertTrue(sample(scrape, "jetty_threads_current") > 0, "the proxy listener's thread pool");
        PromtoolCheck.assertValid(scrape, dir);

        HttpResponse<String> ready = get(admin.resolve("/readyz"));
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("UP", JSON.readTree(ready.body()).path("status").asText());
        assertEquals(200, get(admin.resolve("/healthz")).statusCode());

        REDIS.kill();
        long killedAt = System.nanoTime();
        assertTrue(Await.until(() -> get(admin.resolve("/readyz")).statusCode() == 503, Duration.ofSeconds(5)),
                "not ready without Redis");
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(5));
        JsonNode down = JSON.readTree(get(admin.resolve("/readyz")).body());
        assertEquals("DOWN", down.path("status").asText());
        assertTrue(down.toString().contains("\"name\":\"storage\",\"status\":\"DOWN\""), down.toString());
        HttpResponse<String> refused = http.send(post(mcp, ids.get(0), "{\"jsonrpc\":\"2.0\",\"id\":9,"
                + "\"method\":\"tools/list\"}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, refused.statusCode(), refused.body());

        REDIS.restart();
        assertTrue(Await.until(() -> get(admin.resolve("/readyz")).statusCode() == 200, Duration.ofSeconds(10)),
                "ready again once Redis answers");
        scrape = get(admin.resolve("/metrics")).body();
        assertTrue(sample(scrape, "mcp_proxy_storage_failures_total", "op=\"load\"", "storage=\"redis\"") >= 1,
                "the refused request's failed lookup");

        runner.destroy();
        assertTrue(runner.waitFor(15, TimeUnit.SECONDS), "runner exited");
        List<String> lines = Files.readAllLines(stderr).stream().filter(line -> !line.isBlank()).toList();
        assertFalse(lines.isEmpty());
        boolean accessLine = false;
        boolean storageWarningWithMdc = false;
        for (String line : lines) {
            JsonNode entry = JSON.readTree(line); // every line is one JSON object
            assertTrue(entry.has("timestamp") && entry.has("level") && entry.has("loggerName")
                    && entry.has("message") && entry.has("formattedMessage"), line);
            for (String id : ids) {
                assertFalse(line.contains(id), "a full session id in a log line: " + line);
            }
            assertFalse(entry.path("loggerName").asText().startsWith("io.micrometer"), "metrics set up cleanly: "
                    + line);
            accessLine |= AccessLog.LOGGER.equals(entry.path("loggerName").asText())
                    && entry.path("formattedMessage").asText().startsWith("POST /mcp 200")
                    && line.contains(ids.get(0).substring(0, 6));
            storageWarningWithMdc |= entry.path("message").asText().contains("session storage unavailable")
                    && "streamable".equals(entry.path("mdc").path("transport").asText())
                    && "tools/list".equals(entry.path("mdc").path("method").asText())
                    && "9".equals(entry.path("mdc").path("request_id").asText())
                    && entry.path("mdc").path("session").asText().startsWith(ids.get(0).substring(0, 6));
        }
        assertTrue(accessLine, "an access log line names the abbreviated session: " + lines);
        assertTrue(storageWarningWithMdc, "the storage warning carries the request's MDC");
    }

    @Test
    void accessLogLinesReachStderrWithinAFlushIntervalAndAllOfThemBeforeTheRunnerExits() throws Exception {
        Path stderr = dir.resolve("stderr.log");
        List<String> command = runnerCommand("streamable", "--port", "0", "--access-log", "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        URI mcp = URI.create(readLine(new BufferedReader(new InputStreamReader(runner.getInputStream(),
                StandardCharsets.UTF_8))));
        String session = initialize(mcp);

        // nothing else is logged after the initialized notification: only the timer writes its line
        assertTrue(Await.until(() -> read(stderr).contains("POST /mcp 202"), Duration.ofSeconds(5)),
                "the batched access line is written while the runner idles");
        int calls = 50;
        for (int call = 0; call < calls; call++) {
            HttpResponse<String> ping = http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"id\":" + (call + 2)
                    + ",\"method\":\"ping\"}"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ping.statusCode(), ping.body());
        }
        runner.destroy();
        assertTrue(runner.waitFor(15, TimeUnit.SECONDS), "runner exited");

        List<String> lines = Files.readAllLines(stderr);
        assertEquals(calls + 2, lines.stream().filter(line -> line.contains(AccessLog.LOGGER + " - POST /mcp 2"))
                .count(), "one whole line per exchange, none lost at exit: " + lines);
    }

    @Test
    void anUnreachableRedisUrlIsOneLineWithoutItsPasswordOrAStackTrace() throws Exception {
        List<String> command = runnerCommand("streamable", "--port", "0", "--redis-url",
                "redis://proxy:s3cretPassw0rd@127.0.0.1:1", "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(runner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(runner.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, runner.exitValue(), output);
        List<String> lines = output.lines().filter(line -> !line.isBlank()).toList();
        assertEquals(1, lines.size(), output);
        assertTrue(lines.get(0).startsWith("mcp-proxy: cannot start: Redis at "), output);
        assertFalse(output.contains("s3cretPassw0rd"), output);
    }

    private String initialize(URI mcp) throws Exception {
        HttpResponse<String> init = http.send(post(mcp, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                + "\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> initialized = http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"method\":"
                + "\"notifications/initialized\"}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, initialized.statusCode());
        return session;
    }

    /** The value of the one sample of {@code name} whose labels include every one of {@code labels}. */
    static double sample(String scrape, String name, String... labels) {
        double found = Double.NaN;
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{([^}]*)})? (\\S+)$").matcher(scrape);
        while (matcher.find()) {
            String present = matcher.group(2) == null ? "" : matcher.group(2);
            if (List.of(labels).stream().allMatch(present::contains)) {
                if (!Double.isNaN(found)) {
                    throw new AssertionError("several samples of " + name + " " + List.of(labels));
                }
                found = Double.parseDouble(matcher.group(3));
            }
        }
        if (Double.isNaN(found)) {
            throw new AssertionError("no sample of " + name + " " + List.of(labels) + " in:\n" + scrape);
        }
        return found;
    }

    private HttpResponse<String> get(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String readLine(BufferedReader reader) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return reader.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, TimeUnit.SECONDS);
    }
}
