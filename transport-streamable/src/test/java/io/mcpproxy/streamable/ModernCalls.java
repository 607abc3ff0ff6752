package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Map;

/**
 * A 2026-07-28 client for the multi round-trip tests: requests carry their {@code _meta} (version, client info,
 * the capabilities given) and mirror {@code method} and {@code params.name} in the headers; a retry is the same
 * request with {@code inputResponses} and {@code requestState} added.
 */
final class ModernCalls {

    static final String MODERN = "2026-07-28";

    private final McpTestClient client;
    private final Map<String, ?> capabilities;

    /** A client at {@code uri} declaring {@code capabilities}. */
    ModernCalls(HttpClient http, URI uri, Map<String, ?> capabilities) {
        this.client = new McpTestClient(http, uri);
        this.client.protocolVersion = MODERN;
        this.capabilities = capabilities;
    }

    /** A {@code tools/call} of {@code tool}. */
    ObjectNode toolCall(String tool, Map<String, ?> arguments) {
        ObjectNode params = McpTestClient.toolCall(tool, arguments);
        ObjectNode meta = params.putObject("_meta");
        meta.put("io.modelcontextprotocol/protocolVersion", MODERN);
        meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "mrtr-test").put("version", "1");
        meta.set("io.modelcontextprotocol/clientCapabilities", JsonRpc.MAPPER.valueToTree(capabilities));
        return client.request("tools/call", params);
    }

    /** {@code call} again, with a new id, {@code inputResponses} and {@code requestState}. */
    ObjectNode retry(ObjectNode call, Map<String, ?> inputResponses, String requestState) {
        ObjectNode params = call.get("params").deepCopy();
        params.set("inputResponses", JsonRpc.MAPPER.valueToTree(inputResponses));
        params.put("requestState", requestState);
        return client.request(JsonRpc.method(call), params);
    }

    /** Sends {@code message} with its mirrored headers and reads the whole reply. */
    McpTestClient.Reply send(ObjectNode message) throws IOException, InterruptedException {
        HttpRequest.Builder post = client.newPost(JsonRpc.toJson(message)).header("Mcp-Method", JsonRpc.method(message));
        JsonNode name = message.path("params").get("name");
        if (name != null) {
            post.header("Mcp-Name", name.asText());
        }
        return client.send(post.build());
    }

    /** The one input request of an {@code InputRequiredResult}: its key. */
    static String onlyKey(JsonNode result) {
        if (result.path("inputRequests").size() != 1) {
            throw new AssertionError("expected one input request, got " + result);
        }
        return result.path("inputRequests").fieldNames().next();
    }

    /** A {@code CreateMessageResult} with {@code text}. */
    static Map<String, ?> sampled(String text) {
        return Map.of("role", "assistant", "content", Map.of("type", "text", "text", text), "model", "test-model");
    }

    /** An accepted {@code ElicitResult} with {@code content}. */
    static Map<String, ?> accepted(Map<String, ?> content) {
        return Map.of("action", "accept", "content", content);
    }
}
