package io.mcpproxy.core.jsonrpc;

/** A failure that has a JSON-RPC error code, to be answered as a JSON-RPC error object. */
public class JsonRpcException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int code;

    public JsonRpcException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
