package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.http.HttpClient;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code maxSessions}: a replica holds at most that many sessions; one more waits for one to end. */
class SessionLimitIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void pastTheLimitANewSessionGets503WithRetryAfterUntilADeleteFreesOne() throws Exception {
        StreamableHttpProxy proxy = proxies.start(builder -> builder.maxSessions(2));
        McpTestClient first = new McpTestClient(http, proxy.uri());
        first.initialize();
        new McpTestClient(http, proxy.uri()).initialize();

        McpTestClient third = new McpTestClient(http, proxy.uri());
        McpTestClient.Reply refused = third.post(third.request("initialize", McpTestClient.params(
                "protocolVersion", "2025-06-18", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "third", "version", "1"))));
        assertEquals(503, refused.status(), refused.body());
        assertEquals("1", refused.header("Retry-After"));
        assertEquals("too_many_sessions", refused.response().path("error").path("data").path("reason").asText(),
                refused.body());
        assertEquals(-32000, refused.response().path("error").path("code").asInt(), refused.body());

        assertEquals(204, first.delete().status());
        third.initialize(); // the deleted session's place
        assertEquals("ok", text(third.callTool("echo", Map.of("text", "ok"))));
    }
}
