package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Answers client requests by method; runs on worker threads. */
final class Dispatcher {

    static final List<String> SUPPORTED_VERSIONS = List.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25");
    static final String LATEST_VERSION = "2025-11-25";

    static final String GREETING_URI = "example://greeting";
    static final String GREETING_TEXT = "hello from example-server";

    private final ServerState state;
    private final Tools tools;

    Dispatcher(ServerState state, Tools tools) {
        this.state = state;
        this.tools = tools;
    }

    /**
     * @param params the request's params, an empty object if it had none
     * @return the result to send
     * @throws InterruptedException only when the request was cancelled
     */
    JsonNode handle(String method, JsonNode params) throws RpcException, InterruptedException {
        state.recordRequest(method);
        return switch (method) {
            case "initialize" -> initialize(params);
            case "ping" -> Wire.object();
            case "logging/setLevel" -> {
                state.setLogLevel(params.path("level").asText());
                yield Wire.object();
            }
            case "tools/list" -> tools.list();
            case "tools/call" -> tools.call(params);
            case "resources/list" -> resourcesList();
            case "resources/templates/list" -> emptyList("resourceTemplates");
            case "resources/read" -> resourcesRead(uri(params));
            case "resources/subscribe" -> {
                state.subscribe(uri(params));
                yield Wire.object();
            }
            case "resources/unsubscribe" -> {
                state.unsubscribe(uri(params));
                yield Wire.object();
            }
            case "prompts/list" -> promptsList();
            case "prompts/get" -> promptsGet(params);
            default -> throw new RpcException(RpcException.METHOD_NOT_FOUND, "Method not found: " + method);
        };
    }

    private ObjectNode initialize(JsonNode params) throws RpcException {
        // Refusing a second initialize is deliberate (see --allow-reinitialize): many real servers do, and a
        // proxy that replays initialize to an already running child must cope with it.
        if (!state.markInitialized()) {
            throw new RpcException(RpcException.INVALID_REQUEST, "already initialized");
        }
        state.initializedWith(params);
        String requested = params.path("protocolVersion").asText();
        ObjectNode result = Wire.object()
                .put("protocolVersion", SUPPORTED_VERSIONS.contains(requested) ? requested : LATEST_VERSION);
        ObjectNode capabilities = result.putObject("capabilities");
        capabilities.putObject("tools").put("listChanged", true);
        capabilities.putObject("resources").put("subscribe", true).put("listChanged", true);
        capabilities.putObject("prompts").put("listChanged", true);
        capabilities.putObject("logging");
        result.putObject("serverInfo").put("name", "example-server").put("version", "0.1.0");
        return result;
    }

    private static ObjectNode resourcesList() {
        ObjectNode result = Wire.object();
        result.putArray("resources").addObject()
                .put("uri", GREETING_URI).put("name", "greeting").put("mimeType", "text/plain");
        return result;
    }

    private static ObjectNode resourcesRead(String uri) throws RpcException {
        if (!GREETING_URI.equals(uri)) {
            throw new RpcException(RpcException.RESOURCE_NOT_FOUND, "Resource not found", Wire.object().put("uri", uri));
        }
        ObjectNode result = Wire.object();
        result.putArray("contents").addObject()
                .put("uri", uri).put("mimeType", "text/plain").put("text", GREETING_TEXT);
        return result;
    }

    private static ObjectNode promptsList() {
        ObjectNode result = Wire.object();
        ObjectNode prompt = result.putArray("prompts").addObject()
                .put("name", "greeting").put("description", "Asks the model to greet someone.");
        prompt.putArray("arguments").addObject()
                .put("name", "name").put("description", "Who to greet").put("required", true);
        return result;
    }

    private static ObjectNode promptsGet(JsonNode params) throws RpcException {
        String prompt = params.path("name").asText();
        if (!"greeting".equals(prompt)) {
            throw new RpcException(RpcException.INVALID_PARAMS, "Unknown prompt: " + prompt);
        }
        JsonNode name = params.path("arguments").get("name");
        if (name == null || !name.isTextual()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "Missing required argument: name");
        }
        ObjectNode result = Wire.object().put("description", "Greeting for " + name.asText());
        result.putArray("messages").addObject().put("role", "user")
                .putObject("content").put("type", "text").put("text", "Say hello to " + name.asText());
        return result;
    }

    private static ObjectNode emptyList(String field) {
        ObjectNode result = Wire.object();
        result.putArray(field);
        return result;
    }

    private static String uri(JsonNode params) throws RpcException {
        JsonNode uri = params.get("uri");
        if (uri == null || !uri.isTextual()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "params.uri must be a string");
        }
        return uri.asText();
    }
}
