package io.mcpproxy.stdio;

import io.mcpproxy.session.Session;
import io.mcpproxy.core.observe.SseMetrics;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.auth.Principal;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.stdio.cluster.Cluster;
import io.mcpproxy.stdio.cluster.ForwardMarker;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What every transport of one {@link McpProxyHandler} shares: the MCP server processes, the sessions, the options,
 * and the timer and worker threads of the Jetty server the proxy runs in.
 */
public final class ProxyContext {

    /**
     * The options the transports read.
     *
     * @param guard          Origin and Host checks, applied first on every request
     * @param authentication the access token check, applied after the guard on every request (its mode may be none)
     * @param maxBodyBytes   largest POST body
     * @param streams        keep-alive interval (in effect: at most the sessions' refresh interval) and stream bounds
     */
    public record Options(RequestGuard guard, Authentication authentication, long maxBodyBytes,
                          StreamSettings streams) {
    }

    private final McpProxyHandler proxy;
    private final Backends backends;
    private final SessionManager sessions;
    private final Cluster cluster;
    private final Options options;
    private final StdioMetrics metrics;

    ProxyContext(McpProxyHandler proxy, Backends backends, SessionManager sessions, Cluster cluster, Options options,
                 StdioMetrics metrics) {
        this.proxy = proxy;
        this.metrics = metrics;
        this.backends = backends;
        this.sessions = sessions;
        this.cluster = cluster;
        this.options = options;
    }

    /** This replica among the others sharing its storage: owner metadata, forwarding, liveness. */
    public Cluster cluster() {
        return cluster;
    }

    /** The stdio MCP server(s). */
    public Backends backends() {
        return backends;
    }

    /** The session layer (its storage may be shared with other replicas). */
    public SessionManager sessions() {
        return sessions;
    }

    StdioMetrics metrics() {
        return metrics;
    }

    /** The meters of {@code type}'s event streams; they record nothing without a meter registry. */
    public SseMetrics sseMetrics(Session.Type type) {
        return metrics.sse(type);
    }

    public RequestGuard guard() {
        return options.guard();
    }

    public Authentication authentication() {
        return options.authentication();
    }

    /**
     * Whether {@code request} may use a session whose metadata records {@code principalDigest} (null: created
     * without authentication): only the principal that created it may, and any request may use an unbound one.
     */
    public static boolean mayUse(Request request, String principalDigest) {
        if (principalDigest == null) {
            return true;
        }
        Principal principal = Authentication.principalOf(request);
        return principal != null && principal.digest().equals(principalDigest);
    }

    /** Records the principal of {@code request}, if it has one, in a new session's {@code metadata}. */
    public static void recordPrincipal(Request request, java.util.Map<String, String> metadata) {
        Principal principal = Authentication.principalOf(request);
        if (principal != null) {
            metadata.put(io.mcpproxy.session.Session.PRINCIPAL, principal.digest());
        }
    }

    /** This replica's name in session metadata ({@code owner}). */
    public String replicaId() {
        return cluster.replicaId();
    }

    public long maxBodyBytes() {
        return options.maxBodyBytes();
    }

    public StreamSettings streams() {
        return options.streams();
    }

    /** The request attribute that marks a request another replica forwarded here (see {@link #admit}). */
    static final String FORWARDED_ATTRIBUTE = "io.mcpproxy.forwarded";

    /** Whether another replica forwarded {@code request} here (it is never forwarded again). */
    public static boolean isForwarded(Request request) {
        return request.getAttribute(FORWARDED_ATTRIBUTE) != null;
    }

    /** Whether a request may proceed, and who sent it. */
    public enum Admission {
        /** Refused (401, 403, 503), and answered. */
        REFUSED,
        /** A client's own request, past the Origin and Host checks. */
        CLIENT,
        /** A request another replica of this cluster forwarded: checked there already, never forwarded again. */
        FORWARDED
    }

    /**
     * The first check of every request: a forward marker that does not come from this cluster gets 403; a forwarded
     * request passes the Origin and Host checks (the replica that forwarded it checked them); a client's own request
     * must pass them (403 otherwise). Then every request's access token is checked (401, 403, 503 otherwise): a
     * forwarded request carries its client's {@code Authorization}, and its principal decides here, at the
     * session's owner, whether it may use the session.
     */
    public Admission admit(Request request, Response response, Callback callback) {
        ForwardMarker.Verdict marker = cluster.check(request);
        if (marker == ForwardMarker.Verdict.FORWARDED) {
            request.setAttribute(FORWARDED_ATTRIBUTE, Boolean.TRUE);
            return options.authentication().admit(request, response, callback) ? Admission.FORWARDED
                    : Admission.REFUSED;
        }
        String forbidden = marker == ForwardMarker.Verdict.FORGED
                ? "the request claims to be forwarded by a proxy replica of this cluster, and is not"
                : options.guard().check(request);
        if (forbidden != null) {
            JsonRpcPost.rejectUnread(request, response, callback, 403, JsonRpc.INVALID_REQUEST,
                    "Forbidden: " + forbidden);
            return Admission.REFUSED;
        }
        return options.authentication().admit(request, response, callback) ? Admission.CLIENT : Admission.REFUSED;
    }

    /** The timer of the server the proxy runs in (keep-alives, idle-session sweeps); there while it runs. */
    public Scheduler scheduler() {
        return server().getScheduler();
    }

    /**
     * Runs blocking work (storage calls) on a worker thread of the server, off the calling thread, typically a
     * stdio reader thread that must not stall. While the proxy shuts down the worker pool may be gone; the work
     * then runs inline.
     */
    public void runLater(Runnable work) {
        Server server = proxy.getServer();
        Executor workers = server == null ? null : server.getThreadPool();
        if (workers == null) {
            work.run();
            return;
        }
        try {
            workers.execute(work);
        } catch (RejectedExecutionException stopping) {
            work.run();
        }
    }

    private Server server() {
        Server server = proxy.getServer();
        if (server == null) {
            throw new IllegalStateException("the MCP proxy handler is not mounted in a Jetty Server");
        }
        return server;
    }
}
