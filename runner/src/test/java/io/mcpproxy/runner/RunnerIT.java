package io.mcpproxy.runner;

import static io.mcpproxy.runner.RunnerProcesses.java;
import static io.mcpproxy.runner.RunnerProcesses.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The runner as a real process: prints its URL, serves, drains on SIGTERM and exits 0. */
class RunnerIT {

    private Process runner;

    @AfterEach
    void kill() {
        if (runner != null) {
            runner.destroyForcibly();
        }
    }

    @Test
    void servesTheExampleServerAndDrainsOnSigterm() throws Exception {
        List<String> command = java(Main.class.getName(), "streamable", "--port", "0", "--keep-alive", "1s", "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(runner.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        URI uri = URI.create(firstLine.get(30, TimeUnit.SECONDS));
        assertTrue(uri.toString().matches("http://127\\.0\\.0\\.1:\\d+/mcp"), uri.toString());

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> init = http.send(post(uri, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();

        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(post(uri, session,
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\","
                        + "\"arguments\":{\"ms\":1000}}}"), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        runner.destroy(); // SIGTERM

        HttpResponse<String> drained = slow.get(10, TimeUnit.SECONDS);
        assertEquals(200, drained.statusCode());
        assertTrue(drained.body().contains("slept 1000 ms"), "in-flight request finished: " + drained.body());
        assertTrue(runner.waitFor(15, TimeUnit.SECONDS), "runner exited");
        assertEquals(0, runner.exitValue());
    }

    @Test
    void ctrlCInATerminalDrainsLikeSigtermAndDoesNotKillTheServerFirst() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setsid")), "needs setsid (Linux)");
        // The runner leads a process group of its own, as a shell's foreground job does; Ctrl-C signals that group
        List<String> command = new ArrayList<>(List.of("/usr/bin/setsid"));
        command.addAll(java(Main.class.getName(), "streamable", "--port", "0", "--"));
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(runner.getInputStream(), StandardCharsets.UTF_8));
        URI uri = URI.create(CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, TimeUnit.SECONDS));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> init = http.send(post(uri, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(post(uri, session,
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\","
                        + "\"arguments\":{\"ms\":1000}}}"), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        Process ctrlC = new ProcessBuilder("kill", "-INT", "--", "-" + runner.pid()).inheritIO().start();
        assertEquals(0, ctrlC.waitFor());

        HttpResponse<String> drained = slow.get(10, TimeUnit.SECONDS);
        assertTrue(drained.body().contains("slept 1000 ms"), "in-flight request finished: " + drained.body());
        assertTrue(runner.waitFor(15, TimeUnit.SECONDS), "runner exited");
    }

    @Test
    void bothServesStreamableAndLegacySseOnOnePortInFrontOfOneServer() throws Exception {
        List<String> command = java(Main.class.getName(), "both", "--port", "0", "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        runner = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(runner.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<List<String>> urls = CompletableFuture.supplyAsync(() -> {
            try {
                return List.of(stdout.readLine(), stdout.readLine());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<String> served = urls.get(30, TimeUnit.SECONDS);
        URI streamable = URI.create(served.get(0));
        URI sse = URI.create(served.get(1));
        assertTrue(streamable.getPath().equals("/mcp") && sse.getPath().equals("/sse"), served.toString());
        assertEquals(streamable.getPort(), sse.getPort(), "one port");

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> init = http.send(post(streamable, null, "{\"jsonrpc\":\"2.0\",\"id\":1,"
                + "\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> viaStreamable = http.send(post(streamable, session, "{\"jsonrpc\":\"2.0\",\"id\":2,"
                + "\"method\":\"tools/call\",\"params\":{\"name\":\"pid\",\"arguments\":{}}}"),
                HttpResponse.BodyHandlers.ofString());
        String pid = viaStreamable.body().replaceAll(".*\"text\":\"(\\d+)\".*", "$1");

        HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(sse)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        String endpoint = null;
        while (endpoint == null) {
            String line = events.readLine();
            if (line.startsWith("data: ")) {
                endpoint = line.substring(6);
            }
        }
        assertEquals(202, http.send(HttpRequest.newBuilder(sse.resolve(endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                                + "\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        for (String line = events.readLine(); !line.startsWith("data: {"); line = events.readLine()) {
            // until the initialize answer: the session's requests reach the server from then on
        }
        HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(sse.resolve(endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"pid\","
                                + "\"arguments\":{}}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode());
        String reply = null;
        while (reply == null) {
            String line = events.readLine();
            if (line.startsWith("data: {")) {
                reply = line;
            }
        }
        assertTrue(reply.contains("\"text\":\"" + pid + "\""), "same server process behind both: " + pid + " vs "
                + reply);
        runner.destroy();
        assertTrue(runner.waitFor(15, TimeUnit.SECONDS));
        assertEquals(0, runner.exitValue());
    }

    @Test
    void transparentForwardsToAnHttpMcpServerAndSticksSessions() throws Exception {
        List<String> serverCommand = java(Main.class.getName(), "example-server");
        try (io.mcpproxy.streamable.StreamableHttpProxy upstream = io.mcpproxy.streamable.StreamableHttpProxy.builder()
                .command(serverCommand).port(0).build()) {
            upstream.start();
            runner = new ProcessBuilder(java(Main.class.getName(), "transparent", "--port", "0",
                    "--target", upstream.uri().toString(), "--upstream-io-threads", "3"))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader stdout = new BufferedReader(new InputStreamReader(runner.getInputStream(),
                    StandardCharsets.UTF_8));
            CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
                try {
                    return stdout.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            URI proxy = URI.create(firstLine.get(30, TimeUnit.SECONDS)).resolve("/mcp");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> init = http.send(post(proxy, null, "{\"jsonrpc\":\"2.0\",\"id\":1,"
                    + "\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, init.statusCode(), init.body());
            String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
            HttpResponse<String> echo = http.send(post(proxy, session, "{\"jsonrpc\":\"2.0\",\"id\":2,"
                    + "\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":"
                    + "\"through two proxies\"}}}"), HttpResponse.BodyHandlers.ofString());
            assertTrue(echo.body().contains("through two proxies"), echo.body());
            assertEquals(404, http.send(post(proxy, "unknown-session", "{\"jsonrpc\":\"2.0\",\"id\":3,"
                    + "\"method\":\"tools/list\"}"), HttpResponse.BodyHandlers.ofString()).statusCode());
            runner.destroy();
            assertTrue(runner.waitFor(15, TimeUnit.SECONDS));
            assertEquals(0, runner.exitValue());
        }
    }

    @Test
    void helpDocumentsEveryOption() throws Exception {
        runner = new ProcessBuilder(java(Main.class.getName(), "streamable", "--help")).redirectErrorStream(true).start();
        String help = new String(runner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(runner.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, runner.exitValue());
        for (String option : List.of("--host", "--port", "--path", "--session-ttl", "--redis-url", "--allowed-origin",
                "--request-timeout", "--backend-mode", "--stream-buffer-events", "--stream-buffer-bytes")) {
            assertTrue(help.contains(option), option + " in:\n" + help);
        }
    }

    @Test
    void badOptionsFailWithAClearMessage() throws Exception {
        runner = new ProcessBuilder(java(Main.class.getName(), "streamable", "--session-ttl", "forever", "--", "x"))
                .redirectErrorStream(true).start();
        String output = new String(runner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(runner.waitFor(20, TimeUnit.SECONDS));
        assertEquals(2, runner.exitValue(), output);
        assertTrue(output.contains("'forever' is not a duration"), output);
    }
}
