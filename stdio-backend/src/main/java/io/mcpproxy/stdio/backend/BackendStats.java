package io.mcpproxy.stdio.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of messages the proxy could not deliver and of backend events: nothing is dropped without being
 * logged and counted here.
 */
public final class BackendStats {

    final AtomicLong undeliverable = new AtomicLong();
    final AtomicLong unattributable = new AtomicLong();
    final AtomicLong lateResponses = new AtomicLong();
    final AtomicLong misdirectedResponses = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong restarts = new AtomicLong();
    final AtomicLong starts = new AtomicLong();
    final AtomicLong exits = new AtomicLong();
    /** {@link System#nanoTime()} of the last process start; meaningful once {@link #starts} is above 0. */
    volatile long lastStartNanos;

    /** Server-to-client messages no client session could receive (ambiguous target, no stream, closed stream). */
    public long undeliverable() {
        return undeliverable.get();
    }

    /**
     * Of {@link #undeliverable()}: server requests and notifications not tied to a request that the proxy refused
     * because it cannot tell which session they are for (several sessions busy, a cancelled request within the
     * cancel grace, several idle sessions, none open).
     */
    public long unattributable() {
        return unattributable.get();
    }

    /** Server responses that arrived after their request timed out, was cancelled or its session ended. */
    public long lateResponses() {
        return lateResponses.get();
    }

    /** Client responses to server requests that were not sent to that client, refused. */
    public long misdirectedResponses() {
        return misdirectedResponses.get();
    }

    /** Requests answered with a timeout error. */
    public long timeouts() {
        return timeouts.get();
    }

    /** Times a dead MCP server process was started again. */
    public long restarts() {
        return restarts.get();
    }

    /** MCP server processes started, first starts and restarts, in every mode. */
    public long starts() {
        return starts.get();
    }

    /** MCP server processes that exited (crashed, or stopped by the proxy). */
    public long exits() {
        return exits.get();
    }

    /** Seconds since the last MCP server process started; NaN before the first start. */
    public double secondsSinceLastStart() {
        return starts.get() == 0 ? Double.NaN : (System.nanoTime() - lastStartNanos) / 1e9;
    }

    @Override
    public String toString() {
        return "undeliverable=" + undeliverable + " unattributable=" + unattributable + " late=" + lateResponses
                + " misdirected=" + misdirectedResponses + " timeouts=" + timeouts + " restarts=" + restarts
                + " starts=" + starts + " exits=" + exits;
    }
}
