package io.mcpproxy.transparent;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions with an exchange open through this replica: an event stream (a Streamable GET stream, a legacy
 * {@code /sse} stream) or a request still waiting for its answer. A client that only listens, or waits for a long
 * tool call, sends no request that would restart its session's TTL; without this its session would expire in
 * storage meanwhile, and its next request would get "Session not found" although the upstream still serves it.
 * {@link #refresh} restarts the TTL of each such session; it runs every {@link SessionManager#refreshInterval()}.
 */
final class OpenStreams {

    private static final Logger LOG = LoggerFactory.getLogger(OpenStreams.class);

    private final SessionManager sessions;
    private final Map<Object, String> sessionOfStream = new ConcurrentHashMap<>();

    OpenStreams(SessionManager sessions) {
        this.sessions = sessions;
    }

    /** {@code stream} (any object that stands for one open response) now carries events of {@code sessionId}. */
    void opened(Object stream, String sessionId) {
        sessionOfStream.put(stream, sessionId);
    }

    void closed(Object stream) {
        sessionOfStream.remove(stream);
    }

    int size() {
        return sessionOfStream.size();
    }

    /**
     * Restarts the TTL of every session with an open stream (a load does that in the same round trip). A session
     * that is gone (deleted through another replica) is not brought back. A session that fails (storage down, or
     * one unreadable record) does not keep the others from their refresh; the next round tries it again.
     */
    void refresh() {
        Set<String> ids = new LinkedHashSet<>(sessionOfStream.values()); // several streams of one session: once
        int failed = 0;
        RuntimeException lastFailure = null;
        for (String id : ids) {
            try {
                if (sessions.get(Session.Type.TRANSPARENT, id).isEmpty()) {
                    LOG.debug("session {} of an open stream is gone from storage", SessionIds.redact(id));
                }
            } catch (SessionStorageException e) {
                failed++;
                lastFailure = e;
            }
        }
        if (failed > 0) {
            LOG.warn("could not refresh the TTL of {} of {} sessions with open streams: {}", failed, ids.size(),
                    lastFailure.getMessage());
        }
    }
}
