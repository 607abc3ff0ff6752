package io.mcpproxy.streamable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import io.mcpproxy.core.http.SseStream;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events one session's streams sent lately, oldest first, so that a client whose connection dropped can come
 * back with {@code Last-Event-ID} and get what followed on that stream. Bounded by age (the resume window), events
 * and characters: the oldest go first, but the newest event is always kept however large, so a big final result can
 * still be fetched again.
 */
final class ReplayBuffer {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayBuffer.class);

    /**
     * @param windowNanos how long an event stays; zero turns replay off
     * @param maxEvents   most events held
     * @param maxChars    most characters of JSON held (about bytes)
     * @param clock       {@link System#nanoTime} outside tests
     */
    record Settings(long windowNanos, int maxEvents, long maxChars, LongSupplier clock) {
        boolean enabled() {
            return windowNanos > 0;
        }
    }

    /** One event as it went out: {@code id: <stream>-<sequence>}, {@code data: <json>}. */
    record Event(long stream, long sequence, String json, long sentNanos) {
        String id() {
            return ResumableStream.eventId(stream, sequence);
        }

        void sendTo(SseStream target) {
            target.send(id(), "message", json);
        }
    }

    private final Settings settings;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private long chars;
    private long lastDropped; // highest sequence that left the buffer before its window was over

    ReplayBuffer(Settings settings) {
        this.settings = settings;
    }

    synchronized void add(long stream, long sequence, String json) {
        long now = settings.clock().getAsLong();
        events.add(new Event(stream, sequence, json, now));
        chars += json.length();
        dropExpired(now);
        while (events.size() > 1 && (events.size() > settings.maxEvents() || chars > settings.maxChars())) {
            lastDropped = Math.max(lastDropped, remove().sequence());
        }
    }

    /**
     * The events of {@code stream} after {@code sequence}, in the order they were sent; logs a warning when the
     * bounds may have pushed some of them out.
     */
    synchronized List<Event> after(long stream, long sequence) {
        dropExpired(settings.clock().getAsLong());
        if (mayHaveLost(sequence)) {
            LOG.warn("stream {}: resuming after event {}, but the replay buffer was full and may have dropped events"
                    + " since; raise replayBuffer", stream, ResumableStream.eventId(stream, sequence));
        }
        List<Event> result = new ArrayList<>();
        for (Event event : events) {
            if (event.stream() == stream && event.sequence() > sequence) {
                result.add(event);
            }
        }
        return result;
    }

    /**
     * Whether events sent after {@code sequence} may have been pushed out by the bounds before their window was over
     * (a replay from there may have a gap).
     */
    synchronized boolean mayHaveLost(long sequence) {
        return lastDropped > sequence;
    }

    /** Drops what is past the window, so that an idle session does not hold its last events forever. */
    synchronized void prune() {
        dropExpired(settings.clock().getAsLong());
    }

    synchronized int size() {
        return events.size();
    }

    synchronized void clear() {
        events.clear();
        chars = 0;
    }

    private void dropExpired(long now) {
        while (!events.isEmpty() && now - events.peek().sentNanos() > settings.windowNanos()) {
            remove();
        }
    }

    private Event remove() {
        Event event = events.poll();
        chars -= event.json().length();
        return event;
    }
}
