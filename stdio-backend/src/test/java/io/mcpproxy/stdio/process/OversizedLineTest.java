package io.mcpproxy.stdio.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the scanner learns from a line it reads past, fed in pieces as the reader sees them. */
class OversizedLineTest {

    private static OversizedLine scan(String line, int pieceSize) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        OversizedLine scanned = new OversizedLine();
        for (int offset = 0; offset < bytes.length; offset += pieceSize) {
            scanned.feed(bytes, offset, Math.min(pieceSize, bytes.length - offset));
        }
        assertEquals(bytes.length, scanned.length());
        return scanned;
    }

    @Test
    void theIdOfAnAnswerIsFoundBeforeOrAfterItsResult() {
        String big = "\"" + "x".repeat(10_000) + "\"";
        JsonNode before = scan("{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"text\":" + big + "}}", 7).answerId();
        assertEquals(42, before.asLong());
        JsonNode after = scan("{\"result\":{\"content\":[{\"text\":" + big + "}]},\"jsonrpc\":\"2.0\",\"id\":43}", 1000)
                .answerId();
        assertEquals(43, after.asLong());
        JsonNode error = scan("{ \"id\" : \"req-7\" , \"error\" : {\"code\":-1,\"message\":" + big + "} }", 3)
                .answerId();
        assertTrue(error.isTextual());
        assertEquals("req-7", error.asText());
    }

    @Test
    void idsAndBracesInsideNestedValuesOrStringsAreNotTheMessageId() {
        String line = "{\"jsonrpc\":\"2.0\",\"result\":{\"id\":1,\"text\":\"}, \\\"id\\\": 2, {\"},"
                + "\"note\":\"a \\\\\\\" quote\",\"id\":3}";
        assertEquals(3, scan(line, 5).answerId().asLong());
        assertNull(scan("{\"jsonrpc\":\"2.0\",\"result\":{\"id\":1}}", 4).answerId(), "no top-level id");
    }

    @Test
    void requestsNotificationsBatchesAndNullIdsGetNoAnswer() {
        OversizedLine request = scan("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"sampling/createMessage\","
                + "\"params\":{\"result\":1}}", 9);
        assertNull(request.answerId());
        assertTrue(request.isServerMessage());
        OversizedLine notification = scan("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}", 2);
        assertNull(notification.answerId());
        assertTrue(notification.isServerMessage());
        OversizedLine batch = scan("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]", 4);
        assertNull(batch.answerId());
        assertFalse(batch.isServerMessage());
        assertNull(scan("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{}}", 3).answerId());
        assertNull(scan("not json at all", 3).answerId());
    }
}
