package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code notifications} filter of a {@code subscriptions/listen} request (2026-07-28 {@code SubscriptionFilter}):
 * which change notifications the client opted in to. Each kind is opt-in, so a stream carries nothing else.
 *
 * @param toolsListChanged     {@code notifications/tools/list_changed}
 * @param promptsListChanged   {@code notifications/prompts/list_changed}
 * @param resourcesListChanged {@code notifications/resources/list_changed}
 * @param resources            the URIs whose {@code notifications/resources/updated} the client wants
 */
record ListenFilter(boolean toolsListChanged, boolean promptsListChanged, boolean resourcesListChanged,
                    Set<String> resources) {

    ListenFilter {
        resources = Collections.unmodifiableSet(new LinkedHashSet<>(resources));
    }

    /**
     * The filter of a listen request's params.
     *
     * @throws IllegalArgumentException with the reason when the params do not carry a valid filter
     */
    static ListenFilter of(JsonNode params) {
        JsonNode filter = params.path("notifications");
        if (!filter.isObject()) {
            throw new IllegalArgumentException("subscriptions/listen needs a 'notifications' object");
        }
        Set<String> uris = new LinkedHashSet<>();
        JsonNode subscriptions = filter.path("resourceSubscriptions");
        if (!subscriptions.isMissingNode() && !subscriptions.isNull()) {
            if (!subscriptions.isArray()) {
                throw new IllegalArgumentException("'resourceSubscriptions' must be an array of URIs");
            }
            for (JsonNode uri : subscriptions) {
                if (!uri.isTextual()) {
                    throw new IllegalArgumentException("'resourceSubscriptions' must be an array of URIs");
                }
                uris.add(uri.asText());
            }
        }
        return new ListenFilter(filter.path("toolsListChanged").asBoolean(false),
                filter.path("promptsListChanged").asBoolean(false),
                filter.path("resourcesListChanged").asBoolean(false), uris);
    }

    /** Whether the client asked for this server notification. */
    boolean admits(ObjectNode notification) {
        return switch (String.valueOf(JsonRpc.method(notification))) {
            case "notifications/tools/list_changed" -> toolsListChanged;
            case "notifications/prompts/list_changed" -> promptsListChanged;
            case "notifications/resources/list_changed" -> resourcesListChanged;
            case "notifications/resources/updated" ->
                    resources.contains(notification.path("params").path("uri").asText());
            default -> false; // request-scoped or unknown notifications never ride a listen stream
        };
    }

    /** This filter with only the {@code honored} resource URIs. */
    ListenFilter honoring(Set<String> honored) {
        return new ListenFilter(toolsListChanged, promptsListChanged, resourcesListChanged, honored);
    }

    /** The filter as the wire {@code SubscriptionFilter}: only the kinds asked for, no false flags. */
    ObjectNode toJson() {
        ObjectNode json = JsonRpc.objectNode();
        if (toolsListChanged) {
            json.put("toolsListChanged", true);
        }
        if (promptsListChanged) {
            json.put("promptsListChanged", true);
        }
        if (resourcesListChanged) {
            json.put("resourcesListChanged", true);
        }
        if (!resources.isEmpty()) {
            resources.forEach(json.putArray("resourceSubscriptions")::add);
        }
        return json;
    }
}
