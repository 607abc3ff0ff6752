package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.ProcessProtocolState.InitializeStep;
import io.mcpproxy.stdio.backend.RequestTable.LocalAnswer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the proxy does with a client session's messages on their way to the server, and with the session's end:
 * ids made proxy-unique ({@link RequestTable}), the handshake shared per process ({@link ProcessProtocolState}),
 * subscriptions counted over the sessions ({@link ResourceSubscriptions}), log levels kept per session
 * ({@link SessionProtocolState}), request timeouts and cancellation.
 */
final class ClientToServer {

    private static final Logger LOG = LoggerFactory.getLogger(ClientToServer.class);

    private final String serverName;
    private final RequestTable requests;
    private final ServerRequests serverRequests;
    private final OpenSessions sessions;
    private final Duration requestTimeout;
    private final Scheduler scheduler;
    private final LongSupplier nanoClock;
    private final BackendStats stats;
    private final Runnable sessionGone;
    private final ResourceSubscriptions subscriptions;
    /** Whether several sessions share the server: then it is initialized as the proxy, with every capability. */
    private final boolean shared;
    private final ModernServerRequests modern;

    /**
     * @param shared      whether the sessions share one server process (else each has its own)
     * @param sessionGone runs after a session has ended and left {@code sessions}
     */
    ClientToServer(String serverName, RequestTable requests, ServerRequests serverRequests, OpenSessions sessions,
                   Duration requestTimeout, Scheduler scheduler, LongSupplier nanoClock, BackendStats stats,
                   boolean shared, Runnable sessionGone) {
        this.shared = shared;
        this.serverName = serverName;
        this.requests = requests;
        this.serverRequests = serverRequests;
        this.sessions = sessions;
        this.requestTimeout = requestTimeout;
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.stats = stats;
        this.sessionGone = sessionGone;
        this.subscriptions = new ResourceSubscriptions(sessions, requests);
        this.modern = new ModernServerRequests(serverName, this::forward);
    }

    /** See {@link Backend.Channel#request}. */
    void request(ClientSession session, ObjectNode request, Backend.Exchange exchange) {
        if (session.isEnded()) {
            exchange.onResponse(JsonRpc.error(request.get("id"), JsonRpc.SESSION_NOT_FOUND, "Session not found"));
            return;
        }
        ProcessEra era = session.process().era();
        if (era.era() == null) { // nothing reaches a process before its era is known
            era.whenDecided(() -> request(session, request, exchange));
            return;
        }
        if (era.isModern()) {
            modern.request(session, request, exchange);
            return;
        }
        String method = JsonRpc.method(request);
        if (!session.protocol().isInitialized() && !"initialize".equals(method) && !"ping".equals(method)) {
            // the server must not see a session's requests before its handshake (a stateless-era probe such as
            // server/discover included): it would answer them in a lifecycle state the session never reached
            exchange.onResponse(JsonRpc.error(request.get("id"), JsonRpc.INVALID_REQUEST,
                    "Invalid Request: '" + method + "' before initialize; only initialize and ping may come first"));
            return;
        }
        switch (method == null ? "" : method) {
            case "initialize" -> {
                session.protocol().declared(request.path("params").get("capabilities"));
                initialize(session, request, exchange);
            }
            case "resources/subscribe" -> subscriptions.subscribe(session, request, exchange,
                    (toServer, answer) -> forward(session, toServer, answer, method));
            case "resources/unsubscribe" -> subscriptions.unsubscribe(session, request, exchange,
                    (toServer, answer) -> forward(session, toServer, answer, method));
            case "logging/setLevel" -> {
                if (session.protocol().setLogLevel(request.path("params").path("level").asText())) {
                    ((ObjectNode) request.get("params")).put("level", sessions.serverLogLevel());
                }
                forward(session, request, exchange, method);
            }
            default -> forward(session, request, exchange, method);
        }
    }

