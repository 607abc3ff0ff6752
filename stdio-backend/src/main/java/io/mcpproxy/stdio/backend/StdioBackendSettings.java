package io.mcpproxy.stdio.backend;

import io.mcpproxy.core.Settings;
import io.mcpproxy.stdio.process.StdioServer;
import java.time.Duration;
import java.util.Objects;

/**
 * The stdio MCP server behind a proxy and how the proxy runs it. Each option's default, unit and valid range are
 * declared here once; {@link Backends}, {@link Backends.Builder}, every proxy builder and the runner's flags set them
 * through this record, so an invalid value is refused with the same words everywhere.
 *
 * <p>The server has no default: {@link #DEFAULTS} holds every other option at its default and no server, so that a
 * builder can collect options in any order; {@link Backends} refuses settings without a server. {@link #of} gives the
 * defaults with a server.
 *
 * @param server                the stdio MCP server: a command to spawn, or handed-in streams. Required by
 *                              {@link Backends}; none in {@link #DEFAULTS}
 * @param mode                  one shared server process, or one per session (then the server must be a command).
 *                              Default {@link BackendMode#SHARED}
 * @param maxBackends           per-session mode: most server processes at once, at least 1; one more session gets
 *                              503. Default 64
 * @param requestTimeout        longest wait for the server's answer to one request, zero or more; the client then
 *                              gets an error and the server {@code notifications/cancelled}. {@code ZERO} = no limit.
 *                              Default 5 min
 * @param maxServerMessageBytes largest message (one stdout line) the server may send, in bytes, 1 byte to 2 GiB. A
 *                              longer one is read past without being kept; if it answered a request, that client gets
 *                              an error ({@code data.reason} {@code message_too_large}) at once instead of a timeout.
 *                              Default {@link StdioServer#DEFAULT_MAX_MESSAGE_BYTES} (64 MiB)
 * @param restartInitialDelay   delay before the first restart of a dead shared server, at least 1 ms, doubled per
 *                              consecutive failure up to {@code restartMaxDelay}. Default 250 ms
 * @param restartMaxDelay       longest delay between restarts, at least {@code restartInitialDelay}; a process that
 *                              lived longer than this starts the doubling over. Default 30 s
 * @param restart               whether a dead shared server is started again. Default true; never for handed-in
 *                              streams
 * @param maxSessions           most client sessions this replica holds at once (all transports, either mode), at
 *                              least 1; creating one more gets 503 with {@code Retry-After}. Default 10000
 * @param backendIdleTimeout    per-session mode: a process whose session has sent nothing and awaits no answer for
 *                              this long is stopped, and its session ends as when its server exits (the client gets
 *                              404 next and initializes again). At least 1 ms; useful only below the session TTL.
 *                              Default 10 min
 * @param cancelGrace           shared mode: how long a request the proxy answered on its own (its client cancelled
 *                              it, its session ended, it timed out) still counts as its session's work at the server,
 *                              zero or more. Within it, server messages that could be about that request reach no
 *                              other session; after it, it no longer stands in the way of attributing unaddressed
 *                              server messages to other sessions. Default 2 s
 * @param serverEra             which revision family the server speaks: {@link ServerEra#AUTO} probes every new
 *                              process with {@code server/discover} (at most {@link EraProbe#TIMEOUT}, 10 s, before
 *                              its first client request goes out); {@link ServerEra#LEGACY} and
 *                              {@link ServerEra#MODERN} skip the probe, for servers that misbehave on it. Default
 *                              {@link ServerEra#AUTO}
 */
public record StdioBackendSettings(StdioServer server, BackendMode mode, int maxBackends, Duration requestTimeout,
                                   long maxServerMessageBytes, Duration restartInitialDelay,
                                   Duration restartMaxDelay, boolean restart, int maxSessions,
                                   Duration backendIdleTimeout, Duration cancelGrace, ServerEra serverEra) {

    /** Every option at its default, and no server yet. */
    public static final StdioBackendSettings DEFAULTS = new StdioBackendSettings(null, BackendMode.SHARED, 64,
            Duration.ofMinutes(5), StdioServer.DEFAULT_MAX_MESSAGE_BYTES, Duration.ofMillis(250),
            Duration.ofSeconds(30), true, 10_000, Duration.ofMinutes(10), Duration.ofSeconds(2), ServerEra.AUTO);

    public StdioBackendSettings {
        Objects.requireNonNull(mode, "backendMode");
        Objects.requireNonNull(serverEra, "serverEra");
        Settings.requireAtLeast(maxBackends, 1, "maxBackends");
        Settings.requireAtLeast(requestTimeout, Duration.ZERO, "requestTimeout");
        Settings.requireAtLeast(maxSessions, 1, "maxSessions");
        Settings.requireAtLeast(backendIdleTimeout, Duration.ofMillis(1), "backendIdleTimeout");
        Settings.requireAtLeast(cancelGrace, Duration.ZERO, "cancelGrace");
        if (maxServerMessageBytes < 1 || maxServerMessageBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxServerMessageSize must be 1 byte to 2 GiB, got "
                    + maxServerMessageBytes);
        }
        Objects.requireNonNull(restartInitialDelay, "restartBackoff initialDelay");
        Objects.requireNonNull(restartMaxDelay, "restartBackoff maxDelay");
        if (restartInitialDelay.toMillis() < 1 || restartMaxDelay.compareTo(restartInitialDelay) < 0) {
            throw new IllegalArgumentException("restartBackoff must be 1 ms <= initialDelay <= maxDelay, got "
                    + restartInitialDelay + " and " + restartMaxDelay);
        }
        if (mode == BackendMode.PER_SESSION && server != null && !server.restartable()) {
            throw new IllegalArgumentException("backendMode must be SHARED for handed-in streams (per-session mode"
                    + " needs a command to spawn), got " + mode);
        }
    }

    /** Every option at its default, with {@code server}. */
    public static StdioBackendSettings of(StdioServer server) {
        return DEFAULTS.withServer(server);
    }

    public StdioBackendSettings withServer(StdioServer server) {
        return new StdioBackendSettings(Objects.requireNonNull(server, "server"), mode, maxBackends, requestTimeout,
                maxServerMessageBytes, restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout,
                cancelGrace, serverEra);
    }

    public StdioBackendSettings withMode(BackendMode mode) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withMaxBackends(int maxBackends) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withRequestTimeout(Duration requestTimeout) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withMaxServerMessageBytes(long maxServerMessageBytes) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    /** These settings with the restart backoff's first and longest delay. */
    public StdioBackendSettings withRestartBackoff(Duration initialDelay, Duration maxDelay) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                initialDelay, maxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withRestart(boolean restart) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withMaxSessions(int maxSessions) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withBackendIdleTimeout(Duration backendIdleTimeout) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withServerEra(ServerEra serverEra) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }

    public StdioBackendSettings withCancelGrace(Duration cancelGrace) {
        return new StdioBackendSettings(server, mode, maxBackends, requestTimeout, maxServerMessageBytes,
                restartInitialDelay, restartMaxDelay, restart, maxSessions, backendIdleTimeout, cancelGrace,
                serverEra);
    }
}
