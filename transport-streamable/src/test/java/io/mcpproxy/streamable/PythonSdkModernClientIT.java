package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official Python SDK 2.3 client, unchanged and in its default mode, through the proxy in front of the
 * (legacy) example server. It installs into a virtualenv under {@code target/py-mcp}; the test is skipped when
 * python3 or the package cannot be had.
 */
class PythonSdkModernClientIT {

    private static final Path VENV = Path.of("target", "py-mcp");
    private static final Path PYTHON = VENV.resolve("bin").resolve("python");
    private static final Path SCRIPT = Path.of("src", "test", "resources", "python", "modern_client.py");
    private static final Path INPUT_SCRIPT = Path.of("src", "test", "resources", "python", "modern_input_client.py");
    private static final Path LISTEN_SCRIPT = Path.of("src", "test", "resources", "python", "listen_client.py");

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    @Test
    void theDefaultModeStaysOn20260728ForToolCallsWithProgress() throws Exception {
        Assumptions.assumeTrue(virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        StreamableHttpProxy proxy = proxies.start();

        JsonNode seen = JsonRpc.MAPPER.readTree(run(List.of(PYTHON.toString(), SCRIPT.toString(),
                "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertTrue(seen.path("tools").toString().contains("\"echo\""), seen.toString());
        assertEquals("from python", seen.path("echo").asText());
        assertEquals("done 3 steps", seen.path("progressResult").asText());
        assertEquals(3, seen.path("progress").size(), seen.toString());
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void theDefaultModeAnswersTheLegacyServersSamplingAndElicitationThroughInputRequiredResults()
            throws Exception {
        Assumptions.assumeTrue(virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        StreamableHttpProxy proxy = proxies.start();

        JsonNode seen = JsonRpc.MAPPER.readTree(run(List.of(PYTHON.toString(), INPUT_SCRIPT.toString(),
                "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals("sampled: an answer to what is MRTR?", seen.path("sampled").asText(), seen.toString());
        assertEquals("elicited: accept {\"answer\":\"from the python user\"}", seen.path("elicited").asText());
        assertEquals("[\"sampling/createMessage\",\"elicitation/create\"]", seen.path("asked").toString());
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void aListenStreamBringsToolChangesAndResourceUpdatesAndLeavingUnsubscribes() throws Exception {
        Assumptions.assumeTrue(virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        // a short keep-alive: the proxy notices the client closed the stream at its next write
        StreamableHttpProxy proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(100)));

        JsonNode seen = JsonRpc.MAPPER.readTree(run(List.of(PYTHON.toString(), LISTEN_SCRIPT.toString(),
                "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals(JsonRpc.MAPPER.readTree("{\"toolsListChanged\":true,"
                + "\"resourceSubscriptions\":[\"example://watched-by-python\"]}"), seen.path("honored"));
        assertEquals(List.of("resources/updated example://watched-by-python", "tools/list_changed"),
                JsonRpc.MAPPER.convertValue(seen.path("events"), List.class), seen.toString());
        assertEquals("not subscribed example://watched-by-python", seen.path("updateAfterLeaving").asText());
        assertEquals(1, seen.path("subscribes").asInt(), seen.toString());
        assertEquals(1, seen.path("unsubscribes").asInt(), seen.toString());
    }

    /** A virtualenv with the SDK: kept from an earlier run, or made now (pip, 3 minutes at most). */
    private static boolean virtualenvWithSdk() throws InterruptedException {
        try {
            if (!Files.isExecutable(PYTHON)) {
                run(List.of("python3", "-m", "venv", VENV.toString()));
            }
            run(List.of(PYTHON.toString(), "-c", "import importlib.metadata as m; "
                    + "import sys; sys.exit(0 if m.version('mcp') == '2.3.0' else 1)"));
            return true;
        } catch (IOException | AssertionError notYet) {
            try {
                // A short timeout without retries: where the default index is unreachable, pip falls back to the
                // local mirror (PIP_FIND_LINKS) at once instead of waiting minutes per attempt.
                run(List.of(PYTHON.toString(), "-m", "pip", "install", "-q", "--timeout", "5", "--retries", "0",
                        "mcp==2.3.0"));
                return true;
            } catch (IOException | AssertionError unavailable) {
                return false;
            }
        }
    }

    /** Runs a command to its end (3 minutes at most) and returns its stdout; fails on a non-zero exit. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("python-sdk", ".out");
        Path err = Files.createTempFile("python-sdk", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(3, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not end within 3 minutes");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(command + " exited " + process.exitValue() + ": "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
