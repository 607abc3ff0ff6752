package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RequestStatesTest {

    private static final String BASE64URL =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private final RequestStates states = new RequestStates(null, "replica-a", URI.create("http://127.0.0.1:1/"));

    @Test
    void aMintedStateVerifiesToItsClaim() {
        RequestStates.Claim claim = states.verify(states.mint("call-1"));

        assertNotNull(claim);
        assertEquals("replica-a", claim.replica());
        assertEquals("call-1", claim.waitingId());
        assertEquals(URI.create("http://127.0.0.1:1/"), claim.replicaUrl());
    }

    @Test
    void everyOtherLastCharacterIsRefusedEvenWhereOnlyUnusedBitsChange() {
        for (int call = 0; call < 32; call++) {
            String state = states.mint("call-" + call);
            String head = state.substring(0, state.length() - 1);
            char last = state.charAt(state.length() - 1);
            for (char other : BASE64URL.toCharArray()) {
                if (other != last) {
                    assertNull(states.verify(head + other), state + " with its last character " + other);
                }
            }
        }
    }

    @Test
    void aStateMintedUnderAnotherKeyIsRefused() {
        RequestStates other = new RequestStates(null, "replica-a", null);

        assertNull(states.verify(other.mint("call-1")));
    }

    @Test
    void malformedStatesAreRefused() {
        assertNull(states.verify("v1."));
        assertNull(states.verify("v1.abc"));
        assertNull(states.verify("v2." + states.mint("x").substring(3)));
        assertNull(states.verify(states.mint("x") + "=="));
        assertNull(states.verify("v1." + "A".repeat(4096) + ".B"));
    }
}
