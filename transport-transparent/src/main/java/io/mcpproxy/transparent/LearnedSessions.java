package io.mcpproxy.transparent;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.util.HashMap;
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
    /**
     * Metadata of a legacy HTTP+SSE session: the upstream path its endpoint event named for its messages, decoded
     * and canonical. The proxy forwards POSTs of that session to that path even where it exposes no other path.
     */
    static final String MESSAGE_PATH = "message_path";

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

    /** The message path a legacy session's endpoint event named, if it is one. */
    static Optional<String> messagePathOf(Session session) {
        return session.metadata(MESSAGE_PATH);
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
        return learned(sessionId, servedBy, metadata(servedBy, principal));
    }

    /**
     * Records a legacy session an upstream's endpoint event announced, with the path its messages go to.
     *
     * @param messagePath decoded and canonical; null when it could not be read (then only exposed paths work)
     * @see #learned(String, URI, String)
     */
    boolean learnedLegacy(String sessionId, URI servedBy, String messagePath, String principal) {
        Map<String, String> metadata = metadata(servedBy, principal);
        if (messagePath != null) {
            metadata.put(MESSAGE_PATH, messagePath);
        }
        return learned(sessionId, servedBy, metadata);
    }

    private static Map<String, String> metadata(URI servedBy, String principal) {
        Map<String, String> metadata = new HashMap<>();
        metadata.put(Session.BACKEND_URL, servedBy.toString());
        if (principal != null) {
            metadata.put(Session.PRINCIPAL, principal);
        }
        return metadata;
    }

    private boolean learned(String sessionId, URI servedBy, Map<String, String> metadata) {
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
