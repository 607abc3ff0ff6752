package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * What a 2026-07-28 result must carry that a legacy server's result does not: {@code resultType}, and on the
 * results a client may cache the caching hints. The proxy adds those it lacks without changing any the server set.
 */
final class ModernResults {

    /** Methods whose result is a {@code CacheableResult}. */
    private static final Set<String> CACHEABLE = Set.of("server/discover", "tools/list", "prompts/list",
            "resources/list", "resources/templates/list", "resources/read");

    private ModernResults() {
    }

    /** Adds what {@code result}, the answer to {@code method}, lacks. */
    static void complete(String method, ObjectNode result) {
        if (!result.has("resultType")) {
            result.put("resultType", "complete"); // a legacy server's result is always final
        }
        if (CACHEABLE.contains(method) && !"input_required".equals(result.path("resultType").asText())) {
            // A legacy server's lists change whenever it says so (list_changed): immediately stale, and never
            // shared between users, since what a server lists may depend on who asks
            if (!result.has("ttlMs")) {
                result.put("ttlMs", 0);
            }
            if (!result.has("cacheScope")) {
                result.put("cacheScope", "private");
            }
        }
    }
}
