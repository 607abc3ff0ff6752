package io.mcpproxy.core.observe;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The JSON-RPC methods MCP defines (2024-11-05 to 2026-07-28), so that a metric tag names only these: whatever a
 * client sends, the set of tag values stays bounded.
 */
public final class McpMethods {

    /** The tag of a POST that carried answers only (responses to server requests). */
    public static final String RESPONSE = "response";
    /** The tag of a POST carrying a JSON-RPC batch. */
    public static final String BATCH = "batch";
    /** The tag of an exchange that carried no JSON-RPC message the proxy read (GET, DELETE, a refused request). */
    public static final String NONE = "none";
    /** The tag of a method outside the specification. */
    public static final String OTHER = "other";

    /** Each method to this class's own instance of its name: a tag compares by reference to the one it equals. */
    private static final Map<String, String> TAGS = Stream.of(
            "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/templates/list",
            "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
            "completion/complete", "logging/setLevel", "sampling/createMessage", "elicitation/create", "roots/list",
            "tasks/get", "tasks/result", "tasks/list", "tasks/cancel", "server/discover", "subscriptions/listen",
            "notifications/initialized", "notifications/cancelled", "notifications/progress",
            "notifications/message", "notifications/roots/list_changed", "notifications/resources/updated",
            "notifications/resources/list_changed", "notifications/tools/list_changed",
            "notifications/prompts/list_changed", "notifications/elicitation/complete",
            "notifications/tasks/status")
            .collect(Collectors.toUnmodifiableMap(Function.identity(), Function.identity()));

    private McpMethods() {
    }

    /** {@code method} when the specification defines it, else {@link #OTHER}; null (an answer) is {@link #RESPONSE}. */
    public static String tagOf(String method) {
        if (method == null) {
            return RESPONSE;
        }
        return TAGS.getOrDefault(method, OTHER);
    }
}
