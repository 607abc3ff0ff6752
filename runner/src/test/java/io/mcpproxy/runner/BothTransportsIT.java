package io.mcpproxy.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.sse.SseTransport;
import io.mcpproxy.streamable.StreamableHttpTransport;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One proxy serving both transports on one port and one server: each keeps to its own sessions. */
class BothTransportsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}";

    @RegisterExtension
    final ProxyExtension<McpProxy.Builder, McpProxy> proxies = new ProxyExtension<>(McpProxy::builder,
            McpProxy.Builder::build, McpProxy::start);

    private final HttpClient http = HttpClient.newHttpClient();
    private McpProxy proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = proxies.start(builder -> builder.transport(new StreamableHttpTransport("/mcp"))
                .transport(new SseTransport("/sse", "/messages")));
    }

    private HttpResponse<String> post(String path, String sessionHeader) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(proxy.uri(path)).timeout(WAIT)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .POST(HttpRequest.BodyPublishers.ofString(PING));
        if (sessionHeader != null) {
            request.header("Mcp-Session-Id", sessionHeader);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anSseSessionNamedAtTheStreamableEndpointIsNotFoundThereAndLivesOn() throws Exception {
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(proxy.uri("/sse"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (SseEvents events = new SseEvents(stream.body())) {
            SseEvents.Event endpoint = events.next(WAIT);
            assertEquals("endpoint", endpoint.name());
            String messages = endpoint.data();
            String sseSession = messages.substring(messages.indexOf("session_id=") + "session_id=".length());

            HttpResponse<String> wrongEndpoint = post("/mcp", sseSession);
            assertEquals(404, wrongEndpoint.statusCode(), wrongEndpoint.body());

            assertTrue(proxy.sessions().get(Session.Type.SSE, sseSession).isPresent(),
                    "the SSE session is still in storage");
            assertEquals(202, post(messages, null).statusCode(), "and still served at its own endpoint");
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}", events.next(WAIT).data());
        }
    }

    @Test
    void aStreamableSessionNamedAtTheSseEndpointIsNotFoundThereAndLivesOn() throws Exception {
        HttpRequest initialize = HttpRequest.newBuilder(proxy.uri("/mcp")).timeout(WAIT)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                        + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"))
                .build();
        HttpResponse<String> initialized = http.send(initialize, HttpResponse.BodyHandlers.ofString());
        String streamableSession = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();

        HttpResponse<String> wrongEndpoint = post("/messages?session_id=" + streamableSession, null);
        assertEquals(404, wrongEndpoint.statusCode(), wrongEndpoint.body());

        assertTrue(proxy.sessions().get(Session.Type.STREAMABLE, streamableSession).isPresent(),
                "the Streamable session is still in storage");
        HttpResponse<String> ping = post("/mcp", streamableSession);
        assertEquals(200, ping.statusCode(), ping.body());
    }
}
