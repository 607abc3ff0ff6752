package io.mcpproxy.transparent;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.forward.UpstreamClients;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.core.http.HttpListener;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorage;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session-aware reverse proxy in front of MCP servers that already speak HTTP (Streamable HTTP or legacy
 * HTTP+SSE). It forwards requests as they are, streams responses, learns sessions from the traffic
 * ({@code Mcp-Session-Id} on a 2xx response, or the legacy {@code endpoint} event) and sends every later request
 * of a session to the upstream that created it, from any replica sharing the session storage.
 *
 * <pre>{@code
 * TransparentProxy proxy = TransparentProxy.builder()
 *         .targets(List.of(URI.create("http://10.0.0.5:9000/mcp"), URI.create("http://10.0.0.6:9000/mcp")))
 *         .withSessionStorage(RedisStorage.builder().uri("redis://10.0.0.2:6379").build())
 *         .port(8080)
 *         .build();
 * proxy.start();
 * }</pre>
 *
 * <p>Upstream connections: one pooled Jetty {@link HttpClient} per proxy, started and stopped with it (or one the
 * caller hands in, used as is). No cookie store, no transparent decoding of compressed bodies, no authentication or
 * redirect handling (a 401 reaches the client as the upstream sent it), hop-by-hop headers removed,
 * {@code X-Forwarded-*} and {@code Forwarded} added. Every option, its default and its unit is on {@link Builder}.
 */
