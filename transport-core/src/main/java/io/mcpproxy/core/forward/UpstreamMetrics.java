package io.mcpproxy.core.forward;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToIntFunction;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpDestination;

/**
 * The upstream side of forwarded exchanges: a timer per target ({@code host:port}) and status class
 * ({@value #REQUESTS}, {@code none} when no response arrived), retries, error answers the proxy wrote itself by
 * reason (502 {@code upstream_unreachable}, 504 {@code upstream_timeout}, ...), and the connection pool of the
 * client as gauges summed over its destinations.
 */
final class UpstreamMetrics {

    static final String REQUESTS = "mcp.proxy.upstream.requests";

    /** Status classes 0 ({@code none}) to 5xx; a status outside them is looked up in the registry each time. */
    private static final int STATUS_CLASSES = 6;

    private final MeterRegistry registry;
    private final Counter retries;
    /**
     * Per target URI (a handful: the proxy's targets, the replicas), its timers by status class, so an exchange
     * builds no tags. An atomic array: a timer set by one request thread is read whole by the others.
     */
    private final ConcurrentHashMap<URI, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> errors = new ConcurrentHashMap<>();

    UpstreamMetrics(MeterRegistry registry, HttpClient client) {
        this.registry = registry;
        this.retries = Counter.builder("mcp.proxy.upstream.retries")
                .description("Requests sent again: their pooled connection was closed before any byte was written")
                .register(registry);
        pool(client, "active", AbstractConnectionPool::getActiveConnectionCount);
        pool(client, "idle", AbstractConnectionPool::getIdleConnectionCount);
        pool(client, "pending", AbstractConnectionPool::getPendingConnectionCount);
        Gauge.builder("mcp.proxy.upstream.queued.requests", client, UpstreamMetrics::queued)
                .description("Requests waiting for an upstream connection").register(registry);
    }

    private void pool(HttpClient client, String state, ToIntFunction<AbstractConnectionPool> count) {
        Gauge.builder("mcp.proxy.upstream.connections", client, c -> sum(c, count))
                .description("Upstream connections, by state").tag("state", state).register(registry);
    }

    void retried() {
        retries.increment();
    }

    /** An upstream exchange completed after {@code nanos}; {@code status} 0 when no response arrived. */
    void completed(URI upstream, int status, long nanos) {
        int statusClass = status / 100;
        AtomicReferenceArray<Timer> byClass = timers.computeIfAbsent(upstream,
                u -> new AtomicReferenceArray<>(STATUS_CLASSES));
        boolean cached = status >= 0 && statusClass < STATUS_CLASSES;
        Timer timer = cached ? byClass.get(statusClass) : null;
        if (timer == null) {
            timer = timer(upstream, status);
            if (cached) {
                byClass.set(statusClass, timer); // a race registers the same timer twice: the registry returns one
            }
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer timer(URI upstream, int status) {
        return Timer.builder(REQUESTS)
                .description("Upstream exchanges, by target and status class")
                .tag("target", upstream.getHost() + ":" + upstream.getPort())
                .tag("status_class", status == 0 ? "none" : status / 100 + "xx")
                .publishPercentileHistogram().register(registry);
    }

    /** The proxy answered the client itself with {@code status} for {@code reason} (the upstream failed). */
    void errorAnswered(int status, String reason) {
        errors.computeIfAbsent(status + " " + reason, k -> Counter.builder("mcp.proxy.upstream.errors")
                .description("Error answers the proxy wrote for a failed upstream exchange")
                .tag("status", Integer.toString(status)).tag("reason", reason).register(registry)).increment();
    }

    private static double sum(HttpClient client, ToIntFunction<AbstractConnectionPool> count) {
        int total = 0;
        for (Destination destination : client.getDestinations()) {
            if (destination.getConnectionPool() instanceof AbstractConnectionPool pool) {
                total += count.applyAsInt(pool);
            }
        }
        return total;
    }

    private static double queued(HttpClient client) {
        int total = 0;
        for (Destination destination : client.getDestinations()) {
            if (destination instanceof HttpDestination http) {
                total += http.getQueuedRequestCount();
            }
        }
        return total;
    }
}
