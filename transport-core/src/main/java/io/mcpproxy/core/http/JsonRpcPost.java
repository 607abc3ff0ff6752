package io.mcpproxy.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.jsonrpc.JsonRpcException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import io.mcpproxy.core.observe.Exchanges;
import io.mcpproxy.core.observe.McpMethods;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.LoggerFactory;

/**
 * Reading a POSTed JSON-RPC body, the same way for every transport: Content-Type 415, size 413, JSON 400
 * ({@code -32700}), JSON-RPC shape 400 ({@code -32600}), batches allowed or 400. Errors are answered here; the
 * caller only sees valid messages.
 */
public final class JsonRpcPost {

    private static final Logger LOG = LoggerFactory.getLogger(JsonRpcPost.class);
    /** The logging MDC keys of a POST's (first) JSON-RPC method and request id, while its messages are handled. */
    public static final String MDC_METHOD = "method";
    public static final String MDC_REQUEST_ID = "request_id";

    /**
     * The valid messages of one POST; {@code batch} when the body was an array; {@code body} the bytes as they came
     * (to forward them as they are).
     */
    public record Messages(List<ObjectNode> messages, boolean batch, byte[] body) {
    }

    private JsonRpcPost() {
    }

    /**
     * Reads the body asynchronously and hands its messages to {@code handler}, or answers the error.
     *
     * @param batchError null when batches are allowed, else the message of the 400 answered for one
     */
    public static void read(Request request, Response response, Callback callback, long maxBytes, String batchError,
                            Consumer<Messages> handler) {
        if (!isJson(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
            rejectUnread(request, response, callback, 415, JsonRpc.INVALID_REQUEST,
                    "Unsupported Media Type: Content-Type must be application/json");
            return;
        }
        if (request.getLength() > maxBytes) {
            tooLarge(request, response, callback, maxBytes);
            return;
        }
        Map<String, String> logContext = MDC.getCopyOfContextMap(); // the body may arrive on another thread
        Content.Source.asByteArrayAsync(request, (int) maxBytes).whenComplete((body, failure) -> {
            Map<String, String> threadContext = MDC.getCopyOfContextMap();
            if (logContext != null) {
                MDC.setContextMap(logContext);
            }
            try {
                readBody(request, response, callback, maxBytes, batchError, handler, body, failure);
            } finally {
                if (threadContext == null) {
                    MDC.clear();
                } else {
                    MDC.setContextMap(threadContext);
                }
            }
        });
    }

    private static void readBody(Request request, Response response, Callback callback, long maxBytes,
                                 String batchError, Consumer<Messages> handler, byte[] body, Throwable failure) {
        if (failure != null) {
            bodyReadFailed(request, response, callback, failure, maxBytes);
            return;
        }
        Messages messages = parse(body, response, callback, batchError);
        if (messages == null) {
            return;
        }
        describe(request, messages);
        try {
            handler.accept(messages);
        } catch (RuntimeException e) {
            LOG.error("POST failed", e);
            JsonResponses.error(response, callback, 500, null, JsonRpc.INTERNAL_ERROR, "Internal error");
        } finally {
            MDC.remove(MDC_METHOD);
            MDC.remove(MDC_REQUEST_ID);
        }
    }

    /** Names the POST's MCP method for its metrics, and its method and request id in the logging MDC. */
    private static void describe(Request request, Messages messages) {
        ObjectNode first = messages.messages().get(0);
        String method = JsonRpc.method(first);
        Exchanges.mcpMethod(request, messages.batch() ? McpMethods.BATCH : McpMethods.tagOf(method));
        if (method != null) {
            MDC.put(MDC_METHOD, method);
        }
        JsonNode id = first.get("id");
        if (id != null && (id.isTextual() || id.isNumber())) {
            MDC.put(MDC_REQUEST_ID, id.asText());
        }
    }

    private static Messages parse(byte[] body, Response response, Callback callback, String batchError) {
        JsonNode parsed;
        try {
            parsed = JsonRpc.parse(body);
        } catch (JsonRpcException e) {
            JsonResponses.error(response, callback, 400, null, e.code(), e.getMessage());
            return null;
        }
        boolean batch = parsed.isArray();
        if (batch && batchError != null) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST, batchError);
            return null;
        }
        List<ObjectNode> messages = new ArrayList<>();
        for (JsonNode node : batch ? parsed : List.of(parsed)) {
            if (JsonRpc.Kind.of(node) == JsonRpc.Kind.INVALID) {
                JsonNode id = node.isObject() ? node.get("id") : null;
                JsonResponses.error(response, callback, 400,
                        id != null && (id.isTextual() || id.isNumber()) ? id : null,
                        JsonRpc.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message");
                return null;
            }
            messages.add((ObjectNode) node);
        }
        if (messages.isEmpty()) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST, "Invalid Request: empty batch");
            return null;
        }
        return new Messages(messages, batch, body);
    }

    /**
     * Answers a request whose body could not be read: 413 when it went past {@code maxBytes}, 408 when it paused
     * longer than the body timeout (the connection closes after either), else the client went away and nothing is
     * answered.
     */
    public static void bodyReadFailed(Request request, Response response, Callback callback, Throwable failure,
                                      long maxBytes) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        if (exceededLimit(cause)) {
            tooLargeWhileReading(request, response, callback, maxBytes);
        } else if (cause instanceof TimeoutException && !response.isCommitted()) {
            LOG.debug("request body from {} paused past the body timeout: 408, connection closed",
                    Request.getRemoteAddr(request));
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            JsonResponses.error(response, callback, 408, null, JsonRpc.INVALID_REQUEST,
                    "Request Timeout: the request body paused longer than the body timeout");
        } else {
            callback.failed(cause); // the client went away mid-body
        }
    }

    /** Bodies up to this size are read and discarded before a 413, so the client sees the answer. */
    private static final long MAX_DRAINED_BYTES = 16L * 1024 * 1024;

    /**
     * Answers 413. A client still sending its body would otherwise meet a closed connection instead of the answer,
     * so the body is read and discarded first: one of declared size up to 16 MiB whole, an unsized (chunked) one up
     * to 16 MiB more; a larger one is cut off.
     */
    public static void tooLarge(Request request, Response response, Callback callback, long maxBytes) {
        rejectUnread(request, response, callback, 413, JsonRpc.INVALID_REQUEST,
                "Payload Too Large: the body exceeds " + maxBytes + " bytes");
    }

    /**
     * Answers 413 for an unsized (chunked) body that went past the limit while it was being read, and closes the
     * connection after the answer: where that body ends is not known for sure once its reading failed, and a client
     * that reused the connection would have its next request fail.
     */
    public static void tooLargeWhileReading(Request request, Response response, Callback callback, long maxBytes) {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        tooLarge(request, response, callback, maxBytes);
    }

    /**
     * Whether reading a body with {@code Content.Source.asByteArrayAsync(source, max)} failed because the body
     * passed {@code max}: Jetty 12.1 fails it with an {@link IllegalStateException} ("Max size exceeded"; 12.0 used
     * an {@link IllegalArgumentException}), only known once an unsized (chunked) body has gone past the limit. A
     * client that goes away mid-body fails it with an I/O exception instead.
     */
    public static boolean exceededLimit(Throwable failure) {
        return failure instanceof IllegalArgumentException || failure instanceof IllegalStateException
                && String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT).contains("max size");
    }

    /**
     * Answers a JSON-RPC error to a request whose body was not read, after reading and discarding a declared body
     * of up to 16 MiB. Jetty closes a connection whose request body was left unread once the answer is written; a
     * client that had already sent its next request on that connection would see that request fail instead.
     */
    public static void rejectUnread(Request request, Response response, Callback callback, int status, int code,
                                    String message) {
        rejectUnread(request, response, callback, status, JsonRpc.error(null, code, message));
    }

    /** As {@link #rejectUnread(Request, Response, Callback, int, int, String)}, with an error response of its own. */
    public static void rejectUnread(Request request, Response response, Callback callback, int status,
                                    ObjectNode error) {
        Runnable answer = () -> JsonResponses.write(response, callback, status, error);
        long declared = request.getLength();
        if (declared > 0 && declared <= MAX_DRAINED_BYTES) {
            Content.Source.consumeAll(request, Callback.from(answer, failure -> answer.run()));
        } else if (declared < 0) {
            drainThen(request, MAX_DRAINED_BYTES, answer); // unsized (chunked): read on within the same bound
        } else {
            answer.run();
        }
    }

    /**
     * Reads and discards {@code source} to its end, or until {@code budget} bytes are gone, then runs {@code then}.
     * A connection closed with request bytes unread is reset, and a client still sending then loses the answer.
     */
    private static void drainThen(Content.Source source, long budget, Runnable then) {
        new Runnable() {
            private long left = budget;

            @Override
            public void run() {
                while (true) {
                    Content.Chunk chunk = source.read();
                    if (chunk == null) {
                        source.demand(this);
                        return;
                    }
                    boolean done = chunk.isLast() || Content.Chunk.isFailure(chunk);
                    left -= chunk.remaining();
                    chunk.release();
                    if (done || left < 0) {
                        then.run();
                        return;
                    }
                }
            }
        }.run();
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String mime = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return mime.equalsIgnoreCase("application/json");
    }

    /** Whether Accept lists {@code type} (or a wildcard covering it). */
    public static boolean accepts(Request request, String type) {
        return accepts(request, type, true);
    }

    /**
     * Whether Accept names {@code type} itself. Streamable HTTP clients must list both of its media types, and the
     * official SDKs' servers refuse a wildcard in their place, so a client that works here works there too.
     */
    public static boolean lists(Request request, String type) {
        return accepts(request, type, false);
    }

    /** Whether media-type parameters carry {@code q=0} (RFC 9110 12.4.2: "not acceptable"). */
    private static boolean weighsZero(String parameters) {
        for (String parameter : parameters.split(";")) {
            String trimmed = parameter.trim();
            if (trimmed.length() > 2 && trimmed.regionMatches(true, 0, "q=", 0, 2)) {
                try {
                    return Double.parseDouble(trimmed.substring(2)) == 0;
                } catch (NumberFormatException malformed) {
                    return false; // a weight we cannot read does not refuse anything
                }
            }
        }
        return false;
    }

    private static boolean accepts(Request request, String type, boolean wildcards) {
        String major = type.substring(0, type.indexOf('/'));
        boolean coveredByWildcard = false;
        for (String header : request.getHeaders().getValuesList(HttpHeader.ACCEPT)) {
            for (String part : header.split(",")) {
                int semicolon = part.indexOf(';');
                String mime = (semicolon < 0 ? part : part.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
                boolean refused = semicolon >= 0 && weighsZero(part.substring(semicolon + 1));
                if (mime.equals(type)) {
                    return !refused; // the type named itself wins over any wildcard (RFC 9110 12.5.1)
                }
                if (wildcards && !refused && (mime.equals("*/*") || mime.equals(major + "/*"))) {
                    coveredByWildcard = true;
                }
            }
        }
        return coveredByWildcard;
    }
}
