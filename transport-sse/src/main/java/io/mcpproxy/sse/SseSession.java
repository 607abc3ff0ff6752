package io.mcpproxy.sse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.function.Consumer;

/**
 * One legacy SSE client on this replica: its stream carries every server message of the session, replies to its
 * POSTs included. The session lives exactly as long as the stream.
 */
final class SseSession implements Backend.Listener, Backend.Exchange {

    private final String id;
    private final Consumer<SseSession> onEnded;
    private volatile SseStream stream; // attached once the server channel is open
    private volatile Backend.Channel channel;

    SseSession(String id, Consumer<SseSession> onEnded) {
        this.id = id;
        this.onEnded = onEnded;
    }

    /**
     * Carries the session on {@code stream}, whose first event is the {@code endpoint} event: under the lock
     * {@link #deliver} takes, so that no server message can come before it.
     */
    synchronized void open(SseStream stream, String endpointUri) {
        this.stream = stream;
        stream.send(null, "endpoint", endpointUri);
    }

    String id() {
        return id;
    }

    SseStream stream() {
        return stream;
    }

    Backend.Channel channel() {
        return channel;
    }

    void attach(Backend.Channel channel) {
        this.channel = channel;
    }

    boolean isEnded() {
        SseStream current = stream;
        Backend.Channel open = channel;
        return current == null || !current.isOpen() || open == null || open.isEnded();
    }

    private void closeStream() {
        SseStream current = stream;
        if (current != null) {
            current.close();
        }
    }

    /** Unrelated server messages, and (as the exchange of every request) related ones and responses. */
    @Override
    public synchronized boolean deliver(ObjectNode message) {
        SseStream current = stream;
        return current != null && current.send(null, "message", JsonRpc.toJson(message));
    }

    @Override
    public boolean onMessage(ObjectNode message) {
        return deliver(message);
    }

    @Override
    public void onResponse(ObjectNode response) {
        deliver(response);
    }

    /** The MCP server died: the stream ends, and with it the session. */
    @Override
    public void onEnded(String reason) {
        closeStream();
        onEnded.accept(this);
    }

    /**
     * Ends the channel, then the stream (client gone, expiry, shutdown): closing the channel answers the requests
     * still in flight, and those answers go out on the stream before it ends.
     */
    void close() {
        Backend.Channel current = channel;
        if (current != null) {
            current.close();
        }
        closeStream();
    }
}
