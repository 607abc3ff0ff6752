package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stdio MCP server the official conformance suite ({@code npx @modelcontextprotocol/conformance server})
 * is run against through the proxy. It offers exactly the tools, resources, prompts and utilities the suite's
 * server scenarios exercise, on the same JSON-RPC plumbing ({@link StdioServer}) as {@link ExampleServer}.
 *
 * <h2>Running</h2>
 * <pre>java -cp example-server-0.1.0-SNAPSHOT.jar:jackson-databind.jar:jackson-core.jar:jackson-annotations.jar \
 *     io.mcpproxy.example.ConformanceServer</pre>
 * EOF on stdin ends the process with exit code 0. Logs go to stderr, prefixed {@code [conformance-server]}.
 *
 * <h2>What it serves</h2>
 * <ul>
 *   <li>{@code initialize}: the client's protocol version if supported (2024-11-05 … 2025-11-25), else
 *       2025-11-25; capabilities tools, resources (subscribe, listChanged), prompts, logging, completions.
 *       Repeated {@code initialize} requests are answered too.</li>
 *   <li>{@code ping}, {@code logging/setLevel} (also logs "Log level set to: &lt;level&gt;" at info),
 *       {@code completion/complete}.</li>
 *   <li>Tools: see {@link ConformanceTools} ({@code test_simple_text}, {@code test_image_content},
 *       {@code test_audio_content}, {@code test_embedded_resource}, {@code test_multiple_content_types},
 *       {@code test_tool_with_logging}, {@code test_tool_with_progress}, {@code test_error_handling},
 *       {@code test_sampling}, {@code test_elicitation}, {@code test_elicitation_sep1034_defaults},
 *       {@code test_elicitation_sep1330_enums}, {@code json_schema_2020_12_tool}, {@code test_reconnection},
 *       and the multi round-trip tools of {@link InputRequiredTools}).</li>
 *   <li>Resources {@code test://static-text}, {@code test://static-binary}, {@code test://watched-resource}
 *       (subscribable), and the template {@code test://template/{id}/data}. Unknown URIs: -32002.</li>
 *   <li>Prompts {@code test_simple_prompt}, {@code test_prompt_with_arguments} (arg1, arg2),
 *       {@code test_prompt_with_embedded_resource} (resourceUri), {@code test_prompt_with_image},
 *       {@code test_input_required_result_prompt} (asks the client for its context first).</li>
 * </ul>
 */
public final class ConformanceServer {

    static final String NAME = "conformance-server";

    static final String STATIC_TEXT_URI = "test://static-text";
    static final String STATIC_TEXT = "This is the content of the static text resource.";
    static final String STATIC_BINARY_URI = "test://static-binary";
    static final String WATCHED_URI = "test://watched-resource";
    static final String WATCHED_TEXT = "Watched resource content";
    static final String TEMPLATE = "test://template/{id}/data";
    private static final Pattern TEMPLATE_URI = Pattern.compile("test://template/([^/]+)/data");

    private record Resource(String uri, String name, String description, String mimeType) {
    }

    private record Argument(String name, String description, List<String> completions) {
    }

    private record Prompt(String name, String description, List<Argument> arguments) {
    }

    private static final List<Resource> RESOURCES = List.of(
            new Resource(STATIC_TEXT_URI, "static-text", "A static text resource.", "text/plain"),
            new Resource(STATIC_BINARY_URI, "static-binary", "A static binary resource (a 1x1 PNG).", "image/png"),
            new Resource(WATCHED_URI, "watched-resource", "A resource clients can subscribe to.", "text/plain"));

    private static final Map<String, Prompt> PROMPTS = new LinkedHashMap<>();
    /** A prompt that asks the client for its context first (elicitation, id user_context). */
    static final String INPUT_REQUIRED_PROMPT = "test_input_required_result_prompt";

    static {
        List<String> sample = List.of("test-alpha", "test-beta", "other");
        prompt(new Prompt("test_simple_prompt", "A simple prompt without arguments.", List.of()));
        prompt(new Prompt("test_prompt_with_arguments", "A prompt that fills in two arguments.", List.of(
                new Argument("arg1", "First test argument", sample),
                new Argument("arg2", "Second test argument", sample))));
        prompt(new Prompt("test_prompt_with_embedded_resource", "A prompt that embeds a resource.", List.of(
                new Argument("resourceUri", "URI of the resource to embed",
                        RESOURCES.stream().map(Resource::uri).toList()))));
        prompt(new Prompt("test_prompt_with_image", "A prompt that contains an image.", List.of()));
        prompt(new Prompt(INPUT_REQUIRED_PROMPT, "Asks the user for its context (elicitation) first.", List.of()));
    }

    private final ServerState state;
    private final ConformanceTools tools;

    private ConformanceServer(ServerState state, ConformanceTools tools) {
        this.state = state;
        this.tools = tools;
    }

    /** Builds the conformance server around the protocol writer. */
    static StdioServer create(Wire wire) {
        ServerState state = new ServerState(true);
        OutgoingRequests outgoing = new OutgoingRequests(wire);
        ConformanceServer server = new ConformanceServer(state, new ConformanceTools(wire, outgoing, state));
        return new StdioServer(wire, state, outgoing, server::handle);
    }

    /** Serves the conformance scenarios on stdin/stdout until stdin ends, then exits with code 0. */
    public static void main(String[] args) {
        if (args.length > 0) {
            System.err.println("usage: java -cp <classpath> io.mcpproxy.example.ConformanceServer");
            System.exit(2);
        }
        Log.setName(NAME);
        StdioServer.serveStdioAndExit("", ConformanceServer::create);
    }

    JsonNode handle(String method, JsonNode params) throws RpcException, InterruptedException {
        return switch (method) {
            case "initialize" -> initialize(params);
            case "ping" -> Wire.object();
            case "logging/setLevel" -> {
                String level = params.path("level").asText();
                state.setLogLevel(level);
                tools.log("info", "Log level set to: " + level);
                yield Wire.object();
            }
            case "completion/complete" -> complete(params);
            case "tools/list" -> tools.list();
            case "tools/call" -> tools.call(params);
            case "resources/list" -> resourcesList();
            case "resources/templates/list" -> templatesList();
            case "resources/read" -> read(uri(params));
            case "resources/subscribe" -> {
                state.subscribe(uri(params));
                yield Wire.object();
            }
            case "resources/unsubscribe" -> {
                state.unsubscribe(uri(params));
                yield Wire.object();
            }
            case "prompts/list" -> promptsList();
            case "prompts/get" -> INPUT_REQUIRED_PROMPT.equals(params.path("name").asText())
                    ? inputRequiredPrompt() : promptsGet(params);
            default -> throw new RpcException(RpcException.METHOD_NOT_FOUND, "Method not found: " + method);
        };
    }

    private ObjectNode inputRequiredPrompt() throws RpcException, InterruptedException {
        try {
            return tools.inputRequiredPrompt();
        } catch (ToolFailure e) {
            throw new RpcException(RpcException.INTERNAL_ERROR, e.getMessage());
        }
    }

    private ObjectNode initialize(JsonNode params) {
        if (!state.markInitialized()) {
            Log.log("answering a repeated initialize");
        }
        String requested = params.path("protocolVersion").asText();
        ObjectNode result = Wire.object().put("protocolVersion",
                Dispatcher.SUPPORTED_VERSIONS.contains(requested) ? requested : Dispatcher.LATEST_VERSION);
        ObjectNode capabilities = result.putObject("capabilities");
        capabilities.putObject("tools").put("listChanged", true);
        capabilities.putObject("resources").put("subscribe", true).put("listChanged", true);
        capabilities.putObject("prompts").put("listChanged", true);
        capabilities.putObject("logging");
        capabilities.putObject("completions");
        result.putObject("serverInfo").put("name", NAME).put("version", "0.1.0");
        result.put("instructions", "Test server for the MCP conformance suite's server scenarios.");
        return result;
    }

    private static ObjectNode resourcesList() {
        ObjectNode result = Wire.object();
        ArrayNode array = result.putArray("resources");
        for (Resource resource : RESOURCES) {
            array.addObject().put("uri", resource.uri()).put("name", resource.name())
                    .put("description", resource.description()).put("mimeType", resource.mimeType());
        }
        return result;
    }

    private static ObjectNode templatesList() {
        ObjectNode result = Wire.object();
        result.putArray("resourceTemplates").addObject().put("uriTemplate", TEMPLATE).put("name", "template")
                .put("description", "JSON data for any id.").put("mimeType", "application/json");
        return result;
    }

    private static ObjectNode read(String uri) throws RpcException {
        ObjectNode content = Wire.object().put("uri", uri);
        Matcher template = TEMPLATE_URI.matcher(uri);
        if (uri.equals(STATIC_TEXT_URI)) {
            content.put("mimeType", "text/plain").put("text", STATIC_TEXT);
        } else if (uri.equals(STATIC_BINARY_URI)) {
            content.put("mimeType", "image/png").put("blob", Content.PNG_1X1);
        } else if (uri.equals(WATCHED_URI)) {
            content.put("mimeType", "text/plain").put("text", WATCHED_TEXT);
        } else if (template.matches()) {
            String id = template.group(1);
            ObjectNode data = Wire.object().put("id", id).put("templateTest", true).put("data", "Data for ID: " + id);
            content.put("mimeType", "application/json").put("text", Wire.toJson(data));
        } else {
            throw new RpcException(RpcException.RESOURCE_NOT_FOUND, "Resource not found", Wire.object().put("uri", uri));
        }
        ObjectNode result = Wire.object();
        result.putArray("contents").add(content);
        return result;
    }

    private static ObjectNode promptsList() {
        ObjectNode result = Wire.object();
        ArrayNode array = result.putArray("prompts");
        for (Prompt prompt : PROMPTS.values()) {
            ObjectNode entry = array.addObject().put("name", prompt.name()).put("description", prompt.description());
            if (!prompt.arguments().isEmpty()) {
                ArrayNode arguments = entry.putArray("arguments");
                for (Argument argument : prompt.arguments()) {
                    arguments.addObject().put("name", argument.name())
                            .put("description", argument.description()).put("required", true);
                }
            }
        }
        return result;
    }

    private static ObjectNode promptsGet(JsonNode params) throws RpcException {
        Prompt prompt = prompt(params.path("name").asText());
        JsonNode args = params.path("arguments");
        for (Argument argument : prompt.arguments()) {
            if (!args.path(argument.name()).isTextual()) {
                throw new RpcException(RpcException.INVALID_PARAMS, "Missing required argument: " + argument.name());
            }
        }
        ObjectNode result = Wire.object().put("description", prompt.description());
        ArrayNode messages = result.putArray("messages");
        switch (prompt.name()) {
            case "test_simple_prompt" -> messages.add(Content.userMessage(
                    Content.text("This is a simple prompt for testing.")));
            case "test_prompt_with_arguments" -> messages.add(Content.userMessage(Content.text(
                    "Prompt with arguments: arg1='" + args.get("arg1").asText()
                            + "', arg2='" + args.get("arg2").asText() + "'")));
            case "test_prompt_with_embedded_resource" -> {
                messages.add(Content.userMessage(Content.resource(args.get("resourceUri").asText(), "text/plain",
                        "Embedded resource content for testing.")));
                messages.add(Content.userMessage(Content.text("Please process the embedded resource above.")));
            }
            case "test_prompt_with_image" -> {
                messages.add(Content.userMessage(Content.image(Content.PNG_1X1, "image/png")));
                messages.add(Content.userMessage(Content.text("Please analyze the image above.")));
            }
            default -> throw new IllegalStateException("prompt without messages: " + prompt.name());
        }
        return result;
    }

    /**
     * Completes prompt arguments from small fixed lists, and the template's {@code id} from a few sample ids,
     * by prefix. Unknown arguments get no values; an unknown prompt or reference type is -32602.
     */
    private static ObjectNode complete(JsonNode params) throws RpcException {
        JsonNode ref = params.path("ref");
        String argumentName = params.path("argument").path("name").asText();
        String prefix = params.path("argument").path("value").asText("");
        List<String> candidates;
        switch (ref.path("type").asText()) {
            case "ref/prompt" -> candidates = prompt(ref.path("name").asText()).arguments().stream()
                    .filter(argument -> argument.name().equals(argumentName))
                    .findFirst().map(Argument::completions).orElse(List.of());
            case "ref/resource" -> candidates = TEMPLATE.equals(ref.path("uri").asText()) && argumentName.equals("id")
                    ? List.of("1", "2", "123") : List.of();
            default -> throw new RpcException(RpcException.INVALID_PARAMS,
                    "ref.type must be ref/prompt or ref/resource");
        }
        List<String> values = candidates.stream().filter(value -> value.startsWith(prefix)).toList();
        ObjectNode result = Wire.object();
        ObjectNode completion = result.putObject("completion");
        values.forEach(completion.putArray("values")::add);
        completion.put("total", values.size()).put("hasMore", false);
        return result;
    }

    private static void prompt(Prompt prompt) {
        PROMPTS.put(prompt.name(), prompt);
    }

    private static Prompt prompt(String name) throws RpcException {
        Prompt prompt = PROMPTS.get(name);
        if (prompt == null) {
            throw new RpcException(RpcException.INVALID_PARAMS, "Unknown prompt: " + name);
        }
        return prompt;
    }

    private static String uri(JsonNode params) throws RpcException {
        JsonNode uri = params.get("uri");
        if (uri == null || !uri.isTextual()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "params.uri must be a string");
        }
        return uri.asText();
    }
}
