package io.mcpproxy.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.session.SessionStorageException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions one transport holds on this replica, checked against the shared storage on every request: the
 * storage says whether a session exists (and slides its TTL), the registry whether this replica can serve it.
 *
 * @param <S> the transport's per-session state
 */
public final class SessionRegistry<S> {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    /** What a session id names, from this replica's point of view. */
    public sealed interface Lookup<S> permits Lookup.Here, Lookup.Missing, Lookup.Elsewhere, Lookup.Unavailable {
        /** Held here: serve it. */
        record Here<S>(S session) implements Lookup<S> {
        }

        /** Unknown, expired or ended: HTTP 404, the client re-initializes. */
        record Missing<S>() implements Lookup<S> {
        }

        /**
         * Exists, but another replica holds its server connection or stream: forwarded there, or HTTP 503, never
         * 404 (see {@link io.mcpproxy.stdio.cluster.Cluster#serveElsewhere}).
         *
         * @param ownerUrl  where the owner is reached; null when it advertised none
         * @param principal the digest of the principal that created the session; null when none did
         */
        record Elsewhere<S>(String owner, String ownerUrl, String principal) implements Lookup<S> {
        }

        /** Not found, but the storage lost its data: it may be written back shortly. HTTP 503, retry. */
        record Unavailable<S>() implements Lookup<S> {
        }
    }

    /** A session held here: the state the transport keeps, and the record it was stored with. */
    private record Held<S>(S state, Session record) {
    }

    private final ProxyContext context;
    private final Session.Type type;
    private final Consumer<S> close;
    private final ConcurrentHashMap<String, Held<S>> held = new ConcurrentHashMap<>();
    private final StdioMetrics.SessionMeters meters;

    /**
     * @param type  the transport's sessions: a session of another transport (one proxy may serve several) is not
     *              this registry's to serve, nor to end
     * @param close ends held state whose session the storage no longer has (expired there, deleted through another
     *              replica, storage flushed): its stream, its server channel, a per-session process
     */
    public SessionRegistry(ProxyContext context, Session.Type type, Consumer<S> close) {
        this.context = context;
        this.type = type;
        this.close = close;
        this.meters = context.metrics().sessions(type, held::size);
        context.cluster().onWriteBack(this::writeBack);
    }

    /**
     * Looks a session up and restarts its TTL.
     *
     * @param ended whether the held state is dead (e.g. its server exited); such sessions are over
     * @throws SessionStorageException when the storage fails (HTTP 503)
     */
    public Lookup<S> lookup(String sessionId, Predicate<S> ended) {
        Optional<Session> stored = context.sessions().get(type, sessionId); // malformed ids: empty, no storage call
        Held<S> here = held.get(sessionId);
        if (stored.isEmpty()) {
            return notStored(sessionId, here, ended);
        }
        if (here != null && !ended.test(here.state())) {
            return new Lookup.Here<>(here.state());
        }
        Session session = stored.get();
        String owner = session.metadata(Session.OWNER).orElse(context.replicaId());
        if (!owner.equals(context.replicaId())) {
            return new Lookup.Elsewhere<>(owner, session.metadata(Session.OWNER_URL).orElse(null),
                    session.metadata(Session.PRINCIPAL).orElse(null));
        }
        // Ours, but this process holds nothing live for it (restarted, or its server died): it is over.
        forget(sessionId);
        return new Lookup.Missing<>();
    }

