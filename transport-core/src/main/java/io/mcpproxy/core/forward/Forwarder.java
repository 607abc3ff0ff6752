package io.mcpproxy.core.forward;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.client.HttpClient;

/**
 * What every {@link ForwardedExchange} of one proxy shares: the pooled upstream client and the options applied to
 * each request. Safe to use from every request thread. Starting and stopping the client is its owner's business
 * (a proxy holds it as a bean).
 */
public final class Forwarder {

    private final HttpClient client;
    private final UpstreamPoolSettings pool;
    private final UpstreamMetrics metrics; // null: no registry, nothing measured

    /**
     * @param client the client requests go out on, as it is (built by {@link UpstreamClients}, or a caller's own)
     * @param pool   the per-request options: {@link UpstreamPoolSettings#responseIdleTimeout},
     *               {@link UpstreamPoolSettings#idlePooling}, {@link UpstreamPoolSettings#poolingRate}, and whether
     *               the upstreams speak {@link UpstreamPoolSettings#http2}
     */
    public Forwarder(HttpClient client, UpstreamPoolSettings pool) {
        this(client, pool, null);
    }

    /** @param registry where upstream exchanges, retries, error answers and the pool are measured; null: nowhere */
    public Forwarder(HttpClient client, UpstreamPoolSettings pool, MeterRegistry registry) {
        this.client = Objects.requireNonNull(client, "client");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.metrics = registry == null ? null : new UpstreamMetrics(registry, client);
    }

    /** The upstream meters, or null. */
    UpstreamMetrics metrics() {
        return metrics;
    }

    /** The client requests go out on. */
    public HttpClient client() {
        return client;
    }

    /** The options each request takes. */
    public UpstreamPoolSettings pool() {
        return pool;
    }

    /** Whether the next request may use (and leave behind) a pooled connection; otherwise it asks for a close. */
    boolean pooled() {
        if (pool.http2()) {
            return true; // one multiplexed connection; Connection: close does not apply
        }
        if (!pool.idlePooling()) {
            return false; // every connection closes after its exchange
        }
        double rate = pool.poolingRate();
        return rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate;
    }
}
