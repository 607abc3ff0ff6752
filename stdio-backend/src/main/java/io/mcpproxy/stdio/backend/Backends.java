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
 * Backends backends = Backends.builder(StdioServer.command(List.of("python", "server.py")))
 *         .mode(BackendMode.SHARED)
 *         .requestTimeout(Duration.ofMinutes(5))
 *         .build();
 * backends.start();
 * }</pre>
 */
public final class Backends implements AutoCloseable {

    private final StdioServer server;
    private final BackendMode mode;
    private final int maxBackends;
    private final Duration requestTimeout;
    private final long maxServerMessageBytes;
    private final Duration restartInitialDelay;
    private final Duration restartMaxDelay;
    private final boolean restart;
    private final ScheduledExecutorService scheduler;
    private final BackendStats stats = new BackendStats();
    /** Per-session backends whose process is starting or alive: the slots {@code maxBackends} bounds. */
    private final Set<Backend> perSession = ConcurrentHashMap.newKeySet();
    private volatile Backend shared;

    private Backends(Builder builder) {
        this.server = builder.server;
        this.mode = builder.mode;
        this.maxBackends = builder.maxBackends;
        this.requestTimeout = builder.requestTimeout;
        this.maxServerMessageBytes = builder.maxServerMessageBytes;
        this.restartInitialDelay = builder.restartInitialDelay;
        this.restartMaxDelay = builder.restartMaxDelay;
        this.restart = builder.restart;
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

    public static Builder builder(StdioServer server) {
        return new Builder(server);
    }

    /**
     * Starts the shared server process (per-session mode starts processes on demand).
     *
     * @throws UncheckedIOException when the command cannot be started
     */
    public void start() {
        if (mode == BackendMode.SHARED) {
            Backend backend = newBackend(restart, false);
            try {
                backend.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the MCP server '" + server + "': " + e.getMessage(), e);
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
        if (mode == BackendMode.SHARED) {
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
            throw new BackendUnavailableException("all " + maxBackends + " per-session MCP server processes are in use");
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
            if (perSession.size() >= maxBackends) {
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
        return new Backend(server, requestTimeout, maxServerMessageBytes, restartInitialDelay, restartMaxDelay,
                restartable, scheduler, stats, closeWhenUnused, closeWhenUnused ? this::freeSlot : gone -> { });
    }

    public BackendMode mode() {
        return mode;
    }

    /** Largest message, in bytes, a server may send (one stdout line). */
    public long maxServerMessageSize() {
        return maxServerMessageBytes;
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

    /** Options of {@link Backends}; every one has a default. */
    public static final class Builder {
        private final StdioServer server;
        private BackendMode mode = BackendMode.SHARED;
        private int maxBackends = 64;
        private Duration requestTimeout = Duration.ofMinutes(5);
        private long maxServerMessageBytes = StdioServer.DEFAULT_MAX_MESSAGE_BYTES;
        private Duration restartInitialDelay = Duration.ofMillis(250);
        private Duration restartMaxDelay = Duration.ofSeconds(30);
        private boolean restart = true;

        private Builder(StdioServer server) {
            this.server = Objects.requireNonNull(server, "server");
        }

        /** Shared (default) or one process per session. */
        public Builder mode(BackendMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Per-session mode: most processes at once; one more session gets 503. Default 64. */
        public Builder maxBackends(int maxBackends) {
            if (maxBackends < 1) {
                throw new IllegalArgumentException("maxBackends must be >= 1, got " + maxBackends);
            }
            this.maxBackends = maxBackends;
            return this;
        }

        /**
         * Longest wait for the server's answer; the client then gets an error and the server
         * {@code notifications/cancelled}. Default 5 min; {@code Duration.ZERO} = no limit.
         */
        public Builder requestTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "requestTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("requestTimeout must not be negative, got " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * Largest message (one stdout line) the server may send. A longer one is read past without being kept; if
         * it answered a request, that request gets an error answer ({@code data.reason} {@code message_too_large})
         * instead of waiting for its timeout. Default 64 MiB.
         */
        public Builder maxServerMessageSize(long bytes) {
            if (bytes < 1 || bytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxServerMessageSize must be 1 byte to 2 GiB, got " + bytes);
            }
            this.maxServerMessageBytes = bytes;
            return this;
        }

        /**
         * Restart backoff after the server exits: first delay, doubled per consecutive failure, capped. Defaults
         * 250 ms and 30 s.
         */
        public Builder restartBackoff(Duration initialDelay, Duration maxDelay) {
            Objects.requireNonNull(initialDelay, "initialDelay");
            Objects.requireNonNull(maxDelay, "maxDelay");
            if (initialDelay.toMillis() < 1 || maxDelay.compareTo(initialDelay) < 0) {
                throw new IllegalArgumentException("need 1 ms <= initialDelay <= maxDelay, got " + initialDelay
                        + " and " + maxDelay);
            }
            this.restartInitialDelay = initialDelay;
            this.restartMaxDelay = maxDelay;
            return this;
        }

        /** Whether a dead shared server is started again. Default true; always off for handed-in streams. */
        public Builder restart(boolean restart) {
            this.restart = restart;
            return this;
        }

        public Backends build() {
            if (mode == BackendMode.PER_SESSION && !server.restartable()) {
                throw new IllegalArgumentException("per-session mode needs a command to spawn, not handed-in streams");
            }
            return new Backends(this);
        }
    }
}
