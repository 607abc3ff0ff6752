package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.Backend;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What this replica holds for one session: its channel to the MCP server, its standalone GET stream, and the
 * server messages waiting for that stream to open.
 */
final class LocalSession implements Backend.Listener {

    private final String id;
    private final int maxWaiting;
    private final Consumer<LocalSession> onEnded;
    private final AtomicLong eventCounter = new AtomicLong();
    private final AtomicLong streamCounter = new AtomicLong();
    private final ArrayDeque<ObjectNode> waiting = new ArrayDeque<>();
    private volatile Backend.Channel channel;
    private volatile String protocolVersion;
    private volatile long lastSeenNanos = System.nanoTime();
    private SseStream standalone; // guarded by this
    private long standaloneNumber; // guarded by this

    LocalSession(String id, String protocolVersion, int maxWaiting, Consumer<LocalSession> onEnded) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.maxWaiting = maxWaiting;
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

    /** A new stream number; event ids are {@code <stream>-<n>}, unique across the session's streams. */
    long nextStreamNumber() {
        return streamCounter.incrementAndGet();
    }

    String nextEventId(long stream) {
        return stream + "-" + eventCounter.incrementAndGet();
    }

    /**
     * Makes {@code stream} the session's standalone stream. A GET stream still registered is ended cleanly and its
     * unwritten events move to {@code stream}: a client that reconnects is usually one whose old connection is
     * already dead but not yet noticed (that takes a failed write, up to two keep-alive intervals), so refusing the
     * newcomer would leave the client deaf and pour messages into the dead connection meanwhile. Messages that
     * waited for a stream are flushed onto it.
     */
    void openStandalone(SseStream stream, long streamNumber) {
        stream.onClose(() -> {
            synchronized (this) {
                if (standalone == stream) {
                    standalone = null;
                }
            }
        });
        synchronized (this) { // deliver() sends under this lock too: nothing slips past the hand-over
            SseStream previous = standalone;
            standalone = stream;
            standaloneNumber = streamNumber;
            if (previous != null) {
                previous.handOverTo(stream); // false when it had ended already or this one is closed: nothing moves
            }
            while (!waiting.isEmpty() && stream.send(nextEventId(streamNumber), "message",
                    JsonRpc.toJson(waiting.peek()))) {
                waiting.poll();
            }
        }
    }

    synchronized SseStream standalone() {
        return standalone;
    }

    /**
     * Server message for this session outside any request: onto the GET stream, or kept until one opens (also when
     * the stream ends while this message is being queued on it).
     */
    @Override
    public synchronized boolean deliver(ObjectNode message) {
        // Sent under the session lock, so that a GET taking over the stream never finds a message half delivered.
        // SseStream.send only queues, it never blocks on the client.
        SseStream stream = standalone;
        if (stream != null && stream.isOpen()
                && stream.send(nextEventId(standaloneNumber), "message", JsonRpc.toJson(message))) {
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

    /** Ends the standalone stream and closes the channel (DELETE, expiry, shutdown). */
    void close() {
        closeStreams();
        Backend.Channel current = channel;
        if (current != null) {
            current.close();
        }
    }

    private void closeStreams() {
        SseStream stream;
        synchronized (this) {
            stream = standalone;
            standalone = null;
            waiting.clear();
        }
        if (stream != null) {
            stream.close();
        }
    }
}
