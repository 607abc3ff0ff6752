package io.mcpproxy.runner;

import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.backend.StdioBackendSettings;
import io.mcpproxy.stdio.process.StdioServer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Flags of {@link StdioBackendSettings} and the server command, for the subcommands in front of a stdio server. */
final class StdioBackendOptions {

    @Option(names = "--backend-mode", paramLabel = "shared|per-session", converter = BackendModeConverter.class,
            description = "One MCP server process for all sessions, or one per session (default: ${DEFAULT-VALUE}).")
    BackendMode mode;

    @Option(names = "--server-era", paramLabel = "auto|legacy|modern", converter = ServerEraConverter.class,
            description = "What the MCP server speaks: auto probes each new process with server/discover (up to 10 s"
                    + " before its first request); legacy (initialize once per process) or modern (2026-07-28,"
                    + " requests with their _meta) skip the probe (default: ${DEFAULT-VALUE}).")
    ServerEra serverEra;

    @Option(names = "--max-backends",
            description = "per-session mode: most server processes at once (default: ${DEFAULT-VALUE}).")
    int maxBackends;

    @Option(names = "--max-sessions",
            description = "Most sessions this replica holds at once; one more gets 503 with Retry-After"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(names = "--backend-idle-timeout", converter = DurationConverter.class,
            description = "per-session mode: stop a process whose session sent nothing for this long; the session"
                    + " ends (default: ${DEFAULT-VALUE}).")
    Duration backendIdleTimeout;

    @Option(names = "--request-timeout", converter = DurationConverter.class,
            description = "Longest wait for the MCP server's answer; then the client gets an error and the server"
                    + " notifications/cancelled; 0s = none (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--cancel-grace", converter = DurationConverter.class,
            description = "Shared mode: how long a request answered by the proxy (cancelled, timed out, session"
                    + " ended) still claims the server's unaddressed messages for its session (default:"
                    + " ${DEFAULT-VALUE}).")
    Duration cancelGrace;

    @Option(names = "--max-server-message-size",
            description = "Largest message (stdout line) the MCP server may send, in bytes; a longer answer is"
                    + " replaced by a JSON-RPC error to its client (default: ${DEFAULT-VALUE} = 64 MiB).")
    long maxServerMessageSize;

    @Parameters(arity = "1..*", paramLabel = "COMMAND",
            description = "The stdio MCP server to run, after '--', e.g. -- python server.py")
    List<String> command;

    StdioBackendSettings settings() {
        return StdioBackendSettings.of(StdioServer.command(command)).withMode(mode).withMaxBackends(maxBackends)
                .withRequestTimeout(requestTimeout).withMaxServerMessageBytes(maxServerMessageSize)
                .withCancelGrace(cancelGrace).withMaxSessions(maxSessions)
                .withBackendIdleTimeout(backendIdleTimeout).withServerEra(serverEra);
    }

    /** {@code auto} / {@code legacy} / {@code modern}. */
    static final class ServerEraConverter implements CommandLine.ITypeConverter<ServerEra> {
        @Override
        public ServerEra convert(String value) {
            try {
                return ServerEra.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code shared} / {@code per-session}. */
    static final class BackendModeConverter implements CommandLine.ITypeConverter<BackendMode> {
        @Override
        public BackendMode convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "shared" -> BackendMode.SHARED;
                case "per-session", "per_session" -> BackendMode.PER_SESSION;
                default -> throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a backend mode: use shared or per-session");
            };
        }
    }
}
