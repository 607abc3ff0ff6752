package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.Backend;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
     * Makes {@code stream} the session's standalone stream and flushes waiting messages onto it.
     *
     * @return false when another standalone stream is open (HTTP 409)
     */
    boolean openStandalone(SseStream stream, long streamNumber) {
        List<ObjectNode> flush;
        synchronized (this) {
            if (standalone != null && standalone.isOpen()) {
                return false;
            }
            standalone = stream;
            standaloneNumber = streamNumber;
            flush = new ArrayList<>(waiting);
            waiting.clear();
        }
        stream.onClose(() -> {
            synchronized (this) {
                if (standalone == stream) {
                    standalone = null;
                }
            }
        });
        for (ObjectNode message : flush) {
            stream.send(nextEventId(streamNumber), "message", JsonRpc.toJson(message));
        }
        return true;
    }

    synchronized SseStream standalone() {
        return standalone;
    }

    /** Server message for this session outside any request: onto the GET stream, or kept until one opens. */
    @Override
    public boolean deliver(ObjectNode message) {
        SseStream stream;
        long streamNumber;
        synchronized (this) {
            stream = standalone;
            streamNumber = standaloneNumber;
            if (stream == null || !stream.isOpen()) {
                if (waiting.size() >= maxWaiting) {
                    return false;
                }
                waiting.add(message);
                return true;
            }
        }
        return stream.send(nextEventId(streamNumber), "message", JsonRpc.toJson(message));
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
