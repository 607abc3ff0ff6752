package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;

/** A JSON-RPC error to send back instead of a result. */
final class RpcException extends Exception {

    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;
    /** MCP's code for an unknown resource URI. */
    static final int RESOURCE_NOT_FOUND = -32002;

    private final int code;
    private final transient JsonNode data;

    RpcException(int code, String message) {
        this(code, message, null);
    }

    RpcException(int code, String message, JsonNode data) {
        super(message, null, false, false); // a protocol answer, not a bug: no stack trace needed
        this.code = code;
        this.data = data;
    }

    int code() {
        return code;
    }

    /** @return the optional {@code error.data}, or null */
    JsonNode data() {
        return data;
    }
}
