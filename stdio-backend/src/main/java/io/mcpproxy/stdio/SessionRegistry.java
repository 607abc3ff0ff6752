package io.mcpproxy.stdio;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.session.SessionStorageException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
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
    public sealed interface Lookup<S> permits Lookup.Here, Lookup.Missing, Lookup.Elsewhere {
        /** Held here: serve it. */
        record Here<S>(S session) implements Lookup<S> {
        }

        /** Unknown, expired or ended: HTTP 404, the client re-initializes. */
        record Missing<S>() implements Lookup<S> {
        }

        /** Exists, but another replica holds its server connection or stream: HTTP 503, never 404. */
        record Elsewhere<S>(String owner) implements Lookup<S> {
        }
    }

    private final ProxyContext context;
    private final Session.Type type;
    private final Consumer<S> close;
    private final ConcurrentHashMap<String, S> held = new ConcurrentHashMap<>();

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
    }

    /**
     * Looks a session up and restarts its TTL.
     *
     * @param ended whether the held state is dead (e.g. its server exited); such sessions are over
     * @throws SessionStorageException when the storage fails (HTTP 503)
     */
    public Lookup<S> lookup(String sessionId, java.util.function.Predicate<S> ended) {
        Optional<Session> stored = context.sessions().get(sessionId); // malformed ids: empty, no storage call
        S session = held.get(sessionId);
        if (stored.isEmpty()) {
            if (session != null) {
                vanished(sessionId, session);
            }
            return new Lookup.Missing<>();
        }
        if (session != null && !ended.test(session)) {
            return new Lookup.Here<>(session);
        }
        if (stored.get().type() != type) {
            return new Lookup.Missing<>(); // another transport's session, named at the wrong endpoint: left alone
        }
        String owner = stored.get().metadata(Session.OWNER).orElse(context.replicaId());
        if (!owner.equals(context.replicaId())) {
            return new Lookup.Elsewhere<>(owner);
        }
        // Ours, but this process holds nothing live for it (restarted, or its server died): it is over.
        forget(sessionId);
        return new Lookup.Missing<>();
    }

    /**
     * The storage no longer has a session this replica holds: the held state ends too, or its stream, server
     * channel and (per-session mode) process would outlive it.
     */
    public void vanished(String sessionId, S session) {
        if (held.remove(sessionId, session)) {
            LOG.info("session {} is gone from storage; ending it here too", SessionIds.redact(sessionId));
            close.accept(session);
        }
    }

    /**
     * After a keep-alive reached a held session's client: restarts the session's TTL in storage on a worker thread
     * (a client that only listens keeps its session), and ends the held state if the storage no longer has it.
     */
    public void refreshLater(String sessionId, S session) {
        context.runLater(() -> {
            try {
                if (held.get(sessionId) == session && context.sessions().get(sessionId).isEmpty()) {
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
        context.runLater(() -> {
            try {
                if (context.sessions().updateMetadata(sessionId, Map.of(Session.PROTOCOL_VERSION, version)).isEmpty()) {
                    LOG.debug("session {} ended before its protocol version was recorded", SessionIds.redact(sessionId));
                }
            } catch (SessionStorageException e) {
                LOG.warn("could not record the negotiated protocol version: {}", e.getMessage());
            }
        });
    }

    public void put(String sessionId, S session) {
        held.put(sessionId, session);
    }

    public S get(String sessionId) {
        return held.get(sessionId);
    }

    /** Removes the held state, if it is still {@code session}. */
    public boolean remove(String sessionId, S session) {
        return held.remove(sessionId, session);
    }

    public S remove(String sessionId) {
        return held.remove(sessionId);
    }

    public Collection<S> all() {
        return List.copyOf(held.values());
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
            context.sessions().delete(sessionId);
        } catch (SessionStorageException e) {
            LOG.warn("could not delete an ended session from storage (it will expire): {}", e.getMessage());
        }
    }
}
