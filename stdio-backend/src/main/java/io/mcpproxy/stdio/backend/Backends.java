package io.mcpproxy.stdio.backend;

import io.mcpproxy.core.Periodic;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP server processes behind one proxy, in {@link BackendMode shared or per-session mode}: transports ask it
 * for a {@link Backend.Channel} per client session and never care which process serves it. A Jetty lifecycle
 * component: starting it starts the shared process; stopping it stops every process and waits for their threads.
 *
 * <pre>{@code
 * Backends backends = new Backends(StdioBackendSettings.of(StdioServer.command(List.of("python", "server.py")))
 *         .withRequestTimeout(Duration.ofMinutes(5)));
 * backends.start();
 * }</pre>
 *
 * Request timeouts and restarts run on a {@link Scheduler}: one handed in (not started or stopped here), or one of
 * its own, Jetty's {@link ScheduledExecutorScheduler}, which takes a cancelled task out of its queue at once (every
 * request arms a timeout that its answer cancels: kept until their deadline, thousands a second would pile up).
 */
public final class Backends extends ContainerLifeCycle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    /** Longest pause between two sweeps for idle per-session processes. */
    private static final Duration IDLE_SWEEP_AT_MOST = Duration.ofSeconds(15);
    /** How long a stop waits for each server's stdout and stderr threads. */
    private static final Duration THREADS_END_WITHIN = Duration.ofSeconds(5);

    private final StdioBackendSettings settings;
    private final Scheduler scheduler;
    private final LongSupplier nanoClock;
    private final BackendStats stats = new BackendStats();
    /**
     * Per-session backends whose process is starting or alive: the slots {@code maxBackends} bounds. Its own monitor
     * guards taking a slot (the size check and the add together); freeing one is a plain remove.
     */
    private final Set<Backend> perSession = ConcurrentHashMap.newKeySet();
    private volatile Backend shared;
    /** Guards the check of the session limit and the opening of a channel on the shared backend, together. */
    private final Object sessionLimit = new Object();
    private Periodic idleSweep; // only doStart and doStop, under Jetty's lifecycle lock

    /** Backends on a scheduler of their own. */
    public Backends(StdioBackendSettings settings) {
        this(settings, null);
    }

    /**
     * @param scheduler runs request timeouts and restarts; null: a scheduler of their own, started and stopped with
     *                  them. One handed in must run while they do: it is neither started nor stopped here
     * @throws NullPointerException when {@code settings} has no server
     */
    public Backends(StdioBackendSettings settings, Scheduler scheduler) {
        this(settings, scheduler, System::nanoTime);
    }

    Backends(StdioBackendSettings settings, Scheduler scheduler, LongSupplier nanoClock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(settings.server(), "server");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (scheduler == null) {
            this.scheduler = new ScheduledExecutorScheduler("mcp-backend-timer", true);
            addBean(this.scheduler, true);
        } else {
            this.scheduler = scheduler;
            addBean(scheduler, false);
        }
    }

    /** {@link Builder} of {@link Backends} for {@code server}: a convenience over {@link StdioBackendSettings}. */
    public static Builder builder(StdioServer server) {
        return new Builder(server);
    }

    /**
     * Starts the scheduler of their own, then the shared server process (per-session mode starts processes on
     * demand).
     *
     * @throws UncheckedIOException when the command cannot be started
     */
    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (settings.mode() == BackendMode.SHARED) {
            Backend backend = new Backend(settings, scheduler, stats, nanoClock, gone -> { });
            try {
                backend.start();
            } catch (IOException e) {
                if (isManaged(scheduler)) {
                    scheduler.stop(); // a failed start leaves nothing running (Jetty only marks it failed)
                }
                throw new UncheckedIOException("cannot start the MCP server '" + settings.server() + "': "
                        + e.getMessage(), e);
            }
            shared = backend;
        } else {
            // a quarter of the timeout: an idle process is stopped at most a quarter late
            Duration quarter = settings.backendIdleTimeout().dividedBy(4);
            Duration every = quarter.compareTo(IDLE_SWEEP_AT_MOST) > 0 ? IDLE_SWEEP_AT_MOST
                    : quarter.toMillis() < 1 ? Duration.ofMillis(1) : quarter;
            idleSweep = Periodic.every(scheduler, "idle per-session process sweep", every, every,
                    this::stopIdleProcesses);
        }
    }

    /**
     * Per-session mode: stops the processes whose session has been idle for the backend idle timeout. Their
     * sessions end as on a server exit (the client's next request gets 404); the reaping frees their slots.
     */
    private void stopIdleProcesses() {
        for (Backend backend : perSession) {
            Duration idle = backend.idleFor();
            if (idle.compareTo(settings.backendIdleTimeout()) >= 0) {
                LOG.info("[{}] stopping a per-session MCP server process idle for {} s (backend idle timeout)",
                        settings.server().name(), idle.toSeconds());
                backend.close();
            }
        }
    }

    /** Stops every server process (their sessions end), waits for their threads, then the own scheduler. */
    @Override
    protected void doStop() throws Exception {
        if (idleSweep != null) {
            idleSweep.cancel();
            idleSweep = null;
        }
        Backend backend = shared;
        List<Backend> dedicated = List.copyOf(perSession);
        if (backend != null) {
            backend.close();
        }
        dedicated.forEach(Backend::close);
        perSession.clear();
        try {
            if (backend != null) {
                backend.awaitThreads(THREADS_END_WITHIN);
            }
            for (Backend each : dedicated) {
                each.awaitThreads(THREADS_END_WITHIN);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop the scheduler all the same, without waiting further
        }
        super.doStop();
    }

    /** Stops, as {@link #stop()} does; idempotent, never throws. */
    @Override
    public void close() {
        try {
            stop();
        } catch (Exception e) {
            LOG.warn("stopping the MCP server processes failed", e);
        }
    }

    /**
     * A channel for a new client session.
     *
     * @throws BackendUnavailableException when the server is restarting or the per-session limit is reached
     */
    public Backend.Channel open(String sessionId, Backend.Listener listener) {
        if (settings.mode() == BackendMode.SHARED) {
            Backend backend = shared;
            if (backend == null) {
                throw new BackendUnavailableException("the MCP server is not started");
            }
            synchronized (sessionLimit) {
                if (backend.channelCount() >= settings.maxSessions()) {
                    throw tooManySessions();
                }
                return backend.open(sessionId, listener);
            }
        }
        return openDedicated(sessionId, listener);
    }

    private BackendUnavailableException tooManySessions() {
        return new BackendUnavailableException(BackendUnavailableException.TOO_MANY_SESSIONS,
                "this proxy holds its limit of " + settings.maxSessions() + " sessions; retry later");
    }

    private Backend.Channel openDedicated(String sessionId, Backend.Listener listener) {
        Backend backend = new Backend(settings, scheduler, stats, nanoClock, this::freeSlot);
        reserveSlot(backend);
        try {
            backend.start();
            // The channel's end (DELETE, expiry, stream closed, process exit) stops the process; its reaping then
            // frees the slot.
            return backend.open(sessionId, listener);
        } catch (IOException | RuntimeException e) {
            backend.close();
            freeSlot(backend); // a process that never started is never reaped: free the slot here
            throw new BackendUnavailableException("cannot start an MCP server process: " + e.getMessage());
        }
    }

    /**
     * Takes one of the {@code maxBackends} slots for a process about to start. Only slots of live processes are
     * held: each is freed exactly once, when its process is gone ({@link #freeSlot}). Each process has one session,
     * so the session limit counts slots too.
     *
     * @throws BackendUnavailableException when every slot is taken
     */
    private void reserveSlot(Backend backend) {
        synchronized (perSession) {
            if (perSession.size() >= settings.maxSessions()) {
                throw tooManySessions();
            }
            if (perSession.size() >= settings.maxBackends()) {
                throw new BackendUnavailableException("all " + settings.maxBackends()
                        + " per-session MCP server processes are in use");
            }
            perSession.add(backend);
        }
    }

    private void freeSlot(Backend backend) {
        perSession.remove(backend);
    }

    public BackendMode mode() {
        return settings.mode();
    }

    /** Largest message, in bytes, a server may send (one stdout line). */
    public long maxServerMessageSize() {
        return settings.maxServerMessageBytes();
    }

    /** The shared backend (null in per-session mode or before {@link #start()}). */
    public Backend shared() {
        return shared;
    }

    /** Most per-session processes at once. */
    public int maxBackends() {
        return settings.maxBackends();
    }

    /** Live per-session processes (starting ones included), the count {@code maxBackends} limits. */
    public int perSessionCount() {
        return perSession.size();
    }

    /** Requests sent to the server process(es) and not answered yet. */
    public int inFlight() {
        Backend backend = shared;
        int count = backend == null ? 0 : backend.inFlight();
        for (Backend dedicated : perSession) {
            count += dedicated.inFlight();
        }
        return count;
    }

    public BackendStats stats() {
        return stats;
    }

    /** Options of {@link Backends}, each set through {@link StdioBackendSettings} (defaults and ranges there). */
    public static final class Builder {
        private StdioBackendSettings settings;
        private Scheduler scheduler;

        private Builder(StdioServer server) {
            this.settings = StdioBackendSettings.of(server);
        }

        /** See {@link StdioBackendSettings#mode}. */
        public Builder mode(BackendMode mode) {
            settings = settings.withMode(mode);
            return this;
        }

        /** See {@link StdioBackendSettings#maxBackends}. */
        public Builder maxBackends(int maxBackends) {
            settings = settings.withMaxBackends(maxBackends);
            return this;
        }

        /** See {@link StdioBackendSettings#requestTimeout}. */
        public Builder requestTimeout(Duration timeout) {
            settings = settings.withRequestTimeout(timeout);
            return this;
        }

        /** See {@link StdioBackendSettings#cancelGrace}. */
        public Builder cancelGrace(Duration grace) {
            settings = settings.withCancelGrace(grace);
            return this;
        }

        /** See {@link StdioBackendSettings#maxServerMessageBytes}. */
        public Builder maxServerMessageSize(long bytes) {
            settings = settings.withMaxServerMessageBytes(bytes);
            return this;
        }

        /** See {@link StdioBackendSettings#restartInitialDelay} and {@link StdioBackendSettings#restartMaxDelay}. */
        public Builder restartBackoff(Duration initialDelay, Duration maxDelay) {
            settings = settings.withRestartBackoff(initialDelay, maxDelay);
            return this;
        }

        /** See {@link StdioBackendSettings#maxSessions}. */
        public Builder maxSessions(int maxSessions) {
            settings = settings.withMaxSessions(maxSessions);
            return this;
        }

        /** See {@link StdioBackendSettings#backendIdleTimeout}. */
        public Builder backendIdleTimeout(Duration timeout) {
            settings = settings.withBackendIdleTimeout(timeout);
            return this;
        }

        /** See {@link StdioBackendSettings#serverEra}. */
        public Builder serverEra(ServerEra era) {
            settings = settings.withServerEra(era);
            return this;
        }

        /** See {@link StdioBackendSettings#restart}. */
        public Builder restart(boolean restart) {
            settings = settings.withRestart(restart);
            return this;
        }

        /**
         * Runs request timeouts and restarts on {@code scheduler}; see
         * {@link Backends#Backends(StdioBackendSettings, Scheduler)}.
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public Backends build() {
            return new Backends(settings, scheduler);
        }
    }
}
