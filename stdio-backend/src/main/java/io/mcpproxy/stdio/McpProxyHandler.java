package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.auth.AuthMode;
import io.mcpproxy.core.auth.ProtectedResourceMetadata;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.core.observe.ObservedHandler;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.backend.BackendMode;
import org.eclipse.jetty.server.Request;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.SessionManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.Scheduler;
import io.mcpproxy.stdio.cluster.Cluster;
import io.mcpproxy.stdio.cluster.ClusterSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stdio proxy as one Jetty handler: the handlers of its {@link Transport transports}, with the MCP server
 * processes ({@link Backends}) and the sessions as parts that start and stop with it. Its timer and worker threads
 * are those of the {@link org.eclipse.jetty.server.Server} it is mounted in.
 *
 * <p>{@link McpProxy} mounts it on a listener of its own; an application mounts it in its own server, beside its
 * own handlers ({@code McpProxy.builder()...buildHandler()}, likewise on the single-transport builders). Starting
 * the server starts the MCP server process (shared mode); a graceful stop of the server
 * ({@code Server.setStopTimeout}) lets the requests in flight finish first; stopping ends every session this
 * replica holds (their streams end, requests still running are answered with an error) and stops the processes.
 */
public final class McpProxyHandler extends Handler.Wrapper implements Graceful {

    private static final Logger LOG = LoggerFactory.getLogger(McpProxyHandler.class);
    /** How often a drain looks whether the requests in flight have finished. */
    private static final long DRAIN_POLL_MILLIS = 20;
    /** How long before the server's stop timeout a graceful stop ends the sessions, for their last answers. */
    private static final long GRACEFUL_MARGIN_MILLIS = 200;
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    private static final String SESSION_PARAMETER = "session_id=";

    private final Backends backends;
    private final SessionManager sessions;
    private final Cluster cluster;
    private final ProxyContext context;
    private final List<Transport.Endpoint> endpoints = new ArrayList<>();
    private volatile CompletableFuture<Void> drained;
    private Periodic sweep; // from start to stop

    /**
     * @param backends built on {@code scheduler}, which is this handler's timer: the server's, once mounted
     * @param replicaId this replica's name in session metadata, unless {@code cluster} names one
     */
    McpProxyHandler(Function<Scheduler, Backends> backends, SessionManager sessions, ClusterSettings cluster,
                    String replicaId, ProxyContext.Options options, List<Transport> transports,
                    StdioMetrics metrics) {
        Scheduler timer = new ServerScheduler(this);
        this.backends = backends.apply(timer);
        this.sessions = sessions;
        this.cluster = new Cluster(cluster, replicaId, sessions, this::runLater, timer);
        this.context = new ProxyContext(this, this.backends, sessions, this.cluster, options, metrics);
        metrics.bind(this.backends);
        addBean(this.backends); // before the transports: the server process runs before they take requests
        addBean(this.cluster); // stopped after the transports ended their sessions: the liveness record goes last
        addBean(options.authentication()); // reads its tokens or finds its issuer before requests come
        List<Handler> handlers = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        for (Transport transport : transports) {
            Transport.Endpoint endpoint = transport.open(context);
            endpoints.add(endpoint);
            handlers.add(new ObservedHandler(endpoint.name(), metrics.http(), McpProxyHandler::abbreviatedSession,
                    endpoint.handler()));
            paths.addAll(endpoint.paths());
        }
        if (options.authentication().settings().mode() == AuthMode.OAUTH) {
            handlers.add(0, new ProtectedResourceMetadata(options.authentication(), paths));
        }
        setHandler(handlers.size() == 1 ? handlers.get(0) : new Handler.Sequence(handlers));
    }

    /** What the transports share. */
    public ProxyContext context() {
        return context;
    }

    public Backends backends() {
        return backends;
    }

    public SessionManager sessions() {
        return sessions;
    }

    /**
     * Whether the proxy can serve: it runs, the session storage answers (within its own timeout), and the MCP
     * server runs (shared mode; not while a crashed one waits for its restart) or can be started (per-session mode:
     * below {@code maxBackends}).
     */
    public Health health() {
        List<Health.Check> checks = new ArrayList<>();
        checks.add(isRunning() ? Health.Check.up("running", "started") : Health.Check.down("running", "stopped"));
        checks.add(Health.Check.probe("storage", sessions::ping));
        checks.add(serverCheck());
        return new Health(checks);
    }

