package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.Orphans.Orphan;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each message from the server goes. Nothing is broadcast that is not a fact about the server, and nothing is
 * dropped silently: what cannot be delivered is logged and counted in {@link BackendStats#undeliverable()}, and a
 * server request that cannot be delivered is answered with an error so the server does not wait for it.
 * <ul>
 *   <li>responses: to the request's {@link Backend.Exchange}, id restored (see {@link RequestTable});</li>
 *   <li>{@code notifications/progress}: to the exchange owning the progress token;</li>
 *   <li>{@code notifications/*}{@code /list_changed}: to every session; {@code notifications/resources/updated}: to
 *       the URI's subscribers; a notification on a modern server's {@code subscriptions/listen} stream: to that
 *       listen request (these three by the {@link SubscriptionRouter});</li>
 *   <li>{@code notifications/cancelled}: to the session holding the server request it withdraws;</li>
 *   <li>server requests, {@code notifications/message} and any other notification: to the one
 *       {@link #busySession busy session}, the message filtered by the session's log level;</li>
 *   <li>server {@code ping}: answered by the proxy; a server request for a capability the session's client did
 *       not declare: answered by the proxy as that client would ({@link ClientCapabilities#refusal}).</li>
 * </ul>
 * The decisions that do not depend on the moment ({@link Rule#of}, {@link #busySession}) are pure functions.
 */
final class ServerMessageRouter {

    private static final Logger LOG = LoggerFactory.getLogger(ServerMessageRouter.class);

    /** Which routing rule applies to a server message: decided from the message alone. */
    enum Rule {
        RESPONSE, PING, PROGRESS, SUBSCRIPTION, LIST_CHANGED, RESOURCE_UPDATED, SERVER_CANCELLED, ROOTS_LIST,
        SERVER_REQUEST, LOG_MESSAGE, NOTIFICATION, NOT_JSON_RPC;

        static Rule of(ObjectNode message) {
            return switch (JsonRpc.Kind.of(message)) {
                case RESPONSE -> RESPONSE;
                case REQUEST -> switch (JsonRpc.method(message)) {
                    case "ping" -> PING;
                    case "roots/list" -> ROOTS_LIST;
                    default -> SERVER_REQUEST;
                };
                case NOTIFICATION -> message.path("params").path("_meta").has(ModernMeta.SUBSCRIPTION_ID) ? SUBSCRIPTION
                        : notification(JsonRpc.method(message));
                case INVALID -> NOT_JSON_RPC;
            };
        }

        private static Rule notification(String method) {
            if (method.endsWith("/list_changed")) {
                return LIST_CHANGED;
            }
            return switch (method) {
                case "notifications/progress" -> PROGRESS;
                case "notifications/resources/updated" -> RESOURCE_UPDATED;
                case "notifications/cancelled" -> SERVER_CANCELLED;
                case "notifications/message" -> LOG_MESSAGE;
                default -> NOTIFICATION;
            };
        }
    }

    /** Where a message for "whoever is busy" goes. */
    sealed interface Target {
        /** To {@code session}: on {@code request}'s exchange when not null, else to the session's listener. */
        record Deliver(ClientSession session, ClientRequest request) implements Target {
            boolean deliver(ObjectNode message) {
                return request != null ? request.exchange.onMessage(message) : session.deliver(message);
            }
        }

        /**
         * Nowhere: a guess could reach the wrong client.
         *
         * @param sessions ids of the sessions it could be for (or that are busy), sorted
         */
        record Refused(String reason, List<String> sessions) implements Target {
            static Refused of(String reason, Stream<ClientSession> involved) {
                return new Refused(reason, involved.map(ClientSession::id).distinct().sorted().toList());
            }
        }
    }

    private final String serverName;
    private final RequestTable requests;
    private final ServerRequests serverRequests;
    private final OpenSessions sessions;
    private final SubscriptionRouter subscriptions;
    private final BackendStats stats;
    private final Undeliverable undeliverable;
    private final LongSupplier nanoClock;
    private final Consumer<ObjectNode> toServer;
    /**
     * The refusal the current run of refusals started with, null while messages find their session: a run is logged
     * once, when it starts, not per message.
     */
    private final AtomicReference<Target.Refused> ambiguity = new AtomicReference<>();

    /**
     * @param toServer sends the proxy's own messages (answers to server requests) to the current server process
     */
    ServerMessageRouter(String serverName, RequestTable requests, ServerRequests serverRequests,
                        OpenSessions sessions, SubscriptionRouter subscriptions, BackendStats stats,
                        LongSupplier nanoClock, Consumer<ObjectNode> toServer) {
        this.serverName = serverName;
        this.requests = requests;
        this.serverRequests = serverRequests;
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.stats = stats;
        this.undeliverable = new Undeliverable(LOG, serverName, stats);
        this.nanoClock = nanoClock;
        this.toServer = toServer;
    }

    /** Routes one message from the server; called on its stdout reader thread. */
    void serverToProxy(ObjectNode message) {
        Rule rule = Rule.of(message);
        switch (rule) {
            case RESPONSE -> response(message);
            case PING -> toServer.accept(JsonRpc.result(message.get("id"), JsonRpc.objectNode()));
            case PROGRESS -> progress(message);
            case SUBSCRIPTION -> subscriptions.toListener(message);
            case LIST_CHANGED -> subscriptions.toEverySession(message);
            case RESOURCE_UPDATED -> subscriptions.toSubscribers(message);
            case SERVER_CANCELLED -> toHolderOfServerRequest(message);
            case ROOTS_LIST, SERVER_REQUEST -> serverRequest(message, rule == Rule.ROOTS_LIST);
            case LOG_MESSAGE, NOTIFICATION -> notificationToBusySession(message, rule == Rule.LOG_MESSAGE);
            case NOT_JSON_RPC -> LOG.warn("[{}] skipped a message that is not JSON-RPC: {}", serverName,
                    Undeliverable.abbreviate(message));
        }
    }

    private void response(ObjectNode response) {
        switch (requests.serverAnswered(response)) {
            case ANSWERED, INTERNAL -> { }
            case LATE -> {
                // The server finished a request the proxy had already answered: its session no longer claims the
                // server's unattributable messages; the answer itself has nowhere to go.
                stats.lateResponses.incrementAndGet();
                LOG.debug("[{}] dropped the late answer to id {} (cancelled, timed out or its session ended)",
                        serverName, response.get("id"));
            }
            case UNEXPECTED -> {
                stats.lateResponses.incrementAndGet();
                LOG.debug("[{}] dropped a response to id {} that nobody waits for", serverName, response.get("id"));
            }
        }
    }

    private void progress(ObjectNode notification) {
        JsonNode token = notification.path("params").path("progressToken");
        ClientRequest owner = requests.progressOwner(token.asText());
        if (owner == null) {
            undeliverable.report(notification, "no request owns progress token " + token);
            return;
        }
        ObjectNode restored = notification.deepCopy();
        ((ObjectNode) restored.get("params")).set("progressToken", owner.clientProgressToken);
        if (!owner.exchange.onMessage(restored)) {
            undeliverable.report(notification, "the request's stream is gone");
        }
    }

    /** The server withdraws a request it sent to a client: only that client hears of it. */
    private void toHolderOfServerRequest(ObjectNode notification) {
        JsonNode requestId = notification.path("params").path("requestId");
        ClientSession holder = serverRequests.withdrawn(RequestTable.idKey(requestId));
        if (holder == null || !holder.deliver(notification)) {
            undeliverable.report(notification, "no session holds server request " + requestId);
        }
    }

    private void serverRequest(ObjectNode request, boolean rootsList) {
        String method = JsonRpc.method(request);
        Target target = busyTarget(rootsList);
        if (target instanceof Target.Refused refused) {
            refuse(request, refused);
            toServer.accept(JsonRpc.error(request.get("id"), JsonRpc.INTERNAL_ERROR,
                    "The proxy cannot tell which client this request is for"));
            return;
        }
        Target.Deliver to = (Target.Deliver) target;
        ObjectNode refusal = ClientCapabilities.refusal(to.session().protocol().capabilities(), request);
        if (refusal != null) { // what that client would answer: the server got the proxy's capabilities, not its
            LOG.debug("[{}] answered '{}' for {}: {}", serverName, method, to.session(),
                    refusal.path("error").path("message").asText());
            toServer.accept(refusal);
            return;
        }
        String key = RequestTable.idKey(request.get("id"));
        serverRequests.handedTo(key, to.session()); // before delivery: the answer may come back at once
        if (!to.deliver(request)) {
            serverRequests.takenBack(key, to.session());
            stats.undeliverable.incrementAndGet();
            LOG.warn("[{}] client session has no open stream for server request '{}'", serverName, method);
            toServer.accept(JsonRpc.error(request.get("id"), JsonRpc.INTERNAL_ERROR,
                    "The client session has no open stream to receive this request"));
        }
    }

    private void notificationToBusySession(ObjectNode notification, boolean logMessage) {
        Target target = busyTarget(false);
        if (target instanceof Target.Refused refused) {
            refuse(notification, refused);
            return;
        }
        Target.Deliver to = (Target.Deliver) target;
        if (logMessage && to.session().protocol().logsBelow(notification.path("params").path("level").asText())) {
            LOG.debug("[{}] a log message below the level its session set: not sent", serverName);
        } else if (!to.deliver(notification)) {
            undeliverable.report(notification, "session stream unavailable");
        }
    }

    private Target busyTarget(boolean rootsList) {
        long now = nanoClock.getAsLong();
        Target target = requests.readWorkAtServer((inFlight, orphans) ->
                busySession(inFlight, orphans, sessions.all(), rootsList, now));
        if (target instanceof Target.Deliver) {
            ambiguity.set(null);
        }
        return target;
    }

    /** Counts a message no session can be named for; logs the run of such refusals once, when it starts. */
    private void refuse(ObjectNode message, Target.Refused refused) {
        stats.undeliverable.incrementAndGet();
        stats.unattributable.incrementAndGet();
        if (refused.equals(ambiguity.getAndSet(refused))) {
            LOG.debug("[{}] refused {} for the same reason: {}", serverName, JsonRpc.method(message),
                    Undeliverable.abbreviate(message));
            return;
        }
        LOG.warn("[{}] cannot tell which client session the server's {} is for: {} (sessions {}); such messages are"
                + " refused (server requests answered with an error) while this lasts. Requests cancelled or of ended"
                + " sessions stop counting after the cancel grace; per-session mode avoids this", serverName,
                JsonRpc.method(message), refused.reason(), abbreviate(refused.sessions()));
    }

    /**
     * Where a message tied to "whoever is busy" goes: the one session with requests at the server (answered ones the
     * server still works on included; on the request's exchange when it has exactly one live request), else the only
     * open session. For a {@code roots/list}, a session that announced its roots within
     * {@link SessionProtocolState#ROOTS_NOTICE_WINDOW} counts as busy too. Anything else is refused with the reason:
     * a guess could reach the wrong client. Pure: reads only its arguments.
     *
     * @param rootsList whether the message is a {@code roots/list} request
     * @param now       nano clock reading
     */
    static Target busySession(Collection<ClientRequest> allInFlight, Collection<Orphan> orphans,
                              Collection<ClientSession> open, boolean rootsList, long now) {
        Collection<ClientRequest> inFlight = working(allInFlight, orphans);
        ClientSession busy = null;
        ClientRequest only = null;
        for (ClientRequest request : inFlight) {
            if (busy == null) {
                busy = request.session;
                only = request;
            } else if (busy != request.session) {
                return Target.Refused.of("requests of several sessions are in flight", busySessions(inFlight, orphans));
            } else {
                only = null;
            }
        }
        for (Orphan orphan : orphans) {
            if (busy == null) {
                busy = orphan.session(); // no live request: the session's own stream
            } else if (busy != orphan.session()) {
                return Target.Refused.of("requests of several sessions are in flight (the proxy answered some"
                        + " already, the server has not)", busySessions(inFlight, orphans));
            }
            // One live request of the same session besides: the message goes on its stream, which that client
            // reads now (a GET stream is optional), and it is that client's message whichever request it is about.
        }
        if (rootsList) { // a sampling or elicitation request is about a call, not about roots
            for (ClientSession session : open) {
                if (session.isEnded() || !session.protocol().announcedRootsWithinWindow(now)) {
                    continue;
                }
                if (busy == null) {
                    busy = session; // the server asks for the roots that session just announced
                } else if (busy != session) {
                    return Target.Refused.of("one session just announced its roots while another is busy: either"
                            + " may be the one asked", Stream.of(busy, session));
                }
            }
        }
        if (busy != null) {
            return busy.isEnded() ? Target.Refused.of("the session of the request the server works on has ended",
                    Stream.of(busy)) : new Target.Deliver(busy, only);
        }
        return onlyOpenSession(open);
    }

    /**
     * The requests in flight that may have sent a message: requests waiting for their client's input are left out
     * while any other session works at the server (their handlers await the client's answers); alone they count.
     */
    private static Collection<ClientRequest> working(Collection<ClientRequest> inFlight, Collection<Orphan> orphans) {
        List<ClientRequest> working = inFlight.stream().filter(request -> !request.session.awaitsClient()).toList();
        return working.size() == inFlight.size() || (working.isEmpty() && orphans.isEmpty()) ? inFlight : working;
    }

    private static Target onlyOpenSession(Collection<ClientSession> open) {
        ClientSession only = null;
        for (ClientSession session : open) {
            if (only != null) {
                return Target.Refused.of("several sessions are open, none busy", open.stream());
            }
            only = session;
        }
        return only == null ? Target.Refused.of("no session is open", Stream.empty())
                : new Target.Deliver(only, null);
    }

    private static Stream<ClientSession> busySessions(Collection<ClientRequest> inFlight, Collection<Orphan> orphans) {
        return Stream.concat(inFlight.stream().map(request -> request.session), orphans.stream().map(Orphan::session));
    }

    private static String abbreviate(List<String> sessionIds) {
        return sessionIds.isEmpty() ? "none" : sessionIds.size() <= 10 ? String.join(", ", sessionIds)
                : String.join(", ", sessionIds.subList(0, 10)) + " and " + (sessionIds.size() - 10) + " more";
    }
}