    /**
     * The session a request names, held here; or null after answering for it: forwarded to the replica that holds it
     * (or 503 {@code wrong_replica} without forwarding), 404 when it is unknown, ended or its replica gone, or
     * created by another principal than the request's, 503 when the storage lost its data.
     *
     * @param body the request body read whole (forwarded as it is), or null
     * @param id   the JSON-RPC id for an error answer, or null
     */
    public S resolve(String sessionId, Predicate<S> ended, Request request, Response response, Callback callback,
                     byte[] body, JsonNode id) {
        Lookup<S> lookup = ProxyContext.isForwarded(request) ? heldHere(sessionId, ended) : lookup(sessionId, ended);
        if (!mayUse(request, sessionId, lookup)) {
            JsonResponses.sessionNotFound(response, callback, id); // exactly as for a session that does not exist
            return null;
        }
        if (lookup instanceof Lookup.Here<S> here) {
            return here.session();
        }
        if (lookup instanceof Lookup.Elsewhere<S> elsewhere) {
            context.cluster().serveElsewhere(request, response, callback, body, id, type, sessionId,
                    elsewhere.owner(), elsewhere.ownerUrl(), ProxyContext.isForwarded(request));
        } else if (lookup instanceof Lookup.Unavailable<S>) {
            JsonResponses.storageUnavailable(response, callback, id);
        } else {
            JsonResponses.sessionNotFound(response, callback, id);
        }
        return null;
    }

    /** Whether the request's principal created the session it names (any may use a session created without one). */
    private boolean mayUse(Request request, String sessionId, Lookup<S> lookup) {
        if (lookup instanceof Lookup.Elsewhere<S> elsewhere) {
            return ProxyContext.mayUse(request, elsewhere.principal());
        }
        return !(lookup instanceof Lookup.Here<S>) || mayUse(request, sessionId);
    }

    /** Whether the request's principal created the session held here as {@code sessionId} (true when none is). */
    public boolean mayUse(Request request, String sessionId) {
        Held<S> here = held.get(sessionId);
        return here == null || ProxyContext.mayUse(request, here.record().metadata(Session.PRINCIPAL).orElse(null));
    }

    /**
     * A forwarded request's session: the forwarding replica has just loaded it from storage (restarting its TTL) and
     * found this replica its owner, so only what this replica holds decides, without a second storage round trip.
     */
    private Lookup<S> heldHere(String sessionId, Predicate<S> ended) {
        Held<S> here = held.get(sessionId);
        if (here != null && !ended.test(here.state())) {
            return new Lookup.Here<>(here.state());
        }
        forgetLater(sessionId); // ours, but nothing live holds it here (restarted, or its server died): it is over
        return new Lookup.Missing<>();
    }

    /** The storage has no such session; this replica may still hold it (then the storage lost or expired it). */
    private Lookup<S> notStored(String sessionId, Held<S> here, Predicate<S> ended) {
        if (here != null && !ended.test(here.state()) && context.cluster().writesBack()) {
            restore(here.record()); // its only owner: every request of it reaches this replica
            return new Lookup.Here<>(here.state());
        }
        if (here != null) {
            vanished(sessionId, here.state());
        }
        return context.cluster().storageLostData() ? new Lookup.Unavailable<>() : new Lookup.Missing<>();
    }

    /**
     * The storage no longer has a session this replica holds: the held state ends too, or its stream, server
     * channel and (per-session mode) process would outlive it.
     */
    public void vanished(String sessionId, S session) {
        Held<S> current = held.get(sessionId);
        if (current != null && current.state() == session && held.remove(sessionId, current)) {
            meters.ended(context.cluster().storageLostData() ? SessionEnd.STORAGE_LOST : SessionEnd.EXPIRED);
            LOG.info("session {} is gone from storage; ending it here too", SessionIds.redact(sessionId));
            close.accept(session);
        }
    }

    /**
     * After a keep-alive reached a held session's client: restarts the session's TTL in storage on a worker thread
     * (a client that only listens keeps its session), and ends the held state if the storage no longer has it (or,
     * when replicas forward, writes it back).
     */
    public void refreshLater(String sessionId, S session) {
        context.runLater(() -> {
            try {
                Held<S> current = held.get(sessionId);
                if (current == null || current.state() != session
                        || context.sessions().get(type, sessionId).isPresent()) {
                    return;
                }
                if (context.cluster().writesBack()) {
                    restore(current.record());
                } else {
                    vanished(sessionId, session); // ended elsewhere: close its stream
                }
            } catch (SessionStorageException e) {
                LOG.debug("keep-alive could not refresh the TTL of session {}: {}", SessionIds.redact(sessionId),
                        e.getMessage());
            }
        });
    }

