package io.mcpproxy.example;

/**
 * A tool ran but failed (bad arguments, client refused a nested request, …). It becomes a normal
 * {@code tools/call} result with {@code isError: true}, so the model can read the message; protocol problems
 * use {@link RpcException} instead.
 */
final class ToolFailure extends Exception {

    ToolFailure(String message) {
        super(message, null, false, false);
    }
}
