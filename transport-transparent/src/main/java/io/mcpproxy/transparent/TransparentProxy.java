package io.mcpproxy.transparent;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.core.http.HttpListener;
import io.mcpproxy.core.observe.Health;
import io.micrometer.core.instrument.MeterRegistry;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionSettings;
import io.mcpproxy.session.SessionStorage;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session-aware reverse proxy in front of MCP servers that already speak HTTP (Streamable HTTP or legacy
 * HTTP+SSE). It forwards requests as they are, streams responses, learns sessions from the traffic
 * ({@code Mcp-Session-Id} on a 2xx response, or the legacy {@code endpoint} event) and sends every later request
 * of a session to the upstream that created it, from any replica sharing the session storage. Requests of a modern
 * revision (2026-07-28, which has no sessions) go round robin, teach it no session, and are refused with 400
 * ({@code HeaderMismatch}) when their mirrored {@code Mcp-Method} / {@code Mcp-Name} headers disagree with the body.
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
 * <p>The proxy is an HTTP listener with one Jetty handler; {@link Builder#buildHandler()} gives that handler alone,
 * to mount in a Jetty {@code Server} of your own beside your own handlers:
 *
 * <pre>{@code
 * Handler mcp = TransparentProxy.builder()
 *         .target(URI.create("http://10.0.0.5:9000/mcp"))
 *         .pathPrefix("/mcp-upstream")          // requests outside the prefix go on to the next handler
 *         .buildHandler();
 * server.setHandler(new Handler.Sequence(mcp, myHandler));
 * server.start();                               // starts the proxy's upstream client, sessions and timers too
 * }</pre>
 *
 * <p>Upstream connections: one pooled Jetty {@link HttpClient} per proxy, started and stopped with it (or one the
 * caller hands in, used as is). No cookie store, no transparent decoding of compressed bodies, no authentication or
 * redirect handling (a 401 reaches the client as the upstream sent it), hop-by-hop headers removed,
 * {@code X-Forwarded-*} and {@code Forwarded} added. Every option, its default and its unit is on {@link Builder}
 * and the settings records it composes.
 */
public final class TransparentProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentProxy.class);
    /** Default of {@link Builder#upstreamIoThreads(int)}. */
    public static final int DEFAULT_UPSTREAM_IO_THREADS = UpstreamPoolSettings.DEFAULTS.upstreamIoThreads();

    private final HttpListener listener;
    private final TransparentHandler handler;
    private final Duration drainTimeout;

    private TransparentProxy(TransparentSettings settings, HttpClient callersClient) {
        this.handler = new TransparentHandler(settings, callersClient);
        this.listener = new HttpListener("mcp-transparent", settings.listener());
        this.drainTimeout = settings.listener().drainTimeout();
        listener.handler(handler.observed());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the HTTP listener and with it the proxy's handler: the upstream client, the session manager, the TTL
     * refresh of sessions with open exchanges and (if configured) the health probe.
     *
     * @throws Exception when the port cannot be bound; whatever had started is stopped again
     */
    public void start() throws Exception {
        try {
            listener.start();
        } catch (Exception e) {
            listener.stop();
            throw e;
        }
        LOG.info("MCP transparent proxy on {} in front of {}", listener.uri(""), handler.targets());
    }

    /**
     * How Jetty may run this proxy's request handling and upstream response listeners: {@code NON_BLOCKING}
     * (inline on the selector thread that read the bytes) only when sessions live in-process; a networked storage
     * blocks on its round trips, so it keeps them on worker threads.
     */
    InvocationType invocationType() {
        return Invocable.combine(listener.server().getInvocationType(), client().getTransport().getInvocationType());
    }

    public int port() {
        return listener.port();
    }

    /** The proxy's listener (its Jetty server and timer). */
    public HttpListener listener() {
        return listener;
    }

    /** {@code http://host:port<path>} as bound. */
    public URI uri(String path) {
        return listener.uri(path);
    }

    /**
     * The sessions the proxy learned, while it runs.
     *
     * @throws IllegalStateException when the proxy is not running: the manager opens with it and closes with it
     */
    public SessionManager sessions() {
        LearnedSessions sessions = handler.sessions();
        if (sessions == null || !handler.isRunning()) {
            throw new IllegalStateException("the proxy is not running");
        }
        return sessions.manager();
    }

    /** The upstream client (for inspection; do not reconfigure it while the proxy runs). */
    public HttpClient client() {
        return handler.forwarder().client();
    }

    /**
     * Whether the proxy can serve: it accepts connections, the session storage answers (within its own timeout),
     * and with health checks on, at least one target answers its probe.
     */
    public Health health() {
        List<Health.Check> checks = new ArrayList<>();
        checks.add(listener.listeningCheck());
        checks.addAll(handler.health().checks());
        return new Health(checks);
    }

    /** Whether the health probe currently considers {@code target} alive. */
    public boolean isHealthy(URI target) {
        return handler.isHealthy(target);
    }

    /**
     * Stops accepting, lets in-flight requests finish (drain timeout), then stops the listener and the handler with
     * the client it owns, its timers and its session manager (and the storage, if the proxy created it).
     */
    @Override
    public void close() {
        if (listener.isRunning()) {
            listener.stopAccepting();
            listener.server().setStopTimeout(drainTimeout.toMillis());
            listener.stop();
        }
    }

    /**
     * Options of {@link TransparentProxy}; {@link #target} or {@link #targets} is required. The listener, session
     * and upstream-pool options are those of {@link ListenerSettings}, {@link SessionSettings} and
     * {@link UpstreamPoolSettings}, where each one's default, unit and range are declared. While a request is
     * forwarded the listener's idle timeout does not apply: the upstream's {@link #responseIdleTimeout} bounds a
     * silent answer, and a client that leaves is noticed at once.
     */
    public static final class Builder extends UpstreamBuilder<Builder> {
        private SessionSettings sessions = SessionSettings.DEFAULTS;
        private MeterRegistry meterRegistry;
        private String pathPrefix = "";
        private int unknownSessionStatus = 404;
        private AuthSettings auth = AuthSettings.NONE;
        private Boolean authorizationPassthrough; // null: pass through without an auth mode, strip with one
        private boolean forwardAnyPath;
        private final Set<String> forwardPaths = new LinkedHashSet<>();

        private Builder() {
        }

        @Override
        protected Builder self() {
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

        /** Status for requests naming an unknown session: 404 (default; spec clients re-initialize) or 400. */
        public Builder unknownSessionStatus(int status) {
            if (status != 404 && status != 400) {
                throw new IllegalArgumentException("unknownSessionStatus must be 404 or 400, got " + status);
            }
            this.unknownSessionStatus = status;
            return this;
        }

        /**
         * Forward requests for any path to the upstreams, as a plain reverse proxy does. Default off: only each
         * target's endpoint path (below the {@link #pathPrefix}, if any), the paths named by {@link #forwardPaths}
         * and a legacy SSE session's message path (the one its endpoint event named) are forwarded, compared after
         * percent-decoding and dot-segment resolution; any other path gets 404 with a JSON-RPC error and reaches
         * no upstream.
         */
        public Builder forwardAnyPath(boolean forwardAnyPath) {
            this.forwardAnyPath = forwardAnyPath;
            return this;
        }

        /**
         * More upstream paths to forward besides the targets' endpoints (e.g. OAuth metadata such as
         * {@code /.well-known/oauth-protected-resource}), each an absolute path without query or dot segments, as
         * the upstream sees it (below the {@link #pathPrefix}); adds to those already named. Default none.
         */
        public Builder forwardPaths(Collection<String> paths) {
            for (String path : paths) {
                forwardPaths.add(ExposedPaths.requireForwardPath(path));
            }
            return this;
        }

        // ----- SessionSettings -----

        /** See {@link SessionSettings#storage}: Redis to share sessions between replicas; stays open on close. */
        public Builder withSessionStorage(SessionStorage storage) {
            this.sessions = sessions.withStorage(storage);
            return this;
        }

        /**
         * See {@link SessionSettings#ttl}. Restarted by every request of the session, and three times per TTL while
         * one of its exchanges is open through this proxy.
         */
        public Builder sessionTtl(Duration ttl) {
            this.sessions = sessions.withTtl(ttl);
            return this;
        }

        /** Storage and TTL at once (a null storage: an in-process one the proxy creates and closes). */
        public Builder sessions(SessionSettings settings) {
            this.sessions = Objects.requireNonNull(settings, "sessions");
            return this;
        }

        /**
         * How clients authenticate (see {@link AuthSettings}); default none. With a mode set, every request's token
         * is checked before anything reaches the upstream, a session is bound to the principal that created it,
         * and the client's {@code Authorization} is kept from the upstream unless {@link #authorizationPassthrough}
         * says otherwise.
         */
        public Builder auth(AuthSettings settings) {
            this.auth = Objects.requireNonNull(settings, "auth");
            return this;
        }

        /**
         * Whether the client's {@code Authorization} header reaches the upstream (for upstreams that authenticate
         * their clients themselves). Default: yes without an auth mode, no with one.
         */
        public Builder authorizationPassthrough(boolean passthrough) {
            this.authorizationPassthrough = passthrough;
            return this;
        }

        /**
         * Records the proxy's metrics in {@code registry}: HTTP exchanges, upstream exchanges by target and status
         * class, retries, 502/504 answers, the upstream connection pool and the session storage's operations (see
         * the README's Operations section). Default: none, and then nothing is measured.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        /** A proxy with its own HTTP listener; {@link TransparentProxy#start()} starts it. */
        public TransparentProxy build() {
            return new TransparentProxy(settings(), callersClient());
        }

        /**
         * The proxy's Jetty handler alone, to mount in a {@code Server} of your own (the listener options other
         * than {@link #maxBodySize}, {@link #allowedOrigins}, {@link #allowedHosts} and the {@link #host} the Host
         * check defaults follow are then the server's business). Starting it (with its server) starts the upstream
         * client, the session manager and the timers on the server's scheduler; stopping it stops them. Under a
         * {@link #pathPrefix}, requests outside the prefix are left to the handlers after it.
         */
        public Handler buildHandler() {
            return new TransparentHandler(settings(), callersClient()).observed();
        }

        private TransparentSettings settings() {
            List<URI> targets = requiredTargets();
            boolean strip = authorizationPassthrough == null ? auth.enabled() : !authorizationPassthrough;
            ExposedPaths exposed = forwardAnyPath ? ExposedPaths.any() : ExposedPaths.of(targets, forwardPaths);
            return new TransparentSettings(targets, pathPrefix, unknownSessionStatus, healthProbeInterval(), exposed,
                    listenerSettings(), sessions, upstreamPoolSettings(), auth, strip, meterRegistry);
        }
    }
}
