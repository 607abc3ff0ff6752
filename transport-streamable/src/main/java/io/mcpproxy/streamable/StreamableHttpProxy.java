package io.mcpproxy.streamable;

import io.mcpproxy.core.BackendMode;
import io.mcpproxy.core.BackendStats;
import io.mcpproxy.core.Backends;
import io.mcpproxy.core.http.JsonErrorHandler;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.core.stdio.StdioServer;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorage;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MCP Streamable HTTP in front of a stdio MCP server: one Jetty server, one endpoint path, the stdio
 * {@link Backends} and a {@link SessionManager}.
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
 * <p>Every option, its default and its unit are on {@link Builder}.
 */
public final class StreamableHttpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpProxy.class);

    /** The validated options. */
    record Settings(String host, int port, String path, Duration sessionTtl, Duration keepAliveInterval,
                    long maxBodyBytes, int maxQueuedEvents, long maxQueuedBytes, int maxWaitingMessages,
                    String replicaId, Duration requestTimeout) {
    }

    private final Settings settings;
    private final Server server;
    private final ServerConnector connector;
    private final Backends backends;
    private final SessionManager sessions;
    private final boolean ownsStorage;
    private final ScheduledExecutorService scheduler;
    private final StreamableHttpHandler handler;
    private final String serverDescription;

    private StreamableHttpProxy(Builder builder, Settings settings) {
        this.settings = settings;
        this.serverDescription = builder.server.toString();
        this.backends = Backends.builder(builder.server)
                .mode(builder.backendMode)
                .maxBackends(builder.maxBackends)
                .requestTimeout(builder.requestTimeout)
                .restartBackoff(builder.restartInitialDelay, builder.restartMaxDelay)
                .restart(builder.restart)
                .build();
        this.ownsStorage = builder.storage == null;
        SessionStorage storage = ownsStorage ? LocalStorage.create() : builder.storage;
        this.sessions = SessionManager.builder().storage(storage).ttl(builder.sessionTtl).build();

        QueuedThreadPool threads = new QueuedThreadPool(builder.maxThreads, 4);
        threads.setName("mcp-streamable");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(builder.idleTimeout.toMillis());
        server.addConnector(connector);
        server.setErrorHandler(new JsonErrorHandler());

        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mcp-streamable-timer");
            thread.setDaemon(true);
            return thread;
        });
        RequestGuard guard = new RequestGuard(builder.allowedOrigins, builder.allowedHosts,
                isLoopback(settings.host()));
        this.handler = new StreamableHttpHandler(settings, backends, sessions, guard, threads, scheduler);
        server.setHandler(handler);
        server.setStopTimeout(builder.drainTimeout.toMillis());
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
        backends.start();
        try {
            server.start();
        } catch (Exception e) {
            backends.close();
            throw e;
        }
        LOG.info("MCP Streamable HTTP proxy serving {} in front of '{}'", uri(), serverDescription);
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port/path} as bound. */
    public URI uri() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return URI.create("http://" + host + ":" + port() + settings.path());
    }

    /** The Jetty handler, to mount beside others on a server of your own. */
    public StreamableHttpHandler handler() {
        return handler;
    }

    public Backends backends() {
        return backends;
    }

    public BackendStats stats() {
        return backends.stats();
    }

    public SessionManager sessions() {
        return sessions;
    }

    /**
     * Stops gracefully: no new connections, in-flight requests get up to the drain timeout to finish, then
     * streams end, sessions of this replica are removed, and the MCP server stops. Idempotent.
     */
    @Override
    public void close() {
        try {
            server.stop(); // graceful: waits for in-flight requests up to the stop timeout
        } catch (Exception e) {
            LOG.warn("HTTP listener did not stop cleanly: {}", e.getMessage());
        }
        handler.closeAll();
        backends.close();
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sessions.close();
        if (ownsStorage) {
            sessions.storage().close();
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Options of {@link StreamableHttpProxy}. The MCP server ({@link #command} or {@link #stdioServer}) is the only
     * required one.
     */
    public static final class Builder {
        private StdioServer server;
        private String host = "127.0.0.1";
        private int port = 8080;
        private String path = "/mcp";
        private SessionStorage storage;
        private Duration sessionTtl = SessionManager.DEFAULT_TTL;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private final Set<String> allowedHosts = new LinkedHashSet<>();
        private Duration requestTimeout = Duration.ofMinutes(5);
        private long maxBodyBytes = 4L * 1024 * 1024;
        private Duration keepAliveInterval = Duration.ofSeconds(15);
        private BackendMode backendMode = BackendMode.SHARED;
        private int maxBackends = 64;
        private Duration restartInitialDelay = Duration.ofMillis(250);
        private Duration restartMaxDelay = Duration.ofSeconds(30);
        private boolean restart = true;
        private int maxQueuedEvents = 1_000;
        private long maxQueuedBytes = 8L * 1024 * 1024;
        private int maxWaitingMessages = 256;
        private String replicaId;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofSeconds(10);
        private int maxThreads = 200;

        private Builder() {
        }

        /** The stdio MCP server to spawn: program and arguments. */
        public Builder command(List<String> commandLine) {
            this.server = StdioServer.command(commandLine);
            return this;
        }

        /** The stdio MCP server: a command with environment and directory, or handed-in streams. */
        public Builder stdioServer(StdioServer server) {
            this.server = Objects.requireNonNull(server, "server");
            return this;
        }

        /** Address to bind. Default {@code 127.0.0.1}. */
        public Builder host(String host) {
            this.host = requireText(host, "host");
            return this;
        }

        /** Port to bind; 0 picks a free one. Default 8080. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Endpoint path. Default {@code /mcp}. */
        public Builder path(String path) {
            requireText(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("path must start with '/', got '" + path + "'");
            }
            this.path = path;
            return this;
        }

        /** Where sessions live. Default: an in-process {@link LocalStorage}. The caller keeps ownership. */
        public Builder withSessionStorage(SessionStorage storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /** Sliding session time-to-live. Default 2 h; at least 1 s. */
        public Builder sessionTtl(Duration ttl) {
            Objects.requireNonNull(ttl, "sessionTtl");
            if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("sessionTtl must be at least 1 s, got " + ttl);
            }
            this.sessionTtl = ttl;
            return this;
        }

        /**
         * Origins allowed besides the defaults (no Origin header, and loopback origins); {@code *} allows any.
         * Exact origins such as {@code https://app.example.com}.
         */
        public Builder allowedOrigins(Collection<String> origins) {
            this.allowedOrigins.addAll(origins);
            return this;
        }

        /** Host header names allowed; {@code *} any. Default: loopback names when bound to loopback, else any. */
        public Builder allowedHosts(Collection<String> hosts) {
            this.allowedHosts.addAll(hosts);
            return this;
        }

        /** Longest wait for the MCP server's answer to one request. Default 5 min; ZERO = unlimited. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "requestTimeout");
            return this;
        }

        /** Largest POST body in bytes; larger gets 413. Default 4 MiB. */
        public Builder maxBodySize(long bytes) {
            if (bytes < 1 || bytes > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("maxBodySize must be 1 byte to 2 GiB, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** Interval of SSE keep-alive comments on GET streams. Default 15 s. */
        public Builder keepAliveInterval(Duration interval) {
            Objects.requireNonNull(interval, "keepAliveInterval");
            if (interval.toMillis() < 10) {
                throw new IllegalArgumentException("keepAliveInterval must be at least 10 ms, got " + interval);
            }
            this.keepAliveInterval = interval;
            return this;
        }

        /** One shared server process (default) or one per session. */
        public Builder backendMode(BackendMode mode) {
            this.backendMode = Objects.requireNonNull(mode, "backendMode");
            return this;
        }

        /** Per-session mode: most server processes at once. Default 64. */
        public Builder maxBackends(int max) {
            this.maxBackends = max;
            return this;
        }

        /** Restart backoff of a crashed shared server. Defaults 250 ms doubling to 30 s. */
        public Builder restartBackoff(Duration initialDelay, Duration maxDelay) {
            this.restartInitialDelay = Objects.requireNonNull(initialDelay);
            this.restartMaxDelay = Objects.requireNonNull(maxDelay);
            return this;
        }

        /** Whether a crashed shared server is restarted. Default true (never for handed-in streams). */
        public Builder restart(boolean restart) {
            this.restart = restart;
            return this;
        }

        /** Bound of each SSE stream's outbound queue. Defaults 1,000 events and 8 MiB. */
        public Builder streamBuffer(int maxEvents, long maxBytes) {
            if (maxEvents < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("streamBuffer bounds must be positive");
            }
            this.maxQueuedEvents = maxEvents;
            this.maxQueuedBytes = maxBytes;
            return this;
        }

        /** Server messages kept for a session until its GET stream opens. Default 256. */
        public Builder maxWaitingMessages(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxWaitingMessages must be >= 0, got " + max);
            }
            this.maxWaitingMessages = max;
            return this;
        }

        /**
         * This replica's name in session metadata ({@code owner}). Default {@code <hostname>:<port>}, stable across
         * restarts so that a restarted replica answers its old sessions with 404 (re-initialize), not 503.
         */
        public Builder replicaId(String replicaId) {
            this.replicaId = requireText(replicaId, "replicaId");
            return this;
        }

        /** Idle timeout of client connections between requests. Default 30 s (never cuts a pending response). */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Objects.requireNonNull(timeout, "idleTimeout");
            return this;
        }

        /** On close, how long in-flight requests may take to finish. Default 10 s. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Objects.requireNonNull(timeout, "drainTimeout");
            return this;
        }

        /** Jetty worker threads. Default 200. */
        public Builder maxThreads(int maxThreads) {
            if (maxThreads < 8) {
                throw new IllegalArgumentException("maxThreads must be at least 8, got " + maxThreads);
            }
            this.maxThreads = maxThreads;
            return this;
        }

        public StreamableHttpProxy build() {
            if (server == null) {
                throw new IllegalStateException("no MCP server: call command(...) or stdioServer(...)");
            }
            String replica = replicaId != null ? replicaId : defaultReplicaId(port);
            Settings settings = new Settings(host, port, path, sessionTtl, keepAliveInterval, maxBodyBytes,
                    maxQueuedEvents, maxQueuedBytes, maxWaitingMessages, replica, requestTimeout);
            return new StreamableHttpProxy(this, settings);
        }

        private static String defaultReplicaId(int port) {
            if (port == 0) { // an ephemeral port says nothing stable: keep replicas apart instead
                return hostName() + ":" + java.util.UUID.randomUUID();
            }
            return hostName() + ":" + port;
        }

        private static String hostName() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
            return host;
        }

        private static String requireText(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value;
        }
    }
}
