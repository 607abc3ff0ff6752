package io.mcpproxy.core.http;

import io.mcpproxy.core.jsonrpc.JsonRpc;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error page replaced by a JSON-RPC error object, so that even errors raised before a proxy handler runs
 * (unknown path, malformed request line, oversized headers, uncaught exceptions) are {@code application/json},
 * never HTML or a stack trace.
 */
public final class JsonErrorHandler implements Request.Handler {

    /** It only writes a small body asynchronously, so it never holds back a non-blocking handler tree. */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        Object attribute = request.getAttribute(ErrorHandler.ERROR_STATUS);
        if (attribute instanceof Integer errorStatus) {
            status = errorStatus;
        }
        if (status < 400) {
            status = 500;
        } else if (status == 505) {
            // Jetty's answer to a request line it cannot read (a raw LF, a bad version): the client's mistake
            status = 400;
        }
        String reason = HttpStatus.getMessage(status);
        int code = status == 404 ? JsonRpc.METHOD_NOT_FOUND : status >= 500 ? JsonRpc.INTERNAL_ERROR
                : JsonRpc.INVALID_REQUEST;
        // The exception message may hold internals: the status reason is enough for the client.
        JsonResponses.error(response, callback, status, null, code, reason);
        return true;
    }
}
