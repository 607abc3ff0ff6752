package io.mcpproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void updatesProduceNewValuesAndLeaveTheOriginalAlone() {
        Map<String, String> source = new HashMap<>(Map.of("a", "1"));
        Session original = new Session("id", Session.Type.STREAMABLE, T, T, source);
        source.put("b", "2");
        assertEquals(Map.of("a", "1"), original.metadata(), "the constructor copies");

        Session changed = original.withMetadata("a", "changed").withMetadata(Map.of("c", "3"));
        assertEquals(Map.of("a", "1"), original.metadata());
        assertEquals(Map.of("a", "changed", "c", "3"), changed.metadata());
        assertEquals(Map.of("c", "3"), changed.withoutMetadata("a").metadata());
        assertEquals(Optional.of("3"), changed.metadata("c"));
        assertEquals(T.plusSeconds(5), original.withLastAccess(T.plusSeconds(5)).lastAccess());
        assertThrows(UnsupportedOperationException.class, () -> original.metadata().put("x", "y"));
    }

    @Test
    void nullsAreRejectedByName() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new Session("id", Session.Type.SSE, T, T, Map.of()).withMetadata("k", null));
        assertTrue(e.getMessage().contains("value"), e.getMessage());
        assertThrows(NullPointerException.class, () -> new Session(null, Session.Type.SSE, T, T, Map.of()));
    }

    @Test
    void toStringNeverShowsTheWholeId() {
        String id = "abcdefghijklmnopqrstuvwxyz012345";
        String text = new Session(id, Session.Type.SSE, T, T, Map.of()).toString();
        assertFalse(text.contains(id), text);
    }

    @Test
    void typesHaveStableWireNames() {
        for (Session.Type type : Session.Type.values()) {
            assertEquals(type, Session.Type.fromWireName(type.wireName()));
        }
        assertEquals("streamable", Session.Type.STREAMABLE.wireName());
        assertThrows(IllegalArgumentException.class, () -> Session.Type.fromWireName("STREAMABLE"));
    }
}
