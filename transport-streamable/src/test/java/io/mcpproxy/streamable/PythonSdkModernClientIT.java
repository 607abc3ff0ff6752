package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.stdio.testing.ProxyExtension;
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
}
