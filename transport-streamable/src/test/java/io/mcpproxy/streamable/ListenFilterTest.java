package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code subscriptions/listen} filter: what it admits, what it acknowledges, what it refuses. */
class ListenFilterTest {

    private static JsonNode params(String notifications) throws Exception {
        return JsonRpc.MAPPER.readTree("{\"notifications\":" + notifications + "}");
    }

    private static ObjectNode notification(String method, String uri) {
        return JsonRpc.notification(method, uri == null ? null : JsonRpc.objectNode().put("uri", uri));
    }

    @Test
    void eachKindIsAdmittedOnlyWhenAskedFor() throws Exception {
        ListenFilter filter = ListenFilter.of(params(
                "{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"a://x\"]}"));

        assertTrue(filter.admits(notification("notifications/tools/list_changed", null)));
        assertFalse(filter.admits(notification("notifications/prompts/list_changed", null)));
        assertFalse(filter.admits(notification("notifications/resources/list_changed", null)));
        assertTrue(filter.admits(notification("notifications/resources/updated", "a://x")));
        assertFalse(filter.admits(notification("notifications/resources/updated", "a://y")));
        assertFalse(filter.admits(notification("notifications/message", null)), "request-scoped");
    }

    @Test
    void theAcknowledgedFilterNamesOnlyWhatIsHonored() throws Exception {
        ListenFilter filter = ListenFilter.of(params("{\"promptsListChanged\":true,\"toolsListChanged\":false,"
                + "\"resourceSubscriptions\":[\"a://x\",\"a://y\"]}"));

        assertEquals(JsonRpc.MAPPER.readTree("{\"promptsListChanged\":true,\"resourceSubscriptions\":[\"a://y\"]}"),
                filter.honoring(Set.of("a://y")).toJson());
        assertEquals(JsonRpc.MAPPER.readTree("{\"promptsListChanged\":true}"), filter.honoring(Set.of()).toJson());
    }

    @Test
    void aFilterThatIsNotAnObjectOrHasNonTextUrisIsRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> ListenFilter.of(JsonRpc.objectNode()));
        assertThrows(IllegalArgumentException.class, () -> ListenFilter.of(params("true")));
        assertThrows(IllegalArgumentException.class,
                () -> ListenFilter.of(params("{\"resourceSubscriptions\":\"a://x\"}")));
        assertThrows(IllegalArgumentException.class, () -> ListenFilter.of(params("{\"resourceSubscriptions\":[1]}")));
    }
}
