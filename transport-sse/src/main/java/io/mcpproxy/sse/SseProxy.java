package io.mcpproxy.sse;

import io.mcpproxy.stdio.StdioProxyBuilder;
import io.mcpproxy.stdio.backend.BackendStats;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.McpProxyHandler;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.session.SessionManager;
import java.net.URI;
import java.util.List;

/**
 * The legacy MCP HTTP+SSE transport in front of a stdio MCP server: an {@link McpProxy} with one
 * {@link SseTransport}.
 *
 * <pre>{@code
 * SseProxy proxy = SseProxy.builder()
 *         .command(List.of("python", "server.py"))
 *         .port(8080)
 *         .build();
 * proxy.start();            // clients connect to http://127.0.0.1:8080/sse
 * }</pre>
 *
 * <p>The shared options, their defaults and units are on {@link StdioProxyBuilder}; the SSE ones on
 * {@link Builder}.
 */
public final class SseProxy implements AutoCloseable {

    private final McpProxy proxy;
    private final SseTransport transport;

    private SseProxy(McpProxy proxy, SseTransport transport) {
        this.proxy = proxy;
        this.transport = transport;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the MCP server process and the HTTP listener.
     *
     * @throws Exception when the command cannot be started or the port cannot be bound
     */
    public void start() throws Exception {
        proxy.start();
    }

    public int port() {
        return proxy.port();
    }

    /** The SSE endpoint clients connect to, as bound. */
    public URI uri() {
        return proxy.uri(transport.ssePath());
    }

    public McpProxy proxy() {
        return proxy;
    }

    /** Streams (= sessions) this replica holds. */
    public int localSessionCount() {
        return transport.handler().localSessionCount();
    }

    /** The stream of a session this replica holds, or null; package-private, for tests. */
    SseStream stream(String sessionId) {
        return transport.handler().streamOf(sessionId);
    }

    public Backends backends() {
        return proxy.backends();
    }

    /** See {@link McpProxy#health()}: what a readiness probe asks. */
    public Health health() {
        return proxy.health();
    }

    public BackendStats stats() {
        return proxy.stats();
    }

    public SessionManager sessions() {
        return proxy.sessions();
    }

    @Override
    public void close() {
        proxy.close();
    }

    /** Options of {@link SseProxy}: the shared ones plus the SSE endpoint's. */
    public static final class Builder extends StdioProxyBuilder<Builder> {
        private String ssePath = SseTransport.DEFAULT_SSE_PATH;
        private String messagesPath = SseTransport.DEFAULT_MESSAGES_PATH;
        private String publicBaseUrl;
        private boolean trustProxyHeaders;

        private Builder() {
        }

        /** Path of the SSE stream. Default {@code /sse}. */
        public Builder ssePath(String path) {
            this.ssePath = path;
            return this;
        }

        /** Path clients POST to. Default {@code /messages}. */
        public Builder messagesPath(String path) {
            this.messagesPath = path;
            return this;
        }

        /** See {@link SseTransport#publicBaseUrl}. Default: relative endpoint URIs. */
        public Builder publicBaseUrl(String baseUrl) {
            this.publicBaseUrl = baseUrl;
            return this;
        }

        /** See {@link SseTransport#trustProxyHeaders}. Default false. */
        public Builder trustProxyHeaders(boolean trust) {
            this.trustProxyHeaders = trust;
            return this;
        }

        /**
         * The proxy as a handler to mount in a Jetty server of your own, beside your own handlers; the listener
         * options (port, threads, idle and drain timeouts) are then your server's (see {@link McpProxyHandler}).
         */
        public McpProxyHandler buildHandler() {
            return buildHandler(List.of(transport()));
        }

        public SseProxy build() {
            SseTransport transport = transport();
            return new SseProxy(buildProxy(List.of(transport)), transport);
        }

        private SseTransport transport() {
            SseTransport transport = new SseTransport(ssePath, messagesPath).trustProxyHeaders(trustProxyHeaders);
            if (publicBaseUrl != null) {
                transport.publicBaseUrl(publicBaseUrl);
            }
            return transport;
        }

        @Override
        protected Builder self() {
            return this;
        }
    }
}
