package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.function.BiConsumer;

/**
 * The sessions' resource subscriptions on a shared server, counted over the sessions' own sets
 * ({@link SessionProtocolState}): the server gets {@code resources/subscribe} for a URI when the first session wants
 * it and {@code resources/unsubscribe} when the last one leaves or unsubscribes; the sessions in between are answered
 * by the proxy. A session counts as subscribed from its request on, so a subscribe still on its way to the server
 * keeps another session's leaving from unsubscribing the URI; should the server refuse it, the session's
 * subscription is taken back (a session answered by the proxy meanwhile then gets no updates, as the server would
 * have refused it too).
 */
final class ResourceSubscriptions {

    private final OpenSessions sessions;
    private final RequestTable requests;
    /**
     * Guards every session's subscription set together with the subscribe and unsubscribe requests written to the
     * server, so they reach the server in the order of the decisions: the server's last word on a URI always says
     * whether an open session still wants it.
     */
    private final Object lock = new Object();

    ResourceSubscriptions(OpenSessions sessions, RequestTable requests) {
        this.sessions = sessions;
        this.requests = requests;
    }

    /** A session's {@code resources/subscribe}: to the server ({@code toServer}) unless another session has the URI. */
    void subscribe(ClientSession session, ObjectNode request, Backend.Exchange exchange,
                   BiConsumer<ObjectNode, Backend.Exchange> toServer) {
        String uri = request.path("params").path("uri").asText();
        boolean held;
        synchronized (lock) {
            held = sessions.subscribedTo(uri, session);
            session.protocol().subscribed(uri);
            if (!held) {
                toServer.accept(request, new Backend.Exchange() {
                    @Override
                    public boolean onMessage(ObjectNode message) {
                        return exchange.onMessage(message);
                    }

                    @Override
                    public void onResponse(ObjectNode response) {
                        if (response.get("result") == null) {
                            synchronized (lock) {
                                session.protocol().unsubscribed(uri);
                            }
                        }
                        exchange.onResponse(response);
                    }
                });
            }
        }
        if (held) {
            exchange.onResponse(JsonRpc.result(request.get("id"), JsonRpc.objectNode()));
        }
    }

    /** A session's {@code resources/unsubscribe}: to the server only when no other session wants the URI. */
    void unsubscribe(ClientSession session, ObjectNode request, Backend.Exchange exchange,
                     BiConsumer<ObjectNode, Backend.Exchange> toServer) {
        String uri = request.path("params").path("uri").asText();
        boolean othersWant;
        synchronized (lock) {
            session.protocol().unsubscribed(uri);
            othersWant = sessions.subscribedTo(uri, session);
            if (!othersWant) {
                toServer.accept(request, exchange);
            }
        }
        if (othersWant) { // the server keeps sending updates that other sessions still want
            exchange.onResponse(JsonRpc.result(request.get("id"), JsonRpc.objectNode()));
        }
    }

    /**
     * A session that has left {@link OpenSessions} drops its subscriptions; the server is unsubscribed from the URIs
     * no open session wants any more (the proxy's own requests, whose answers are dropped).
     */
    void sessionLeft(ClientSession session) {
        synchronized (lock) {
            for (String uri : session.protocol().dropSubscriptions()) {
                if (!sessions.subscribedTo(uri, session)) { // the others on its process
                    session.process().sendQuietly(JsonRpc.request(LongNode.valueOf(requests.internalRequest()),
                            "resources/unsubscribe", JsonRpc.objectNode().put("uri", uri)));
                }
            }
        }
    }
}
