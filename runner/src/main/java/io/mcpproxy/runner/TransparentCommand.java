package io.mcpproxy.runner;

import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.transparent.TransparentProxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mcp-proxy transparent}: a session-sticky reverse proxy in front of MCP servers that speak HTTP. */
@Command(name = "transparent", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Session-sticky reverse proxy in front of MCP servers that already speak HTTP"
                + " (Streamable HTTP or legacy HTTP+SSE).",
                "Example: mcp-proxy transparent --port 8080 --target http://127.0.0.1:9000/mcp"
                        + " --target http://127.0.0.1:9001/mcp --redis-url redis://127.0.0.1:6379"},
        footer = {"", "SIGTERM or Ctrl-C drains in-flight requests (up to --drain-timeout) and exits 0."})
final class TransparentCommand implements Callable<Integer> {

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Upstream MCP endpoint (repeatable). New sessions go round robin; each session sticks to"
                    + " the upstream that created it.")
    List<URI> targets = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to bind; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--path-prefix", defaultValue = "",
            description = "Serve the upstreams under this prefix (removed before forwarding; legacy SSE endpoint"
                    + " events rewritten to it). Default: none.")
    String pathPrefix;

    @Option(names = "--redis-url", paramLabel = "URL",
            description = "Keep learned sessions in Redis so that replicas route them alike. Absent: in-process.")
    String redisUrl;

    @Option(names = "--redis-key-prefix", defaultValue = RedisStorage.DEFAULT_KEY_PREFIX,
            description = "Redis key prefix, ends with ':' (default: ${DEFAULT-VALUE}).")
    String redisKeyPrefix;

    @Option(names = "--session-ttl", defaultValue = "2h", converter = DurationConverter.class,
            description = "Sliding TTL of learned sessions (default: ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    @Option(names = "--unknown-session-status", defaultValue = "404", paramLabel = "404|400",
            description = "Answer for requests naming an unknown session, without contacting any upstream"
                    + " (default: ${DEFAULT-VALUE}; spec clients re-initialize on 404).")
    int unknownSessionStatus;

    @Option(names = "--max-connections", defaultValue = "64",
            description = "Most connections per upstream (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--upstream-io-threads",
            description = "Selector threads for upstream connections (default: 2, or half the processors up to 4).")
    Integer upstreamIoThreads;

    @Option(names = "--max-queued", defaultValue = "1024",
            description = "Most requests waiting for an upstream connection (default: ${DEFAULT-VALUE}).")
    int maxQueued;

    @Option(names = "--pool-idle-timeout", defaultValue = "4s", converter = DurationConverter.class,
            description = "How long an unused upstream connection is kept; keep it below the upstream's keep-alive"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration poolIdleTimeout;

    @Option(names = "--connect-timeout", defaultValue = "5s", converter = DurationConverter.class,
            description = "Time to open an upstream connection (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--response-idle-timeout", defaultValue = "5m", converter = DurationConverter.class,
            description = "Longest upstream silence within one exchange: 504 before the response starts"
                    + " (default: ${DEFAULT-VALUE}). No total timeout, so streams may last.")
    Duration responseIdleTimeout;

    @Option(names = "--http2", description = "HTTP/2 (h2c) to the upstreams. Default: HTTP/1.1.")
    boolean http2;

    @Option(names = "--no-idle-pooling",
            description = "Close every upstream connection after its exchange (for hosts that freeze between"
                    + " invocations).")
    boolean noIdlePooling;

    @Option(names = "--pooling-rate", defaultValue = "1.0",
            description = "Share of requests on pooled connections, 0.0-1.0 (default: ${DEFAULT-VALUE}).")
    double poolingRate;

    @Option(names = "--health-check-interval", converter = DurationConverter.class,
            description = "Probe every target this often; one that fails gets no new sessions. Default: off.")
    Duration healthCheckInterval;

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN", description = "Extra allowed Origin (repeatable).")
    List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "HOST", description = "Allowed Host header name (repeatable).")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--drain-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "On SIGTERM, how long in-flight requests may take (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--max-body-size", defaultValue = "4194304",
            description = "Largest request body in bytes (read whole before forwarding); larger gets 413 "
                    + "(default: ${DEFAULT-VALUE}).")
    long maxBodySize;

    @Override
    public Integer call() throws Exception {
        RedisStorage storage = redisUrl == null ? null
                : RedisStorage.builder().uri(redisUrl).keyPrefix(redisKeyPrefix).build();
        TransparentProxy.Builder builder = TransparentProxy.builder().targets(targets).host(host).port(port)
                .pathPrefix(pathPrefix).sessionTtl(sessionTtl).unknownSessionStatus(unknownSessionStatus)
                .maxConnectionsPerUpstream(maxConnections).maxQueuedRequests(maxQueued)
                .poolIdleTimeout(poolIdleTimeout).connectTimeout(connectTimeout)
                .responseIdleTimeout(responseIdleTimeout).http2(http2).poolingRate(poolingRate)
                .allowedOrigins(allowedOrigins).allowedHosts(allowedHosts).drainTimeout(drainTimeout)
                .maxBodySize(maxBodySize);
        if (upstreamIoThreads != null) {
            builder.upstreamIoThreads(upstreamIoThreads);
        }
        if (noIdlePooling) {
            builder.idlePooling(false);
        }
        if (healthCheckInterval != null) {
            builder.healthCheckInterval(healthCheckInterval);
        }
        if (storage != null) {
            builder.withSessionStorage(storage);
        }
        TransparentProxy proxy = builder.build();
        return GracefulShutdown.serve(new GracefulShutdown.Service() {
            @Override
            public void start() throws Exception {
                proxy.start();
            }

            @Override
            public void stop() {
                proxy.close();
                if (storage != null) {
                    storage.close();
                }
            }
        }, () -> List.of(proxy.uri(pathPrefix.isEmpty() ? "/" : pathPrefix + "/")));
    }
}
