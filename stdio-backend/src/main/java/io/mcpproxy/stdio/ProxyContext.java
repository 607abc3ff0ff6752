package io.mcpproxy.stdio;

import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.stdio.backend.Backends;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What every transport of one {@link McpProxyHandler} shares: the MCP server processes, the sessions, the options,
 * and the timer and worker threads of the Jetty server the proxy runs in.
 */
public final class ProxyContext {

    /**
     * The options the transports read.
     *
     * @param guard        Origin and Host checks, applied first on every request
     * @param replicaId    this replica's name in session metadata ({@code owner})
     * @param maxBodyBytes largest POST body
     * @param streams      keep-alive interval (in effect: at most the sessions' refresh interval) and stream bounds
     */
    public record Options(RequestGuard guard, String replicaId, long maxBodyBytes, StreamSettings streams) {
    }

    private final McpProxyHandler proxy;
    private final Backends backends;
    private final SessionManager sessions;
    private final Options options;

    ProxyContext(McpProxyHandler proxy, Backends backends, SessionManager sessions, Options options) {
        this.proxy = proxy;
        this.backends = backends;
        this.sessions = sessions;
        this.options = options;
    }

    /** The stdio MCP server(s). */
    public Backends backends() {
        return backends;
    }

    /** The session layer (its storage may be shared with other replicas). */
    public SessionManager sessions() {
        return sessions;
    }

    public RequestGuard guard() {
        return options.guard();
    }

    public String replicaId() {
        return options.replicaId();
    }

    public long maxBodyBytes() {
        return options.maxBodyBytes();
    }

    public StreamSettings streams() {
        return options.streams();
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
