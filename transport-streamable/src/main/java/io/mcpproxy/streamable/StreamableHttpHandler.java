package io.mcpproxy.streamable;

import io.mcpproxy.core.observe.SseMetrics;
import io.mcpproxy.session.SessionIds;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.BackendUnavailableException;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.stdio.PostedMessages;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.http.MirroredHeaders;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP Streamable HTTP endpoint ({@code POST}, {@code GET}, {@code DELETE} on one path) in front of
 * {@link Backends}. Built and started by {@link StreamableHttpProxy}; usable as a plain Jetty handler beside others.
 */
public final class StreamableHttpHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpHandler.class);

    static final String SESSION_HEADER = "Mcp-Session-Id";
    static final String VERSION_HEADER = "MCP-Protocol-Version";
    static final String LAST_EVENT_ID_HEADER = "Last-Event-ID";

    private final String path;
    private final ProxyContext context;
    private final Backends backends;
    private final SessionManager sessions;
    private final StreamableSessions local;
    private final StatelessRequests stateless;
    private final SseMetrics sseMetrics;

    StreamableHttpHandler(String path, ResumptionSettings resumption, ProxyContext context) {
        this.path = path;
        this.context = context;
        this.backends = context.backends();
        this.sessions = context.sessions();
        this.local = new StreamableSessions(context, resumption);
        this.stateless = new StatelessRequests(context);
        this.sseMetrics = context.sseMetrics(Session.Type.STREAMABLE);
    }

    /** Starts the keep-alive rounds and the idle-session sweep; they stop with the handler. */
    @Override
    protected void doStart() throws Exception {
        local.start();
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        local.stop();
        super.doStop();
    }

    /** Ids of the sessions this replica holds. */
    Set<String> localSessionIds() {
        return local.ids();
    }

    /** Requests of a session this replica holds that still wait for the MCP server; 0 for an unknown session. */
    int inFlight(String sessionId) {
        return local.inFlight(sessionId);
    }

    /** Sessions this replica holds. */
    public int localSessionCount() {
        return local.count();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!path.equals(Request.getPathInContext(request))) {
            return false;
        }
        if (context.admit(request, response, callback) == ProxyContext.Admission.REFUSED) {
            return true;
        }
        String version = request.getHeaders().get(VERSION_HEADER);
        if (version != null && !ProtocolVersions.isSupported(version) && "POST".equals(request.getMethod())) {
            stateless.post(request, response, callback, version); // no session: Mcp-Session-Id is not looked at
            return true;
        }
        if (ProtocolVersions.isModern(version)) { // GET and DELETE are session operations, gone in that revision
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            JsonRpcPost.rejectUnread(request, response, callback, 405, JsonRpc.INVALID_REQUEST,
                    "Method Not Allowed: " + request.getMethod() + " in protocol version " + version);
            return true;
        }
        if (version != null && !ProtocolVersions.isSupported(version)) {
            StatelessRequests.unsupportedVersion(request, response, callback, null, version, ProtocolVersions.ALL,
                    "");
            return true;
        }
        try {
            switch (request.getMethod()) {
                case "POST" -> post(request, response, callback, version);
                case "GET" -> get(request, response, callback);
                case "DELETE" -> delete(request, response, callback);
                default -> {
                    response.getHeaders().put(HttpHeader.ALLOW, "GET, POST, DELETE");
                    JsonRpcPost.rejectUnread(request, response, callback, 405, JsonRpc.INVALID_REQUEST,
                            "Method Not Allowed: " + request.getMethod());
                }
            }
        } catch (SessionStorageException e) {
            storageUnavailable(response, callback, e);
        }
        return true;
    }

    private static final String BATCH_ERROR =
            "Invalid Request: JSON-RPC batches are only supported in protocol version 2025-03-26";

    // ---- POST -------------------------------------------------------------------------------------------------

    /** @param version the request's {@code MCP-Protocol-Version}, or null: then the session's negotiated one */
    private void post(Request request, Response response, Callback callback, String version) {
        if (!JsonRpcPost.lists(request, "application/json") || !JsonRpcPost.lists(request, "text/event-stream")) {
            JsonRpcPost.rejectUnread(request, response, callback, 406, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: Accept must list both application/json and text/event-stream");
            return;
        }
        // Without the header the session's version decides, known only once the body names the session
        String batchError = version == null || ProtocolVersions.allowsBatches(version) ? null : BATCH_ERROR;
        JsonRpcPost.read(request, response, callback, context.maxBodyBytes(), batchError, body -> {
            try {
                postMessages(request, response, callback, body, version);
            } catch (SessionStorageException e) {
                storageUnavailable(response, callback, e);
            }
        });
    }

    private void postMessages(Request request, Response response, Callback callback, JsonRpcPost.Messages body,
                              String version) {
        List<ObjectNode> messages = body.messages();
        boolean batch = body.batch();
        ObjectNode initialize = messages.stream().filter(m -> "initialize".equals(JsonRpc.method(m))).findFirst()
                .orElse(null);
        if (initialize != null) {
            postInitialize(request, response, callback, initialize, batch);
            return;
        }
        LocalSession session = sessionOfPost(request, response, callback, body, version);
        if (session == null) {
            return;
        }
        int requests = PostedMessages.countRequests(messages);
        PostExchange exchange = requests == 0 ? null : new PostExchange(response, callback, session, requests,
                batch, context.streams(), sseMetrics, session.protocolVersion(), message -> { });
        if (exchange != null) {
            ignoreIdleTimeouts(request);
        }
        // Batch members all go at once: they run concurrently at the server
        PostedMessages posted = PostedMessages.deliver(session.channel(), messages,
                message -> session.channel().request(message, exchange.exchange()));
        if (posted.onlyRefused()) {
            JsonResponses.answerNobodyAwaits(response, callback, posted.refusedAnswer());
        } else if (requests == 0) {
            JsonResponses.empty(response, callback, 202);
        }
    }

    /** An initialize must come alone and as a request; it then opens a session. */
    private void postInitialize(Request request, Response response, Callback callback, ObjectNode initialize,
                                boolean batch) {
        if (batch) { // even a batch of one: 2025-03-26 forbids initialize in a batch
            JsonResponses.error(response, callback, 400, initialize.get("id"), JsonRpc.INVALID_REQUEST,
                    "Invalid Request: initialize must be sent alone");
        } else if (JsonRpc.Kind.of(initialize) != JsonRpc.Kind.REQUEST) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                    "Invalid Request: initialize must be a request");
        } else {
            initialize(request, response, callback, initialize);
        }
    }

    /**
     * The session a POST names, or null after answering: 400 without {@code Mcp-Session-Id}, 404/503 as
     * {@link StreamableSessions#resolve} decides, 400 for a batch in a session that negotiated a version without
     * batches.
     */
    private LocalSession sessionOfPost(Request request, Response response, Callback callback,
                                       JsonRpcPost.Messages body, String version) {
        JsonNode firstId = body.messages().get(0).get("id");
        if (version == null && request.getHeaders().get(SESSION_HEADER) == null
                && ProtocolVersions.isModern(MirroredHeaders.bodyVersion(body.messages().get(0)))) {
            // a modern request without its MCP-Protocol-Version: a Server Validation failure, not a session matter
            JsonResponses.error(response, callback, 400, firstId, MirroredHeaders.HEADER_MISMATCH,
                    "Header mismatch: MCP-Protocol-Version header is missing");
            return null;
        }
        String sessionId = requireSessionHeader(request, response, callback, firstId);
        LocalSession session = sessionId == null ? null
                : local.resolve(sessionId, request, response, callback, body.body(), firstId);
        if (session != null && body.batch() && version == null
                && !ProtocolVersions.allowsBatches(session.protocolVersion())) {
            // The spec's "assume 2025-03-26" is for a server with no other way to know: this one negotiated it
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST, BATCH_ERROR);
            return null;
        }
        return session;
    }

    private void initialize(Request request, Response response, Callback callback, ObjectNode initialize) {
        JsonNode id = initialize.get("id");
        String requested = initialize.path("params").path("protocolVersion").asText(ProtocolVersions.LATEST);
        Map<String, String> metadata = new HashMap<>(context.cluster().ownerMetadata());
        metadata.put(Session.PROTOCOL_VERSION, requested);
        ProxyContext.recordPrincipal(request, metadata);
        Session created = sessions.create(Session.Type.STREAMABLE, metadata);
        LocalSession session = local.open(created.id(), requested);
        try {
            session.attach(backends.open(created.id(), session));
        } catch (BackendUnavailableException e) {
            local.registry().forget(created.id());
            JsonResponses.unavailable(response, callback, id, e.reason(), e.getMessage(), 1);
            return;
        }
        local.hold(created, session);
        response.getHeaders().put(SESSION_HEADER, created.id());
        ignoreIdleTimeouts(request);
        PostExchange exchange = new PostExchange(response, callback, session, 1, false, context.streams(),
                sseMetrics, requested, answer -> initialized(session, answer));
        session.channel().request(initialize, exchange.exchange());
    }

    /** Called on the server's reader thread: storage work goes to the executor. */
    private void initialized(LocalSession session, ObjectNode answer) {
        JsonNode result = answer.get("result");
        if (result == null) {
            LOG.info("initialize failed for a new session: {}", answer.path("error").path("message").asText());
            context.runLater(() -> local.endLocally(session));
            return;
        }
        String negotiated = result.path("protocolVersion").asText(session.protocolVersion());
        session.protocolVersion(negotiated);
        local.registry().recordNegotiatedVersion(session.id(), negotiated);
    }

    // ---- GET --------------------------------------------------------------------------------------------------

    private void get(Request request, Response response, Callback callback) {
        if (!JsonRpcPost.lists(request, "text/event-stream")) {
            JsonResponses.error(response, callback, 406, null, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: GET needs Accept: text/event-stream");
            return;
        }
        String sessionId = requireSessionHeader(request, response, callback, null);
        if (sessionId == null) {
            return;
        }
        LocalSession session = local.resolve(sessionId, request, response, callback, null, null);
        if (session == null) {
            return;
        }
        // A GET with Last-Event-ID resumes the stream it names (replay, then live); any other GET takes over the
        // session's GET stream (see LocalSession.openStandalone).
        String lastEventId = request.getHeaders().get(LAST_EVENT_ID_HEADER);
        Supplier<SseStream> open = () -> {
            SseStream connection = SseStream.open(response, callback, context.streams().maxQueuedEvents(),
                    context.streams().maxQueuedBytes(), "GET stream of session " + SessionIds.redact(sessionId),
                    sseMetrics);
            ignoreIdleTimeouts(request);
            connection.abortOnFailureOf(request);
            return connection;
        };
        LocalSession.Resumption resumption = lastEventId == null ? LocalSession.Resumption.UNKNOWN
                : session.resume(lastEventId, open);
        switch (resumption) {
            case RESUMED -> sseMetrics.resumed();
            case ENDED -> {
                // Nothing left to send. Not a stream that ends at once: clients reconnect a stream that ends (the
                // TypeScript SDK does, without Last-Event-ID), and that reconnect would take over the session's GET
                // stream from the client's own GET, which then reconnects and takes it back, and so on. 405 is the
                // spec's "no stream here" that clients accept without retrying.
                response.getHeaders().put(HttpHeader.ALLOW, "POST, DELETE");
                JsonResponses.error(response, callback, 405, null, JsonRpc.INVALID_REQUEST,
                        "Method Not Allowed: the stream of event " + lastEventId
                                + " has ended and has nothing left to replay");
            }
            case UNKNOWN -> {
                if (!session.openStandalone(open, ProtocolVersions.primesStreams(session.protocolVersion()))) {
                    JsonResponses.sessionNotFound(response, callback, null);
                }
            }
            case SESSION_ENDED -> JsonResponses.sessionNotFound(response, callback, null);
        }
    }

    // ---- DELETE -----------------------------------------------------------------------------------------------

    private void delete(Request request, Response response, Callback callback) {
        String sessionId = requireSessionHeader(request, response, callback, null);
        if (sessionId == null) {
            return;
        }
        local.delete(sessionId, request, response, callback);
    }

    // ---- sessions ---------------------------------------------------------------------------------------------

    /** The {@code Mcp-Session-Id} header, or null after answering 400 (spec: servers requiring sessions). */
    private static String requireSessionHeader(Request request, Response response, Callback callback, JsonNode id) {
        String sessionId = request.getHeaders().get(SESSION_HEADER);
        if (sessionId == null) {
            JsonResponses.error(response, callback, 400, id, JsonRpc.INVALID_REQUEST,
                    "Bad Request: Mcp-Session-Id header is required");
        }
        return sessionId;
    }

    /** Ends every session (shutdown). */
    void closeAll() {
        local.closeAll();
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static void storageUnavailable(Response response, Callback callback, SessionStorageException e) {
        LOG.debug("session storage unavailable: {}", e.getMessage()); // the SessionManager logs the outage
        JsonResponses.storageUnavailable(response, callback, null);
    }

    /** Responses may wait minutes for the server: the connector's idle timeout must not cut them. */
    private static void ignoreIdleTimeouts(Request request) {
        request.addIdleTimeoutListener(timeout -> false);
    }
}
