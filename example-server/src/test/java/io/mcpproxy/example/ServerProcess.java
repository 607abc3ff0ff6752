package io.mcpproxy.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The example server as a real child process, driven through its stdin/stdout like a proxy would. Every read is
 * bounded, so a server that stays silent fails the test instead of hanging it.
 */
final class ServerProcess implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration READ_TIMEOUT = Duration.ofSeconds(15); // JVM start-up on a loaded 2-core CI machine

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();
    private final Thread stdoutReader;

    private ServerProcess(Process process) {
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.stdoutReader = pump(process.getInputStream(), stdout::add, "stdout");
        pump(process.getErrorStream(), line -> stderr.append(line).append('\n'), "stderr");
    }

    static ServerProcess start(String... args) throws IOException {
        return startMain(ExampleServer.class, args);
    }

    /** Starts {@code mainClass} of this module (ExampleServer or ConformanceServer) as a child process. */
    static ServerProcess startMain(Class<?> mainClass, String... args) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java,
                "-XX:TieredStopAtLevel=1", // C1 only: the server does little work, startup time dominates
                "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        return new ServerProcess(new ProcessBuilder(command).start());
    }

    /** Starts a server and completes the initialize handshake. */
    static ServerProcess startInitialized() throws IOException, InterruptedException {
        ServerProcess server = start();
        JsonNode response = server.call(0, "initialize", initializeParams("2025-11-25"));
        assertEquals("2025-11-25", response.at("/result/protocolVersion").asText(), response::toString);
        server.send(notification("notifications/initialized", "{}"));
        return server;
    }

    static String initializeParams(String version) {
        return "{\"protocolVersion\":\"" + version + "\",\"capabilities\":{\"sampling\":{},\"roots\":{}},"
                + "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}";
    }

    static String request(Object id, String method, String paramsJson) {
        ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
        message.set("id", JSON.valueToTree(id));
        message.put("method", method);
        message.set("params", parse(paramsJson));
        return message.toString();
    }

    static String toolCall(Object id, String tool, String argumentsJson) {
        ObjectNode params = JSON.createObjectNode().put("name", tool);
        params.set("arguments", parse(argumentsJson));
        return request(id, "tools/call", params.toString());
    }

    static String notification(String method, String paramsJson) {
        ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
        message.set("params", parse(paramsJson));
        return message.toString();
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one line to the server's stdin. */
    void send(String line) throws IOException {
        stdin.write(line);
        stdin.write('\n');
        stdin.flush();
    }

    /** Sends a request and returns the next message, which must be its response. */
    JsonNode call(Object id, String method, String paramsJson) throws IOException, InterruptedException {
        send(request(id, method, paramsJson));
        return responseTo(id);
    }

    /** Calls a tool and returns the text of its result; fails on an error response. */
    String callTool(Object id, String tool, String argumentsJson) throws IOException, InterruptedException {
        send(toolCall(id, tool, argumentsJson));
        return resultText(responseTo(id));
    }

    JsonNode responseTo(Object id) throws InterruptedException {
        JsonNode response = nextMessage();
        assertEquals(JSON.valueToTree(id), response.get("id"), () -> "expected the response to " + id + ": " + response);
        return response;
    }

    static String resultText(JsonNode response) {
        JsonNode text = response.at("/result/content/0/text");
        if (!text.isTextual()) {
            fail("not a tool result: " + response);
        }
        return text.asText();
    }

    String nextLine() throws InterruptedException {
        String line = stdout.poll(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
            fail("no line on stdout within " + READ_TIMEOUT + (process.isAlive() ? "" : " (server exited)")
                    + "; stderr:\n" + stderr);
        }
        return line;
    }

    JsonNode nextMessage() throws InterruptedException {
        String line = nextLine();
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new AssertionError("stdout line is not JSON: " + line, e);
        }
    }

    /** Collects every stdout line that arrives until {@code deadline} (System.nanoTime()). */
    List<String> linesUntil(long deadline) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            String line = stdout.poll(left, TimeUnit.NANOSECONDS);
            if (line != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    void closeStdin() throws IOException {
        stdin.close();
    }

    /** @return the exit code; fails if the process is still running after {@code timeout} */
    int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("server still running after " + timeout + "; stderr:\n" + stderr);
        }
        stdoutReader.join(timeout.toMillis()); // let the last lines reach the queue
        return process.exitValue();
    }

    /** @return stdout lines not yet read */
    List<String> unreadLines() {
        List<String> lines = new ArrayList<>();
        stdout.drainTo(lines);
        return lines;
    }

    String stderr() {
        return stderr.toString();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static Thread pump(InputStream stream, java.util.function.Consumer<String> sink, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // the process was destroyed; nothing more to read
            }
        }, "server-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Waits (bounded) until stderr contains {@code text}: stderr is pumped by another thread. */
    String awaitStderr(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!stderr().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return stderr();
    }
}
