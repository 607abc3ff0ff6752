package io.mcpproxy.core.testing;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

/** JSON-RPC POSTs as a Streamable HTTP client sends them, for tests that drive a proxy with {@code HttpClient}. */
public final class McpRequests {
    /** The protocol revision the requests announce. */
    public static final String PROTOCOL_VERSION = "2025-06-18";

    private McpRequests() {
    }

    /**
     * A POST of {@code body} to {@code uri} that accepts JSON or an SSE stream, inside {@code session} when it is not
     * null, and gives up after 20 seconds.
     */
    public static HttpRequest post(URI uri, String session, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", PROTOCOL_VERSION).POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            builder.header("Mcp-Session-Id", session);
        }
        return builder.build();
    }
}