    private void forward(ClientSession session, ObjectNode request, Backend.Exchange exchange, String method) {
        ClientRequest entry = requests.register(session, request, exchange, method);
        if (entry == null) {
            JsonNode clientId = request.get("id");
            exchange.onResponse(JsonRpc.error(clientId, JsonRpc.INVALID_REQUEST,
                    "Request id " + clientId + " is already in flight in this session"));
            return;
        }
        if (!requestTimeout.isZero() && !"subscriptions/listen".equals(method)) { // a listen lasts while wanted
            entry.timeout = scheduler.schedule(() -> timedOut(entry), requestTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        try {
            session.process().send(request);
        } catch (IOException e) {
            requests.complete(entry, JsonRpc.proxyError(entry.clientId, "server_unavailable",
                    "The MCP server is not reachable: " + e.getMessage()));
        }
    }

    /**
     * The server is initialized once per process: the first initialize goes to it (a shared server's as the proxy's
     * own, see {@link ClientCapabilities#sharedInitializeParams}), later ones get its result.
     */
    private void initialize(ClientSession session, ObjectNode request, Backend.Exchange exchange) {
        ProcessProtocolState handshake = session.process().protocol();
        InitializeStep step = handshake.beginInitialize(() -> initialize(session, request, exchange));
        if (step == InitializeStep.TO_SERVER && shared) {
            JsonNode params = request.path("params");
            LOG.info("[{}] initializing the shared server as {} {} with every capability the proxy routes; first"
                    + " client: {}", serverName, ClientCapabilities.PROXY_NAME, ClientCapabilities.PROXY_VERSION,
                    params.path("clientInfo"));
            request.set("params", ClientCapabilities.sharedInitializeParams(params));
        }
        switch (step) {
            case FROM_CACHE -> {
                session.protocol().initialized();
                exchange.onResponse(JsonRpc.result(request.get("id"),
                        handshake.initializeResultFor(request.path("params"))));
            }
            case TO_SERVER -> forward(session, request, new LearningExchange(exchange, response -> {
                if (response.get("result") != null) {
                    session.protocol().initialized();
                }
                handshake.initializeAnswered(response);
            }), "initialize");
            case QUEUED -> { } // answered once the first one is
        }
    }

    /** See {@link Backend.Channel#initializeFromCache}. */
    ObjectNode initializeFromCache(ClientSession session, JsonNode capabilities) {
        ProcessEra era = session.process().era();
        if (session.isEnded() || era.era() == null || era.isModern()) {
            return null;
        }
        ObjectNode result = session.process().protocol().initializeResult();
        if (result != null) {
            session.protocol().declared(capabilities);
            session.protocol().initialized();
        }
        return result;
    }

    private void timedOut(ClientRequest request) {
        if (requests.answerLocally(request, LocalAnswer.TIMED_OUT, JsonRpc.proxyError(request.clientId, "timeout",
                "The MCP server did not answer within " + requestTimeout.toMillis() + " ms"))) {
            stats.timeouts.incrementAndGet();
            request.process().sendQuietly(cancelled(request.proxyId, "Request timed out in the proxy"));
        }
    }

    /** See {@link Backend.Channel#notify}. */
    void notify(ClientSession session, ObjectNode notification) {
        if (session.isEnded()) {
            return;
        }
        String method = JsonRpc.method(notification);
        if ("notifications/initialized".equals(method) && session.process().era().isModern()) {
            return; // a modern server has no handshake
        }
        if ("notifications/initialized".equals(method)) {
            if (session.process().protocol().firstInitializedNotification()) {
                session.protocol().noticeOfRoots(nanoClock.getAsLong());
                session.process().sendQuietly(notification);
            }
            return;
        }
        if ("notifications/cancelled".equals(method)) {
            cancel(session, notification);
            return;
        }
        if ("notifications/roots/list_changed".equals(method)) {
            session.protocol().noticeOfRoots(nanoClock.getAsLong());
        }
        session.process().sendQuietly(notification);
    }

    private void cancel(ClientSession session, ObjectNode notification) {
        ClientRequest request = requests.inFlight(session, notification.path("params").get("requestId"));
        if (request == null) {
            return; // already answered: nothing to cancel
        }
        ObjectNode mapped = notification.deepCopy();
        ((ObjectNode) mapped.get("params")).set("requestId", LongNode.valueOf(request.proxyId));
        session.process().sendQuietly(mapped);
        requests.answerLocally(request, LocalAnswer.CANCELLED, JsonRpc.error(request.clientId,
                JsonRpc.REQUEST_CANCELLED, "Request cancelled by the client"));
    }

    /** See {@link Backend.Channel#respond}. */
    boolean respond(ClientSession session, ObjectNode response) {
        if (modern.inputAnswered(session, response)) {
            return true; // an input request the proxy bridged: the retry takes the answer to the server
        }
        if (!serverRequests.takenBack(RequestTable.idKey(response.get("id")), session)) {
            stats.misdirectedResponses.incrementAndGet();
            LOG.warn("[{}] refused a client response to id {}: no such server request for this session",
                    serverName, response.get("id"));
            return false;
        }
        session.process().sendQuietly(response);
        return true;
    }

    /** See {@link Backend.Channel#close}: its requests are cancelled at the server, its server requests refused. */
    void close(ClientSession session) {
        if (!session.end()) {
            return;
        }
        sessions.remove(session);
        ServerProcess process = session.process();
        for (ClientRequest request : requests.inFlightOf(session)) {
            if (requests.answerLocally(request, LocalAnswer.SESSION_ENDED, JsonRpc.error(request.clientId,
                    JsonRpc.SESSION_NOT_FOUND, "Session ended"))) {
                process.sendQuietly(cancelled(request.proxyId, "Client session ended"));
            }
        }
        for (JsonNode serverRequestId : serverRequests.takenFrom(session)) {
            process.sendQuietly(JsonRpc.error(serverRequestId, JsonRpc.INTERNAL_ERROR, "The client session ended"));
        }
        subscriptions.sessionLeft(session);
        requests.sessionEnded(session);
        modern.sessionEnded(session);
        sessionGone.run();
    }

    /** The session's server died or the backend stopped: the session is told, nothing is sent. */
    void end(ClientSession session, String reason) {
        if (session.end()) {
            sessions.remove(session);
            session.ended(reason);
            requests.sessionEnded(session);
            modern.sessionEnded(session);
            sessionGone.run();
        }
    }

    private static ObjectNode cancelled(long proxyId, String reason) {
        ObjectNode params = JsonRpc.objectNode();
        params.put("requestId", proxyId);
        params.put("reason", reason);
        return JsonRpc.notification("notifications/cancelled", params);
    }

    /** A client's exchange that learns from the response (whoever gives it) before the client gets it. */
    private record LearningExchange(Backend.Exchange client, Consumer<ObjectNode> learn) implements Backend.Exchange {
        @Override
        public boolean onMessage(ObjectNode message) {
            return client.onMessage(message);
        }

        @Override
        public void onResponse(ObjectNode response) {
            learn.accept(response);
            client.onResponse(response);
        }
    }
}