    private Health.Check serverCheck() {
        if (backends.mode() == BackendMode.PER_SESSION) {
            int running = backends.perSessionCount();
            String detail = running + " of at most " + backends.maxBackends() + " per-session processes";
            return running < backends.maxBackends() ? Health.Check.up("mcp_server", detail)
                    : Health.Check.down("mcp_server", detail + ": no new session can start one");
        }
        Backend shared = backends.shared();
        return shared != null && shared.isUp() ? Health.Check.up("mcp_server", "running (pid " + shared.pid() + ")")
                : Health.Check.down("mcp_server", "the MCP server is not running (waiting for its restart)");
    }

    /** A session id as log lines show it: the Streamable HTTP header, or the legacy transport's query parameter. */
    private static String abbreviatedSession(Request request) {
        String id = request.getHeaders().get(SESSION_HEADER);
        if (id == null) {
            String query = request.getHttpURI().getQuery();
            if (query == null || !query.contains(SESSION_PARAMETER)) {
                return null;
            }
            id = Request.extractQueryParameters(request).getValue("session_id");
        }
        return id == null || id.isEmpty() ? null : SessionIds.redact(id);
    }

    /** The paths the transports serve, for log lines. */
    public String describe() {
        return endpoints.stream().map(Transport.Endpoint::describe).collect(Collectors.joining(", "));
    }

    /**
     * Starts the MCP server process (shared mode, a bean started first), then the transports, and the sweep of
     * expired sessions from the in-process storage (if the proxy created one).
     */
    @Override
    protected void doStart() throws Exception {
        drained = null;
        super.doStart();
        sweep = Periodic.every(context.scheduler(), "expired session sweep", LocalStorage.DEFAULT_SWEEP_INTERVAL,
                LocalStorage.DEFAULT_SWEEP_INTERVAL, () -> context.runLater(sessions::sweep));
    }

    /**
     * Ends every session this replica holds (done already after a drain), then stops the transports, the MCP
     * server processes and the sessions' storage if the proxy created it.
     */
    @Override
    protected void doStop() throws Exception {
        if (sweep != null) {
            sweep.cancel();
        }
        closeSessions();
        try {
            super.doStop(); // the transports, then the backends: the reverse of their start
        } finally {
            sessions.close();
        }
    }

    /**
     * Waits up to {@code timeout} for the requests in flight at the MCP server to be answered, then ends every
     * session this replica holds: their streams end, and what is still in flight is answered with an error on them
     * before the connections close. Call it while the server no longer accepts connections.
     *
     * @return whether every request was answered in time
     */
    public boolean drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        endpoints.forEach(Transport.Endpoint::draining);
        while (backends.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(DRAIN_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean drainedInTime = backends.inFlight() == 0;
        closeSessions();
        return drainedInTime;
    }

    /**
     * The graceful stop of the server the handler is mounted in ({@code Server.setStopTimeout}): waits for the
     * requests in flight, then ends the sessions, shortly before the server's stop timeout so that the answers
     * reach their clients before the server closes the connections.
     */
    @Override
    public CompletableFuture<Void> shutdown() {
        CompletableFuture<Void> future = drained;
        if (future == null) {
            future = new CompletableFuture<>();
            drained = future;
            endpoints.forEach(Transport.Endpoint::draining);
            long stopTimeout = getServer() == null ? 0 : getServer().getStopTimeout();
            long margin = Math.min(GRACEFUL_MARGIN_MILLIS, stopTimeout / 2);
            awaitDrained(future, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stopTimeout - margin));
        }
        return future;
    }

    @Override
    public boolean isShutdown() {
        CompletableFuture<Void> future = drained;
        return future != null && future.isDone();
    }

    private void awaitDrained(CompletableFuture<Void> future, long deadline) {
        if (backends.inFlight() == 0 || System.nanoTime() >= deadline || !isRunning()) {
            closeSessions();
            future.complete(null);
            return;
        }
        context.scheduler().schedule(() -> awaitDrained(future, deadline), DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void runLater(Runnable work) {
        context.runLater(work);
    }

    private void closeSessions() {
        int inFlight = backends.inFlight();
        if (inFlight > 0) {
            LOG.warn("{} requests still in flight as the proxy stops; ending them", inFlight);
        }
        endpoints.forEach(Transport.Endpoint::closeSessions);
    }
}
