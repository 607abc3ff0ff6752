package io.mcpproxy.transparent;

import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The upstream MCP servers: round robin for new sessions, skipping targets the health probe marked down (unless
 * all are down: then every target is tried, since a stale probe must not take the proxy out of service).
 */
final class Upstreams {

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
}
