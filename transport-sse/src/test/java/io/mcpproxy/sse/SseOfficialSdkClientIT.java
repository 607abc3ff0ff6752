package io.mcpproxy.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.session.Await;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official MCP Java SDK's legacy HTTP+SSE client, unchanged, through the proxy. */
class SseOfficialSdkClientIT {

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    private McpSyncClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    @SuppressWarnings("deprecation") // the SDK deprecates its HTTP+SSE transport, which is exactly what we test
    void initializeListCallProgressAndSampling() throws Exception {
        SseProxy proxy = proxies.start();
        List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
        client = McpClient.sync(HttpClientSseClientTransport.builder("http://127.0.0.1:" + proxy.port())
                        .sseEndpoint("/sse").build())
                .clientInfo(Implementation.builder("sdk-sse-through-proxy", "1.0.0").build())
                .requestTimeout(Duration.ofSeconds(20))
                .initializationTimeout(Duration.ofSeconds(20))
                .capabilities(ClientCapabilities.builder().sampling().build())
                .sampling(request -> CreateMessageResult.builder(Role.ASSISTANT, "sdk over sse", "m")
                        .stopReason(CreateMessageResult.StopReason.END_TURN).build())
                .progressConsumer(progress::add)
                .build();

        assertEquals("2024-11-05", client.initialize().protocolVersion());
        assertTrue(client.listTools().tools().stream().map(Tool::name).toList().contains("echo"));
        assertEquals("via sse", text(client.callTool(CallToolRequest.builder("echo")
                .arguments(Map.of("text", "via sse")).build())));
        assertEquals("done 2 steps", text(client.callTool(CallToolRequest.builder("progress")
                .arguments(Map.of("steps", 2, "delayMs", 1)).progressToken("sse-token").build())));
        // the SDK hands notifications to the consumer asynchronously, after the result
        Await.until(() -> progress.size() >= 2, Duration.ofSeconds(5));
        assertEquals(2, progress.size());
        assertTrue(progress.stream().allMatch(p -> "sse-token".equals(p.progressToken())));
        assertEquals("sampled: sdk over sse", text(client.callTool(CallToolRequest.builder("sample")
                .arguments(Map.of("prompt", "q")).build())));
        assertEquals(1, proxy.localSessionCount());
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }
}
