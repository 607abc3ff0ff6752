package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The official Python SDK 2.3 in a virtualenv under {@code target/py-mcp}, and the test scripts that use it
 * ({@code src/test/resources/python}): made on first use (pip, 3 minutes at most); tests are skipped when python3
 * or the package cannot be had.
 */
final class PythonSdk {

    private static final Path VENV = Path.of("target", "py-mcp");
    static final Path PYTHON = VENV.resolve("bin").resolve("python");

    private PythonSdk() {
    }

    /** A script of {@code src/test/resources/python}. */
    static String script(String name) {
        return Path.of("src", "test", "resources", "python", name).toString();
    }

    /**
     * What {@code modern_client.py} (the SDK client in its default mode: tools/list, echo, a tool call with three
     * progress notifications) saw against the proxy on {@code port}.
     */
    static JsonNode modernClient(int port) throws IOException, InterruptedException {
        return JsonRpc.MAPPER.readTree(run(List.of(PYTHON.toString(), script("modern_client.py"),
                "http://127.0.0.1:" + port + "/mcp")));
    }

    /** That the client stayed on 2026-07-28 and got each answer and progress notification. */
    static void assertModernClientSaw(JsonNode seen) {
        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertTrue(seen.path("tools").toString().contains("\"echo\""), seen.toString());
        assertEquals("from python", seen.path("echo").asText());
        assertEquals("done 3 steps", seen.path("progressResult").asText());
        assertEquals(3, seen.path("progress").size(), seen.toString());
    }

    /** A virtualenv with the SDK: kept from an earlier run, or made now (pip, 3 minutes at most). */
    static boolean virtualenvWithSdk() throws InterruptedException {
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
    static String run(List<String> command) throws IOException, InterruptedException {
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
