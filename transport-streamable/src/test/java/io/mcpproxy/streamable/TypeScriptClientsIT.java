package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The exact order against {@code @modelcontextprotocol/server-everything} behind the shared proxy: an
 * Inspector-like client (no sampling, no elicitation) first, then a TypeScript SDK client with both. Both are the
 * official TypeScript SDK, pinned in {@code src/test/node/package-lock.json} and installed with {@code npm ci} into
 * {@code target/node-clients}; without node and npm (or without the registry) the test is skipped.
 */
class TypeScriptClientsIT {

    private static final Path SOURCES = Path.of("src", "test", "node");
    private static final Path INSTALLED = Path.of("target", "node-clients");

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    @Test
    void theInspectorFirstDoesNotHideSamplingFromALaterTypeScriptClient() throws Exception {
        assumeTrue(succeeds(Path.of("."), 30, "npm", "--version"), "node and npm are not installed: skipped");
        install();
        Path server = INSTALLED.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        StreamableHttpProxy proxy = proxies.start(builder -> builder.command(List.of("node",
                server.toAbsolutePath().toString(), "stdio")));

        Process clients = new ProcessBuilder("node", "clients.mjs", proxy.uri().toString())
                .directory(INSTALLED.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(clients.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(clients.waitFor(60, TimeUnit.SECONDS), "the clients finish");
        assertEquals(0, clients.exitValue(), output);
        JsonNode seen = JsonRpc.parse(output.substring(output.lastIndexOf('\n') + 1).getBytes(StandardCharsets.UTF_8));

        String tools = seen.path("tools").toString();
        assertTrue(tools.contains("\"trigger-sampling-request\"") && tools.contains("\"trigger-elicitation-request\""),
                "the server offers what the capable client can use: " + tools);
        assertTrue(seen.path("sampled").asText().contains("sampled by the TypeScript client"), seen.toString());
        assertTrue(seen.path("inspectorSampling").asText().contains("Client does not support sampling"),
                "the proxy answered the server for the Inspector, as a client without sampling does: " + seen);
    }

    /** {@code npm ci} of the pinned packages into target (the npm cache makes later runs quick). */
    private static void install() throws IOException, InterruptedException {
        Files.createDirectories(INSTALLED);
        for (String file : List.of("package.json", "package-lock.json", "clients.mjs")) {
            Files.copy(SOURCES.resolve(file), INSTALLED.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        assumeTrue(Files.isDirectory(INSTALLED.resolve("node_modules/@modelcontextprotocol/sdk"))
                        || succeeds(INSTALLED, 300, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"),
                "npm ci of the pinned TypeScript SDK and server-everything failed (no registry?): skipped");
    }

    private static boolean succeeds(Path directory, long seconds, String... command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException notInstalled) {
            return false;
        }
    }
}
