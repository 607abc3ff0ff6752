package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official Python SDK 2.3 client, unchanged and in its default mode, through the proxy in front of the
 * (legacy) example server, from the virtualenv of {@link PythonSdk}.
 */
class PythonSdkModernClientIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    @Test
    void theDefaultModeStaysOn20260728ForToolCallsWithProgress() throws Exception {
        Assumptions.assumeTrue(PythonSdk.virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        StreamableHttpProxy proxy = proxies.start();

        JsonNode seen = PythonSdk.modernClient(proxy.port());

        PythonSdk.assertModernClientSaw(seen);
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void theDefaultModeAnswersTheLegacyServersSamplingAndElicitationThroughInputRequiredResults()
            throws Exception {
        Assumptions.assumeTrue(PythonSdk.virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        StreamableHttpProxy proxy = proxies.start();

        JsonNode seen = JsonRpc.MAPPER.readTree(PythonSdk.run(List.of(PythonSdk.PYTHON.toString(),
                PythonSdk.script("modern_input_client.py"), "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals("sampled: an answer to what is MRTR?", seen.path("sampled").asText(), seen.toString());
        assertEquals("elicited: accept {\"answer\":\"from the python user\"}", seen.path("elicited").asText());
        assertEquals("[\"sampling/createMessage\",\"elicitation/create\"]", seen.path("asked").toString());
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }

    @Test
    void aListenStreamBringsToolChangesAndResourceUpdatesAndLeavingUnsubscribes() throws Exception {
        Assumptions.assumeTrue(PythonSdk.virtualenvWithSdk(), "python3 with mcp==2.3.0 is not available");
        // a short keep-alive: the proxy notices the client closed the stream at its next write
        StreamableHttpProxy proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(100)));

        JsonNode seen = JsonRpc.MAPPER.readTree(PythonSdk.run(List.of(PythonSdk.PYTHON.toString(),
                PythonSdk.script("listen_client.py"), "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertEquals(JsonRpc.MAPPER.readTree("{\"toolsListChanged\":true,"
                + "\"resourceSubscriptions\":[\"example://watched-by-python\"]}"), seen.path("honored"));
        assertEquals(List.of("resources/updated example://watched-by-python", "tools/list_changed"),
                JsonRpc.MAPPER.convertValue(seen.path("events"), List.class), seen.toString());
        assertEquals("not subscribed example://watched-by-python", seen.path("updateAfterLeaving").asText());
        assertEquals(1, seen.path("subscribes").asInt(), seen.toString());
        assertEquals(1, seen.path("unsubscribes").asInt(), seen.toString());
    }
}
