package io.mcpproxy.runner;

import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.streamable.ResumptionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every serving subcommand shares, applied to {@link McpProxy.AbstractBuilder}. */
final class ProxyOptions {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to bind; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--session-ttl", defaultValue = "2h", converter = DurationConverter.class,
            description = "Sliding session time-to-live (default: ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    @Option(names = "--redis-url", paramLabel = "URL",
            description = "Keep sessions in Redis (redis://[user:password@]host:port[/db], rediss:// for TLS) so that"
                    + " replicas share them. Absent: in-process storage.")
    String redisUrl;

    @Option(names = "--redis-key-prefix", defaultValue = RedisStorage.DEFAULT_KEY_PREFIX,
            description = "Redis key prefix, ends with ':' (default: ${DEFAULT-VALUE}).")
    String redisKeyPrefix;

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "Extra allowed Origin (repeatable; '*' = any). Loopback origins and requests without Origin"
                    + " are always allowed.")
    List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "HOST",
            description = "Allowed Host header name (repeatable; '*' = any). Default: loopback names when bound to"
                    + " loopback, else any.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--request-timeout", defaultValue = "5m", converter = DurationConverter.class,
            description = "Longest wait for the MCP server's answer; then the client gets an error and the server"
                    + " notifications/cancelled; 0s = none (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--backend-mode", defaultValue = "shared", paramLabel = "shared|per-session",
            converter = BackendModeConverter.class,
            description = "One MCP server process for all sessions, or one per session (default: ${DEFAULT-VALUE}).")
    BackendMode backendMode;

    @Option(names = "--max-backends", defaultValue = "64",
            description = "per-session mode: most server processes at once (default: ${DEFAULT-VALUE}).")
    int maxBackends;

    @Option(names = "--keep-alive", defaultValue = "15s", converter = DurationConverter.class,
            description = "Interval of SSE keep-alive comments (default: ${DEFAULT-VALUE}).")
    Duration keepAlive;

    @Option(names = "--stream-buffer-events", defaultValue = "1000",
            description = "Bound of each SSE stream's outbound queue in events; a client that falls further behind is"
                    + " cut off (default: ${DEFAULT-VALUE}).")
    int streamBufferEvents;

    @Option(names = "--stream-buffer-bytes", defaultValue = "8388608",
            description = "Bound of each SSE stream's outbound queue in bytes; a client that falls further behind is"
                    + " cut off (default: ${DEFAULT-VALUE} = 8 MiB).")
    long streamBufferBytes;

    @Option(names = "--resume-window", defaultValue = "60s", converter = DurationConverter.class,
            description = "Streamable HTTP: how long sent events stay replayable for a client that reconnects with"
                    + " Last-Event-ID, and a response whose connection dropped is kept; 0s turns replay off"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration resumeWindow;

    @Option(names = "--replay-buffer-events",
            description = "Streamable HTTP: bound of each session's replay buffer in events, at most"
                    + " --stream-buffer-events (default: 256, or --stream-buffer-events when smaller).")
    Integer replayBufferEvents;

    @Option(names = "--replay-buffer-bytes",
            description = "Streamable HTTP: bound of each session's replay buffer in bytes, at most"
                    + " --stream-buffer-bytes (default: 4194304 = 4 MiB, or --stream-buffer-bytes when smaller).")
    Long replayBufferBytes;

    @Option(names = "--max-body-size", defaultValue = "4194304",
            description = "Largest POST body in bytes; larger gets 413 (default: ${DEFAULT-VALUE}).")
    long maxBodySize;

    @Option(names = "--max-server-message-size", defaultValue = "67108864",
            description = "Largest message (stdout line) the MCP server may send, in bytes; a longer answer is"
                    + " replaced by a JSON-RPC error to its client (default: ${DEFAULT-VALUE} = 64 MiB).")
    long maxServerMessageSize;

    @Option(names = "--replica-id", description = "This replica's name in session metadata (default: hostname:port).")
    String replicaId;

    @Option(names = "--drain-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "On SIGTERM, how long in-flight requests may take to finish (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Parameters(arity = "1..*", paramLabel = "COMMAND",
            description = "The stdio MCP server to run, after '--', e.g. -- python server.py")
    List<String> command;

    /** Applies every shared option; returns the Redis storage it opened (the caller closes it), or null. */
    RedisStorage applyTo(McpProxy.AbstractBuilder<?> builder) {
        builder.command(command).host(host).port(port).sessionTtl(sessionTtl).allowedOrigins(allowedOrigins)
                .allowedHosts(allowedHosts).requestTimeout(requestTimeout).backendMode(backendMode)
                .maxBackends(maxBackends).keepAliveInterval(keepAlive)
                .streamBuffer(streamBufferEvents, streamBufferBytes).maxBodySize(maxBodySize)
                .maxServerMessageSize(maxServerMessageSize)
                .drainTimeout(drainTimeout);
        if (replicaId != null) {
            builder.replicaId(replicaId);
        }
        if (redisUrl == null) {
            return null;
        }
        RedisStorage storage = RedisStorage.builder().uri(redisUrl).keyPrefix(redisKeyPrefix).build();
        builder.withSessionStorage(storage);
        return storage;
    }

    /** Streamable HTTP resumption as the options say; the replay bounds only where given. */
    ResumptionSettings resumption() {
        ResumptionSettings resumption = ResumptionSettings.DEFAULTS.withWindow(resumeWindow);
        if (replayBufferEvents == null && replayBufferBytes == null) {
            return resumption; // the default, lowered to the stream buffer where that is smaller
        }
        ResumptionSettings.ReplayBounds given = ResumptionSettings.ReplayBounds.DEFAULT;
        return resumption.withReplayBuffer(replayBufferEvents != null ? replayBufferEvents : given.maxEvents(),
                replayBufferBytes != null ? replayBufferBytes : given.maxBytes());
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
