package io.mcpproxy.streamable;

import io.mcpproxy.core.Settings;
import io.mcpproxy.stdio.StreamSettings;
import java.time.Duration;

/**
 * Streamable HTTP resumption: how long the events a session's streams sent stay replayable for a client that comes
 * back with {@code GET} and {@code Last-Event-ID}, and how many are kept. A message for a request whose stream is
 * gone is kept as long, for the same reason, instead of being dropped. Each option's default, unit and valid range
 * are declared here once. (The legacy SSE transport has no resumption.)
 *
 * @param window       how long a sent event stays replayable; zero turns replay off. Default 60 s
 * @param replayBuffer bound of each session's replay buffer (the oldest events go first, the newest is always kept
 *                     however large), at most the stream buffer's bounds: a replay has to fit the stream it goes
 *                     out on. Default null: {@link ReplayBounds#DEFAULT}, lowered to the stream buffer's bounds
 *                     where those are smaller
 */
public record ResumptionSettings(Duration window, ReplayBounds replayBuffer) {

    /** Every option at its default. */
    public static final ResumptionSettings DEFAULTS = new ResumptionSettings(Duration.ofSeconds(60), null);

    /**
     * Bounds of a session's replay buffer.
     *
     * @param maxEvents events, at least 1
     * @param maxBytes  bytes (counted in characters of JSON), at least 1
     */
    public record ReplayBounds(int maxEvents, long maxBytes) {
        /** 256 events and 4 MiB. */
        public static final ReplayBounds DEFAULT = new ReplayBounds(256, 4L * 1024 * 1024);

        public ReplayBounds {
            if (maxEvents < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("replayBuffer bounds must be positive");
            }
        }
    }

    public ResumptionSettings {
        Settings.requireAtLeast(window, Duration.ZERO, "resumeWindow");
    }

    public ResumptionSettings withWindow(Duration window) {
        return new ResumptionSettings(window, replayBuffer);
    }

    /** Both bounds of a session's replay buffer. */
    public ResumptionSettings withReplayBuffer(int maxEvents, long maxBytes) {
        return new ResumptionSettings(window, new ReplayBounds(maxEvents, maxBytes));
    }

    /**
     * The replay buffer's bounds on streams bounded by {@code streams}: as set, or the default lowered to the
     * stream buffer's.
     *
     * @throws IllegalStateException when bounds set explicitly exceed the stream buffer's
     */
    public ReplayBounds replayBufferFor(StreamSettings streams) {
        if (replayBuffer == null) {
            return new ReplayBounds(Math.min(ReplayBounds.DEFAULT.maxEvents(), streams.maxQueuedEvents()),
                    Math.min(ReplayBounds.DEFAULT.maxBytes(), streams.maxQueuedBytes()));
        }
        if (replayBuffer.maxEvents() > streams.maxQueuedEvents() || replayBuffer.maxBytes() > streams.maxQueuedBytes()) {
            throw new IllegalStateException("replayBuffer (" + replayBuffer.maxEvents() + " events, "
                    + replayBuffer.maxBytes() + " bytes) must not exceed streamBuffer (" + streams.maxQueuedEvents()
                    + " events, " + streams.maxQueuedBytes() + " bytes): a replay has to fit the stream it goes out on");
        }
        return replayBuffer;
    }
}
