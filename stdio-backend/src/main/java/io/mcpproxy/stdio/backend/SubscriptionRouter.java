package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the server's notifications for subscribers go, for the {@link ServerMessageRouter}:
 * <ul>
 *   <li>{@code notifications/*}{@code /list_changed}: to every session;</li>
 *   <li>{@code notifications/resources/updated}: to the sessions subscribed to that URI;</li>
 *   <li>a notification with {@code _meta["io.modelcontextprotocol/subscriptionId"]} (a modern server's
 *       {@code subscriptions/listen} stream): to that listen request's exchange, or, on the proxy's own listen of
 *       the process, to every session as a legacy server's {@code list_changed}.</li>
 * </ul>
 * What reaches nobody is logged and counted ({@link Undeliverable}).
 */
final class SubscriptionRouter {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionRouter.class);

    private final RequestTable requests;
    private final OpenSessions sessions;
    private final Undeliverable undeliverable;
    /** Ids of the proxy's own {@code subscriptions/listen} requests, one per modern process. */
    private final Set<Long> processListens = ConcurrentHashMap.newKeySet();

    SubscriptionRouter(String serverName, RequestTable requests, OpenSessions sessions, BackendStats stats) {
        this.requests = requests;
        this.sessions = sessions;
        this.undeliverable = new Undeliverable(LOG, serverName, stats);
    }

    /**
     * The proxy listens on every modern process for list changes, under {@code proxyId}, on behalf of the legacy
     * sessions, which know only {@code notifications/…/list_changed}.
     */
    void processListenOpened(long proxyId) {
        processListens.add(proxyId);
    }

    /** The proxy's own listen on the process ended (the server closed it, or exited). */
    void processListenEnded(long proxyId) {
        processListens.remove(proxyId);
    }

    /**
     * A modern server's notification on a {@code subscriptions/listen} stream: to that request, its
     * {@code subscriptionId} (the listen request's id) restored to the client's id.
     */
    void toListener(ObjectNode notification) {
        JsonNode subscriptionId = notification.path("params").path("_meta").get(ModernMeta.SUBSCRIPTION_ID);
        ClientRequest listen = subscriptionId.canConvertToLong() ? requests.inFlight(subscriptionId.asLong()) : null;
        if (listen == null && subscriptionId.canConvertToLong() && processListens.contains(subscriptionId.asLong())) {
            toSessionsOfProcessListen(notification);
            return;
        }
        if (listen == null) {
            undeliverable.report(notification, "no subscriptions/listen request " + subscriptionId + " in flight");
            return;
        }
        ObjectNode restored = notification.deepCopy();
        ((ObjectNode) restored.get("params").get("_meta")).set(ModernMeta.SUBSCRIPTION_ID, listen.clientId);
        if (!listen.exchange.onMessage(restored)) {
            undeliverable.report(notification, "the listen request's stream is gone");
        }
    }

    /** A list change on the proxy's own listen: every session hears it, as from a legacy server. */
    private void toSessionsOfProcessListen(ObjectNode notification) {
        if ("notifications/subscriptions/acknowledged".equals(JsonRpc.method(notification))) {
            return; // the listen is open: nothing for the sessions
        }
        ObjectNode plain = notification.deepCopy();
        ObjectNode meta = (ObjectNode) plain.get("params").get("_meta");
        meta.remove(ModernMeta.SUBSCRIPTION_ID);
        if (meta.isEmpty()) {
            ((ObjectNode) plain.get("params")).remove("_meta");
        }
        toEverySession(plain);
    }

    /** A fact about the server: every session hears it. */
    void toEverySession(ObjectNode notification) {
        for (ClientSession session : sessions.all()) {
            if (!session.deliver(notification)) {
                undeliverable.report(notification, "session stream unavailable");
            }
        }
    }

    /** A change of a resource: the sessions subscribed to its URI hear it. */
    void toSubscribers(ObjectNode notification) {
        String uri = notification.path("params").path("uri").asText();
        boolean any = false;
        for (ClientSession session : sessions.all()) {
            if (session.protocol().isSubscribedTo(uri)) {
                any = true;
                if (!session.deliver(notification)) {
                    undeliverable.report(notification, "session stream unavailable");
                }
            }
        }
        if (!any) {
            undeliverable.report(notification, "no session subscribed to " + uri);
        }
    }
}
