package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.observe.SseMetrics;
import io.mcpproxy.stdio.StreamSettings;
import io.mcpproxy.stdio.backend.Backend;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The SSE answer to one {@code subscriptions/listen} request, and the listener of the backend channel that request
 * holds on the shared server. It opens with {@code notifications/subscriptions/acknowledged} (once the server has
 * answered the resource subscriptions, so the acknowledgement names those it honors), then carries the server's
 * change notifications the filter admits, each tagged with the request's id in
 * {@code _meta["io.modelcontextprotocol/subscriptionId"]}, and a keep-alive comment at the configured interval. What
 * arrives before the acknowledgement waits for it (as many events as a stream may queue).
 *
 * <p>The stream ends when the client goes away (the channel closes, which unsubscribes resources nobody else
 * wants), when it falls behind like any slow SSE consumer, or when the server exits: then it ends with a JSON-RPC
 * error carrying the request's id, and the client listens again (the stdio binding says listen streams are
 * re-established after a restart; updates between the exit and the new listen are lost, so the client refetches).
 */
final class ListenStream implements Backend.Listener {


    private final Request request;
    private final Response response;
    private final Callback callback;
    private final JsonNode subscriptionId;
    private final StreamSettings settings;
    private final SseMetrics metrics;
    private final Scheduler scheduler;
    /** Guards everything below: the channel, the stream's life and what waits for the acknowledgement. */
    private final Object lock = new Object();
    private ListenFilter filter;
    private Backend.Channel channel;
    private SseStream stream; // non-null once acknowledged
    private Periodic keepAlives;
    private List<ObjectNode> early = new ArrayList<>(); // null once acknowledged
    private boolean over;

    ListenStream(Request request, Response response, Callback callback, JsonNode subscriptionId,
                 ListenFilter filter, StreamSettings settings, SseMetrics metrics, Scheduler scheduler) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.subscriptionId = subscriptionId;
        this.filter = filter;
        this.settings = settings;
        this.metrics = metrics;
        this.scheduler = scheduler;
        request.addFailureListener(failure -> clientGone());
    }

    /** The channel this stream holds on the server: closed when the stream ends. */
    void channel(Backend.Channel opened) {
        boolean alreadyOver;
        synchronized (lock) {
            channel = opened;
            alreadyOver = over;
        }
        if (alreadyOver) {
            opened.close();
        }
    }

    /**
     * Opens the SSE stream with the acknowledgement of what it carries: the filter's kinds, and of its resource URIs
     * those the server subscribed.
     */
    void acknowledge(List<String> subscribedUris) {
        synchronized (lock) {
            if (over) {
                return;
            }
            filter = filter.honoring(new LinkedHashSet<>(subscribedUris));
            stream = SseStream.open(response, callback, settings.maxQueuedEvents(), settings.maxQueuedBytes(),
                    "subscriptions/listen stream", metrics);
            stream.abortOnFailureOf(request);
            stream.onClose(this::clientGone);
            ObjectNode params = JsonRpc.objectNode();
            params.set("notifications", filter.toJson());
            send(JsonRpc.notification("notifications/subscriptions/acknowledged", params));
            early.forEach(this::send);
            early = null;
            keepAlives = Periodic.every(scheduler, "subscriptions/listen keep-alive",
                    settings.keepAliveInterval(), settings.keepAliveInterval(), this::keepAlive);
        }
    }

    @Override
    public boolean deliver(ObjectNode message) {
        if (JsonRpc.Kind.of(message) == JsonRpc.Kind.REQUEST) {
            return false; // a listen stream carries no server requests: the backend answers the server
        }
        synchronized (lock) {
            if (over) {
                return false;
            }
            if (!filter.admits(message)) {
                return true; // not asked for: nothing is lost
            }
            if (early == null) {
                return send(message);
            }
            if (early.size() < settings.maxQueuedEvents()) {
                early.add(message);
                return true;
            }
        }
        // a stream that would start with a gap is no stream: the client listens again
        fail(JsonRpc.proxyError(subscriptionId, "stream_overflow", "More than " + settings.maxQueuedEvents()
                + " notifications came before the stream was acknowledged; listen again"));
        return false;
    }

    /** The server exited or the backend stopped: the stream ends with an error the client listens again after. */
    @Override
    public void onEnded(String reason) {
        fail(JsonRpc.proxyError(subscriptionId, "server_exited", "The MCP server's listen stream ended (" + reason
                + "); listen again and refetch what you depend on"));
    }

    /** Ends the request with {@code error}: on the stream when acknowledged, else as its JSON answer. */
    void fail(ObjectNode error) {
        Backend.Channel held;
        synchronized (lock) {
            if (!end()) {
                return;
            }
            held = channel;
            if (stream == null) {
                JsonResponses.write(response, callback, 200, error);
            } else {
                stream.send(null, "message", JsonRpc.toJson(error));
                stream.close();
            }
        }
        if (held != null) {
            held.close();
        }
    }

    /** Sends one message tagged with the subscription id; caller holds the lock. */
    private boolean send(ObjectNode message) {
        ObjectNode tagged = message.deepCopy();
        ObjectNode params = tagged.get("params") instanceof ObjectNode existing ? existing
                : tagged.putObject("params");
        ObjectNode meta = params.get("_meta") instanceof ObjectNode existing ? existing : params.putObject("_meta");
        meta.set(ModernMeta.SUBSCRIPTION_ID, subscriptionId);
        return stream.send(null, "message", JsonRpc.toJson(tagged));
    }

    private void keepAlive() {
        synchronized (lock) {
            if (!over && stream != null) {
                stream.comment("keep-alive");
            }
        }
    }

    /** The client closed the stream or its connection, or fell behind: the channel closes. */
    private void clientGone() {
        Backend.Channel held;
        synchronized (lock) {
            held = end() ? channel : null;
        }
        if (held != null) {
            held.close(); // the server is unsubscribed from what no other session wants
        }
    }

    /**
     * Marks the stream over and stops its keep-alives; caller holds the lock.
     *
     * @return false when it already was over
     */
    private boolean end() {
        if (over) {
            return false;
        }
        over = true;
        if (keepAlives != null) {
            keepAlives.cancel();
        }
        return true;
    }
}
