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
 * The tools and their handlers. Each tool exists to exercise one thing a proxy must carry correctly: plain
 * request/response, slowness and cancellation, notifications during a request, server-to-client requests,
 * process death, and stdout pollution.
 */
final class Tools {

    /** How long a tool waits for the client to answer a server-to-client request. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    /** What a handler gets to work with. */
    private record Call(JsonNode args, JsonNode progressToken) {
    }

    @FunctionalInterface
    private interface Handler {
        /** @return the text of the result's single content item */
        String run(Call call) throws ToolFailure, InterruptedException;
    }

    private record Tool(String name, String description, JsonNode inputSchema, Handler handler) {
    }

    private final Wire wire;
    private final OutgoingRequests client;
    private final ServerState state;
    private final Map<String, Tool> tools = new LinkedHashMap<>();

    Tools(Wire wire, OutgoingRequests client, ServerState state) {
        this.wire = wire;
        this.client = client;
        this.state = state;
        add("echo", "Returns the given text.", """
                {"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}""",
                call -> text(call.args(), "text"));
        add("slow", "Sleeps for the given milliseconds, then answers. Cancellable.", """
                {"type":"object","properties":{"ms":{"type":"integer","minimum":0}},"required":["ms"]}""",
                this::slow);
        add("progress", "Reports progress (if a progressToken is given) and a log message per step.", """
                {"type":"object","properties":{"steps":{"type":"integer","minimum":0,"default":3},
                 "delayMs":{"type":"integer","minimum":0,"default":10}}}""",
                this::progress);
        add("sample", "Asks the client to sample an LLM completion for the prompt.", """
                {"type":"object","properties":{"prompt":{"type":"string"}},"required":["prompt"]}""",
                this::sample);
        add("roots", "Asks the client for its roots and counts them.", """
                {"type":"object","properties":{}}""",
                this::roots);
        add("elicit", "Asks the client (user) for an answer to the message.", """
                {"type":"object","properties":{"message":{"type":"string"}},"required":["message"]}""",
                this::elicit);
        add("crash", "Exits the server process immediately with the given code, without answering.", """
                {"type":"object","properties":{"exitCode":{"type":"integer","minimum":0,"maximum":255,"default":3}}}""",
                this::crash);
        add("notify_list_changed", "Sends notifications/<kind>/list_changed.", """
                {"type":"object","properties":{"kind":{"type":"string","enum":["tools","resources","prompts"],
                 "default":"tools"}}}""",
                this::notifyListChanged);
        add("update_resource", "Sends notifications/resources/updated if the URI is subscribed.", """
                {"type":"object","properties":{"uri":{"type":"string"}},"required":["uri"]}""",
                this::updateResource);
        add("known_roots", "The roots the client sent after its last notifications/roots/list_changed.", """
                {"type":"object","properties":{}}""",
                call -> state.knownRoots());
        add("cancelled", "Lists the request ids this server received notifications/cancelled for.", """
                {"type":"object","properties":{}}""",
                call -> Wire.toJson(state.cancelledIds()));
        add("client", "Returns the params of the initialize this server accepted (clientInfo, capabilities).", """
                {"type":"object","properties":{}}""",
                call -> Wire.toJson(state.initializeParams()));
        add("requests", "Lists the methods of the requests this server received, in arrival order.", """
                {"type":"object","properties":{}}""",
                call -> Wire.toJson(state.requestMethods()));
        add("garbage", "Writes a non-JSON line to stdout (a protocol violation on purpose).", """
                {"type":"object","properties":{}}""",
                call -> {
                    wire.writeLine("this is not json");
                    return "ok";
                });
        add("pid", "Returns the server's process id.", """
                {"type":"object","properties":{}}""",
                call -> String.valueOf(ProcessHandle.current().pid()));
        add("route", "Echoes its region and limit, which a 2026-07-28 client mirrors into Mcp-Param-* headers.", """
                {"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},
                 "limit":{"type":"integer","x-mcp-header":"Limit"}},"required":["region"]}""",
                call -> text(call.args(), "region") + " " + call.args().path("limit").asText("-"));
    }

    /** @return the {@code tools/list} result */
    ObjectNode list() {
        ObjectNode result = Wire.object();
        ArrayNode array = result.putArray("tools");
        for (Tool tool : tools.values()) {
            ObjectNode entry = array.addObject().put("name", tool.name()).put("description", tool.description());
            entry.set("inputSchema", tool.inputSchema());
        }
        return result;
    }

