package io.mcpproxy.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code test_*} tools the MCP conformance suite ({@code @modelcontextprotocol/conformance}) calls in its
 * server scenarios, with the names, arguments, nested requests and texts its scenario descriptions ask for.
 */
final class ConformanceTools {

    /**
     * How long a tool waits for the client's answer to sampling or elicitation. Below the suite's own 60 s
     * request timeout, so a lost nested request still yields a (failed) tool result the logs can explain.
     */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);
    /** Pause between the notifications of the logging and progress tools. */
    private static final long STEP_DELAY_MS = 50;

    static final String NO_ARGUMENTS = """
            {"type":"object","properties":{}}""";

    @FunctionalInterface
    private interface Handler {
        /** @return the complete {@code tools/call} result */
        ObjectNode run(JsonNode args, JsonNode progressToken) throws ToolFailure, RpcException, InterruptedException;
    }

    private record Tool(String name, String description, JsonNode inputSchema, Handler handler) {
    }

    private final Wire wire;
    private final OutgoingRequests client;
    private final ServerState state;
    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final InputRequiredTools inputs;

    ConformanceTools(Wire wire, OutgoingRequests client, ServerState state) {
        this.wire = wire;
        this.client = client;
        this.state = state;
        this.inputs = new InputRequiredTools(client);
        add("test_simple_text", "Returns a simple text content item.", NO_ARGUMENTS,
                (args, token) -> result(Content.text("This is a simple text response for testing.")));
        add("test_image_content", "Returns an image content item (a 1x1 PNG).", NO_ARGUMENTS,
                (args, token) -> result(Content.image(Content.PNG_1X1, "image/png")));
        add("test_audio_content", "Returns an audio content item (a tiny WAV file).", NO_ARGUMENTS,
                (args, token) -> result(Content.audio(Content.WAV_SILENCE, "audio/wav")));
        add("test_embedded_resource", "Returns an embedded text resource.", NO_ARGUMENTS,
                (args, token) -> result(Content.resource("test://embedded-resource", "text/plain",
                        "This is an embedded resource content.")));
        add("test_multiple_content_types", "Returns text, image and embedded resource content together.",
                NO_ARGUMENTS,
                (args, token) -> result(
                        Content.text("Multiple content types test:"),
                        Content.image(Content.PNG_1X1, "image/png"),
                        Content.resource("test://mixed-content-resource", "application/json",
                                "{\"test\":\"data\",\"value\":123}")));
        add("test_tool_with_logging", "Sends three info log notifications, 50 ms apart, while it runs.",
                NO_ARGUMENTS, this::withLogging);
        add("test_logging_tool", "Sends three info log notifications, 50 ms apart, while it runs.",
                NO_ARGUMENTS, this::withLogging);
        add("test_tool_with_progress",
                "Reports progress 0, 50 and 100 of 100, 50 ms apart, if the request has a progressToken.",
                NO_ARGUMENTS, this::withProgress);
        add("test_error_handling", "Always fails: returns a tool result with isError true.", NO_ARGUMENTS,
                (args, token) -> {
                    throw new ToolFailure("This tool intentionally returns an error for testing");
                });
        add("test_sampling", "Asks the client to sample an LLM completion (sampling/createMessage) for the prompt.",
                """
                {"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the LLM"}},
                 "required":["prompt"]}""",
                this::sampling);
        add("test_elicitation", "Asks the client for the user's username and email (elicitation/create).", """
                {"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},
                 "required":["message"]}""",
                this::elicitation);
        add("test_elicitation_sep1034_defaults",
                "Elicits a form whose string, integer, number, enum and boolean fields have defaults (SEP-1034).",
                NO_ARGUMENTS, (args, token) -> elicitForm(SEP1034_REQUEST));
        add("test_elicitation_sep1330_enums",
                "Elicits a form with every enum variant: untitled, titled, legacy, multi-select (SEP-1330).",
                NO_ARGUMENTS, (args, token) -> elicitForm(SEP1330_REQUEST));
        add("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", """
                {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
                 "$defs":{"address":{"$anchor":"addressDef","type":"object",
                   "properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
                 "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},
                   "contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},
                   "email":{"type":"string"}},
                 "allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],
                 "if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},
                 "then":{"required":["phone"]},"else":{"required":["email"]},
                 "additionalProperties":false}""",
                (args, token) -> result(Content.text("Received arguments: " + Wire.toJson(args))));
        add("test_custom_headers", "Echoes its region, which 2026-07-28 clients mirror into Mcp-Param-Region.", """
                {"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}},
                 "required":["region"]}""",
                (args, token) -> result(Content.text("Region: " + args.path("region").asText())));
        add("test_reconnection",
                "Answers after a short pause. Over stdio it cannot close an SSE stream itself; the proxy owns the streams.",
                NO_ARGUMENTS,
                (args, token) -> {
                    Thread.sleep(STEP_DELAY_MS);
                    return result(Content.text("Reconnection test completed successfully."));
                });
        add("test_logging_tool", "Sends three info log notifications while it runs, as test_tool_with_logging does.",
                NO_ARGUMENTS, this::withLogging);
        add("test_trigger_tool_change", "Sends notifications/tools/list_changed (the list itself stays the same).",
                NO_ARGUMENTS, (args, token) -> listChanged("tools"));
        add("test_trigger_prompt_change", "Sends notifications/prompts/list_changed (the list itself stays the same).",
                NO_ARGUMENTS, (args, token) -> listChanged("prompts"));
        addInputRequired();
    }

    /** The multi round-trip tools (see {@link InputRequiredTools}). */
    private void addInputRequired() {
        add("test_input_required_result_elicitation", "Asks the user's name (elicitation, id user_name).",
                NO_ARGUMENTS, (args, token) -> inputs.elicitName());
        add("test_input_required_result_sampling", "Asks for a sample (sampling, id capital_question).",
                NO_ARGUMENTS, (args, token) -> inputs.sampleCapital());
        add("test_input_required_result_list_roots", "Asks for the client's roots (roots/list, id client_roots).",
                NO_ARGUMENTS, (args, token) -> inputs.listRoots());
        add("test_input_required_result_request_state", "Asks for a confirmation (elicitation, id confirm).",
                NO_ARGUMENTS, (args, token) -> inputs.confirm());
        add("test_input_required_result_tampered_state", "Asks for a confirmation (elicitation, id confirm).",
                NO_ARGUMENTS, (args, token) -> inputs.confirm());
        add("test_input_required_result_multiple_inputs", "Asks for a name, a sample and the roots at once.",
                NO_ARGUMENTS, (args, token) -> inputs.multipleInputs());
        add("test_input_required_result_multi_round", "Asks for a name, then for a color.",
                NO_ARGUMENTS, (args, token) -> inputs.multiRound());
        add("test_input_required_result_capabilities", "Asks for a name and a sample at once; goes on without.",
                NO_ARGUMENTS, (args, token) -> inputs.whateverTheClientCan());
        add("test_missing_capability", "Needs sampling: a JSON-RPC error when the client cannot sample.",
                NO_ARGUMENTS, (args, token) -> inputs.needsSampling());
        add("test_streaming_elicitation", "Asks the user's name (elicitation) while it runs.",
                NO_ARGUMENTS, (args, token) -> inputs.elicitName());
    }

    /** The {@code prompts/get} result of {@code test_input_required_result_prompt}, after asking for its context. */
    ObjectNode inputRequiredPrompt() throws ToolFailure, InterruptedException {
        return inputs.promptWithContext();
    }

    /** @return the {@code tools/list} result */
    ObjectNode list() {
        ObjectNode result = Wire.object();
        ArrayNode array = result.putArray("tools");
        for (Tool tool : tools.values()) {
            ObjectNode entry = array.addObject().put("name", tool.name()).put("description", tool.description());
            entry.set("inputSchema", tool.inputSchema().deepCopy());
        }
        return result;
    }

    /**
     * Runs a {@code tools/call}. A tool that fails returns an {@code isError: true} result; an unknown tool or
     * malformed params are JSON-RPC errors -32602.
     */
    ObjectNode call(JsonNode params) throws RpcException, InterruptedException {
        JsonNode name = params.get("name");
        if (name == null || !name.isTextual()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "tools/call needs a string 'name'");
        }
        Tool tool = tools.get(name.asText());
        if (tool == null) {
            throw new RpcException(RpcException.INVALID_PARAMS, "Unknown tool: " + name.asText());
        }
        JsonNode args = params.path("arguments");
        if (args.isMissingNode() || args.isNull()) {
            args = Wire.object(); // the suite calls test_simple_text without an "arguments" key
        } else if (!args.isObject()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "'arguments' must be an object");
        }
        JsonNode token = params.path("_meta").get("progressToken");
        try {
            return tool.handler().run(args, token == null || token.isNull() ? null : token);
        } catch (ToolFailure e) {
            ObjectNode result = result(Content.text(e.getMessage()));
            return result.put("isError", true);
        }
    }

    private ObjectNode withLogging(JsonNode args, JsonNode token) throws InterruptedException {
        String[] messages = {"Tool execution started", "Tool processing data", "Tool execution completed"};
        for (int i = 0; i < messages.length; i++) {
            if (i > 0) {
                Thread.sleep(STEP_DELAY_MS);
            }
            log("info", messages[i]);
        }
        return result(Content.text("Tool with logging executed successfully"));
    }

    private ObjectNode withProgress(JsonNode args, JsonNode token) throws InterruptedException {
        int[] steps = {0, 50, 100};
        for (int i = 0; i < steps.length; i++) {
            if (i > 0) {
                Thread.sleep(STEP_DELAY_MS);
            }
            if (token != null) {
                ObjectNode progress = Wire.object();
                progress.set("progressToken", token); // the very node from the request: same value, same JSON type
                progress.put("progress", steps[i]).put("total", 100)
                        .put("message", "Progress " + steps[i] + " of 100");
                wire.notify("notifications/progress", progress);
            }
        }
        return result(Content.text(token == null
                ? "Progress tool completed (no progressToken given)"
                : "Progress tool completed for token " + Wire.toJson(token)));
    }

    private ObjectNode sampling(JsonNode args, JsonNode token) throws ToolFailure, InterruptedException {
        ObjectNode params = Wire.object();
        params.putArray("messages").add(Content.userMessage(Content.text(text(args, "prompt"))));
        params.put("maxTokens", 100);
        JsonNode content = client.call("sampling/createMessage", params, CLIENT_TIMEOUT).path("content");
        if (content.isArray()) {
            content = content.path(0); // since 2025-11-25 the content may be a list
        }
        JsonNode text = content.get("text");
        if (text == null || !text.isTextual()) {
            throw new ToolFailure("sampling result has no text content");
        }
        return result(Content.text("LLM response: " + text.asText()));
    }

    private ObjectNode elicitation(JsonNode args, JsonNode token) throws ToolFailure, InterruptedException {
        ObjectNode params = Wire.object().put("message", text(args, "message"));
        params.set("requestedSchema", parse("""
                {"type":"object","properties":{
                  "username":{"type":"string","description":"User's response"},
                  "email":{"type":"string","description":"User's email address"}},
                 "required":["username","email"]}"""));
        JsonNode answer = client.call("elicitation/create", params, CLIENT_TIMEOUT);
        return result(Content.text("User response: " + describe(answer)));
    }

    private ObjectNode elicitForm(JsonNode request) throws ToolFailure, InterruptedException {
        JsonNode answer = client.call("elicitation/create", request.deepCopy(), CLIENT_TIMEOUT);
        return result(Content.text("Elicitation completed: " + describe(answer)));
    }

    private static String describe(JsonNode elicitResult) {
        String content = elicitResult.hasNonNull("content") ? Wire.toJson(elicitResult.get("content")) : "null";
        return "action=" + elicitResult.path("action").asText() + ", content=" + content;
    }

    /** The suite's hooks for change notifications: a legacy server announces them to every client. */
    private ObjectNode listChanged(String kind) {
        String method = "notifications/" + kind + "/list_changed";
        wire.notify(method, null);
        return result(Content.text("Sent " + method));
    }

    /** Sends a {@code notifications/message} unless {@code logging/setLevel} filters it out. */
    void log(String level, String data) {
        if (state.shouldLog(level)) {
            wire.notify("notifications/message", Wire.object().put("level", level).put("data", data));
        }
    }

    private static final JsonNode SEP1034_REQUEST = parse("""
            {"message":"Please review and update the form fields with defaults",
             "requestedSchema":{"type":"object","properties":{
               "name":{"type":"string","description":"User name","default":"John Doe"},
               "age":{"type":"integer","description":"User age","default":30},
               "score":{"type":"number","description":"User score","default":95.5},
               "status":{"type":"string","description":"User status","enum":["active","inactive","pending"],
                         "default":"active"},
               "verified":{"type":"boolean","description":"Verification status","default":true}},
              "required":[]}}""");

    private static final JsonNode SEP1330_REQUEST = parse("""
            {"message":"Please select options from the enum fields",
             "requestedSchema":{"type":"object","properties":{
               "untitledSingle":{"type":"string","description":"Select one option",
                                 "enum":["option1","option2","option3"]},
               "titledSingle":{"type":"string","description":"Select one option with titles",
                               "oneOf":[{"const":"value1","title":"First Option"},
                                        {"const":"value2","title":"Second Option"},
                                        {"const":"value3","title":"Third Option"}]},
               "legacyEnum":{"type":"string","description":"Select one option (legacy)",
                             "enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},
               "untitledMulti":{"type":"array","description":"Select multiple options","minItems":1,"maxItems":3,
                                "items":{"type":"string","enum":["option1","option2","option3"]}},
               "titledMulti":{"type":"array","description":"Select multiple options with titles",
                              "minItems":1,"maxItems":3,
                              "items":{"anyOf":[{"const":"value1","title":"First Choice"},
                                                {"const":"value2","title":"Second Choice"},
                                                {"const":"value3","title":"Third Choice"}]}}},
              "required":[]}}""");

    private void add(String name, String description, String inputSchema, Handler handler) {
        tools.put(name, new Tool(name, description, parse(inputSchema), handler));
    }

    private static ObjectNode result(ObjectNode... content) {
        ObjectNode result = Wire.object();
        result.putArray("content").addAll(List.of(content));
        return result;
    }

    private static String text(JsonNode args, String name) throws ToolFailure {
        JsonNode value = args.get(name);
        if (value == null || !value.isTextual()) {
            throw new ToolFailure("argument '" + name + "' must be a string");
        }
        return value.asText();
    }

    static JsonNode parse(String json) {
        try {
            return Wire.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bad built-in JSON: " + json, e);
        }
    }
}
