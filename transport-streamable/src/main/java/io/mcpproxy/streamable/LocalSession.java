package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What this replica holds for one session: its channel to the MCP server, its streams (the GET stream and the POST
 * streams still open), the events they sent lately for replay, and the server messages waiting for a GET stream.
 */
final class LocalSession implements Backend.Listener {

    private final String id;
    private final int maxWaiting;
    private final Consumer<LocalSession> onEnded;
    private final AtomicLong eventCounter = new AtomicLong();
    private final AtomicLong streamCounter = new AtomicLong();
    private final ArrayDeque<ObjectNode> waiting = new ArrayDeque<>();
    private final ReplayBuffer replay; // null: replay is off
    /** Streams that may still send: the GET stream once opened, and each POST stream until its last response. */
    private final Map<Long, ResumableStream> streams = new ConcurrentHashMap<>();
    private volatile Backend.Channel channel;
    private volatile String protocolVersion;
    private volatile long lastSeenNanos = System.nanoTime();
    private ResumableStream standalone; // guarded by this; null until the first GET
    private boolean closed; // guarded by this; set once the streams are closed for good

    LocalSession(String id, String protocolVersion, int maxWaiting, ReplayBuffer.Settings replay,
                 Consumer<LocalSession> onEnded) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.maxWaiting = maxWaiting;
        this.replay = replay.enabled() ? new ReplayBuffer(replay) : null;
        this.onEnded = onEnded;
    }

    String id() {
        return id;
    }

    Backend.Channel channel() {
        return channel;
    }

    void attach(Backend.Channel channel) {
        this.channel = channel;
    }

    String protocolVersion() {
        return protocolVersion;
    }

    void protocolVersion(String version) {
        this.protocolVersion = version;
    }

    void touch() {
        lastSeenNanos = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - lastSeenNanos;
    }

    /** A new stream for the answer to one POST; it stays resumable until its last response is sent. */
    ResumableStream openPostStream() {
        long number = streamCounter.incrementAndGet();
        ResumableStream stream = new ResumableStream(number, eventCounter::incrementAndGet, replay,
                () -> streams.remove(number));
        streams.put(number, stream);
        return stream;
    }

    /**
     * Carries the session's GET stream on {@code connection} (a GET without {@code Last-Event-ID}). A connection that
     * still carries it is ended cleanly and its unwritten events move to the new one: a client that reconnects is
     * usually one whose old connection is already dead but not yet noticed (that takes a failed write, up to two
     * keep-alive intervals), so refusing the newcomer would leave the client deaf and pour messages into the dead
     * connection meanwhile. Messages that waited for a stream are flushed onto it.
     *
     * @param open  the connection; called only while the session is open
     * @param prime whether to send a priming event first (2025-11-25 sessions)
     * @return false when the session ended after the request found it (nothing opened: answer 404)
     */
    synchronized boolean openStandalone(Supplier<SseStream> open, boolean prime) {
        if (closed) {
            return false; // a stream opened now would never be ended: nothing else holds this session any more
        }
        SseStream connection = open.get();
        ResumableStream stream = standalone();
        if (prime) {
            connection.prime(stream.nextId());
        } else {
            connection.comment("stream open"); // commits the headers now, so the client sees the stream
        }
        stream.connect(connection);
        flushWaiting(stream);
        return true;
    }

    /** What a GET with {@code Last-Event-ID} found; see {@link #resume}. */
    enum Resumption {
        /** The stream goes on on the new connection: replayed events, then live ones (or its end). */
        RESUMED,
        /** The id names a stream of this session that has ended and has nothing left to replay. */
        ENDED,
        /** The id names no stream of this session (or replay is off): a plain GET stream is due. */
        UNKNOWN,
        /** The session ended after the request found it: nothing was opened. */
        SESSION_ENDED
    }

    /**
     * A GET with {@code Last-Event-ID}: replays what the named stream of this session sent after that event onto a
     * connection {@code open} supplies, and carries on on it (a POST stream until its last response, the GET stream
     * from then on). {@code open} is called only for {@link Resumption#RESUMED}.
     */
    synchronized Resumption resume(String lastEventId, Supplier<SseStream> open) {
        if (closed) {
            return Resumption.SESSION_ENDED;
        }
        long[] position = ResumableStream.parseEventId(lastEventId);
        if (position == null || replay == null || position[0] < 1 || position[0] > streamCounter.get()) {
            return Resumption.UNKNOWN;
        }
        long number = position[0];
        long after = position[1];
        ResumableStream live = streams.get(number);
        if (live == null) { // a POST stream that has ended: what is left of it, then the end
            List<ReplayBuffer.Event> left = replay.after(number, after);
            if (left.isEmpty()) {
                return Resumption.ENDED;
            }
            SseStream connection = open.get();
            left.forEach(event -> event.sendTo(connection));
            connection.close();
            return Resumption.RESUMED;
        }
        SseStream connection = open.get();
        connection.comment("stream resumed"); // commits the headers now, even if nothing is replayed
        live.resume(connection, after);
        if (live == standalone) {
            flushWaiting(live);
        }
        return Resumption.RESUMED;
    }

    private ResumableStream standalone() {
        if (standalone == null) {
            long number = streamCounter.incrementAndGet();
            standalone = new ResumableStream(number, eventCounter::incrementAndGet, replay, () -> { });
            streams.put(number, standalone);
        }
        return standalone;
    }

    private void flushWaiting(ResumableStream stream) {
        while (!waiting.isEmpty() && stream.sendIfConnected(JsonRpc.toJson(waiting.peek()))) {
            waiting.poll();
        }
    }

    /** Whether a connection carries the GET stream. */
    synchronized boolean isListening() {
        return standalone != null && standalone.isConnected();
    }

    /**
     * Keep-alive comments on every connected stream (which also finds connections that died unnoticed), and drops
     * replay events past the window.
     *
     * @return whether a connection carries the GET stream (the client listens)
     */
    boolean keepAlive() {
        for (ResumableStream stream : streams.values()) {
            stream.keepAlive();
        }
        if (replay != null) {
            replay.prune();
        }
        boolean listening = isListening();
        if (listening) {
            touch(); // a client that listens is not idle: it may drop the stream and reconnect at any moment
        }
        return listening;
    }

    /**
     * Server message for this session outside any request: onto the GET stream, or kept until one opens (also when
     * the stream ends while this message is being queued on it).
     */
    @Override
    public synchronized boolean deliver(ObjectNode message) {
        // Sent under the session lock, so that a GET taking over the stream never finds a message half delivered.
        // Sending only queues, it never blocks on the client.
        if (standalone != null && standalone.sendIfConnected(JsonRpc.toJson(message))) {
            return true;
        }
        if (waiting.size() >= maxWaiting) {
            return false;
        }
        waiting.add(message);
        return true;
    }

    @Override
    public void onEnded(String reason) {
        closeStreams();
        onEnded.accept(this);
    }

    /** Ends the streams and closes the channel (DELETE, expiry, shutdown). */
    void close() {
        closeStreams();
        Backend.Channel current = channel;
        if (current != null) {
            current.close();
        }
    }

    private void closeStreams() {
        ResumableStream stream;
        synchronized (this) {
            closed = true;
            stream = standalone;
            waiting.clear();
        }
        if (stream != null) {
            stream.close();
        }
        if (replay != null) {
            replay.clear();
        }
    }
}
