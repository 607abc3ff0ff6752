package io.mcpproxy.streamable;

import io.mcpproxy.stdio.StdioProxyBuilder;
import io.mcpproxy.stdio.backend.BackendStats;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.McpProxyHandler;
import io.mcpproxy.session.SessionManager;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * MCP Streamable HTTP in front of a stdio MCP server: an {@link McpProxy} with one
 * {@link StreamableHttpTransport}.
 *
 * <pre>{@code
 * StreamableHttpProxy proxy = StreamableHttpProxy.builder()
 *         .command(List.of("npx", "-y", "@modelcontextprotocol/server-everything"))
 *         .port(8080)                                   // binds 127.0.0.1 unless host(...) says otherwise
 *         .withSessionStorage(RedisStorage.builder().uri("redis://127.0.0.1:6379").build())
 *         .build();
 * proxy.start();
 * System.out.println(proxy.uri());                     // http://127.0.0.1:8080/mcp
 * }</pre>
 *
 * <p>The shared options, their defaults and units are on {@link StdioProxyBuilder}; {@link Builder#path}
 * is this transport's own.
 */
public final class StreamableHttpProxy implements AutoCloseable {

    private final McpProxy proxy;
    private final StreamableHttpTransport transport;

    private StreamableHttpProxy(McpProxy proxy, StreamableHttpTransport transport) {
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

    /** The port actually bound (useful with port 0). */
    public int port() {
        return proxy.port();
    }

    /** {@code http://host:port/path} as bound. */
    public URI uri() {
        return proxy.uri(transport.path());
    }

    /** The underlying proxy (Jetty server, backends, sessions). */
    public McpProxy proxy() {
        return proxy;
    }

    /** The transport's handler, e.g. for inspecting the sessions this replica holds. */
    StreamableHttpHandler handler() {
        return transport.handler();
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

    /** Drains, ends streams and sessions, stops the MCP server. Idempotent. */
    @Override
    public void close() {
        proxy.close();
    }

    /** Options of {@link StreamableHttpProxy}: the shared ones plus the path, resumption and input requests. */
    public static final class Builder extends StdioProxyBuilder<Builder> {
        private String path = StreamableHttpTransport.DEFAULT_PATH;
        private ResumptionSettings resumption = ResumptionSettings.DEFAULTS;
        private InputRequestSettings inputRequests = InputRequestSettings.DEFAULTS;

        private Builder() {
        }

        /** Endpoint path. Default {@code /mcp}. */
        public Builder path(String path) {
            this.path = new StreamableHttpTransport(path).path();
            return this;
        }

        /** See {@link ResumptionSettings#window}. */
        public Builder resumeWindow(Duration window) {
            this.resumption = resumption.withWindow(window);
            return this;
        }

        /** See {@link ResumptionSettings#replayBuffer}: at most the {@link #streamBuffer} bounds. */
        public Builder replayBuffer(int maxEvents, long maxBytes) {
            this.resumption = resumption.withReplayBuffer(maxEvents, maxBytes);
            return this;
        }

        /** The resumption options at once. */
        public Builder resumption(ResumptionSettings settings) {
            this.resumption = Objects.requireNonNull(settings, "resumption");
            return this;
        }

        /** See {@link InputRequestSettings#inputTimeout}. */
        public Builder inputTimeout(Duration timeout) {
            this.inputRequests = inputRequests.withInputTimeout(timeout);
            return this;
        }

        /** See {@link InputRequestSettings#maxWaiting}. */
        public Builder maxWaitingCalls(int max) {
            this.inputRequests = inputRequests.withMaxWaiting(max);
            return this;
        }

        /** The options of modern calls waiting for their clients' input at once. */
        public Builder inputRequests(InputRequestSettings settings) {
            this.inputRequests = Objects.requireNonNull(settings, "inputRequests");
            return this;
        }

        /**
         * The proxy as a handler to mount in a Jetty server of your own, beside your own handlers; the listener
         * options (port, threads, idle and drain timeouts) are then your server's (see {@link McpProxyHandler}).
         */
        public McpProxyHandler buildHandler() {
            return buildHandler(List.of(new StreamableHttpTransport(path, resumption, inputRequests)));
        }

        public StreamableHttpProxy build() {
            StreamableHttpTransport transport = new StreamableHttpTransport(path, resumption, inputRequests);
            return new StreamableHttpProxy(buildProxy(List.of(transport)), transport);
        }

        @Override
        protected Builder self() {
            return this;
        }
    }
}
