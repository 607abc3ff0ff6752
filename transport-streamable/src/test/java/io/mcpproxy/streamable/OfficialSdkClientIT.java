package io.mcpproxy.streamable;

import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.session.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official MCP Java SDK's Streamable HTTP client, unchanged, through the proxy. */
class OfficialSdkClientIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private StreamableHttpProxy proxy;
    private McpSyncClient client;
    private final List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
    private final List<String> samplingPrompts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        proxy = proxies.start();
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder("http://127.0.0.1:" + proxy.port()).endpoint("/mcp").build();
        client = McpClient.sync(transport)
                .clientInfo(Implementation.builder("sdk-through-proxy", "1.0.0").build())
                .requestTimeout(Duration.ofSeconds(20))
                .initializationTimeout(Duration.ofSeconds(20))
                .capabilities(ClientCapabilities.builder().sampling().build())
                .sampling(request -> {
                    samplingPrompts.add(((TextContent) request.messages().get(0).content()).text());
                    return CreateMessageResult.builder(Role.ASSISTANT, "sdk sampled it", "test-model")
                            .stopReason(CreateMessageResult.StopReason.END_TURN).build();
                })
                .progressConsumer(progress::add)
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }

    @Test
    void initializeListCallProgressSamplingAndDelete() throws Exception {
        InitializeResult initialized = client.initialize();
        assertEquals("example-server", initialized.serverInfo().name());
        assertEquals("2025-11-25", initialized.protocolVersion());

        List<String> tools = client.listTools().tools().stream().map(Tool::name).toList();
        assertTrue(tools.containsAll(List.of("echo", "progress", "sample")), tools.toString());

        assertEquals("through the proxy", text(client.callTool(CallToolRequest.builder("echo")
                .arguments(Map.of("text", "through the proxy")).build())));

        CallToolResult withProgress = client.callTool(CallToolRequest.builder("progress")
                .arguments(Map.of("steps", 3, "delayMs", 5)).progressToken("sdk-token").build());
        assertEquals("done 3 steps", text(withProgress));
        // the SDK hands notifications to the consumer asynchronously, after the result
        Await.until(() -> progress.size() >= 3, Duration.ofSeconds(5));
        assertEquals(3, progress.size(), progress.toString());
        assertTrue(progress.stream().allMatch(p -> "sdk-token".equals(p.progressToken())));

        CallToolResult sampled = client.callTool(CallToolRequest.builder("sample")
                .arguments(Map.of("prompt", "write a haiku")).build());
        assertEquals("sampled: sdk sampled it", text(sampled));
        assertEquals(List.of("write a haiku"), samplingPrompts);

        Set<String> before = proxy.handler().localSessionIds();
        assertEquals(1, before.size());
        String sessionId = before.iterator().next();
        assertTrue(client.closeGracefully(), "closeGracefully sends DELETE");
        assertFalse(proxy.sessions().get(Session.Type.STREAMABLE, sessionId).isPresent(),
                "DELETE removed the session from storage");
    }

    @Test
    void theSdkReinitializesAfterTheProxyAnswers404() throws Exception {
        client.initialize();
        String first = proxy.handler().localSessionIds().iterator().next();
        assertTrue(proxy.sessions().delete(Session.Type.STREAMABLE, first),
                "the session ends behind the client's back");

        String answer = null;
        for (int attempt = 0; attempt < 3 && answer == null; attempt++) {
            try {
                answer = text(client.callTool(CallToolRequest.builder("echo").arguments(Map.of("text", "again"))
                        .build()));
            } catch (RuntimeException expectedOnce) {
                // the call that met the 404 fails; the SDK re-initializes in the background
                Thread.sleep(200);
            }
        }
        assertEquals("again", answer);
        Set<String> now = proxy.handler().localSessionIds();
        assertFalse(now.contains(first));
        assertEquals(1, now.size(), "a fresh session");
    }
}
