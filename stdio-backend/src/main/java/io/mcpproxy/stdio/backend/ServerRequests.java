package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The server's requests handed to client sessions: only the session a request was handed to may answer it, and it
 * is answered once. Kept apart from the {@link RequestTable}: the server's ids are its own, and no step takes a
 * server request together with a client request, so this table has a lock of its own.
 */
final class ServerRequests {

    /** Guards {@link #handedTo}. */
    private final Object lock = new Object();
    /** The session each server request was handed to, by {@link RequestTable#idKey} of the server's id. */
    private final Map<String, ClientSession> handedTo = new HashMap<>();

    /** The server request {@code serverIdKey} is handed to {@code session}: only it may answer. */
    void handedTo(String serverIdKey, ClientSession session) {
        synchronized (lock) {
            handedTo.put(serverIdKey, session);
        }
    }

    /**
     * Takes the server request {@code serverIdKey} back from {@code session}: it answered it, or it could not be
     * delivered.
     *
     * @return false when that request was not handed to that session (or was answered already)
     */
    boolean takenBack(String serverIdKey, ClientSession session) {
        synchronized (lock) {
            return handedTo.remove(serverIdKey, session);
        }
    }

    /** The server withdrew its request {@code serverIdKey}: the session that held it, or null. */
    ClientSession withdrawn(String serverIdKey) {
        synchronized (lock) {
            return handedTo.remove(serverIdKey);
        }
    }

    /** Takes back every server request handed to {@code session}, returning their ids. */
    List<JsonNode> takenFrom(ClientSession session) {
        List<JsonNode> taken = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Map.Entry<String, ClientSession>> it = handedTo.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, ClientSession> held = it.next();
                if (held.getValue() == session) {
                    taken.add(RequestTable.idOfKey(held.getKey()));
                    it.remove();
                }
            }
        }
        return taken;
    }

    /** Forgets the server requests of the dead process's sessions: a dead server waits for no answer. */
    void forget(ServerProcess dead) {
        synchronized (lock) {
            handedTo.values().removeIf(session -> session.process() == dead);
        }
    }
}
