package io.mcpproxy.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Writing JSON bodies, and JSON-RPC error bodies for every HTTP error the proxies answer. */
public final class JsonResponses {

    private JsonResponses() {
    }

    /** Writes {@code body} as {@code application/json} with {@code status} and completes the response. */
    public static void write(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JsonRpc.toBytes(body)), callback);
    }

    /** An HTTP error whose body is a JSON-RPC error object; {@code id} may be null. */
    public static void error(Response response, Callback callback, int status, JsonNode id, int code,
                             String message) {
        write(response, callback, status, JsonRpc.error(id, code, message));
    }

    /** 503 with {@code Retry-After}: the session or server may well exist; the client should retry, not forget. */
    public static void unavailable(Response response, Callback callback, JsonNode id, String reason,
                                   String message, int retryAfterSeconds) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        write(response, callback, 503, JsonRpc.proxyError(id, reason, message));
    }

    /** 404 with the JSON-RPC {@code -32001} body: the client must initialize a new session. */
    public static void sessionNotFound(Response response, Callback callback, JsonNode id) {
        error(response, callback, 404, id, JsonRpc.SESSION_NOT_FOUND, "Session not found");
    }

    /** 503: the session exists but another replica serves it. */
    public static void wrongReplica(Response response, Callback callback, JsonNode id, String owner) {
        unavailable(response, callback, id, "wrong_replica",
                "Session is served by proxy replica " + owner + "; route its requests there", 1);
    }

    /** 503: the session storage failed; the session may exist, so never 404. */
    public static void storageUnavailable(Response response, Callback callback, JsonNode id) {
        unavailable(response, callback, id, "storage_unavailable", "Session storage is unavailable; retry shortly", 1);
    }

    /**
     * 400 for a POST whose only content is a client's answer to a server request that this session never received
     * (refused and counted by the backend): 202 means accepted, and nothing was.
     */
    public static void answerNobodyAwaits(Response response, Callback callback, JsonNode answerId) {
        error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                "Bad Request: no request with id " + answerId + " awaits an answer from this session");
    }

    /** An empty response (202, 204). */
    public static void empty(Response response, Callback callback, int status) {
        response.setStatus(status);
        response.write(true, null, callback);
    }
}
