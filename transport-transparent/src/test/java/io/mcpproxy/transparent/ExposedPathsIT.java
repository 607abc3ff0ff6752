package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.RawHttp;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Which paths the transparent proxy forwards: the endpoint by default, more only when told. */
class ExposedPathsIT {

    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}";
    @RegisterExtension
    final Closer closer = new Closer();
    private TestUpstream upstream;

    @BeforeEach
    void upstream() throws Exception {
        upstream = closer.track(new TestUpstream("a").start(0, 30_000));
    }

    private TransparentProxy proxy(TransparentProxy.Builder builder) throws Exception {
        TransparentProxy proxy = closer.track(builder.target(upstream.uri()).port(0).build());
        proxy.start();
        return proxy;
    }

    private static RawHttp.Answer send(TransparentProxy proxy, String method, String target) throws Exception {
        return RawHttp.exchange(proxy.port(), method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                + "Content-Length: " + PING.length() + "\r\nConnection: close\r\n\r\n" + PING);
    }

    /** Refused here with a JSON-RPC error, 404 (or 400 where Jetty finds the target itself ambiguous). */
    private static void assertRefused(RawHttp.Answer answer, String request) {
        String status = answer.statusLine();
        assertTrue(status.equals("HTTP/1.1 404 Not Found") || status.equals("HTTP/1.1 400 Bad Request"),
                request + ": " + answer.text());
        assertTrue(answer.text().contains("{\"jsonrpc\":\"2.0\""), request + ": " + answer.text());
    }

    @Test
    void pathsOtherThanTheEndpointGet404AndNeverReachTheUpstream() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder());
        for (String request : List.of("GET /admin", "DELETE /anything", "POST /mcp/../internal/reset",
                "POST /mcp/%2e%2e/internal/reset", "POST /mcp/%2E%2E/internal/reset", "POST /mcp/.%2e/internal/reset",
                "POST /mcp%2f..%2finternal%2freset", "POST /mcp/..%2finternal/reset", "GET /mcp/sub",
                "POST /mcp/", "POST /MCP", "POST /mcp/..;/internal/reset", "POST /mcp/%2e%2e%2finternal/reset")) {
            String[] methodAndTarget = request.split(" ");
            assertRefused(send(proxy, methodAndTarget[0], methodAndTarget[1]), request);
        }
        assertEquals(0, upstream.requests.get(), "the upstream saw nothing: " + upstream.targetsSeen);

        RawHttp.Answer endpoint = send(proxy, "POST", "/mcp");
        assertEquals("HTTP/1.1 200 OK", endpoint.statusLine(), endpoint.text());
        RawHttp.Answer resolved = send(proxy, "POST", "/internal/../mcp");
        assertEquals("HTTP/1.1 200 OK", resolved.statusLine(), resolved.text());
        assertEquals(List.of("/mcp", "/mcp"), upstream.targetsSeen, "the endpoint still works, dot segments resolved");
    }

    @Test
    void underAPrefixOnlyTheEndpointBelowItIsForwarded() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().pathPrefix("/up"));
        for (String request : List.of("GET /up/admin", "POST /up/mcp/../admin", "POST /up/../mcp", "POST /mcp",
                "POST /up/%2e%2e/mcp", "GET /up")) {
            String[] methodAndTarget = request.split(" ");
            assertRefused(send(proxy, methodAndTarget[0], methodAndTarget[1]), request);
        }
        assertEquals(0, upstream.requests.get(), "the upstream saw nothing: " + upstream.targetsSeen);
        RawHttp.Answer endpoint = send(proxy, "POST", "/up/mcp");
        assertEquals("HTTP/1.1 200 OK", endpoint.statusLine(), endpoint.text());
        assertEquals(List.of("/mcp"), upstream.targetsSeen);
    }

    @Test
    void namedPathsAndForwardAnyPathLetOtherPathsThrough() throws Exception {
        TransparentProxy named = proxy(TransparentProxy.builder()
                .forwardPaths(List.of("/.well-known/oauth-protected-resource")));
        send(named, "GET", "/.well-known/oauth-protected-resource");
        assertRefused(send(named, "GET", "/.well-known/oauth-authorization-server"), "an unnamed path");
        assertEquals(List.of("/.well-known/oauth-protected-resource"), upstream.targetsSeen);

        TransparentProxy any = proxy(TransparentProxy.builder().forwardAnyPath(true));
        send(any, "GET", "/admin");
        send(any, "POST", "/mcp/../internal/reset");
        assertEquals(List.of("/.well-known/oauth-protected-resource", "/admin", "/internal/reset"),
                upstream.targetsSeen, "as before paths were limited (dot segments resolved)");
    }

    @Test
    void aForwardPathMustBeCanonicalAndAbsolute() {
        for (String path : List.of("admin", "/a/../b", "/a?b", "/a//b", "/a/./b")) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> TransparentProxy.builder().forwardPaths(List.of(path)), path);
            assertEquals("forwardPath must be an absolute path without query or dot segments, got " + path,
                    refused.getMessage());
        }
        TransparentProxy.builder().target(URI.create("http://127.0.0.1:1/mcp"))
                .forwardPaths(List.of("/.well-known/oauth-protected-resource/mcp")).build();
    }
}