public final class TransparentProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentProxy.class);
    /** Default of {@link Builder#upstreamIoThreads(int)}. */
    public static final int DEFAULT_UPSTREAM_IO_THREADS = UpstreamPoolSettings.DEFAULTS.upstreamIoThreads();

    /** Validated options used per request. */
    record Settings(String pathPrefix, long maxBodyBytes, int unknownSessionStatus) {
    }

    private final HttpListener listener;
    private final HttpClient client;
    private final boolean ownsClient;
    private final Upstreams upstreams;
    private final SessionManager sessions;
    private final boolean ownsStorage;
    private final Duration healthCheckInterval;
    private final Duration drainTimeout;
    private final List<Periodic> periodic = new ArrayList<>();
    private final OpenStreams openStreams;
    private final TransparentHandler handler;

    private TransparentProxy(Builder builder) {
        this.upstreams = new Upstreams(builder.targets);
        this.ownsStorage = builder.storage == null;
        SessionStorage storage = ownsStorage ? LocalStorage.create() : builder.storage;
        boolean inProcessStorage = storage instanceof LocalStorage;
        this.ownsClient = builder.client == null;
        UpstreamPoolSettings pool = new UpstreamPoolSettings(builder.maxConnectionsPerUpstream,
                builder.upstreamIoThreads, builder.maxQueuedRequests, builder.poolIdleTimeout, builder.connectTimeout,
                builder.responseIdleTimeout, builder.http2, builder.maxIdleConnections != 0, builder.poolingRate);
        // Our response listeners never block when sessions live in-process: they may run on the selector thread
        // that read the response, saving a thread hand-off per response.
        this.client = ownsClient ? UpstreamClients.newClient("mcp-transparent-upstream", pool,
                inProcessStorage ? InvocationType.NON_BLOCKING : InvocationType.BLOCKING) : builder.client;
        this.sessions = SessionManager.builder().storage(storage).ttl(builder.sessionTtl).build();
        this.listener = new HttpListener("mcp-transparent", ListenerSettings.DEFAULTS.withHost(builder.host)
                .withPort(builder.port).withIdleTimeout(builder.idleTimeout).withMaxThreads(builder.maxThreads));
        this.healthCheckInterval = builder.healthCheckInterval;
        this.drainTimeout = builder.drainTimeout;
        Settings settings = new Settings(builder.pathPrefix, builder.maxBodyBytes, builder.unknownSessionStatus);
        RequestGuard guard = new RequestGuard(builder.allowedOrigins, builder.allowedHosts,
                HttpListener.isLoopback(builder.host));
        this.openStreams = new OpenStreams(sessions);
        this.handler = new TransparentHandler(settings, new Forwarder(client, pool), upstreams, sessions, openStreams,
                guard,
                inProcessStorage ? InvocationType.NON_BLOCKING : InvocationType.BLOCKING);
        listener.handler(handler);
    }

    /**
     * How Jetty may run this proxy's request handling and upstream response listeners: {@code NON_BLOCKING}
     * (inline on the selector thread that read the bytes) only when sessions live in-process; a networked storage
     * blocks on its round trips, so it keeps them on worker threads.
     */
    InvocationType invocationType() {
        return Invocable.combine(listener.server().getInvocationType(), client.getTransport().getInvocationType());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the upstream client, the HTTP listener, the TTL refresh of sessions with an open stream and (if
     * configured) the health probe.
     *
     * @throws Exception when the port cannot be bound
     */
    public void start() throws Exception {
        if (!client.isStarted()) {
            client.start(); // a caller's client is started if needed, but never reconfigured or stopped by us
        }
        try {
            listener.start();
        } catch (Exception e) {
            if (ownsClient) {
                client.stop();
            }
            throw e;
        }
        Duration refreshEvery = sessions.refreshInterval();
        periodic.add(Periodic.every(listener.scheduler(), "TTL refresh of sessions with open streams", refreshEvery,
                refreshEvery, openStreams::refresh));
        if (healthCheckInterval != null) {
            periodic.add(Periodic.every(listener.scheduler(), "health probe", Duration.ZERO, healthCheckInterval,
                    this::probe));
        }
        LOG.info("MCP transparent proxy on {} in front of {}", listener.uri(""), upstreams.all());
    }

    /** One health round: any HTTP answer counts as alive; no answer (refused, timeout) as down. */
    private void probe() {
        for (URI target : upstreams.all()) {
            client.newRequest(target).method("GET").timeout(Math.max(1_000, healthCheckInterval.toMillis() / 2),
                    TimeUnit.MILLISECONDS).send(result -> {
                        boolean up = result.getResponse() != null && result.getResponse().getStatus() > 0
                                && !(result.isFailed() && result.getResponse().getStatus() == 0);
                        if (up != upstreams.isHealthy(target)) {
                            LOG.warn("upstream {} is {}", target, up ? "back" : "down: no new sessions go there");
                        }
                        upstreams.markHealthy(target, up);
                    });
        }
    }

    public int port() {
        return listener.port();
    }

    /** {@code http://host:port<path>} as bound. */
    public URI uri(String path) {
        return listener.uri(path);
    }

    public SessionManager sessions() {
        return sessions;
    }

    /** The upstream client (for inspection; do not reconfigure it while the proxy runs). */
    public HttpClient client() {
        return client;
    }

    /** Whether the health probe currently considers {@code target} alive. */
    public boolean isHealthy(URI target) {
        return upstreams.isHealthy(target);
    }

    /** Stops accepting, lets in-flight requests finish (drain timeout), stops the listener and the client. */
    @Override
    public void close() {
        periodic.forEach(Periodic::cancel);
        if (listener.isRunning()) {
            listener.stopAccepting();
            listener.server().setStopTimeout(drainTimeout.toMillis());
            listener.stop();
        }
        if (ownsClient) {
            try {
                client.stop();
            } catch (Exception e) {
                LOG.warn("upstream client did not stop cleanly: {}", e.toString());
            }
        }
        sessions.close();
        if (ownsStorage) {
            sessions.storage().close();
        }
    }

    /** Options of {@link TransparentProxy}; {@link #target} or {@link #targets} is required. */
    public static final class Builder {
        private final List<URI> targets = new ArrayList<>();
        private SessionStorage storage;
        private Duration sessionTtl = SessionManager.DEFAULT_TTL;
        private HttpClient client;
        private String host = "127.0.0.1";
        private int port = 8080;
        private String pathPrefix = "";
        private int maxConnectionsPerUpstream = 64;
        private int upstreamIoThreads = DEFAULT_UPSTREAM_IO_THREADS;
        private int maxQueuedRequests = 1024;
        private Duration poolIdleTimeout = Duration.ofSeconds(4);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration responseIdleTimeout = Duration.ofMinutes(5);
        private boolean http2;
        private int maxIdleConnections = -1;
        private double poolingRate = 1.0;
        private int unknownSessionStatus = 404;
        private Duration healthCheckInterval;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private final Set<String> allowedHosts = new LinkedHashSet<>();
        private long maxBodyBytes = 4L * 1024 * 1024;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofSeconds(10);
        private int maxThreads = 200;

        private Builder() {
        }

        /** The one upstream MCP server endpoint, e.g. {@code http://127.0.0.1:9000/mcp}. */
        public Builder target(URI target) {
            return targets(List.of(target));
        }

        /** Several upstreams: new sessions are spread round robin; each session sticks to its own. */
        public Builder targets(List<URI> targets) {
            for (URI target : targets) {
                Objects.requireNonNull(target, "target");
                if (!target.isAbsolute() || target.getHost() == null
                        || !("http".equals(target.getScheme()) || "https".equals(target.getScheme()))) {
                    throw new IllegalArgumentException("target must be an absolute http(s) URL, got " + target);
                }
                this.targets.add(target);
            }
            return this;
        }

        /** Where learned sessions live. Default: an in-process {@link LocalStorage}; Redis to share replicas. */
        public Builder withSessionStorage(SessionStorage storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /**
         * Sliding TTL of learned sessions: restarted by every request of the session, and three times per TTL while
         * one of its event streams is open through this proxy. Default 2 h; at least 1 s.
         */
        public Builder sessionTtl(Duration ttl) {
            this.sessionTtl = Objects.requireNonNull(ttl, "sessionTtl");
            return this;
        }

        /**
         * A Jetty client of your own, used as is: the pool options below do not apply and nothing of it is
         * changed. It is started if needed and never stopped by the proxy. Its cookie store, content decoders and
         * protocol handlers act on the proxied traffic as they are; the proxy's own client has no cookie store, no
         * decoders and no authentication or redirect handlers (a 401 and its body, a compressed body, a
         * {@code Set-Cookie} all pass through untouched).
         */
        public Builder httpClient(HttpClient client) {
            this.client = Objects.requireNonNull(client, "httpClient");
            return this;
        }

        /** Address to bind. Default {@code 127.0.0.1}. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
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

        /**
         * Serve the upstreams under this path prefix (removed before forwarding); legacy SSE {@code endpoint}
         * events are rewritten to point under it. Default: none.
         */
        public Builder pathPrefix(String prefix) {
            Objects.requireNonNull(prefix, "pathPrefix");
            if (!prefix.isEmpty() && (!prefix.startsWith("/") || prefix.endsWith("/"))) {
                throw new IllegalArgumentException("pathPrefix must start and not end with '/', got " + prefix);
            }
            this.pathPrefix = prefix;
            return this;
        }

        /** Most connections to one upstream. Default 64. */
        public Builder maxConnectionsPerUpstream(int max) {
            this.maxConnectionsPerUpstream = requirePositive(max, "maxConnectionsPerUpstream");
            return this;
        }

        /**
         * Selector threads reading upstream responses (each also writes them on to the clients). Default 2, or half
         * the processors up to 4 on larger machines: with a single one, that thread is the proxy's bottleneck under
         * load (measured in BENCHMARKS.md).
         */
        public Builder upstreamIoThreads(int threads) {
            this.upstreamIoThreads = requirePositive(threads, "upstreamIoThreads");
            return this;
        }

        /** Most requests waiting for a connection to one upstream; beyond that they fail with 502. Default 1024. */
        public Builder maxQueuedRequests(int max) {
            this.maxQueuedRequests = requirePositive(max, "maxQueuedRequests");
            return this;
        }

        /**
         * How long an unused pooled connection is kept. Default 4 s: below the 5 s keep-alive of Node and Python
         * HTTP servers, so the proxy closes idle connections before the upstream does.
         */
        public Builder poolIdleTimeout(Duration timeout) {
            this.poolIdleTimeout = Objects.requireNonNull(timeout, "poolIdleTimeout");
            return this;
        }

        /** Time to open an upstream connection. Default 5 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "connectTimeout");
            return this;
        }

        /**
         * Longest silence from the upstream during one exchange (504 before the response starts, abort after).
         * There is no total timeout, so streams may last; keep upstream SSE keep-alives below this. Default 5 min.
         */
        public Builder responseIdleTimeout(Duration timeout) {
            this.responseIdleTimeout = Objects.requireNonNull(timeout, "responseIdleTimeout");
            return this;
        }

        /** HTTP/2 to the upstreams (h2c with prior knowledge for http://). Default off (HTTP/1.1). */
        public Builder http2(boolean http2) {
            this.http2 = http2;
            return this;
        }

        /**
         * 0 turns idle pooling off: every upstream connection closes after its exchange (for hosts that freeze
         * between invocations, leaving pooled connections stale). Default: pooling on.
         */
        public Builder maxIdleConnections(int max) {
            if (max != 0) {
                throw new IllegalArgumentException("maxIdleConnections supports 0 (pooling off); leave it unset for"
                        + " pooling, bounded by maxConnectionsPerUpstream");
            }
            this.maxIdleConnections = 0;
            return this;
        }

        /** Share of requests sent on pooled connections, 0.0 to 1.0 (the rest on one-off connections). Default 1.0. */
        public Builder poolingRate(double rate) {
            if (!(rate >= 0.0 && rate <= 1.0)) {
                throw new IllegalArgumentException("poolingRate must be between 0.0 and 1.0, got " + rate);
            }
            this.poolingRate = rate;
            return this;
        }

        /** Status for requests naming an unknown session: 404 (default; spec clients re-initialize) or 400. */
        public Builder unknownSessionStatus(int status) {
            if (status != 404 && status != 400) {
                throw new IllegalArgumentException("unknownSessionStatus must be 404 or 400, got " + status);
            }
            this.unknownSessionStatus = status;
            return this;
        }

        /** Probe every target this often; a target that fails gets no new sessions until it answers. Default off. */
        public Builder healthCheckInterval(Duration interval) {
            this.healthCheckInterval = Objects.requireNonNull(interval, "healthCheckInterval");
            return this;
        }

        /** Origins allowed besides loopback ones and none; {@code *} any. */
        public Builder allowedOrigins(Collection<String> origins) {
            this.allowedOrigins.addAll(origins);
            return this;
        }

        /** Host header names allowed; default loopback names when bound to loopback, else any. */
        public Builder allowedHosts(Collection<String> hosts) {
            this.allowedHosts.addAll(hosts);
            return this;
        }

        /** Largest request body forwarded, in bytes. Default 4 MiB. */
        public Builder maxBodySize(long bytes) {
            if (bytes < 1 || bytes > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("maxBodySize must be 1 byte to 2 GiB, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * Idle timeout of client connections between requests. While a request is forwarded, it does not apply: the
         * upstream's {@link #responseIdleTimeout} bounds a silent answer, and a client that leaves is noticed at
         * once. Default 30 s.
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Objects.requireNonNull(timeout, "idleTimeout");
            return this;
        }

        /** On close, how long in-flight requests may take. Default 10 s. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Objects.requireNonNull(timeout, "drainTimeout");
            return this;
        }

        /** Jetty worker threads. Default 200. */
        public Builder maxThreads(int maxThreads) {
            this.maxThreads = requirePositive(maxThreads, "maxThreads");
            return this;
        }

        public TransparentProxy build() {
            if (targets.isEmpty()) {
                throw new IllegalStateException("no upstream: call target(...) or targets(...)");
            }
            return new TransparentProxy(this);
        }

        private static int requirePositive(int value, String what) {
            if (value < 1) {
                throw new IllegalArgumentException(what + " must be >= 1, got " + value);
            }
            return value;
        }
    }
}
