package io.mcpproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionCodecTest {

    @Test
    void roundTripKeepsEveryField() {
        Session session = new Session("id-1", Session.Type.TRANSPARENT, Instant.ofEpochMilli(1_000),
                Instant.ofEpochMilli(2_000), Map.of(Session.BACKEND_URL, "http://10.0.0.1:9000/mcp", "k", "v \"q\""));
        String json = SessionCodec.encode(session);
        assertTrue(json.contains("\"v\":1"), json);
        assertEquals(session, SessionCodec.decode(json));
    }

    @Test
    void unknownFieldsAreIgnored() {
        Session decoded = SessionCodec.decode("{\"v\":1,\"id\":\"x\",\"type\":\"sse\",\"created\":5,\"accessed\":6,"
                + "\"meta\":{\"a\":\"b\"},\"addedByANewerReplica\":{\"nested\":[1,2]}}");
        assertEquals("x", decoded.id());
        assertEquals(Session.Type.SSE, decoded.type());
        assertEquals(Map.of("a", "b"), decoded.metadata());
    }

    @Test
    void missingMetadataIsEmpty() {
        assertEquals(Map.of(),
                SessionCodec.decode("{\"v\":1,\"id\":\"x\",\"type\":\"streamable\",\"created\":5,\"accessed\":6}")
                        .metadata());
    }

    @Test
    void unreadableRecordsAreStorageErrorsWithAClearMessage() {
        assertMessage("{not json", "corrupt session record");
        assertMessage("{\"id\":\"x\",\"type\":\"sse\",\"created\":5,\"accessed\":6}", "no format version");
        assertMessage("{\"v\":2,\"id\":\"x\",\"type\":\"sse\",\"created\":5,\"accessed\":6}", "format version 2");
        assertMessage("{\"v\":1,\"id\":\"x\",\"type\":\"carrier-pigeon\",\"created\":5,\"accessed\":6}",
                "unknown session type");
        assertMessage("{\"v\":1,\"type\":\"sse\",\"created\":5,\"accessed\":6}", "required");
        assertMessage("null", "corrupt session record");
    }

    private static void assertMessage(String json, String expected) {
        SessionStorageException e = assertThrows(SessionStorageException.class, () -> SessionCodec.decode(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
