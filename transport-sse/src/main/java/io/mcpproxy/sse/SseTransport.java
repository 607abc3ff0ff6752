package io.mcpproxy.sse;

import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.Transport;
import java.net.URI;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;

/**
 * The legacy MCP HTTP+SSE transport (protocol 2024-11-05) for {@link io.mcpproxy.stdio.McpProxy}: {@code GET /sse}
 * and {@code POST /messages?session_id=...} by default.
 *
 * <pre>{@code
 * new SseTransport("/sse", "/messages")
 *         .publicBaseUrl("https://mcp.example.com/tools")   // absolute endpoint URIs (default: relative)
 * }</pre>
 */
public final class SseTransport implements Transport {

    public static final String DEFAULT_SSE_PATH = "/sse";
    public static final String DEFAULT_MESSAGES_PATH = "/messages";

    /** Validated options. */
    record Settings(String ssePath, String messagesPath, String publicBaseUrl, boolean trustProxyHeaders) {
    }

    private final String ssePath;
    private final String messagesPath;
    private String publicBaseUrl;
    private boolean trustProxyHeaders;
    private volatile SseHandler handler;

    public SseTransport() {
        this(DEFAULT_SSE_PATH, DEFAULT_MESSAGES_PATH);
    }

    public SseTransport(String ssePath, String messagesPath) {
        this.ssePath = requirePath(ssePath, "ssePath");
        this.messagesPath = requirePath(messagesPath, "messagesPath");
        if (ssePath.equals(messagesPath)) {
            throw new IllegalArgumentException("ssePath and messagesPath must differ, both are " + ssePath);
        }
    }

    /**
     * Announce absolute POST URIs under this base (scheme, host and optional path prefix), e.g. when the proxy
     * sits behind a gateway. Default: relative URIs ({@code /messages?session_id=...}).
     */
    public SseTransport publicBaseUrl(String baseUrl) {
        URI uri = URI.create(Objects.requireNonNull(baseUrl, "publicBaseUrl"));
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IllegalArgumentException("publicBaseUrl must be absolute (https://host[/prefix]), got " + baseUrl);
        }
        this.publicBaseUrl = baseUrl;
        return this;
    }

    /**
     * Build the POST URI from {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} and {@code X-Forwarded-Prefix}
     * when all three are present, each taken up to its first comma (the client-facing proxy's value), the proto
     * only when {@code http} or {@code https}; otherwise the URI stays relative. Default off: only switch it on
     * behind a proxy that sets (and strips) them.
     */
    public SseTransport trustProxyHeaders(boolean trust) {
        this.trustProxyHeaders = trust;
        return this;
    }

    public String ssePath() {
        return ssePath;
    }

    public String messagesPath() {
        return messagesPath;
    }

    /** The handler of the last {@link #open}, for tests and diagnostics. */
    SseHandler handler() {
        return handler;
    }

    @Override
    public Endpoint open(ProxyContext context) {
        SseHandler opened = new SseHandler(new Settings(ssePath, messagesPath, publicBaseUrl, trustProxyHeaders),
                context);
        this.handler = opened;
        return new Endpoint() {
            @Override
            public Handler handler() {
                return opened;
            }

            @Override
            public String name() {
                return "sse";
            }

            @Override
            public String describe() {
                return "HTTP+SSE at " + ssePath + " + " + messagesPath;
            }

            @Override
            public java.util.List<String> paths() {
                return java.util.List.of(ssePath);
            }

            @Override
            public void closeSessions() {
                opened.closeAll();
            }
        };
    }

    private static String requirePath(String path, String what) {
        Objects.requireNonNull(path, what);
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(what + " must start with '/', got '" + path + "'");
        }
        return path;
    }
}
