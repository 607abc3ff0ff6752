package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.session.SessionManager;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What every transport of one {@link McpProxy} shares: the MCP server processes, the sessions, the Origin/Host
 * guard, the worker threads and a timer, and the stream limits.
 *
 * @param backends           the stdio MCP server(s)
 * @param sessions           the session layer (its storage may be shared with other replicas)
 * @param guard              Origin and Host checks, applied first on every request
 * @param replicaId          this replica's name in session metadata ({@code owner})
 * @param executor           worker threads for blocking work (storage calls) off the stdio reader threads
 * @param scheduler          the proxy's timer (keep-alives, idle-session sweeps), running while the proxy runs
 * @param maxBodyBytes       largest POST body
 * @param keepAliveInterval  interval of SSE keep-alive comments
 * @param maxQueuedEvents    bound of one SSE stream's outbound queue, in events
 * @param maxQueuedBytes     bound of one SSE stream's outbound queue, in bytes
 * @param maxWaitingMessages server messages kept for a session until it has a stream to receive them
 * @param resumeWindow       how long a sent event stays replayable after {@code Last-Event-ID}; zero: no replay
 * @param maxReplayEvents    bound of one session's replay buffer, in events
 * @param maxReplayBytes     bound of one session's replay buffer, in bytes (characters of JSON)
 */
public record ProxyContext(Backends backends, SessionManager sessions, RequestGuard guard, String replicaId,
                           Executor executor, Scheduler scheduler, long maxBodyBytes,
                           Duration keepAliveInterval, int maxQueuedEvents, long maxQueuedBytes,
                           int maxWaitingMessages, Duration resumeWindow, int maxReplayEvents,
                           long maxReplayBytes) {

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
