package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server's requests handed to sessions, alone: no process. */
class ServerRequestsTest {

    private final ServerRequests serverRequests = new ServerRequests();
    private final ServerProcess process = mock(ServerProcess.class); // only its identity matters here
    private final ClientSession sessionA = new ClientSession("a", new Recorder(), process);
    private final ClientSession sessionB = new ClientSession("b", new Recorder(), process);

    @Test
    void onlyTheSessionAServerRequestWasHandedToMayTakeItBack() {
        serverRequests.handedTo("s:srv-1", sessionA);
        serverRequests.handedTo("n:7", sessionA);
        assertFalse(serverRequests.takenBack("s:srv-1", sessionB));
        assertTrue(serverRequests.takenBack("s:srv-1", sessionA));
        assertFalse(serverRequests.takenBack("s:srv-1", sessionA), "answered once");

        serverRequests.handedTo("s:srv-2", sessionB);
        assertEquals(List.of(7L), serverRequests.takenFrom(sessionA).stream().map(JsonNode::asLong).toList());
        assertSame(sessionB, serverRequests.withdrawn("s:srv-2"));
        assertNull(serverRequests.withdrawn("s:srv-2"));
    }

    @Test
    void aDeadProcessTakesItsSessionsServerRequestsWithIt() {
        ClientSession onOther = new ClientSession("c", new Recorder(), mock(ServerProcess.class));
        serverRequests.handedTo("s:srv", sessionA);
        serverRequests.handedTo("s:other", onOther);

        serverRequests.forget(process);
        assertFalse(serverRequests.takenBack("s:srv", sessionA));
        assertTrue(serverRequests.takenBack("s:other", onOther));
    }
}
