package io.mcpproxy.streamable;

import io.mcpproxy.core.http.SseStream;
import java.util.function.LongSupplier;

/**
 * One SSE stream of a session as its client sees it, across the connections that carry it: the stream of one POST,
 * or the session's GET stream. Its events have ids {@code <stream>-<sequence>}; sequences count across the whole
 * session, so ids are unique among all its streams and name the stream they belong to. Every event also goes into
 * the session's {@link ReplayBuffer}: a client whose connection dropped comes back with {@code GET} and
 * {@code Last-Event-ID}, and {@link #resume} replays what followed and carries on on the new connection.
 *
 * <p>A POST stream whose connection is gone keeps taking its messages (into the replay buffer) until it ends, so the
 * response to a long tool call survives a dropped connection for the resume window instead of being thrown away.
 */
final class ResumableStream {

    private final long number;
    private final LongSupplier sequences;
    private final ReplayBuffer replay; // null: replay is off
    private final Runnable onEnded;
    private SseStream connection; // guarded by this; null while no connection carries the stream
    private boolean ended; // guarded by this

    /**
     * @param sequences the session's event counter
     * @param replay    the session's replay buffer, or null when replay is off
     * @param onEnded   runs once when the stream's last event has been sent (or it was closed)
     */
    ResumableStream(long number, LongSupplier sequences, ReplayBuffer replay, Runnable onEnded) {
        this.number = number;
        this.sequences = sequences;
        this.replay = replay;
        this.onEnded = onEnded;
    }

    /** The id of event {@code sequence} of stream {@code stream}: {@code <stream>-<sequence>}. */
    static String eventId(long stream, long sequence) {
        return stream + "-" + sequence;
    }

    /** {@code {stream, sequence}} of an id as {@link #eventId} writes them, or null. */
    static long[] parseEventId(String id) {
        int dash = id.indexOf('-');
        if (dash <= 0) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(id, 0, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A fresh event id on this stream, for an event that is not replayed (the priming event). */
    String nextId() {
        return eventId(number, sequences.getAsLong());
    }

    /**
     * Carries the stream on {@code next} from now on. A connection that still carries it (a client opening a new GET
     * without {@code Last-Event-ID}, whose old connection is usually dead but not yet noticed) ends cleanly and hands
     * its unwritten events to {@code next}.
     */
    synchronized void connect(SseStream next) {
        SseStream previous = connection;
        attach(next);
        if (previous != null) {
            previous.handOverTo(next); // false when it had ended already: nothing to move
        }
    }

    /**
     * Sends a message: into the replay buffer, and onto the connection if one carries the stream.
     *
     * @return false when the message went nowhere: the stream has ended, or no connection carries it and replay is
     *         off
     */
    synchronized boolean send(String json) {
        if (ended) {
            return false;
        }
        long sequence = sequences.getAsLong();
        if (replay != null) {
            replay.add(number, sequence, json);
        }
        boolean written = connection != null && connection.send(eventId(number, sequence), "message", json);
        if (!written) {
            connection = null;
        }
        return written || replay != null;
    }

    /**
     * Sends a message only if a connection carries the stream (and then keeps it for replay too).
     *
     * @return false when there is no open connection: the caller keeps the message for the next one
     */
    synchronized boolean sendIfConnected(String json) {
        if (ended || connection == null || !connection.isOpen()) {
            return false;
        }
        long sequence = sequences.getAsLong();
        if (!connection.send(eventId(number, sequence), "message", json)) {
            connection = null;
            return false;
        }
        if (replay != null) {
            replay.add(number, sequence, json);
        }
        return true;
    }

    /** The last event has been sent: the connection ends once it is written; the events stay replayable. */
    synchronized void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (connection != null) {
            connection.close();
            connection = null;
        }
        onEnded.run();
    }

    /**
     * Replays onto {@code next} the events after {@code afterSequence}, then carries the stream on it; the connection
     * it replaces (dead, most likely, but not noticed yet) ends. A stream that has ended meanwhile ends {@code next}
     * after the replay.
     */
    synchronized void resume(SseStream next, long afterSequence) {
        if (replay != null) {
            replay.after(number, afterSequence).forEach(event -> event.sendTo(next));
        }
        if (ended) {
            next.close();
            return;
        }
        SseStream previous = connection;
        attach(next);
        if (previous != null) {
            previous.close();
        }
    }

    synchronized boolean isConnected() {
        return connection != null && connection.isOpen();
    }

    /**
     * A keep-alive comment on the connection, which also finds out a connection that died unnoticed.
     *
     * @return false when no connection carries the stream
     */
    synchronized boolean keepAlive() {
        if (connection == null) {
            return false;
        }
        if (!connection.comment("keep-alive")) {
            connection = null;
            return false;
        }
        return true;
    }

    /** Ends the stream and its connection now (the session ended). */
    synchronized void close() {
        boolean wasEnded = ended;
        ended = true;
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (!wasEnded) {
            onEnded.run();
        }
    }

    private void attach(SseStream next) {
        connection = next;
        next.onClose(() -> detached(next));
    }

    private synchronized void detached(SseStream gone) {
        if (connection == gone) {
            connection = null;
        }
    }
}
