package io.mcpproxy.runner;

import io.mcpproxy.core.forward.UpstreamPoolSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link UpstreamPoolSettings}, for the subcommands that forward to upstream HTTP servers. */
final class UpstreamPoolOptions {

    @Option(names = "--max-connections", description = "Most connections per upstream (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--upstream-io-threads",
            description = "Selector threads for upstream connections (default: ${DEFAULT-VALUE}: 2, or half the"
                    + " processors up to 4).")
    int ioThreads;

    @Option(names = "--max-queued",
            description = "Most requests waiting for an upstream connection (default: ${DEFAULT-VALUE}).")
    int maxQueued;

    @Option(names = "--pool-idle-timeout", converter = DurationConverter.class,
            description = "How long an unused upstream connection is kept; keep it below the upstream's keep-alive"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration poolIdleTimeout;

    @Option(names = "--connect-timeout", converter = DurationConverter.class,
            description = "Time to open an upstream connection (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--response-idle-timeout", converter = DurationConverter.class,
            description = "Longest upstream silence within one exchange: 504 before the response starts"
                    + " (default: ${DEFAULT-VALUE}). No total timeout, so streams may last.")
    Duration responseIdleTimeout;

    @Option(names = "--http2", description = "HTTP/2 (h2c) to the upstreams. Default: HTTP/1.1.")
    boolean http2;

    @Option(names = "--no-idle-pooling",
            description = "Close every upstream connection after its exchange (for hosts that freeze between"
                    + " invocations).")
    boolean noIdlePooling;

    @Option(names = "--pooling-rate",
            description = "Share of requests on pooled connections, 0.0-1.0 (default: ${DEFAULT-VALUE}).")
    double poolingRate;

    UpstreamPoolSettings settings() {
        return UpstreamPoolSettings.DEFAULTS.withMaxConnectionsPerUpstream(maxConnections)
                .withUpstreamIoThreads(ioThreads).withMaxQueuedRequests(maxQueued).withPoolIdleTimeout(poolIdleTimeout)
                .withConnectTimeout(connectTimeout).withResponseIdleTimeout(responseIdleTimeout).withHttp2(http2)
                .withIdlePooling(!noIdlePooling).withPoolingRate(poolingRate);
    }
}
