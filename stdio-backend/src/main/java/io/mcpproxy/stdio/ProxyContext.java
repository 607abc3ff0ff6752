package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.session.SessionManager;
import java.util.concurrent.Executor;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What every transport of one {@link McpProxy} shares: the MCP server processes, the sessions, the Origin/Host
 * guard, the worker threads and the proxy's timer, and the stream options.
 *
 * @param backends     the stdio MCP server(s)
 * @param sessions     the session layer (its storage may be shared with other replicas)
 * @param guard        Origin and Host checks, applied first on every request
 * @param replicaId    this replica's name in session metadata ({@code owner})
 * @param executor     worker threads for blocking work (storage calls) off the stdio reader threads
 * @param scheduler    the proxy's timer (keep-alives, idle-session sweeps), running while the proxy runs
 * @param maxBodyBytes largest POST body
 * @param streams      keep-alive interval (in effect: at most the sessions' refresh interval) and stream bounds
 */
public record ProxyContext(Backends backends, SessionManager sessions, RequestGuard guard, String replicaId,
                           Executor executor, Scheduler scheduler, long maxBodyBytes, StreamSettings streams) {

    /**
     * Runs blocking work (storage calls) off the calling thread, typically a stdio reader thread that must not
     * stall. While the proxy shuts down the worker pool is gone; the work then runs inline.
     */
    public void runLater(Runnable work) {
        try {
            executor.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            work.run();
        }
    }
}
