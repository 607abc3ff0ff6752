package io.mcpproxy.stdio.backend;

import io.mcpproxy.stdio.process.StdioServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The MCP server processes behind one proxy, in {@link BackendMode shared or per-session mode}: transports ask it
 * for a {@link Backend.Channel} per client session and never care which process serves it.
 *
 * <pre>{@code
 * Backends backends = new Backends(StdioBackendSettings.of(StdioServer.command(List.of("python", "server.py")))
 *         .withRequestTimeout(Duration.ofMinutes(5)));
 * backends.start();
 * }</pre>
 */
public final class Backends implements AutoCloseable {

    private final StdioBackendSettings settings;
    private final ScheduledExecutorService scheduler;
    private final BackendStats stats = new BackendStats();
    /** Per-session backends whose process is starting or alive: the slots {@code maxBackends} bounds. */
    private final Set<Backend> perSession = ConcurrentHashMap.newKeySet();
    private volatile Backend shared;

    /**
     * @throws NullPointerException when {@code settings} has no server
     */
    public Backends(StdioBackendSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(settings.server(), "server");
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "mcp-backend-timer");
            thread.setDaemon(true);
            return thread;
        });
        // Every request arms a timeout (5 min by default) that its response cancels. Without removal on cancel,
        // each cancelled timer would stay queued until its deadline: minutes of them at thousands of requests a
        // second, which is memory and GC pause time growing with the load.
        timer.setRemoveOnCancelPolicy(true);
        this.scheduler = timer;
    }

    /** Timers queued right now (request timeouts, restarts); for tests. */
    int queuedTimers() {
        return ((ScheduledThreadPoolExecutor) scheduler).getQueue().size();
    }

    /** {@link Builder} of {@link Backends} for {@code server}: a convenience over {@link StdioBackendSettings}. */
    public static Builder builder(StdioServer server) {
        return new Builder(server);
    }

    /**
     * Starts the shared server process (per-session mode starts processes on demand).
     *
     * @throws UncheckedIOException when the command cannot be started
     */
    public void start() {
        if (settings.mode() == BackendMode.SHARED) {
            Backend backend = newBackend(settings.restart(), false);
            try {
                backend.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the MCP server '" + settings.server() + "': "
                        + e.getMessage(), e);
            }
            shared = backend;
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
            return backend.open(sessionId, listener);
        }
        return openDedicated(sessionId, listener);
    }

    private Backend.Channel openDedicated(String sessionId, Backend.Listener listener) {
        Backend backend = newBackend(false, true);
        if (!reserveSlot(backend)) {
            throw new BackendUnavailableException("all " + settings.maxBackends()
                    + " per-session MCP server processes are in use");
        }
        try {
            backend.start();
            // The channel's end (DELETE, expiry, stream closed, process exit) stops the process; its reaping then
            // frees the slot through the backend's whenGone.
            return backend.open(sessionId, listener);
        } catch (IOException | RuntimeException e) {
            backend.close();
            freeSlot(backend); // a process that never started is never reaped: free the slot here
            throw new BackendUnavailableException("cannot start an MCP server process: " + e.getMessage());
        }
    }

    /**
     * Takes one of the {@code maxBackends} slots for a process about to start. Only slots of live processes are
     * held: each is freed exactly once, when its process is gone ({@link #freeSlot}).
     */
    private boolean reserveSlot(Backend backend) {
        synchronized (perSession) {
            if (perSession.size() >= settings.maxBackends()) {
                return false;
            }
            perSession.add(backend);
            return true;
        }
    }

    private void freeSlot(Backend backend) {
        perSession.remove(backend);
    }

    private Backend newBackend(boolean restartable, boolean closeWhenUnused) {
        return new Backend(settings, restartable, scheduler, stats, closeWhenUnused,
                closeWhenUnused ? this::freeSlot : gone -> { });
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

    /** Stops every server process; their sessions end. */
    @Override
    public void close() {
        Backend backend = shared;
        if (backend != null) {
            backend.close();
        }
        perSession.forEach(Backend::close);
        perSession.clear();
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Options of {@link Backends}, each set through {@link StdioBackendSettings} (defaults and ranges there). */
    public static final class Builder {
        private StdioBackendSettings settings;

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

        /** See {@link StdioBackendSettings#restart}. */
        public Builder restart(boolean restart) {
            settings = settings.withRestart(restart);
            return this;
        }

        public Backends build() {
            return new Backends(settings);
        }
    }
}
