package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.BackendStats;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.stdio.backend.StdioBackendSettings;
import io.mcpproxy.core.http.HttpListener;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.stdio.process.StdioServer;
import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.session.SessionSettings;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorage;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
 * the same options. Every option, its default and its unit is on {@link AbstractBuilder}. To mount the proxy in a
 * Jetty server of your own instead, build its handler ({@link Builder#buildHandler()}).
 */
public final class McpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(McpProxy.class);

    private final HttpListener listener;
    private final McpProxyHandler handler;
    private final String serverDescription;
    private final Duration drainTimeout;

    private McpProxy(HttpListener listener, McpProxyHandler handler, String serverDescription,
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

    private static String defaultReplicaId(int port) {
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
    public static final class Builder extends AbstractBuilder<Builder> {
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

    /**
     * The options every proxy has, whatever its transports. The MCP server ({@link #command} or
     * {@link #stdioServer}) is the only required one.
     *
     * @param <B> the concrete builder, so that chained calls keep its own options in reach
     */
    public abstract static class AbstractBuilder<B extends AbstractBuilder<B>> {
        private StdioBackendSettings backend = StdioBackendSettings.DEFAULTS;
        private ListenerSettings listener = ListenerSettings.DEFAULTS;
        private SessionSettings sessions = SessionSettings.DEFAULTS;
        private StreamSettings streams = StreamSettings.DEFAULTS;
        private String replicaId;

        protected AbstractBuilder() {
        }

        protected abstract B self();

        /** The stdio MCP server to spawn: program and arguments. */
        public B command(List<String> commandLine) {
            this.backend = backend.withServer(StdioServer.command(commandLine));
            return self();
        }

        /** The stdio MCP server: a command with environment and directory, or handed-in streams. */
        public B stdioServer(StdioServer server) {
            this.backend = backend.withServer(server);
            return self();
        }

        /** The whole backend at once (server, mode, limits, timeouts, restarts); replaces what was set before. */
        public B backend(StdioBackendSettings settings) {
            this.backend = Objects.requireNonNull(settings, "backend");
            return self();
        }

        /** See {@link ListenerSettings#host}. */
        public B host(String host) {
            this.listener = listener.withHost(host);
            return self();
        }

        /** See {@link ListenerSettings#port}. */
        public B port(int port) {
            this.listener = listener.withPort(port);
            return self();
        }

        /** The whole listener at once (host, port, timeouts, threads, body size, allowed origins and hosts). */
        public B listener(ListenerSettings settings) {
            this.listener = Objects.requireNonNull(settings, "listener");
            return self();
        }

        /** See {@link SessionSettings#storage}: a storage handed in stays open when the proxy closes. */
        public B withSessionStorage(SessionStorage storage) {
            this.sessions = sessions.withStorage(storage);
            return self();
        }

        /** See {@link SessionSettings#ttl}. */
        public B sessionTtl(Duration ttl) {
            this.sessions = sessions.withTtl(ttl);
            return self();
        }

        /** Storage and TTL at once (a null storage: an in-process one the proxy creates and closes). */
        public B sessions(SessionSettings settings) {
            this.sessions = Objects.requireNonNull(settings, "sessions");
            return self();
        }

        /** See {@link ListenerSettings#allowedOrigins}; adds to those already allowed. */
        public B allowedOrigins(Collection<String> origins) {
            this.listener = listener.withAllowedOrigins(origins);
            return self();
        }

        /** See {@link ListenerSettings#allowedHosts}; adds to those already allowed. */
        public B allowedHosts(Collection<String> hosts) {
            this.listener = listener.withAllowedHosts(hosts);
            return self();
        }

        /** See {@link StdioBackendSettings#requestTimeout}. */
        public B requestTimeout(Duration timeout) {
            this.backend = backend.withRequestTimeout(timeout);
            return self();
        }

        /** See {@link ListenerSettings#maxBodyBytes}. */
        public B maxBodySize(long bytes) {
            this.listener = listener.withMaxBodyBytes(bytes);
            return self();
        }

        /**
         * See {@link StdioBackendSettings#maxServerMessageBytes}: protects the proxy's memory from a server that
         * writes without newlines.
         */
        public B maxServerMessageSize(long bytes) {
            this.backend = backend.withMaxServerMessageBytes(bytes);
            return self();
        }

        /** See {@link StreamSettings#keepAliveInterval}. */
        public B keepAliveInterval(Duration interval) {
            this.streams = streams.withKeepAliveInterval(interval);
            return self();
        }

        /** See {@link StdioBackendSettings#mode}. */
        public B backendMode(BackendMode mode) {
            this.backend = backend.withMode(mode);
            return self();
        }

        /** See {@link StdioBackendSettings#maxBackends}. */
        public B maxBackends(int max) {
            this.backend = backend.withMaxBackends(max);
            return self();
        }

        /**
         * Restart backoff of a crashed shared server; see {@link StdioBackendSettings#restartInitialDelay} and
         * {@link StdioBackendSettings#restartMaxDelay}.
         */
        public B restartBackoff(Duration initialDelay, Duration maxDelay) {
            this.backend = backend.withRestartBackoff(initialDelay, maxDelay);
            return self();
        }

        /** See {@link StdioBackendSettings#restart}. */
        public B restart(boolean restart) {
            this.backend = backend.withRestart(restart);
            return self();
        }

        /** See {@link StreamSettings#maxQueuedEvents} and {@link StreamSettings#maxQueuedBytes}. */
        public B streamBuffer(int maxEvents, long maxBytes) {
            this.streams = streams.withStreamBuffer(maxEvents, maxBytes);
            return self();
        }

        /** See {@link StreamSettings#maxWaitingMessages}. */
        public B maxWaitingMessages(int max) {
            this.streams = streams.withMaxWaitingMessages(max);
            return self();
        }

        /** The SSE stream options at once (keep-alive interval, stream buffer, waiting messages). */
        public B streams(StreamSettings settings) {
            this.streams = Objects.requireNonNull(settings, "streams");
            return self();
        }

        /**
         * This replica's name in session metadata ({@code owner}). Default {@code <hostname>:<port>}, stable across
         * restarts so that a restarted replica answers its old sessions with 404 (re-initialize), not 503.
         */
        public B replicaId(String replicaId) {
            this.replicaId = requireText(replicaId, "replicaId");
            return self();
        }

        /** See {@link ListenerSettings#idleTimeout}. */
        public B idleTimeout(Duration timeout) {
            this.listener = listener.withIdleTimeout(timeout);
            return self();
        }

        /** See {@link ListenerSettings#drainTimeout}. */
        public B drainTimeout(Duration timeout) {
            this.listener = listener.withDrainTimeout(timeout);
            return self();
        }

        /** See {@link ListenerSettings#maxThreads}. */
        public B maxThreads(int maxThreads) {
            this.listener = listener.withMaxThreads(maxThreads);
            return self();
        }

        /** Builds a proxy serving {@code transports} on a listener of its own. */
        protected final McpProxy buildProxy(List<Transport> transports) {
            return new McpProxy(new HttpListener("mcp-proxy", listener), buildHandler(transports),
                    backend.server().toString(), listener.drainTimeout());
        }

        /** Builds the handler serving {@code transports}, to mount in any Jetty server. */
        protected final McpProxyHandler buildHandler(List<Transport> transports) {
            if (backend.server() == null) {
                throw new IllegalStateException("no MCP server: call command(...) or stdioServer(...)");
            }
            SessionManager sessionManager = SessionManager.builder().settings(sessions).sweptByOwner().build();
            // Keep-alives also refresh listening sessions: at least as often as the sessions' refresh interval
            ProxyContext.Options options = new ProxyContext.Options(RequestGuard.of(listener),
                    replicaId != null ? replicaId : defaultReplicaId(listener.port()), listener.maxBodyBytes(),
                    streams.withKeepAliveAtMost(sessionManager.refreshInterval()));
            StdioBackendSettings backendSettings = backend;
            return new McpProxyHandler(scheduler -> new Backends(backendSettings, scheduler), sessionManager, options,
                    List.copyOf(transports));
        }

        private static String requireText(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value;
        }
    }
}
