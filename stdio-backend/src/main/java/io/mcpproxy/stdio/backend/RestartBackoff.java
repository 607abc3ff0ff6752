package io.mcpproxy.stdio.backend;

import java.time.Duration;

/**
 * Exponential backoff between restarts of a dying server: the initial delay, doubled per consecutive short-lived
 * process, capped at the max delay. A process that lived longer than the max delay was healthy: the doubling starts
 * over. Not thread-safe: {@link ProcessSupervisor} guards it.
 */
final class RestartBackoff {

    private final long initialMillis;
    private final long maxMillis;
    private final long healthyNanos;
    private int consecutiveFailures;

    RestartBackoff(Duration initialDelay, Duration maxDelay) {
        this.initialMillis = initialDelay.toMillis();
        this.maxMillis = maxDelay.toMillis();
        this.healthyNanos = maxDelay.toNanos();
    }

    /**
     * The delay before the next start, in milliseconds.
     *
     * @param livedNanos how long the process that just died ran (0 when it never started)
     */
    long nextDelayMillis(long livedNanos) {
        consecutiveFailures = livedNanos > healthyNanos ? 0 : consecutiveFailures + 1;
        return Math.min(maxMillis, initialMillis << Math.min(20, Math.max(0, consecutiveFailures - 1)));
    }
}
