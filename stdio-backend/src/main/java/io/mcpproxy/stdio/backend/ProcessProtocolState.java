package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ProtocolVersions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one server process learned in its handshake, shared by every session on it: the server is initialized once
 * per process, the first client's {@code initialize} goes to it and its result is kept, and later sessions are
 * answered from that result; only the first {@code notifications/initialized} reaches it.
 */
final class ProcessProtocolState {

    /** What to do with a client's {@code initialize}. */
    enum InitializeStep {
        /** Answer it from {@link #initializeResultFor}. */
        FROM_CACHE,
        /** Send it to the server: it is the first; {@link #initializeAnswered} must follow, whatever the outcome. */
        TO_SERVER,
        /** Nothing now: the first one is in flight, and the retry handed in runs once it is answered. */
        QUEUED
    }

    /** Guards initializeResult and initializeWaiters: the moment the first initialize ends. */
    private final Object lock = new Object();
    private ObjectNode initializeResult;
    /** Non-null while the first initialize is in flight: the initializes that wait for it. */
    private List<Runnable> initializeWaiters;
    private final AtomicBoolean initializedNotified = new AtomicBoolean();

    /**
     * Decides the fate of a client's {@code initialize}.
     *
     * @param retry runs the same initialize again once the one in flight has been answered (for {@code QUEUED})
     */
    InitializeStep beginInitialize(Runnable retry) {
        synchronized (lock) {
            if (initializeResult != null) {
                return InitializeStep.FROM_CACHE;
            }
            if (initializeWaiters != null) {
                initializeWaiters.add(retry);
                return InitializeStep.QUEUED;
            }
            initializeWaiters = new ArrayList<>();
            return InitializeStep.TO_SERVER;
        }
    }

    /**
     * The first initialize ended (answered, failed, timed out): remembers a success, then lets the waiting
     * initializes proceed (from the cache, or the next one goes to the server).
     */
    void initializeAnswered(ObjectNode response) {
        List<Runnable> waiters;
        synchronized (lock) {
            if (response.get("result") instanceof ObjectNode result && initializeResult == null) {
                initializeResult = result.deepCopy();
            }
            waiters = initializeWaiters;
            initializeWaiters = null;
        }
        if (waiters != null) {
            waiters.forEach(Runnable::run);
        }
    }

    /**
     * The kept result for a later session's initialize, with {@code protocolVersion} = the client's version if
     * supported and not newer than the server's, else the server's.
     */
    ObjectNode initializeResultFor(JsonNode initializeParams) {
        ObjectNode cached;
        synchronized (lock) {
            cached = initializeResult;
        }
        ObjectNode result = cached.deepCopy();
        String requested = initializeParams.path("protocolVersion").asText(null);
        result.put("protocolVersion", ProtocolVersions.negotiate(requested,
                cached.path("protocolVersion").asText(ProtocolVersions.LATEST)));
        return result;
    }

    /** The kept result of the server's initialize, shared and never to be changed; null before one succeeded. */
    ObjectNode initializeResult() {
        synchronized (lock) {
            return initializeResult;
        }
    }

    /** True for the first {@code notifications/initialized} of this process only: later ones are not forwarded. */
    boolean firstInitializedNotification() {
        return initializedNotified.compareAndSet(false, true);
    }
}
