package io.mcpproxy.transparent;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions the proxy learned from upstream traffic, each with the upstream that serves it
 * ({@code backend_url}), in the storage every replica shares.
 */
final class LearnedSessions {

    private static final Logger LOG = LoggerFactory.getLogger(LearnedSessions.class);

    private final SessionManager sessions;

    LearnedSessions(SessionManager sessions) {
        this.sessions = sessions;
    }

    SessionManager manager() {
        return sessions;
    }

    /**
     * The session, its TTL restarted.
     *
     * @throws SessionStorageException when the storage fails
     */
    Optional<Session> get(String sessionId) {
        return sessions.get(Session.Type.TRANSPARENT, sessionId);
    }

    /** Where a session's requests go: its {@code backend_url}, else {@code fallback}. */
    static URI backendOf(Session session, URI fallback) {
        Optional<String> backend = session.metadata(Session.BACKEND_URL);
        if (backend.isPresent()) {
            try {
                URI uri = URI.create(backend.get());
                if (uri.isAbsolute() && uri.getHost() != null) {
                    return uri;
                }
            } catch (IllegalArgumentException malformed) {
                LOG.debug("unparseable backend_url {}", backend.get());
            }
        }
        return fallback;
    }

    /**
     * Records a session an upstream just created (the id is the upstream's).
     *
     * @param principal the digest of the principal whose request created it, or null
     * @return false when another upstream's live session has that id: this one's requests would reach that other
     *         upstream (servers that number their sessions issue the same ids), so the exchange must fail
     * @throws SessionStorageException when the storage fails: the client must not get an id every later request
     *         of which would be answered "Session not found"
     */
    boolean learned(String sessionId, URI servedBy, String principal) {
        Map<String, String> metadata = principal == null ? Map.of(Session.BACKEND_URL, servedBy.toString())
                : Map.of(Session.BACKEND_URL, servedBy.toString(), Session.PRINCIPAL, principal);
        if (sessions.register(sessionId, Session.Type.TRANSPARENT, metadata).isPresent()) {
            return true;
        }
        if (!SessionManager.isValidId(sessionId)) {
            LOG.warn("upstream {} issued a malformed session id; not tracked", servedBy);
            return true;
        }
        Optional<String> holder = sessions.get(Session.Type.TRANSPARENT,
                sessionId).flatMap(held -> held.metadata(Session.BACKEND_URL));
        if (holder.isPresent() && !holder.get().equals(servedBy.toString())) {
            LOG.warn("upstream {} issued a session id that a live session of {} has; refused", servedBy,
                    holder.get());
            return false;
        }
        return true;
    }

    /** DELETE answered by the upstream with {@code status}: 2xx or 404 ends the session here too; 5xx keeps it. */
    void deleted(String sessionId, int status) {
        if (status / 100 == 2 || status == 404) {
            try {
                sessions.delete(Session.Type.TRANSPARENT, sessionId);
            } catch (SessionStorageException e) {
                LOG.warn("could not delete session from storage (it will expire): {}", e.getMessage());
            }
        }
    }
}
