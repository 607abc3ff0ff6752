package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A modern (2026-07-28 only over stdio) server behind the proxy: the Python SDK's own server
 * ({@code modern_server.py}, from the virtualenv of {@link PythonSdk}), found modern by the era probe, serving
 * the Python SDK client in its default mode and a legacy session client.
 */
class ModernStdioServerIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.command(List.of(Path.of(PythonSdk.PYTHON.toString()).toAbsolutePath()
                    .toString(), Path.of(PythonSdk.script("modern_server.py")).toAbsolutePath().toString())));

    private StreamableHttpProxy proxy;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(PythonSdk.virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        proxy = proxies.start();
    }

    /** The era the probe found for the shared server (waits up to 15 s: the probe allows the server 10 s). */
    private ServerEra probedEra() throws InterruptedException {
        for (int i = 0; i < 1500; i++) {
            ServerEra era = proxy.backends().shared().serverEra();
            if (era != null) {
                return era;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the probe decided nothing");
    }

    @Test
    void thePythonSdkClientStaysOn20260728ForToolCallsWithProgressThroughTheProxy() throws Exception {
        assertEquals(ServerEra.MODERN, probedEra());

        JsonNode seen = PythonSdk.modernClient(proxy.port());

        PythonSdk.assertModernClientSaw(seen);
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void thePythonSdkClientAnswersTheModernServersSamplingAndElicitationThroughInputRequiredResults()
            throws Exception {
        assertEquals(ServerEra.MODERN, probedEra());

        JsonNode seen = JsonRpc.MAPPER.readTree(PythonSdk.run(List.of(PythonSdk.PYTHON.toString(),
                PythonSdk.script("modern_input_client.py"), "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals("an answer to what is MRTR?", seen.path("sampled").asText(), seen.toString());
        assertEquals("elicited: accept {\"answer\":\"from the python user\"}", seen.path("elicited").asText());
        assertEquals("[\"sampling/createMessage\",\"elicitation/create\"]", seen.path("asked").toString());
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void thePythonSdkClientsListenStreamBringsTheServersToolListChange() throws Exception {
        assertEquals(ServerEra.MODERN, probedEra());

        JsonNode seen = JsonRpc.MAPPER.readTree(PythonSdk.run(List.of(PythonSdk.PYTHON.toString(),
                PythonSdk.script("modern_listen.py"), "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals("ToolsListChanged", seen.path("event").asText(), seen.toString());
    }

    private McpTestClient legacySessionClient() {
        McpTestClient client = new McpTestClient(HttpClient.newHttpClient(),
                URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        client.protocolVersion = "2025-11-25";
        return client;
    }

    @Test
    void aLegacySessionClientAnswersTheModernServersSamplingInputRequestAsASamplingRequest() throws Exception {
        McpTestClient client = legacySessionClient();
        client.initialize();

        assertEquals("sampled for the session", client.sampleAnswering("sampled for the session"));
    }

    @Test
    void aLegacySessionHearsTheModernServersToolListChangeOnItsGetStream() throws Exception {
        McpTestClient client = legacySessionClient();
        client.initialize();
        HttpResponse<InputStream> get = client.openGet();
        assertEquals(200, get.statusCode());
        try (SseEvents events = new SseEvents(get.body())) {
            assertEquals("changed", McpTestClient.text(client.callTool("change_tools", Map.of())));

            ObjectNode heard = events.nextMessage(McpTestClient.WAIT);
            assertEquals("notifications/tools/list_changed", JsonRpc.method(heard), String.valueOf(heard));
        }
    }

    @Test
    void aLegacySessionClientListsAndCallsToolsOfTheModernServer() throws Exception {
        McpTestClient client = legacySessionClient();

        ObjectNode initialized = client.initialize();
        assertEquals("2025-11-25", initialized.path("result").path("protocolVersion").asText(),
                initialized.toString());
        assertEquals("python-modern-server", initialized.path("result").path("serverInfo").path("name").asText());

        McpTestClient.Reply listed = client.post(client.request("tools/list", JsonRpc.objectNode()));
        assertTrue(listed.response().path("result").path("tools").toString().contains("\"progress\""),
                listed.body());
        ObjectNode called = client.callTool("echo", Map.of("text", "from a session"));
        assertEquals("from a session", McpTestClient.text(called), called.toString());
        assertEquals(ServerEra.MODERN, proxy.backends().shared().serverEra());
    }
}
