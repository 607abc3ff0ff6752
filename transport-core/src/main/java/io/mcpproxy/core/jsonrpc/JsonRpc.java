package io.mcpproxy.core.jsonrpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * JSON-RPC 2.0 framing shared by every transport: the one Jackson mapper, message classification and error
 * objects. Messages stay Jackson {@link ObjectNode}s end to end, so fields the proxy does not know pass through
 * untouched.
 */
public final class JsonRpc {

    /** The one mapper of the transports. Compact output never contains a raw newline (stdio rule). */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * Reads what the MCP server writes on stdout. Its messages are not client input: a tool result may legitimately
     * hold a text far longer than Jackson's default limit of 20,000,000 characters, and a line the proxy already
     * holds in memory (the stdio reader bounds a line only by the largest byte array) gains nothing from a smaller
     * string or name limit. Nesting (1,000 levels) and number length (1,000 digits) keep Jackson's defaults: no
     * real message comes near them, and they keep a broken server from costing stack or quadratic number parsing.
     * Client bodies keep {@link #MAPPER} with its default limits, behind the max body size.
     */
    private static final ObjectMapper SERVER_MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNameLength(Integer.MAX_VALUE)
                            .maxNestingDepth(StreamReadConstraints.DEFAULT_MAX_DEPTH)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Standard JSON-RPC error codes, and the ones this proxy adds. */
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** Proxy-side failure (MCP server unavailable, timed out, storage down); {@code data.reason} says which. */
    public static final int PROXY_ERROR = -32000;
    /** The session is unknown, expired or ended: the client must initialize again. */
    public static final int SESSION_NOT_FOUND = -32001;
    /** The request was cancelled by its client. */
    public static final int REQUEST_CANCELLED = -32800;

    /** What a JSON value is as a JSON-RPC message. */
    public enum Kind {
        REQUEST, NOTIFICATION, RESPONSE, INVALID;

        public static Kind of(JsonNode node) {
            if (!(node instanceof ObjectNode message) || !"2.0".equals(message.path("jsonrpc").textValue())) {
                return INVALID;
            }
            JsonNode method = message.get("method");
            JsonNode id = message.get("id");
            if (method != null) {
                if (!method.isTextual()) {
                    return INVALID;
                }
                if (id == null) {
                    return NOTIFICATION;
                }
                return isValidId(id) ? REQUEST : INVALID;
            }
            boolean hasResult = message.has("result");
            boolean hasError = message.has("error");
            if (id != null && hasResult != hasError && (isValidId(id) || id.isNull() && hasError)) {
                return RESPONSE;
            }
            return INVALID;
        }

        private static boolean isValidId(JsonNode id) {
            return id.isTextual() || id.isIntegralNumber();
        }
    }

    private JsonRpc() {
    }

    /**
     * Parses one JSON text.
     *
     * @throws JsonRpcException with {@link #PARSE_ERROR} when it is not JSON
     */
    public static JsonNode parse(byte[] json) {
        return parse(json, 0, json.length);
    }

    /**
     * Parses one JSON text held in {@code json[offset, offset + length)}.
     *
     * @throws JsonRpcException with {@link #PARSE_ERROR} when it is not JSON
     */
    public static JsonNode parse(byte[] json, int offset, int length) {
        return parse(MAPPER, json, offset, length);
    }

    /**
     * Parses one line the MCP server wrote: like {@link #parse(byte[], int, int)}, but strings are bounded only by
     * the line itself, not by Jackson's default of 20,000,000 characters; nesting stays bounded at 1,000 levels.
     *
     * @throws JsonRpcException with {@link #PARSE_ERROR} when it is not JSON
     */
    public static JsonNode parseServerMessage(byte[] json, int offset, int length) {
        return parse(SERVER_MAPPER, json, offset, length);
    }

    /**
     * The id of a line that cannot be parsed but is recognizably a response: a top-level object whose {@code id}
     * (a number or string) and {@code result} or {@code error} member come before the point where it breaks, and
     * that has no {@code method} up to there. Null for anything else. Values are skipped, never materialized, so
     * this also works on a line too large or too deep to parse. Lets the proxy answer the waiting client with an
     * error instead of leaving it to its request timeout.
     */
    public static JsonNode responseIdIn(byte[] json, int offset, int length) {
        JsonNode id = null;
        boolean answer = false;
        try (JsonParser parser = SERVER_MAPPER.getFactory().createParser(json, offset, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("method".equals(field)) {
                    return null; // a request or notification, however broken
                }
                if ("id".equals(field) && (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_STRING)) {
                    id = value == JsonToken.VALUE_STRING ? NODES.textNode(parser.getText())
                            : NODES.numberNode(parser.getLongValue()); // proxy ids are longs
                } else if ("result".equals(field) || "error".equals(field)) {
                    answer = true;
                }
                parser.skipChildren();
            }
        } catch (IOException | RuntimeException brokenHere) {
            // expected: the line is broken somewhere; what was read before that point decides
        }
        return answer ? id : null;
    }

    private static JsonNode parse(ObjectMapper mapper, byte[] json, int offset, int length) {
        try {
            JsonNode node = mapper.readTree(json, offset, length);
            if (node == null || node.isMissingNode()) {
                throw new JsonRpcException(PARSE_ERROR, "Parse error: empty body");
            }
            return node;
        } catch (IOException e) {
            throw new JsonRpcException(PARSE_ERROR, "Parse error: " + firstLine(e.getMessage()));
        }
    }

    /** One JSON text, or null when {@code body} is absent, empty or not JSON: for reading input as it passes. */
    public static JsonNode parseOrNull(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return parse(body);
        } catch (JsonRpcException notJson) {
            return null;
        }
    }