    /**
     * Records the protocol version a session's {@code initialize} negotiated, on a worker thread (safe to call from
     * a stdio reader thread). A session that ended meanwhile stays ended: it is not recreated.
     */
    public void recordNegotiatedVersion(String sessionId, String version) {
        held.computeIfPresent(sessionId, (id, current) -> new Held<>(current.state(),
                current.record().withMetadata(Session.PROTOCOL_VERSION, version)));
        context.runLater(() -> {
            try {
                if (context.sessions().updateMetadata(type, sessionId, Map.of(Session.PROTOCOL_VERSION, version))
                        .isEmpty()) {
                    LOG.debug("session {} ended before its protocol version was recorded",
                            SessionIds.redact(sessionId));
                }
            } catch (SessionStorageException e) {
                LOG.warn("could not record the negotiated protocol version: {}", e.getMessage());
            }
        });
    }

    /** Holds {@code session}'s state here; {@code record} is what the storage has for it. */
    public void put(Session record, S session) {
        held.put(record.id(), new Held<>(session, record));
        meters.created();
    }

    public S get(String sessionId) {
        Held<S> here = held.get(sessionId);
        return here == null ? null : here.state();
    }

    /** Removes the held state, if it is still {@code session}: the session ended here, for {@code reason}. */
    public boolean remove(String sessionId, S session, SessionEnd reason) {
        Held<S> current = held.get(sessionId);
        boolean removed = current != null && current.state() == session && held.remove(sessionId, current);
        if (removed) {
            meters.ended(reason);
        }
        return removed;
    }

    /** Removes the held state: the session ended here, for {@code reason}; null when none was held. */
    public S remove(String sessionId, SessionEnd reason) {
        Held<S> removed = held.remove(sessionId);
        if (removed == null) {
            return null;
        }
        meters.ended(reason);
        return removed.state();
    }

    public Collection<S> all() {
        return held.values().stream().map(Held::state).toList();
    }

    public int size() {
        return held.size();
    }

    /** Deletes a session from storage on a worker thread (safe to call from a stdio reader thread). */
    public void forgetLater(String sessionId) {
        context.runLater(() -> forget(sessionId));
    }

    /** Deletes a session from storage; a storage failure is logged (the session then expires by its TTL). */
    public void forget(String sessionId) {
        try {
            context.sessions().delete(type, sessionId);
        } catch (SessionStorageException e) {
            LOG.warn("could not delete an ended session from storage (it will expire): {}", e.getMessage());
        }
    }

    /** Ends a session in storage on DELETE, whether this replica held it or not: whether the storage had it. */
    public boolean delete(String sessionId) {
        return context.sessions().delete(type, sessionId);
    }

    /**
     * Ends a session this replica does not hold in storage on a client's DELETE: whether the storage had it, and the
     * request's principal created it (another principal's session stays, as if it did not exist).
     */
    public boolean delete(String sessionId, Request request) {
        if (Authentication.principalOf(request) != null) {
            Optional<Session> stored = context.sessions().get(type, sessionId);
            if (stored.isEmpty()
                    || !ProxyContext.mayUse(request, stored.get().metadata(Session.PRINCIPAL).orElse(null))) {
                return false;
            }
        }
        return context.sessions().delete(type, sessionId);
    }

    /** Writes back every session held here (the storage lost its data; this replica is their only owner). */
    private void writeBack() {
        int restored = 0;
        for (Held<S> here : List.copyOf(held.values())) {
            try {
                context.sessions().restore(here.record());
                restored++;
            } catch (SessionStorageException e) {
                LOG.warn("could not write back session {}: {}", SessionIds.redact(here.record().id()), e.getMessage());
            }
        }
        if (restored > 0) {
            LOG.info("wrote back {} {} sessions this replica holds", restored, type.wireName());
        }
    }

    private void restore(Session record) {
        context.sessions().restore(record);
    }
}
