package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.backend.BackendUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code subscriptions/listen} of modern clients, bridged to the shared legacy server. Each listen request holds a
 * channel of its own on the server for as long as its stream lasts, so the backend's routing applies unchanged:
 * {@code list_changed} reaches every channel, {@code resources/updated} the channels subscribed to its URI. The
 * channel goes through the server's cached {@code initialize}, then subscribes the filter's resource URIs on the
 * client's behalf (when the server declares {@code resources.subscribe}); closing the channel unsubscribes those no
 * other session wants. Listeners count against the proxy's session limit ({@code --max-sessions}), as every channel
 * on the server does.
 */
final class ListenRequests {

    private static final String CHANNEL_PREFIX = "listen-";

    private final ProxyContext context;
    private final AtomicLong channels = new AtomicLong();

    ListenRequests(ProxyContext context) {
        this.context = context;
    }

    /** Serves one {@code subscriptions/listen} request whose version, headers and {@code _meta} were checked. */
    void listen(Request request, Response response, Callback callback, ObjectNode message) {
        JsonNode id = message.get("id");
        ListenFilter filter;
        try {
            filter = ListenFilter.of(message.path("params"));
        } catch (IllegalArgumentException invalid) {
            JsonResponses.error(response, callback, 400, id, JsonRpc.INVALID_PARAMS,
                    "Invalid params: " + invalid.getMessage());
            return;
        }
        request.addIdleTimeoutListener(timeout -> false); // the stream stays open; keep-alives keep it busy
        ListenStream stream = new ListenStream(request, response, callback, id, filter, context.streams(),
                context.sseMetrics(Session.Type.STREAMABLE), context.scheduler());
        Backend.Channel channel;
        try {
            channel = context.backends().open(CHANNEL_PREFIX + channels.incrementAndGet(), stream);
        } catch (BackendUnavailableException e) {
            JsonResponses.unavailable(response, callback, id, e.reason(), e.getMessage(), 1);
            return;
        }
        stream.channel(channel);
        StatelessRequests.initialized(channel, id, stream::fail, StatelessRequests.NO_CAPABILITIES,
                serverResult -> context.runLater(() -> {
                    channel.notify(JsonRpc.notification("notifications/initialized", null)); // only a new server
                    subscribe(channel, filter, serverResult, stream);
                }));
    }

    /**
     * Subscribes the filter's URIs on the server, then acknowledges the stream with those the server accepted. A
     * server that does not declare {@code resources.subscribe} is not asked: it honors none.
     */
    private static void subscribe(Backend.Channel channel, ListenFilter filter, ObjectNode serverResult,
                                  ListenStream stream) {
        boolean serverSubscribes = serverResult.path("capabilities").path("resources").path("subscribe")
                .asBoolean(false);
        List<String> uris = serverSubscribes ? List.copyOf(filter.resources()) : List.of();
        if (uris.isEmpty()) {
            stream.acknowledge(List.of());
            return;
        }
        List<String> subscribed = new ArrayList<>(); // guarded by itself
        AtomicInteger unanswered = new AtomicInteger(uris.size());
        for (int i = 0; i < uris.size(); i++) {
            String uri = uris.get(i);
            ObjectNode subscribe = JsonRpc.request(TextNode.valueOf("listen-subscribe-" + i), "resources/subscribe",
                    JsonRpc.objectNode().put("uri", uri));
            channel.request(subscribe, new Backend.Exchange() {
                @Override
                public boolean onMessage(ObjectNode message) {
                    return false; // a subscribe has no related messages a client could use
                }

                @Override
                public void onResponse(ObjectNode answer) {
                    List<String> honored = null;
                    synchronized (subscribed) {
                        if (answer.has("result")) {
                            subscribed.add(uri);
                        }
                        if (unanswered.decrementAndGet() == 0) {
                            honored = List.copyOf(subscribed);
                        }
                    }
                    if (honored != null) {
                        stream.acknowledge(honored);
                    }
                }
            });
        }
    }
}
