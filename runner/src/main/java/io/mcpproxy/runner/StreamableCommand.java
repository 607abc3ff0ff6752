package io.mcpproxy.runner;

import io.mcpproxy.core.BackendMode;
import io.mcpproxy.session.RedisStorage;
import io.mcpproxy.session.SessionStorage;
import io.mcpproxy.streamable.StreamableHttpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mcp-proxy streamable}: MCP Streamable HTTP in front of a stdio MCP server. */
@Command(name = "streamable", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"MCP Streamable HTTP (POST/GET/DELETE on one path) in front of a stdio MCP server.",
                "Example: mcp-proxy streamable --port 8080 -- npx -y @modelcontextprotocol/server-everything"},
        footer = {"", "SIGTERM or Ctrl-C drains in-flight requests (up to --drain-timeout), ends the streams, stops the"
                + " MCP server and exits 0."})
final class StreamableCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to bind; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--path", defaultValue = "/mcp", description = "Endpoint path (default: ${DEFAULT-VALUE}).")
    String path;

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

    @Option(names = "--max-body-size", defaultValue = "4194304",
            description = "Largest POST body in bytes; larger gets 413 (default: ${DEFAULT-VALUE}).")
    long maxBodySize;

    @Option(names = "--replica-id", description = "This replica's name in session metadata (default: hostname:port).")
    String replicaId;

    @Option(names = "--drain-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "On SIGTERM, how long in-flight requests may take to finish (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Parameters(arity = "1..*", paramLabel = "COMMAND",
            description = "The stdio MCP server to run, after '--', e.g. -- python server.py")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        SessionStorage storage = redisUrl == null ? null
                : RedisStorage.builder().uri(redisUrl).keyPrefix(redisKeyPrefix).build();
        StreamableHttpProxy.Builder builder = StreamableHttpProxy.builder()
                .command(command).host(host).port(port).path(path).sessionTtl(sessionTtl)
                .allowedOrigins(allowedOrigins).allowedHosts(allowedHosts).requestTimeout(requestTimeout)
                .backendMode(backendMode).maxBackends(maxBackends).keepAliveInterval(keepAlive)
                .maxBodySize(maxBodySize).drainTimeout(drainTimeout);
        if (storage != null) {
            builder.withSessionStorage(storage);
        }
        if (replicaId != null) {
            builder.replicaId(replicaId);
        }
        StreamableHttpProxy proxy = builder.build();
        try {
            proxy.start();
        } catch (Exception e) {
            proxy.close();
            if (storage != null) {
                storage.close();
            }
            throw e;
        }
        System.out.println(proxy.uri());
        System.out.flush();
        GracefulShutdown.awaitSignal(() -> {
            proxy.close();
            if (storage != null) {
                storage.close();
            }
        });
        return 0;
    }

    /** {@code shared} / {@code per-session}. */
    static final class BackendModeConverter implements picocli.CommandLine.ITypeConverter<BackendMode> {
        @Override
        public BackendMode convert(String value) {
            return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "shared" -> BackendMode.SHARED;
                case "per-session", "per_session" -> BackendMode.PER_SESSION;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a backend mode: use shared or per-session");
            };
        }
    }
}
