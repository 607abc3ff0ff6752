package io.mcpproxy.streamable;

import io.mcpproxy.core.observe.SseMetrics;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.StreamSettings;
import io.mcpproxy.stdio.backend.Backend;
import java.util.List;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The answer to one modern (2026-07-28) request, on a channel of its own that ends with it. One
 * {@code application/json} body when the response comes first; an SSE stream scoped to the request as soon as a
 * related notification comes first (progress; log messages only at or above the level the request asked for in
 * {@code _meta}, none when it asked for none). A server request (sampling, elicitation, roots) is refused, so the
 * backend answers the server with an error, unless a {@link BridgedCall} makes it an input request first. The
 * client closing the connection before the response cancels the request at the server.
 */
final class StatelessExchange implements Backend.Exchange {

    /** MCP's log levels (RFC 5424 severities), most verbose first. */
    private static final List<String> LOG_LEVELS = List.of("debug", "info", "notice", "warning", "error",
            "critical", "alert", "emergency");

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final SseMetrics sseMetrics;
    private final StreamSettings streams;
    /** Index into {@link #LOG_LEVELS} of the least severe log message the client wants; -1: none. */
    private final int logThreshold;
    private final String method;
    private Backend.Channel channel; // guarded by this
    private SseStream stream; // guarded by this; non-null once switched to SSE
    private boolean done; // guarded by this
    private Runnable abandoned = () -> { }; // guarded by this

    /**
     * @param method   the request's method, which decides what its result must carry
     * @param logLevel the least severe log message the request asked for; null: none
     */
    StatelessExchange(Request request, Response response, Callback callback, StreamSettings streams,
                      SseMetrics sseMetrics, String method, String logLevel) {
        this.method = method;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.streams = streams;
        this.sseMetrics = sseMetrics;
        this.logThreshold = logLevel == null ? -1 : LOG_LEVELS.indexOf(logLevel);
        request.addFailureListener(failure -> clientGone());
    }

    /** The channel the request travels on: closed when the request is answered or abandoned. */
    synchronized void channel(Backend.Channel channel) {
        this.channel = channel;
    }

    /** Runs {@code action} when the client goes away before the answer (besides closing the channel, if any). */
    synchronized void onAbandoned(Runnable action) {
        this.abandoned = action;
    }

    @Override
    public boolean onMessage(ObjectNode message) {
        if (JsonRpc.Kind.of(message) == JsonRpc.Kind.REQUEST) {
            return false; // no server requests on a modern stream: the backend tells the server
        }
        if ("notifications/message".equals(JsonRpc.method(message)) && !wanted(message)) {
            return true; // the client did not ask for it: nothing is lost
        }
        synchronized (this) {
            if (done) {
                return false;
            }
            if (stream == null) {
                stream = SseStream.open(response, callback, streams.maxQueuedEvents(), streams.maxQueuedBytes(),
                        "stream of a modern request", sseMetrics);
                stream.abortOnFailureOf(request);
                stream.onClose(this::clientGone);
            }
            return stream.send(null, "message", JsonRpc.toJson(message));
        }
    }

    private boolean wanted(ObjectNode log) {
        int level = LOG_LEVELS.indexOf(log.path("params").path("level").asText());
        return logThreshold >= 0 && level >= logThreshold;
    }

    @Override
    public void onResponse(ObjectNode message) {
        answer(message, statusOf(message));
    }

    /** 2026-07-28: a method the server does not implement is 404, a missing client capability 400; else 200. */
    private static int statusOf(ObjectNode message) {
        return switch (message.path("error").path("code").asInt()) {
            case JsonRpc.METHOD_NOT_FOUND -> 404;
            case BridgedCall.MISSING_CAPABILITY -> 400;
            default -> 200;
        };
    }

    /** Answers with {@code message}, as JSON with {@code status} unless the answer is an SSE stream already. */
    void answer(ObjectNode message, int status) {
        if (message.get("result") instanceof ObjectNode result) {
            ModernResults.complete(method, result);
        }
        Backend.Channel finished;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            finished = channel;
            if (stream != null) {
                stream.send(null, "message", JsonRpc.toJson(message));
                stream.close();
            }
        }
        if (finished != null) {
            finished.close(); // nothing is in flight on it any more
        }
        if (stream == null) {
            JsonResponses.write(response, callback, status, message);
        }
    }

    /** Answers without the server (a proxy-side error or a result the proxy knows). */
    void answer(ObjectNode message) {
        onResponse(message);
    }

    /** The client closed the request's stream or connection: the request is cancelled at the server. */
    private void clientGone() {
        Backend.Channel channelLeft;
        Runnable hook;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            channelLeft = channel;
            hook = abandoned;
        }
        if (channelLeft != null) {
            channelLeft.close();
        }
        hook.run();
    }
}
