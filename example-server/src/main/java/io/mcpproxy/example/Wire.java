package io.mcpproxy.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * The single writer of stdout. Every message is one line ({@code json + "\n"}) written and flushed under one
 * lock, because workers write concurrently and two interleaved half-lines would corrupt the stream for good.
 */
final class Wire {

    /** Compact output (no pretty printing), so serialized JSON never contains a raw newline. */
    static final ObjectMapper JSON = new ObjectMapper();

    private final Writer out;

    Wire(OutputStream stdout) {
        this.out = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static String toJson(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // cannot happen for a tree we built ourselves
        }
    }

    /** Writes one line verbatim. Only the {@code garbage} tool passes something that is not JSON. */
    synchronized void writeLine(String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            // The reader of our stdout is gone; stdin will hit EOF soon and end the process.
            Log.log("cannot write to stdout: %s", e.getMessage());
        }
    }

    void respond(JsonNode id, JsonNode result) {
        ObjectNode message = envelope().set("id", id);
        message.set("result", result);
        writeLine(toJson(message));
    }

    void error(JsonNode id, RpcException error) {
        ObjectNode body = object().put("code", error.code()).put("message", error.getMessage());
        if (error.data() != null) {
            body.set("data", error.data());
        }
        ObjectNode message = envelope().set("id", id);
        message.set("error", body);
        writeLine(toJson(message));
    }

    /** @param params may be null: list_changed notifications carry none */
    void notify(String method, JsonNode params) {
        ObjectNode message = envelope().put("method", method);
        if (params != null) {
            message.set("params", params);
        }
        writeLine(toJson(message));
    }

    void request(String id, String method, JsonNode params) {
        ObjectNode message = envelope().put("id", id).put("method", method);
        message.set("params", params);
        writeLine(toJson(message));
    }

    private static ObjectNode envelope() {
        return object().put("jsonrpc", "2.0");
    }
}
