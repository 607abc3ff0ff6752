package io.mcpproxy.core.forward;

import io.mcpproxy.core.Settings;
import java.time.Duration;

/**
 * The pooled HTTP client a proxy forwards through, and the options each forwarded request takes from it. Each
 * option's default, unit and valid range are declared here once; the proxy builders and the runner's flags all set
 * them through this record, and {@link UpstreamClients#newClient} builds the client from it.
 *
 * @param maxConnectionsPerUpstream most connections to one upstream (scheme, host and port), at least 1. Default 64
 * @param upstreamIoThreads         selector threads reading upstream responses (each also writes them on to the
 *                                  clients), at least 1. Default 2, or half the processors up to 4 on larger
 *                                  machines: with a single one, that thread is the proxy's bottleneck under load
 * @param maxQueuedRequests         most requests waiting for a connection to one upstream, at least 1; beyond that
 *                                  they fail with 502. Default 1024
 * @param poolIdleTimeout           how long an unused pooled connection is kept, at least 1 ms. Default 4 s: below
 *                                  the 5 s keep-alive of Node and Python HTTP servers, so the proxy closes idle
 *                                  connections before the upstream does
 * @param connectTimeout            time to open an upstream connection, at least 1 ms. Default 5 s
 * @param responseIdleTimeout       longest silence from the upstream during one exchange, at least 1 ms (504
 *                                  before the response starts, abort after). There is no total timeout, so streams
 *                                  may last; keep upstream SSE keep-alives below this. Default 5 min
 * @param http2                     HTTP/2 to the upstreams (h2c with prior knowledge for {@code http://}). Default
 *                                  false (HTTP/1.1)
 * @param idlePooling               whether a connection stays in the pool after its exchange; false closes every
 *                                  upstream connection after its exchange (for hosts that freeze between
 *                                  invocations, leaving pooled connections stale). Default true
 * @param poolingRate               share of requests sent on pooled connections, 0.0 to 1.0; the rest go on one-off
 *                                  connections (to roll pooling out gradually). Default 1.0
 */
public record UpstreamPoolSettings(int maxConnectionsPerUpstream, int upstreamIoThreads, int maxQueuedRequests,
                                   Duration poolIdleTimeout, Duration connectTimeout, Duration responseIdleTimeout,
                                   boolean http2, boolean idlePooling, double poolingRate) {

    /** Every option at its default. */
    public static final UpstreamPoolSettings DEFAULTS = new UpstreamPoolSettings(64,
            Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)), 1024, Duration.ofSeconds(4),
            Duration.ofSeconds(5), Duration.ofMinutes(5), false, true, 1.0);

    public UpstreamPoolSettings {
        Settings.requireAtLeast(maxConnectionsPerUpstream, 1, "maxConnectionsPerUpstream");
        Settings.requireAtLeast(upstreamIoThreads, 1, "upstreamIoThreads");
        Settings.requireAtLeast(maxQueuedRequests, 1, "maxQueuedRequests");
        Settings.requireAtLeast(poolIdleTimeout, Duration.ofMillis(1), "poolIdleTimeout");
        Settings.requireAtLeast(connectTimeout, Duration.ofMillis(1), "connectTimeout");
        Settings.requireAtLeast(responseIdleTimeout, Duration.ofMillis(1), "responseIdleTimeout");
        if (!(poolingRate >= 0.0 && poolingRate <= 1.0)) {
            throw new IllegalArgumentException("poolingRate must be between 0.0 and 1.0, got " + poolingRate);
        }
    }

    public UpstreamPoolSettings withMaxConnectionsPerUpstream(int maxConnectionsPerUpstream) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withUpstreamIoThreads(int upstreamIoThreads) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withMaxQueuedRequests(int maxQueuedRequests) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withPoolIdleTimeout(Duration poolIdleTimeout) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withConnectTimeout(Duration connectTimeout) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withResponseIdleTimeout(Duration responseIdleTimeout) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withHttp2(boolean http2) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withIdlePooling(boolean idlePooling) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }

    public UpstreamPoolSettings withPoolingRate(double poolingRate) {
        return new UpstreamPoolSettings(maxConnectionsPerUpstream, upstreamIoThreads, maxQueuedRequests,
                poolIdleTimeout, connectTimeout, responseIdleTimeout, http2, idlePooling, poolingRate);
    }
}
