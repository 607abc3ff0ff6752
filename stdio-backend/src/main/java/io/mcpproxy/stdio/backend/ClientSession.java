package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client session on a {@link Backend}: who it is, the server process it talks to (fixed for its lifetime: a
 * session never moves to a restarted process), how to reach it, and its {@link SessionProtocolState}. The public
 * handle on it is {@link Backend.Channel}.
 */
final class ClientSession {

    private final String id;
    private final Backend.Listener listener;
    private final ServerProcess process;
    private final SessionProtocolState protocol = new SessionProtocolState();
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Whether its one request waits for the client's input, its work at the server paused (see {@link #awaitsClient}). */
    private volatile boolean awaitingClient;

    ClientSession(String id, Backend.Listener listener, ServerProcess process) {
        this.id = Objects.requireNonNull(id, "sessionId");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.process = process;
    }

    String id() {
        return id;
    }

    ServerProcess process() {
        return process;
    }

    SessionProtocolState protocol() {
        return protocol;
    }

    boolean isEnded() {
        return ended.get();
    }

    /**
     * Whether the session's request waits for its client's input (a modern call whose server requests became input
     * requests): its handler at the server awaits those answers, so the session does not count as busy for the
     * server's messages while another does (see {@link ServerMessageRouter#busySession}).
     */
    boolean awaitsClient() {
        return awaitingClient;
    }

    void awaitsClient(boolean waiting) {
        awaitingClient = waiting;
    }

    /** Marks the session ended; true for the one caller that did. */
    boolean end() {
        return ended.compareAndSet(false, true);
    }

    /** Hands the session a message not tied to one of its requests; false when it cannot take it now. */
    boolean deliver(ObjectNode message) {
        return listener.deliver(message);
    }

    /** Tells the session it is over (its server died, or the backend stopped). */
    void ended(String reason) {
        listener.onEnded(reason);
    }

    @Override
    public String toString() {
        return "session " + id;
    }
}
