package io.mcpproxy.session;

import java.time.Instant;
import java.util.Map;

/** Session values for tests. */
public final class TestSessions {

    private TestSessions() {
    }

    public static Session session(String id) {
        return session(id, Map.of(Session.PROTOCOL_VERSION, "2025-06-18", Session.OWNER, "replica-a"));
    }

    public static Session session(String id, Map<String, String> metadata) {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        return new Session(id, Session.Type.STREAMABLE, at, at, metadata);
    }
}
