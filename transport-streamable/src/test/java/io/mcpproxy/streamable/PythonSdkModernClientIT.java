package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
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

        JsonNode seen = JsonRpc.MAPPER.readTree(PythonSdk.run(List.of(PythonSdk.PYTHON.toString(),
                PythonSdk.script("modern_client.py"),
                "http://127.0.0.1:" + proxy.port() + "/mcp")));

        assertEquals("2026-07-28", seen.path("protocolVersion").asText(), seen.toString());
        assertTrue(seen.path("tools").toString().contains("\"echo\""), seen.toString());
        assertEquals("from python", seen.path("echo").asText());
        assertEquals("done 3 steps", seen.path("progressResult").asText());
        assertEquals(3, seen.path("progress").size(), seen.toString());
        assertEquals(0, proxy.handler().localSessionCount(), "no session was opened");
    }
}
