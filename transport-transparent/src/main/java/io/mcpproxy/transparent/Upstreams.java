package io.mcpproxy.transparent;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream MCP servers: round robin for new sessions, skipping targets the health probe marked down (unless
 * all are down: then every target is tried, since a stale probe must not take the proxy out of service).
 */
final class Upstreams {

    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

    private final List<URI> targets;
    private final AtomicIntegerArray healthy;
    private final AtomicInteger next = new AtomicInteger();

    Upstreams(List<URI> targets) {
        this.targets = List.copyOf(targets);
        this.healthy = new AtomicIntegerArray(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            healthy.set(i, 1);
        }
    }

    List<URI> all() {
        return targets;
    }

    /** The static target: where requests go whose session names no usable upstream. */
    URI first() {
        return targets.get(0);
    }

    /** The next target for a new session. */
    URI pick() {
        int size = targets.size();
        int start = Math.floorMod(next.getAndIncrement(), size);
        for (int i = 0; i < size; i++) {
            int candidate = (start + i) % size;
            if (healthy.get(candidate) == 1) {
                return targets.get(candidate);
            }
        }
        return targets.get(start);
    }

    void markHealthy(URI target, boolean up) {
        int index = targets.indexOf(target);
        if (index >= 0) {
            healthy.set(index, up ? 1 : 0);
        }
    }

    boolean isHealthy(URI target) {
        int index = targets.indexOf(target);
        return index >= 0 && healthy.get(index) == 1;
    }

    /**
     * One health round, run every {@code interval}: any HTTP answer counts as alive; no answer (refused, timeout) as
     * down. Each probe waits half the interval, at least 1 s.
     */
    void probe(HttpClient client, Duration interval) {
        for (URI target : targets) {
            client.newRequest(target).method("GET").timeout(Math.max(1_000, interval.toMillis() / 2),
                    TimeUnit.MILLISECONDS).send(result -> {
                        boolean up = result.getResponse() != null && result.getResponse().getStatus() > 0
                                && !(result.isFailed() && result.getResponse().getStatus() == 0);
                        if (up != isHealthy(target)) {
                            LOG.warn("upstream {} is {}", target, up ? "back" : "down: no new sessions go there");
                        }
                        markHealthy(target, up);
                    });
        }
    }
}
