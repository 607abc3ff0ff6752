package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.ProcessProtocolState.InitializeStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessProtocolStateTest {

    private final ProcessProtocolState handshake = new ProcessProtocolState();
    private final List<String> retried = new ArrayList<>();

    private static ObjectNode json(String text) {
        return (ObjectNode) JsonRpc.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theFirstInitializeGoesToTheServerAndConcurrentOnesWaitForIt() {
        assertEquals(InitializeStep.TO_SERVER, handshake.beginInitialize(() -> retried.add("first")));
        assertEquals(InitializeStep.QUEUED, handshake.beginInitialize(() -> retried.add("second")));
        assertEquals(InitializeStep.QUEUED, handshake.beginInitialize(() -> retried.add("third")));
        assertTrue(retried.isEmpty());

        handshake.initializeAnswered(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"serverInfo\":{\"name\":\"s\"}}}"));
        assertEquals(List.of("second", "third"), retried, "the waiting ones run again, in order");
        assertEquals(InitializeStep.FROM_CACHE, handshake.beginInitialize(() -> retried.add("later")));
    }

    @Test
    void aFailedFirstInitializeLetsTheNextOneGoToTheServer() {
        handshake.beginInitialize(() -> { });
        handshake.beginInitialize(() -> retried.add("waiting"));
        handshake.initializeAnswered(JsonRpc.proxyError(null, "timeout", "no answer"));
        assertEquals(List.of("waiting"), retried);
        assertEquals(InitializeStep.TO_SERVER, handshake.beginInitialize(() -> { }), "nothing was cached");
    }

    @Test
    void laterSessionsGetTheKeptResultWithTheirNegotiatedVersion() {
        handshake.beginInitialize(() -> { });
        handshake.initializeAnswered(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{\"tools\":{}}}}"));
        ObjectNode older = handshake.initializeResultFor(json("{\"protocolVersion\":\"2025-03-26\"}"));
        assertEquals("2025-03-26", older.path("protocolVersion").asText(), "supported, not newer than the server's");
        ObjectNode newer = handshake.initializeResultFor(json("{\"protocolVersion\":\"2099-01-01\"}"));
        assertEquals("2025-06-18", newer.path("protocolVersion").asText(), "unknown: the server's");
        assertTrue(newer.path("capabilities").has("tools"));
        older.put("mutated", true);
        assertFalse(handshake.initializeResultFor(json("{}")).has("mutated"), "each answer is a copy");
    }

    @Test
    void onlyTheFirstInitializedNotificationIsForwarded() {
        assertTrue(handshake.firstInitializedNotification());
        assertFalse(handshake.firstInitializedNotification());
    }
}
