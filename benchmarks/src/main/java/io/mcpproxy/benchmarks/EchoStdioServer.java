package io.mcpproxy.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * A minimal, fast stdio MCP server: the backend of the Streamable HTTP benchmark (see BENCHMARKS.md).
 *
 * <p>Newline-delimited JSON-RPC on stdin/stdout, one thread, one Jackson tree per message. It
 * answers {@code initialize}, {@code ping}, {@code tools/list} and {@code tools/call} for two tools:
 * <ul>
 *   <li>{@code echo}: the result's text content is {@code arguments.text};</li>
 *   <li>{@code echo_progress}: first a {@code notifications/progress} for the request's
 *       {@code params._meta.progressToken} (when it has one), then the same result as {@code echo}.</li>
 * </ul>
 * Notifications and responses from the client are read and ignored; unknown methods get -32601. stdout is flushed
 * after every message. Run: {@code java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.EchoStdioServer}.
 */
public final class EchoStdioServer {

    private static final Set<String> VERSIONS = Set.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25");
    private static final String LATEST = "2025-11-25";

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonNodeFactory nodes = mapper.getNodeFactory();
    private final OutputStream out;
    private final ArrayNode tools;

    private EchoStdioServer(OutputStream out) {
        this.out = out;
        this.tools = nodes.arrayNode();
        tools.add(tool("echo", "Returns arguments.text as text content."));
        tools.add(tool("echo_progress",
                "Sends one notifications/progress for the request's progress token, then returns arguments.text."));
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        new EchoStdioServer(out).run(in);
    }

    private void run(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode message;
            try {
                message = mapper.readTree(line);
            } catch (JsonProcessingException e) {
                System.err.println("echo-stdio: skipping a line that is not JSON: " + e.getOriginalMessage());
                continue;
            }
            if (message.isArray()) {
                for (JsonNode m : message) {
                    handle(m);
                }
            } else {
                handle(message);
            }
        }
    }

    private void handle(JsonNode message) throws IOException {
        JsonNode method = message.get("method");
        JsonNode id = message.get("id");
        if (method == null || !method.isTextual() || id == null) {
            return; // a response or a notification (notifications/initialized, cancelled, ...): nothing to say
        }
        JsonNode params = message.path("params");
        switch (method.asText()) {
            case "initialize" -> {
                String requested = params.path("protocolVersion").asText("");
                ObjectNode result = nodes.objectNode();
                result.put("protocolVersion", VERSIONS.contains(requested) ? requested : LATEST);
                result.putObject("capabilities").putObject("tools");
                ObjectNode info = result.putObject("serverInfo");
                info.put("name", "echo-stdio");
                info.put("version", "1.0.0");
                respond(id, result);
            }
            case "ping" -> respond(id, nodes.objectNode());
            case "tools/list" -> {
                ObjectNode result = nodes.objectNode();
                result.set("tools", tools);
                respond(id, result);
            }
            case "tools/call" -> callTool(id, params);
            default -> error(id, -32601, "Method not found: " + method.asText());
        }
    }

    private void callTool(JsonNode id, JsonNode params) throws IOException {
        String name = params.path("name").asText("");
        if (!name.equals("echo") && !name.equals("echo_progress")) {
            error(id, -32602, "Unknown tool: " + name);
            return;
        }
        if (name.equals("echo_progress")) {
            JsonNode token = params.path("_meta").get("progressToken");
            if (token != null && !token.isNull()) {
                ObjectNode note = nodes.objectNode();
                note.put("jsonrpc", "2.0");
                note.put("method", "notifications/progress");
                ObjectNode p = note.putObject("params");
                p.set("progressToken", token);
                p.put("progress", 1);
                p.put("total", 1);
                write(note);
            }
        }
        ObjectNode result = nodes.objectNode();
        ObjectNode text = result.putArray("content").addObject();
        text.put("type", "text");
        text.put("text", params.path("arguments").path("text").asText(""));
        result.put("isError", false);
        respond(id, result);
    }

    private void respond(JsonNode id, JsonNode result) throws IOException {
        ObjectNode response = nodes.objectNode();
        response.put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        write(response);
    }

    private void error(JsonNode id, int code, String text) throws IOException {
        ObjectNode response = nodes.objectNode();
        response.put("jsonrpc", "2.0");
        response.set("id", id);
        ObjectNode error = response.putObject("error");
        error.put("code", code);
        error.put("message", text);
        write(response);
    }

    /** One message, one line: Jackson escapes control characters inside strings, so no raw newline gets out. */
    private void write(JsonNode message) throws IOException {
        out.write(mapper.writeValueAsBytes(message));
        out.write('\n');
        out.flush();
    }

    private ObjectNode tool(String name, String description) {
        ObjectNode tool = nodes.objectNode();
        tool.put("name", name);
        tool.put("description", description);
        ObjectNode schema = tool.putObject("inputSchema");
        schema.put("type", "object");
        schema.putObject("properties").putObject("text").put("type", "string");
        schema.putArray("required").add("text");
        return tool;
    }
}
