package io.mcpproxy.stdio;

import io.mcpproxy.core.Settings;
import java.time.Duration;

/**
 * The SSE streams of the stdio transports (Streamable HTTP GET and POST streams, legacy {@code /sse} streams): how
 * often they carry a keep-alive, and how far a client may fall behind before it is cut off. Each option's default,
 * unit and valid range are declared here once.
 *
 * @param keepAliveInterval  interval of keep-alive comments on open streams, which also restart the TTL of sessions
 *                           whose clients listen or wait; at least 10 ms. Default 15 s. The proxy uses at most a
 *                           third of the session TTL, so that a listening client's session is refreshed in time
 * @param maxQueuedEvents    bound of one stream's outbound queue, in events; a client that falls further behind is
 *                           cut off. Default 1,000
 * @param maxQueuedBytes     the same bound in bytes. Default 8 MiB
 * @param maxWaitingMessages server messages kept for a session until it has a stream open, zero or more. Default 256
 */
public record StreamSettings(Duration keepAliveInterval, int maxQueuedEvents, long maxQueuedBytes,
                             int maxWaitingMessages) {

    /** Every option at its default. */
    public static final StreamSettings DEFAULTS = new StreamSettings(Duration.ofSeconds(15), 1_000,
            8L * 1024 * 1024, 256);

    public StreamSettings {
        Settings.requireAtLeast(keepAliveInterval, Duration.ofMillis(10), "keepAliveInterval");
        if (maxQueuedEvents < 1 || maxQueuedBytes < 1) {
            throw new IllegalArgumentException("streamBuffer bounds must be positive");
        }
        Settings.requireAtLeast(maxWaitingMessages, 0, "maxWaitingMessages");
    }

    public StreamSettings withKeepAliveInterval(Duration interval) {
        return new StreamSettings(interval, maxQueuedEvents, maxQueuedBytes, maxWaitingMessages);
    }

    /** Both bounds of a stream's outbound queue. */
    public StreamSettings withStreamBuffer(int maxEvents, long maxBytes) {
        return new StreamSettings(keepAliveInterval, maxEvents, maxBytes, maxWaitingMessages);
    }

    public StreamSettings withMaxWaitingMessages(int max) {
        return new StreamSettings(keepAliveInterval, maxQueuedEvents, maxQueuedBytes, max);
    }

    /** These settings with the keep-alive interval lowered to {@code limit} if it is longer. */
    public StreamSettings withKeepAliveAtMost(Duration limit) {
        return keepAliveInterval.compareTo(limit) <= 0 ? this : withKeepAliveInterval(limit);
    }
}
