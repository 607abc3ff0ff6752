package io.mcpproxy.transparent;

import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.forward.UpstreamClients;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.auth.AuthMode;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.auth.Principal;
import io.mcpproxy.core.auth.ProtectedResourceMetadata;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.core.observe.HttpMetrics;
import io.mcpproxy.core.observe.ObservedHandler;
import io.mcpproxy.session.SessionIds;
import io.micrometer.core.instrument.MeterRegistry;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each client request to an upstream MCP server: requests of a known session to the upstream that created
 * it ({@code backend_url}), new sessions round robin, requests of unknown sessions answered here without any
 * upstream, modern (sessionless) requests round robin once their mirrored headers match their body
 * ({@link ModernRequests}). The session a request names, and whatever else routing reads off it, comes from
 * {@link ClientRequests}; the exchange itself is a {@link TransparentExchange}.
 *
 * <p>A Jetty component: the upstream client is its bean (managed when the proxy built it; a caller's client is
 * started if needed, never reconfigured or stopped); starting it opens the session manager and schedules the TTL
 * refresh of sessions with open exchanges and the health probe on its server's scheduler; stopping it undoes all of
 * that. Nothing starts before.
 */
final class TransparentHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentHandler.class);

    private final TransparentSettings settings;
    private final Forwarder forwarder;
    private final boolean ownsClient;
    private final Upstreams upstreams;
    private final RequestGuard guard;
    private final Authentication authentication;
    private final ProtectedResourceMetadata resourceMetadata;
    private final List<Periodic> periodic = new ArrayList<>(); // only doStart and doStop, under Jetty's lifecycle lock
    // Set by doStart, before the handler serves any request; the server's start publishes them.
    private volatile LearnedSessions sessions;
    private volatile OpenStreams openStreams;

    /** @param callersClient a client of the caller's, used as it is; null: the proxy builds and owns one */
    TransparentHandler(TransparentSettings settings, HttpClient callersClient) {
        super(blocksOnStorage(settings) ? InvocationType.BLOCKING : InvocationType.NON_BLOCKING);
        this.settings = settings;
        this.ownsClient = callersClient == null;
        HttpClient client = ownsClient ? UpstreamClients.newClient("mcp-transparent-upstream",
                settings.upstreamPool(), getInvocationType()) : callersClient;
        this.forwarder = new Forwarder(client, settings.upstreamPool(), settings.meterRegistry());
        this.upstreams = new Upstreams(settings.targets());
        this.guard = RequestGuard.of(settings.listener());
        this.authentication = new Authentication(settings.auth());
        this.resourceMetadata = new ProtectedResourceMetadata(authentication,
                settings.targets().stream().map(target -> settings.pathPrefix() + target.getRawPath()).toList());
        addBean(client, ownsClient);
        addBean(authentication);
    }

    /**
     * Whether request handling and upstream response listeners may block: only when sessions live in a networked
     * storage. In-process sessions never block, so Jetty may run both inline on the selector thread that read the
     * bytes, saving a thread hand-off each.
     */
    private static boolean blocksOnStorage(TransparentSettings settings) {
        if (settings.auth().mode() == AuthMode.OAUTH) {
            return true; // checking a token may fetch the issuer's keys
        }
        return settings.sessions().storage() != null && !(settings.sessions().storage() instanceof LocalStorage);
    }

    @Override
    protected void doStart() throws Exception {
        SessionManager manager = SessionManager.builder().settings(settings.sessions()).sweptByOwner()
                .meterRegistry(settings.meterRegistry()).build();
        sessions = new LearnedSessions(manager);
        openStreams = new OpenStreams(manager);
        HttpClient client = forwarder.client();
        try {
            if (!ownsClient && !client.isStarted()) {
                client.start(); // a caller's client is started if needed, but never reconfigured or stopped by us
            }
            super.doStart(); // starts the client the proxy owns
        } catch (Exception e) {
            manager.close();
            throw e;
        }
        Duration refreshEvery = manager.refreshInterval();
        periodic.add(Periodic.every(getServer().getScheduler(), "TTL refresh of sessions with open streams",
                refreshEvery, refreshEvery, openStreams::refresh));
        periodic.add(Periodic.every(getServer().getScheduler(), "expired session sweep",
                LocalStorage.DEFAULT_SWEEP_INTERVAL, LocalStorage.DEFAULT_SWEEP_INTERVAL,
                () -> getServer().getThreadPool().execute(manager::sweep)));
        Duration healthCheckInterval = settings.healthCheckInterval();
        if (healthCheckInterval != null) {
            periodic.add(Periodic.every(getServer().getScheduler(), "health probe", Duration.ZERO,
                    healthCheckInterval, () -> upstreams.probe(client, healthCheckInterval)));
        }
    }

    @Override
    protected void doStop() throws Exception {
        periodic.forEach(Periodic::cancel);
        periodic.clear();
        try {
            super.doStop(); // stops the client the proxy owns
        } finally {
            sessions.manager().close(); // and the storage, if the manager created it
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (resourceMetadata.handle(request, response, callback)) {
            return true; // public, and outside any path prefix
        }
        String path = Request.getPathInContext(request);
        String prefix = settings.pathPrefix();
        if (!prefix.isEmpty() && !(path.equals(prefix) || path.startsWith(prefix + "/"))) {
            return false;
        }
        String forbidden = guard.check(request);
        if (forbidden != null) {
            JsonRpcPost.rejectUnread(request, response, callback, 403, JsonRpc.INVALID_REQUEST,
                    "Forbidden: " + forbidden);
            return true;
        }
        if (!authentication.admit(request, response, callback)) {
            return true;
        }
        if (ClientRequests.hasMalformedEscape(request.getHttpURI().getPathQuery())) {
            // Jetty's server lets "%zz" through, its client cannot send it on: answered here, not as a 502
            JsonRpcPost.rejectUnread(request, response, callback, 400, JsonRpc.INVALID_REQUEST,
                    "Bad Request: malformed percent-encoding in the request target");
            return true;
        }
        String upstreamPath = path.length() == prefix.length() ? "/" : path.substring(prefix.length());
        boolean exposed = settings.exposedPaths().allows(upstreamPath);
        if (!exposed && (ModernRequests.versionOf(request) != null || !ClientRequests.mayBeLegacyMessage(request))) {
            notExposed(request, response, callback, upstreamPath);
            return true;
        }
        // Off the exposed paths only a legacy session's own message path goes on, once its session is read.
        String learnedPathNeeded = exposed ? null : upstreamPath;
        if (ClientRequests.hasBody(request)) {
            readBodyThenRoute(request, response, callback, learnedPathNeeded);
        } else {
            route(request, response, callback, null, learnedPathNeeded);
        }
        return true;
    }

    /** 404 for a path the proxy does not forward; the upstream never sees it. */
    private static void notExposed(Request request, Response response, Callback callback, String upstreamPath) {
        LOG.debug("not forwarded: {} {} (upstream path {})", request.getMethod(), request.getHttpURI().getPath(),
                upstreamPath);
        JsonRpcPost.rejectUnread(request, response, callback, 404, JsonRpc.METHOD_NOT_FOUND, "Not Found");
    }

    private void readBodyThenRoute(Request request, Response response, Callback callback, String learnedPathNeeded) {
        long maxBodyBytes = settings.listener().maxBodyBytes();
        if (request.getLength() > maxBodyBytes) {
            JsonRpcPost.tooLarge(request, response, callback, maxBodyBytes);
            return;
        }
        Content.Source.asByteArrayAsync(request, (int) maxBodyBytes).whenComplete((body, failure) -> {
            if (failure == null) {
                route(request, response, callback, body, learnedPathNeeded);
            } else {
                JsonRpcPost.bodyReadFailed(request, response, callback, failure, maxBodyBytes);
            }
        });
    }

    /**
     * @param learnedPathNeeded null when the path is exposed; else the upstream path, forwarded only when it is the
     *                          message path the named session's endpoint event announced
     */
    private void route(Request request, Response response, Callback callback, byte[] body,
                       String learnedPathNeeded) {
        String modernVersion = ModernRequests.versionOf(request);
        String sessionId = ClientRequests.sessionIdOf(request);
        try {
            if (modernVersion != null) {
                if (ModernRequests.admit(request, response, callback, body, modernVersion)) {
                    forward(request, response, callback, body, upstreams.pick(), null, true);
                }
                return;
            }
            if (learnedPathNeeded != null) {
                Optional<Session> session = sessions.get(sessionId);
                if (session.isPresent() && LearnedSessions.messagePathOf(session.get()).filter(
                        learnedPathNeeded::equals).isPresent()) {
                    forward(request, response, callback, body,
                            LearnedSessions.backendOf(session.get(), upstreams.first()), sessionId, false);
                } else {
                    notExposed(request, response, callback, learnedPathNeeded);
                }
                return;
            }
            if (sessionId == null) {
                forward(request, response, callback, body, upstreams.pick(), null, false);
                return;
            }
            // Another principal's session is answered exactly as one that does not exist
            Optional<Session> session = sessions.get(sessionId).filter(found -> mayUse(request, found));
            if (session.isPresent()) {
                forward(request, response, callback, body,
                        LearnedSessions.backendOf(session.get(), upstreams.first()), sessionId, false);
            } else if (ClientRequests.isInitialize(body)) {
                forward(request, response, callback, body, upstreams.pick(), null, false); // a client starting over
            } else {
                JsonResponses.error(response, callback, settings.unknownSessionStatus(), JsonRpc.requestIdOf(body),
                        JsonRpc.SESSION_NOT_FOUND, "Session not found");
            }
        } catch (SessionStorageException e) {
            LOG.debug("session storage unavailable: {}", e.getMessage()); // the SessionManager logs the outage
            JsonResponses.storageUnavailable(response, callback, JsonRpc.requestIdOf(body));
        } catch (RuntimeException e) {
            // Every request gets an answer: this may run in the body reader's completion, where a throw is lost.
            LOG.warn("could not forward {} {}", request.getMethod(), request.getHttpURI(), e);
            if (response.isCommitted()) {
                callback.failed(e);
            } else {
                JsonResponses.error(response, callback, 500, JsonRpc.requestIdOf(body), JsonRpc.INTERNAL_ERROR,
                        "Internal error");
            }
        }
    }

    /** Whether the request's principal created {@code session} (any may use one created without a principal). */
    private static boolean mayUse(Request request, Session session) {
        Optional<String> creator = session.metadata(Session.PRINCIPAL);
        Principal principal = Authentication.principalOf(request);
        return creator.isEmpty() || principal != null && principal.digest().equals(creator.get());
    }

    /** Whether the client's {@code Authorization} header is kept from the upstream. */
    boolean stripsAuthorization() {
        return settings.stripAuthorization();
    }

    /**
     * @param knownSession the session the request named and the storage holds; null for none
     * @param stateless    a modern request: no session is learned from its answer
     */
    private void forward(Request request, Response response, Callback callback, byte[] body, URI target,
                         String knownSession, boolean stateless) {
        new TransparentExchange(this, request, response, callback, body, target, knownSession, stateless).send();
    }

    /**
     * This handler marked and measured as the {@code transparent} transport: its exchanges in the metrics (with a
     * registry), its transport and abbreviated session on the access log line and in the logging MDC.
     */
    Handler observed() {
        MeterRegistry registry = settings.meterRegistry();
        return new ObservedHandler("transparent", registry == null ? null : new HttpMetrics(registry),
                request -> {
                    String sessionId = ModernRequests.versionOf(request) == null
                            ? ClientRequests.sessionIdOf(request) : null;
                    return sessionId == null || sessionId.isEmpty() ? null : SessionIds.redact(sessionId);
                }, this);
    }

    /**
     * Whether the handler runs, the session storage answers, and (with health checks on) at least one target
     * answers its probe.
     */
    Health health() {
        List<Health.Check> checks = new ArrayList<>();
        checks.add(isRunning() ? Health.Check.up("running", "started") : Health.Check.down("running", "stopped"));
        LearnedSessions learned = sessions;
        if (learned != null) {
            checks.add(Health.Check.probe("storage", learned.manager()::ping));
        }
        if (settings.healthCheckInterval() == null) {
            checks.add(Health.Check.up("targets", "health checks off"));
        } else {
            long healthy = upstreams.all().stream().filter(upstreams::isHealthy).count();
            String detail = healthy + " of " + upstreams.all().size() + " targets answer their probe";
            checks.add(healthy > 0 ? Health.Check.up("targets", detail) : Health.Check.down("targets", detail));
        }
        return new Health(checks);
    }

    Forwarder forwarder() {
        return forwarder;
    }

    String pathPrefix() {
        return settings.pathPrefix();
    }

    /** The learned sessions; null while stopped. */
    LearnedSessions sessions() {
        return sessions;
    }

    OpenStreams openStreams() {
        return openStreams;
    }

    /** Whether the health probe currently considers {@code target} alive. */
    boolean isHealthy(URI target) {
        return upstreams.isHealthy(target);
    }

    List<URI> targets() {
        return upstreams.all();
    }
}
