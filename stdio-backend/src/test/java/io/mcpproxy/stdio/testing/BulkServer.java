package io.mcpproxy.stdio.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stdio MCP server for tests that need bulk from the server side, which the example server does not make:
 * {@code big} answers with one text of {@code chars} characters, {@code flood} sends {@code count} padded
 * {@code notifications/tools/list_changed} (numbered {@code params.seq}) before it answers, {@code unreadable}
 * answers with a line that is a response in shape but not valid JSON. Run as a real child process
 * ({@link #commandLine()}), so messages cross a real pipe.
 */
public final class BulkServer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BulkServer() {
    }

    public static List<String> commandLine() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), BulkServer.class.getName()));
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode message = JSON.readTree(line);
            JsonNode id = message.get("id");
            String method = message.path("method").asText("");
            if (id == null || method.isEmpty()) {
                continue; // notifications and responses need no answer
            }
            switch (method) {
                case "initialize" -> answer(out, id, JSON.createObjectNode()
                        .put("protocolVersion", message.path("params").path("protocolVersion").asText("2025-06-18"))
                        .<ObjectNode>set("capabilities", JSON.createObjectNode().set("tools",
                                JSON.createObjectNode().put("listChanged", true)))
                        .set("serverInfo", JSON.createObjectNode().put("name", "bulk-server").put("version", "1")));
                case "tools/call" -> call(out, id, message.path("params"));
                default -> answer(out, id, JSON.createObjectNode());
            }
            out.flush();
        }
    }

    private static void call(OutputStream out, JsonNode id, JsonNode params) throws IOException {
        JsonNode arguments = params.path("arguments");
        switch (params.path("name").asText()) {
            case "big" -> {
                // written by hand: the text must reach stdout as one line whatever this JVM's Jackson limits are
                int chars = arguments.path("chars").asInt();
                String head = "{\"jsonrpc\":\"2.0\",\"id\":" + JSON.writeValueAsString(id)
                        + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"";
                out.write(head.getBytes(StandardCharsets.UTF_8));
                byte[] block = "0123456789abcdef".repeat(4096).getBytes(StandardCharsets.US_ASCII);
                for (int left = chars; left > 0; left -= block.length) {
                    out.write(block, 0, Math.min(left, block.length));
                }
                out.write("\"}]}}\n".getBytes(StandardCharsets.UTF_8));
            }
            case "flood" -> {
                String pad = "p".repeat(arguments.path("padChars").asInt());
                int count = arguments.path("count").asInt();
                for (int seq = 0; seq < count; seq++) {
                    line(out, JSON.createObjectNode().put("jsonrpc", "2.0")
                            .put("method", "notifications/tools/list_changed")
                            .set("params", JSON.createObjectNode().put("seq", seq).put("pad", pad)));
                }
                answer(out, id, text("flooded " + count));
            }
            case "unreadable" -> out.write(("{\"jsonrpc\":\"2.0\",\"id\":" + JSON.writeValueAsString(id)
                    + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"cut off here\n")
                    .getBytes(StandardCharsets.UTF_8));
            default -> answer(out, id, text("unknown tool"));
        }
    }

    private static ObjectNode text(String text) {
        ObjectNode result = JSON.createObjectNode();
        result.putArray("content").addObject().put("type", "text").put("text", text);
        return result;
    }

    private static void answer(OutputStream out, JsonNode id, ObjectNode result) throws IOException {
        ObjectNode response = JSON.createObjectNode().put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        line(out, response);
    }

    private static void line(OutputStream out, JsonNode message) throws IOException {
        out.write(JSON.writeValueAsBytes(message));
        out.write('\n');
    }
}
