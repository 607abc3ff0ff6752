package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.BackendStats;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.http.HttpListener;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.session.SessionManager;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP listener with one or more {@link Transport transports} in front of one stdio MCP server (or one per
 * session): a Jetty server of its own carrying an {@link McpProxyHandler}.
 *
 * <pre>{@code
 * McpProxy proxy = McpProxy.builder()
 *         .command(List.of("python", "server.py"))
 *         .port(8080)
 *         .transport(new StreamableHttpTransport("/mcp"))     // from transport-streamable
 *         .transport(new SseTransport("/sse", "/messages"))   // from transport-sse
 *         .build();
 * proxy.start();
 * }</pre>
 *
 * The transport modules also offer single-transport facades ({@code StreamableHttpProxy}, {@code SseProxy}) with
 * the same options. Every option, its default and its unit is on {@link StdioProxyBuilder}. To mount the proxy in a
 * Jetty server of your own instead, build its handler ({@link Builder#buildHandler()}).
 */
public final class McpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(McpProxy.class);

    private final HttpListener listener;
    private final McpProxyHandler handler;
    private final String serverDescription;
    private final Duration drainTimeout;

    McpProxy(HttpListener listener, McpProxyHandler handler, String serverDescription,
                     Duration drainTimeout) {
        this.listener = listener;
        this.handler = handler;
        this.serverDescription = serverDescription;
        this.drainTimeout = drainTimeout;
        listener.handler(handler);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the MCP server process (shared mode), then the HTTP listener.
     *
     * @throws Exception when the command cannot be started or the port cannot be bound
     */
    public void start() throws Exception {
        try {
            listener.start();
        } catch (Exception e) {
            listener.stop();
            throw e;
        }
        LOG.info("MCP proxy on {} ({}) in front of '{}'", listener.uri(""), handler.describe(), serverDescription);
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return listener.port();
    }

    /** {@code http://host:port<path>} as bound. */
    public URI uri(String path) {
        return listener.uri(path);
    }

    /** The proxy's listener (its Jetty server and timer). */
    public HttpListener listener() {
        return listener;
    }

    /** The proxy's handler on its listener. */
    public McpProxyHandler handler() {
        return handler;
    }

    public ProxyContext context() {
        return handler.context();
    }

    public Backends backends() {
        return handler.backends();
    }

    public SessionManager sessions() {
        return handler.sessions();
    }

    /** {@link McpProxyHandler#health()}, and whether the listener accepts connections. */
    public Health health() {
        List<Health.Check> checks = new ArrayList<>();
        checks.add(listener.listeningCheck());
        checks.addAll(handler.health().checks());
        return new Health(checks);
    }

    public BackendStats stats() {
        return handler.backends().stats();
    }

    /**
     * Stops gracefully: no new connections, in-flight requests get up to the drain timeout, then streams end,
     * this replica's sessions are removed and the MCP server stops. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (listener.isRunning()) {
            listener.stopAccepting(); // open connections may still finish their requests
            handler.drain(drainTimeout);
            listener.stop();
        } else {
            handler.backends().close(); // never started, or a failed start: release what the build created
            handler.sessions().close();
        }
    }

    static String defaultReplicaId(int port) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        // An ephemeral port says nothing stable: keep such replicas apart instead.
        return host + ":" + (port == 0 ? UUID.randomUUID().toString() : Integer.toString(port));
    }

    /** {@link McpProxy} with the transports named by {@link #transport(Transport)}. */
    public static final class Builder extends StdioProxyBuilder<Builder> {
        private final List<Transport> transports = new ArrayList<>();

        private Builder() {
        }

        /** Adds a transport; at least one. */
        public Builder transport(Transport transport) {
            transports.add(Objects.requireNonNull(transport, "transport"));
            return this;
        }

        public McpProxy build() {
            requireTransports();
            return buildProxy(transports);
        }

        /** The proxy as a handler to mount in a Jetty server of your own (see {@link McpProxyHandler}). */
        public McpProxyHandler buildHandler() {
            requireTransports();
            return buildHandler(transports);
        }

        private void requireTransports() {
            if (transports.isEmpty()) {
                throw new IllegalStateException("no transport: call transport(...) at least once");
            }
        }

        @Override
        protected Builder self() {
            return this;
        }
    }
}