    /**
     * The id of a body that is one JSON-RPC request, for error answers; null when it has none (absent, not JSON, a
     * batch, or an id that is neither a string nor a number).
     */
    public static JsonNode requestIdOf(byte[] body) {
        JsonNode json = parseOrNull(body);
        JsonNode id = json == null || !json.isObject() ? null : json.get("id");
        return id != null && (id.isTextual() || id.isNumber()) ? id : null;
    }

    /** The message's id, or {@link NullNode} when it has none. */
    public static JsonNode id(ObjectNode message) {
        JsonNode id = message.get("id");
        return id == null ? NullNode.instance : id;
    }

    /** The method, or null for a response. */
    public static String method(ObjectNode message) {
        JsonNode method = message.get("method");
        return method == null ? null : method.textValue();
    }

    public static ObjectNode request(JsonNode id, String method, JsonNode params) {
        ObjectNode request = NODES.objectNode().put("jsonrpc", "2.0");
        request.set("id", id);
        request.put("method", method);
        if (params != null) {
            request.set("params", params);
        }
        return request;
    }

    public static ObjectNode notification(String method, JsonNode params) {
        ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", method);
        if (params != null) {
            notification.set("params", params);
        }
        return notification;
    }

    public static ObjectNode result(JsonNode id, JsonNode result) {
        ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0");
        response.set("id", id == null ? NullNode.instance : id);
        response.set("result", result);
        return response;
    }

    /** An error response; {@code id} null or {@link NullNode} when the request id is unknown. */
    public static ObjectNode error(JsonNode id, int code, String message) {
        return error(id, code, message, null);
    }

    /** An error response with a {@code data} member. */
    public static ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
        ObjectNode error = NODES.objectNode().put("code", code).put("message", message);
        if (data != null) {
            error.set("data", data);
        }
        ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0");
        response.set("error", error);
        response.set("id", id == null ? NullNode.instance : id);
        return response;
    }

    /** A {@link #PROXY_ERROR} whose {@code data.reason} names the cause for machines, e.g. {@code "timeout"}. */
    public static ObjectNode proxyError(JsonNode id, String reason, String message) {
        return error(id, PROXY_ERROR, message, NODES.objectNode().put("reason", reason));
    }

    public static ObjectNode objectNode() {
        return NODES.objectNode();
    }

    /** Compact UTF-8 JSON: one line, no raw newline anywhere. */
    public static byte[] toBytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e); // trees always serialize
        }
    }

    public static String toJson(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e);
        }
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "malformed JSON";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
