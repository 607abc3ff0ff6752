package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tool parameters a {@code tools/call} mirrors into {@code Mcp-Param-*} headers, learned from the
 * {@code x-mcp-header} annotations of the top-level properties of each tool's {@code inputSchema} in the
 * {@code tools/list} results the proxy passes on. Until the proxy has seen a tool listed, no {@code Mcp-Param-*}
 * header of a call to it is recognized (and, as the specification asks of intermediaries, left alone).
 * Thread-safe: one concurrent map, each tool's entry replaced whole.
 */
final class MirroredToolParameters {

    private static final String ANNOTATION = "x-mcp-header";

    private final Map<String, Map<String, String>> byTool = new ConcurrentHashMap<>();

    /** Learns from a {@code tools/list} result. */
    void learn(JsonNode toolsListResult) {
        for (JsonNode tool : toolsListResult.path("tools")) {
            Map<String, String> headers = new LinkedHashMap<>();
            tool.path("inputSchema").path("properties").fields().forEachRemaining(property -> {
                JsonNode header = property.getValue().get(ANNOTATION);
                if (header != null && header.isTextual()) {
                    headers.put(header.asText(), property.getKey());
                }
            });
            byTool.put(tool.path("name").asText(), Map.copyOf(headers));
        }
    }

    /** Header name (after {@code Mcp-Param-}) to argument name for {@code tool}; empty when none or unknown. */
    Map<String, String> of(String tool) {
        return tool == null ? Map.of() : byTool.getOrDefault(tool, Map.of());
    }
}
