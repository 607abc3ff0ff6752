package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.stdio.backend.Orphans.Orphan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Every request the proxy sends one server, under one lock: client requests in flight (proxy id, client id per session,
 * progress token), orphans (requests the proxy answered on its own that the server may still work on), and the
 * proxy's own requests. Each method is one consistent step, so a request is never unclaimed between two of them, and
 * it is answered exactly once: by the one caller that takes it out of the table. Answers and messages are passed on
 * after the lock is released. The server's own requests are kept in {@link ServerRequests}.
 */
final class RequestTable {

    private static final Function<ClientSession, Map<String, ClientRequest>> NEW_SESSION = session -> new HashMap<>();

    /** Why the proxy answered a request on its own while the server may still be working on it. */
    enum LocalAnswer { CANCELLED, TIMED_OUT, SESSION_ENDED }

    /** What became of a response from the server. */
    enum ResponseOutcome {
        /** It answered a request in flight, now answered. */
        ANSWERED,
        /** It answered a request the proxy had answered already (an orphan): it has nowhere to go. */
        LATE,
        /** It answered one of the proxy's own requests. */
        INTERNAL,
        /** Nobody waits for it. */
        UNEXPECTED
    }

    /** Guards every field below. Held for map operations only, never while a message is sent or delivered. */
    private final Object lock = new Object();
    /** The next proxy id; an atomic of its own, so that a request is built before the lock is taken. */
    private final AtomicLong nextId = new AtomicLong(1);
    /** Client requests in flight by proxy id; guarded by lock. */
    private final Map<Long, ClientRequest> inFlight = new HashMap<>();
    /**
     * The same requests by session and client id key (a session's ids must be unique while in flight). A session's
     * entry lives while it is open or has requests in flight. Guarded by lock.
     */
    private final Map<ClientSession, Map<String, ClientRequest>> inFlightBySession = new HashMap<>();
    /** Client requests in flight by the progress token the server got; guarded by lock. */
    private final Map<String, ClientRequest> progressTokens = new HashMap<>();
    /** Requests the proxy answered on its own that the server may still work on; guarded by lock. */
    private final Orphans orphans;
    /**
     * Requests the proxy sent on its own behalf, by id: what to do with their response (most drop it). Guarded by
     * lock.
     */
    private final Map<Long, Consumer<ObjectNode>> internalRequests = new HashMap<>();

    /**
     * @param cancelGrace how long an orphan still counts as its session's work at the server (see
     *                    {@link StdioBackendSettings#cancelGrace})
     * @param nanoClock   the time source of orphan ages
     */
    RequestTable(String serverName, Duration cancelGrace, LongSupplier nanoClock) {
        this.orphans = new Orphans(serverName, cancelGrace, nanoClock);
    }

    // ---- client requests -----------------------------------------------------------------------------------------

    /**
     * Takes a client request in flight and rewrites it for the server: a proxy-unique id, and a proxy-unique progress
     * token if it has one.
     *
     * @return the entry, or null when the session has a request with the same id in flight already
     */
    ClientRequest register(ClientSession session, ObjectNode request, Backend.Exchange exchange, String method) {
        JsonNode clientId = request.get("id");
        String clientIdKey = idKey(clientId);
        JsonNode meta = request.path("params").path("_meta");
        ObjectNode progressMeta = meta instanceof ObjectNode object && object.has("progressToken") ? object : null;
        // Built outside the lock, which every request and every answer of every session takes: it is held for the
        // map operations alone
        ClientRequest entry = new ClientRequest(nextId.getAndIncrement(), clientId, clientIdKey, session, exchange,
                method);
        if (progressMeta != null) {
            entry.clientProgressToken = progressMeta.get("progressToken");
            entry.proxyProgressToken = "p" + entry.proxyId;
        }
        List<Orphan> stale;
        synchronized (lock) {
            // here too: a server that never sends unattributable messages must not keep its orphans forever
            stale = orphans.forgetStale();
            Map<String, ClientRequest> ofSession = inFlightBySession.computeIfAbsent(session, NEW_SESSION);
            if (ofSession.putIfAbsent(clientIdKey, entry) != null) {
                entry = null;
            } else {
                inFlight.put(entry.proxyId, entry);
                if (progressMeta != null) {
                    progressTokens.put(entry.proxyProgressToken, entry);
                }
            }
        }
        orphans.logForgotten(stale);
        if (entry != null) {
            request.put("id", entry.proxyId);
            if (progressMeta != null) {
                progressMeta.put("progressToken", entry.proxyProgressToken);
            }
        }
        return entry;
    }

    /**
     * Answers a request unless something else (the server, a timeout, a cancel) did first.
     *
     * @return whether this call answered it
     */
    boolean complete(ClientRequest request, ObjectNode response) {
        synchronized (lock) {
            if (!removeInFlight(request)) {
                return false;
            }
        }
        answer(request, response);
        return true;
    }

    /**
     * Answers a request on the proxy's behalf while the server may still be working on it: in the same step it
     * becomes an orphan, still its session's, until the server answers it.
     *
     * @return false when something else (the server's answer, another local answer) answered it first
     */
    boolean answerLocally(ClientRequest request, LocalAnswer why, ObjectNode answer) {
        synchronized (lock) {
            if (!removeInFlight(request)) {
                return false;
            }
            orphans.add(request, why);
        }
        answer(request, answer);
        return true;
    }

