package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the server of one {@link Backend} running: starts its process (or attaches the handed-in streams), notices
 * its exit, and starts it again with {@link RestartBackoff exponential backoff} unless restarts are off (always for
 * handed-in streams, and in per-session mode, where the process lives exactly as long as its one session).
 */
final class ProcessSupervisor implements ServerProcess.Events {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessSupervisor.class);

    /** What the supervised backend does when its server speaks or dies. */
    interface Listener {
        /** A message from the current process, on its stdout reader thread. */
        void serverToProxy(ObjectNode message);

        /** {@code fresh} started (first start or restart) and is current: before any client message reaches it. */
        void processStarted(ServerProcess fresh);

        /**
         * {@code dead} exited: what was in flight on it fails and its sessions end. Called once per process, before
         * a restart is scheduled.
         */
        void processExited(ServerProcess dead, String reason);

        /**
         * No process runs or will run again, and the last one has been reaped: called once, only now, so that a
         * limit on live processes never counts one that still runs.
         */
        void supervisionOver();
    }

    private final StdioServer server;
    private final long maxMessageBytes;
    private final ServerEra serverEra;
    private final boolean restart;
    private final Scheduler scheduler;
    private final LongSupplier nanoClock;
    private final BackendStats stats;
    private final Listener listener;
    private final AtomicBoolean over = new AtomicBoolean();

    /** Guards the changes of generation: current, latest, stopped and the backoff change together under it. */
    private final Object lock = new Object();
    /** The live process; null while the server is down or restarting. Written under lock. */
    private volatile ServerProcess current;
    /** The last process started, alive or not: the one whose threads a stop waits for. Guarded by lock. */
    private ServerProcess latest;
    /** Written under lock. */
    private volatile boolean stopped;
    /** Guarded by lock. */
    private final RestartBackoff backoff;

    /**
     * @param restart whether a dead process is started again (never for handed-in streams, whatever this says)
     */
    ProcessSupervisor(StdioBackendSettings settings, boolean restart, Scheduler scheduler, LongSupplier nanoClock,
                      BackendStats stats, Listener listener) {
        this.server = settings.server();
        this.maxMessageBytes = settings.maxServerMessageBytes();
        this.serverEra = settings.serverEra();
        this.restart = restart && server.restartable();
        this.backoff = new RestartBackoff(settings.restartInitialDelay(), settings.restartMaxDelay());
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.stats = stats;
        this.listener = listener;
    }

    /** Starts the first process. */
    void start() throws IOException {
        ServerProcess first;
        synchronized (lock) {
            first = connect();
            current = first;
        }
        listener.processStarted(first);
    }

    /** The live process, or null while the server is down, restarting or stopped. */
    ServerProcess current() {
        ServerProcess process = current;
        return stopped ? null : process;
    }

    boolean isUp() {
        return current != null && !stopped;
    }

    boolean isStopped() {
        return stopped;
    }

    /** Process id of the current process, or -1. */
    long pid() {
        ServerProcess process = current;
        return process == null ? -1 : process.pid();
    }

    /** Sends a message of the proxy's own to the current process; dropped (and logged) while it is down. */
    void sendToCurrent(ObjectNode message) {
        ServerProcess process = current;
        if (process == null) {
            LOG.debug("[{}] server down, dropped {}", server.name(), JsonRpc.method(message));
            return;
        }
        process.sendQuietly(message);
    }

    /** Stops the server for good: no restart follows; the process's exit is handled as any exit. Idempotent. */
    void stop() {
        ServerProcess last;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            stopped = true;
            last = current;
        }
        if (last != null) {
            last.close(); // its exit fails what is in flight and ends the sessions
        }
    }

    /**
     * After {@link #stop}: waits, up to {@code timeout}, until the last process's stdout reader and stderr copier
     * threads have ended.
     */
    void awaitThreads(Duration timeout) throws InterruptedException {
        ServerProcess last;
        synchronized (lock) {
            last = latest;
        }
        if (last != null && !last.awaitThreads(timeout)) {
            LOG.warn("[{}] the MCP server's output threads still run {} ms after it stopped (a child process may"
                    + " hold its pipes)", server.name(), timeout.toMillis());
        }
    }

    private ServerProcess connect() throws IOException {
        ServerProcess process = ServerProcess.start(server, maxMessageBytes, serverEra, nanoClock.getAsLong(), this);
        latest = process;
        stats.lastStartNanos = System.nanoTime();
        stats.starts.incrementAndGet();
        return process;
    }

    @Override
    public void serverToProxy(ObjectNode message) {
        listener.serverToProxy(message);
    }

    @Override
    public void exited(ServerProcess dead, String reason) {
        boolean restartLater;
        synchronized (lock) {
            if (current == dead) {
                current = null;
            }
            restartLater = restart && !stopped;
        }
        stats.exits.incrementAndGet();
        listener.processExited(dead, reason);
        if (restartLater) {
            scheduleRestart(nanoClock.getAsLong() - dead.startedAt());
        }
    }

    @Override
    public void reaped(ServerProcess process) {
        boolean last;
        synchronized (lock) {
            last = stopped || !restart;
        }
        if (last && over.compareAndSet(false, true)) {
            listener.supervisionOver();
        }
    }

    private void scheduleRestart(long livedNanos) {
        long delay;
        synchronized (lock) {
            delay = backoff.nextDelayMillis(livedNanos);
        }
        LOG.info("[{}] restarting the MCP server in {} ms", server.name(), delay);
        scheduler.schedule(this::restartNow, delay, TimeUnit.MILLISECONDS);
    }

    private void restartNow() {
        ServerProcess fresh;
        synchronized (lock) {
            if (stopped || current != null) {
                return;
            }
            try {
                fresh = connect();
                current = fresh;
                stats.restarts.incrementAndGet();
            } catch (IOException e) {
                LOG.error("[{}] could not restart the MCP server: {}", server.name(), e.getMessage());
                fresh = null;
            }
        }
        if (fresh == null) {
            scheduleRestart(0); // never ran: one more consecutive failure
        } else {
            LOG.info("[{}] MCP server restarted (pid {})", server.name(), fresh.pid());
            listener.processStarted(fresh);
        }
    }
}