    /**
     * Runs a {@code tools/call}. Failures of the tool itself come back as {@code isError: true} results; an unknown
     * tool or malformed params are protocol errors (-32602), as the MCP specification shows.
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
            args = Wire.object();
        } else if (!args.isObject()) {
            throw new RpcException(RpcException.INVALID_PARAMS, "'arguments' must be an object");
        }
        JsonNode token = params.path("_meta").get("progressToken");
        try {
            return result(tool.handler().run(new Call(args, token == null || token.isNull() ? null : token)), false);
        } catch (ToolFailure e) {
            return result(e.getMessage(), true);
        }
    }

    private String slow(Call call) throws ToolFailure, InterruptedException {
        long ms = integer(call.args(), "ms", null, 3_600_000);
        Thread.sleep(ms); // a cancellation interrupts this, and the worker then stays silent
        return "slept " + ms + " ms";
    }

    private String progress(Call call) throws ToolFailure, InterruptedException {
        long steps = integer(call.args(), "steps", 3L, 100_000);
        long delayMs = integer(call.args(), "delayMs", 10L, 60_000);
        for (long i = 1; i <= steps; i++) {
            if (call.progressToken() != null) {
                ObjectNode progress = Wire.object();
                progress.set("progressToken", call.progressToken());
                progress.put("progress", i).put("total", steps).put("message", "step " + i);
                wire.notify("notifications/progress", progress);
            }
            if (state.shouldLog("info")) {
                wire.notify("notifications/message", Wire.object()
                        .put("level", "info").put("logger", "example-server").put("data", "step " + i + " of " + steps));
            }
            if (i < steps) {
                Thread.sleep(delayMs);
            }
        }
        return "done " + steps + " steps";
    }

    private String sample(Call call) throws ToolFailure, InterruptedException {
        ObjectNode params = Wire.object();
        params.putArray("messages").addObject().put("role", "user")
                .putObject("content").put("type", "text").put("text", text(call.args(), "prompt"));
        params.put("maxTokens", 100);
        JsonNode content = client.call("sampling/createMessage", params, CLIENT_TIMEOUT).path("content");
        if (content.isArray()) {
            content = content.path(0); // since 2025-11-25 content may be a list; the first item is enough here
        }
        JsonNode text = content.get("text");
        if (text == null || !text.isTextual()) {
            throw new ToolFailure("sampling result has no text content");
        }
        return "sampled: " + text.asText();
    }

    private String roots(Call call) throws ToolFailure, InterruptedException {
        JsonNode roots = client.call("roots/list", Wire.object(), CLIENT_TIMEOUT).path("roots");
        if (!roots.isArray()) {
            throw new ToolFailure("roots/list result has no 'roots' array");
        }
        return "roots: " + roots.size();
    }

    private String elicit(Call call) throws ToolFailure, InterruptedException {
        ObjectNode params = Wire.object().put("message", text(call.args(), "message"));
        params.putObject("requestedSchema").put("type", "object")
                .putObject("properties").putObject("answer").put("type", "string");
        JsonNode result = client.call("elicitation/create", params, CLIENT_TIMEOUT);
        String content = result.hasNonNull("content") ? Wire.toJson(result.get("content")) : "null";
        return "elicited: " + result.path("action").asText() + " " + content;
    }

    private String crash(Call call) throws ToolFailure {
        int exitCode = (int) integer(call.args(), "exitCode", 3L, 255);
        Log.log("crash tool called: exiting with code %d without answering", exitCode);
        // halt, not exit: like a real crash, no shutdown hooks and no chance to answer anything
        Runtime.getRuntime().halt(exitCode);
        throw new AssertionError("unreachable");
    }

    private String notifyListChanged(Call call) throws ToolFailure {
        JsonNode kindArg = call.args().get("kind");
        String kind = kindArg == null || kindArg.isNull() ? "tools" : text(call.args(), "kind");
        if (!List.of("tools", "resources", "prompts").contains(kind)) {
            throw new ToolFailure("argument 'kind' must be tools, resources or prompts");
        }
        wire.notify("notifications/" + kind + "/list_changed", null);
        return "sent";
    }

    private String updateResource(Call call) throws ToolFailure {
        String uri = text(call.args(), "uri");
        if (!state.isSubscribed(uri)) {
            return "not subscribed " + uri;
        }
        wire.notify("notifications/resources/updated", Wire.object().put("uri", uri));
        return "updated " + uri;
    }

    private void add(String name, String description, String inputSchema, Handler handler) {
        try {
            tools.put(name, new Tool(name, description, Wire.JSON.readTree(inputSchema), handler));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bad schema of tool " + name, e);
        }
    }

    private static ObjectNode result(String text, boolean isError) {
        ObjectNode result = Wire.object();
        result.putArray("content").addObject().put("type", "text").put("text", text);
        return result.put("isError", isError);
    }

    private static String text(JsonNode args, String name) throws ToolFailure {
        JsonNode value = args.get(name);
        if (value == null || !value.isTextual()) {
            throw new ToolFailure("argument '" + name + "' must be a string");
        }
        return value.asText();
    }

    /** @param defaultValue null if the argument is required */
    private static long integer(JsonNode args, String name, Long defaultValue, long max) throws ToolFailure {
        JsonNode value = args.get(name);
        if ((value == null || value.isNull()) && defaultValue != null) {
            return defaultValue;
        }
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()
                || value.asLong() < 0 || value.asLong() > max) {
            throw new ToolFailure("argument '" + name + "' must be an integer from 0 to " + max);
        }
        return value.asLong();
    }
}
