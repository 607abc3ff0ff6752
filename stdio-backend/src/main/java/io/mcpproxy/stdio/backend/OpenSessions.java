package io.mcpproxy.stdio.backend;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client sessions open on one {@link Backend}, and what they ask of the server together (subscriptions, the log
 * level). Thread-safe without a lock: sessions come and go concurrently with the router reading them, and every
 * question is answered from the set as it is at that moment.
 */
final class OpenSessions {

    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final Collection<ClientSession> readOnly = Collections.unmodifiableSet(sessions);

    void add(ClientSession session) {
        sessions.add(session);
    }

    void remove(ClientSession session) {
        sessions.remove(session);
    }

    int size() {
        return sessions.size();
    }

    boolean isEmpty() {
        return sessions.isEmpty();
    }

    /** A live, read-only view. */
    Collection<ClientSession> all() {
        return readOnly;
    }

    /** The open sessions on {@code process}. */
    List<ClientSession> on(ServerProcess process) {
        List<ClientSession> on = new ArrayList<>();
        for (ClientSession session : sessions) {
            if (session.process() == process) {
                on.add(session);
            }
        }
        return on;
    }

    /**
     * Whether a session other than {@code besides}, on its server process, is subscribed to {@code uri}: a
     * restarted server knows nothing of the subscriptions of the sessions of the one before.
     */
    boolean subscribedTo(String uri, ClientSession besides) {
        for (ClientSession session : sessions) {
            if (session != besides && session.process() == besides.process()
                    && session.protocol().isSubscribedTo(uri)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The level the one server logs at when sessions share it: the most verbose any open session wants. Each
     * session's own level filters what reaches it ({@link SessionProtocolState#logsBelow}).
     */
    String serverLogLevel() {
        int mostVerbose = SessionProtocolState.LOG_LEVELS.size() - 1;
        for (ClientSession session : sessions) {
            mostVerbose = Math.min(mostVerbose, session.protocol().wantedVerbosity());
        }
        return SessionProtocolState.LOG_LEVELS.get(mostVerbose);
    }
}