    /** A response from the server: answers its request, or says why there is none. */
    ResponseOutcome serverAnswered(ObjectNode response) {
        JsonNode id = response.get("id");
        if (id == null || !id.canConvertToLong()) {
            return ResponseOutcome.UNEXPECTED;
        }
        long proxyId = id.asLong();
        ClientRequest request;
        Consumer<ObjectNode> internal;
        synchronized (lock) {
            request = inFlight.get(proxyId);
            if (request == null) {
                if (orphans.remove(proxyId)) {
                    return ResponseOutcome.LATE;
                }
                internal = internalRequests.remove(proxyId);
            } else {
                internal = null;
                removeInFlight(request);
            }
        }
        if (request == null) {
            if (internal == null) {
                return ResponseOutcome.UNEXPECTED;
            }
            internal.accept(response); // outside the lock: it may send the server more
            return ResponseOutcome.INTERNAL;
        }
        answer(request, response);
        return ResponseOutcome.ANSWERED;
    }

    /** The request in flight under {@code proxyId} at the server, or null. */
    ClientRequest inFlight(long proxyId) {
        synchronized (lock) {
            return inFlight.get(proxyId);
        }
    }

    /** The request of {@code session} with client id {@code clientId} in flight, or null. */
    ClientRequest inFlight(ClientSession session, JsonNode clientId) {
        synchronized (lock) {
            Map<String, ClientRequest> ofSession = inFlightBySession.get(session);
            return ofSession == null ? null : ofSession.get(idKey(clientId));
        }
    }

    /** The requests of {@code session} in flight now. */
    List<ClientRequest> inFlightOf(ClientSession session) {
        synchronized (lock) {
            Map<String, ClientRequest> ofSession = inFlightBySession.get(session);
            return ofSession == null ? List.of() : List.copyOf(ofSession.values());
        }
    }

    /** How many requests of {@code session} are in flight. */
    int inFlightCount(ClientSession session) {
        synchronized (lock) {
            Map<String, ClientRequest> ofSession = inFlightBySession.get(session);
            return ofSession == null ? 0 : ofSession.size();
        }
    }

    /** How many client requests are in flight. */
    int inFlightCount() {
        synchronized (lock) {
            return inFlight.size();
        }
    }

    /** The request in flight that owns the progress token the server got, or null. */
    ClientRequest progressOwner(String proxyProgressToken) {
        synchronized (lock) {
            return progressTokens.get(proxyProgressToken);
        }
    }

    /** An ended session with nothing in flight keeps no entry. */
    void sessionEnded(ClientSession session) {
        synchronized (lock) {
            Map<String, ClientRequest> ofSession = inFlightBySession.get(session);
            if (ofSession != null && ofSession.isEmpty()) {
                inFlightBySession.remove(session);
            }
        }
    }

    // ---- the proxy's own requests --------------------------------------------------------------------------------

    /** A fresh id for a request the proxy sends on its own behalf; its response is dropped when it comes. */
    long internalRequest() {
        return internalRequest(response -> { });
    }

    /** A fresh id for a request the proxy sends on its own behalf; its response goes to {@code onResponse}. */
    long internalRequest(Consumer<ObjectNode> onResponse) {
        synchronized (lock) {
            long proxyId = nextId.getAndIncrement();
            internalRequests.put(proxyId, onResponse);
            return proxyId;
        }
    }

    // ---- attribution and exit ------------------------------------------------------------------------------------

    /**
     * Reads, in one consistent step, the client requests in flight and the orphans (stale ones forgotten first).
     * {@code reader} runs under the lock: it must only read the collections and must not send or deliver anything.
     */
    <T> T readWorkAtServer(BiFunction<Collection<ClientRequest>, Collection<Orphan>, T> reader) {
        List<Orphan> stale;
        T result;
        synchronized (lock) {
            stale = orphans.forgetStale();
            result = reader.apply(inFlight.values(), orphans.all());
        }
        orphans.logForgotten(stale);
        return result;
    }

    /** The requests in flight on a process that has exited; a dead server sends nothing more. */
    List<ClientRequest> inFlightOn(ServerProcess dead) {
        List<ClientRequest> onDead = new ArrayList<>();
        synchronized (lock) {
            for (ClientRequest request : inFlight.values()) {
                if (request.process() == dead) {
                    onDead.add(request);
                }
            }
        }
        return onDead;
    }

    /** Forgets the orphans of the dead process's sessions: a dead server sends nothing more. */
    void forget(ServerProcess dead) {
        synchronized (lock) {
            orphans.forget(dead);
        }
    }

    // ---- internals -----------------------------------------------------------------------------------------------

    /** Takes a request out of every map; false when it was not in flight (any more). Under lock. */
    private boolean removeInFlight(ClientRequest request) {
        if (!inFlight.remove(request.proxyId, request)) {
            return false;
        }
        if (request.proxyProgressToken != null) {
            progressTokens.remove(request.proxyProgressToken, request);
        }
        Map<String, ClientRequest> ofSession = inFlightBySession.get(request.session);
        ofSession.remove(request.clientIdKey, request);
        if (ofSession.isEmpty() && request.session.isEnded()) {
            inFlightBySession.remove(request.session);
        }
        return true;
    }

    /** Passes an answer on, outside the lock: the timeout is disarmed and the client's id restored. */
    private static void answer(ClientRequest request, ObjectNode response) {
        Scheduler.Task timeout = request.timeout;
        if (timeout != null) {
            timeout.cancel();
        }
        response.set("id", request.clientId);
        request.exchange.onResponse(response);
    }

    /** Text key of an id that keeps {@code 1} and {@code "1"} apart. */
    static String idKey(JsonNode id) {
        return id == null ? "null" : id.isTextual() ? "s:" + id.textValue() : "n:" + id.asText();
    }

    /** The id {@link #idKey} was made of (a server's request ids are strings or integers). */
    static JsonNode idOfKey(String key) {
        return key.startsWith("s:") ? TextNode.valueOf(key.substring(2))
                : LongNode.valueOf(Long.parseLong(key.substring(2)));
    }
}
