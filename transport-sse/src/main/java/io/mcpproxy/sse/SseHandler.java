package io.mcpproxy.sse;

import io.mcpproxy.session.SessionIds;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.backend.BackendUnavailableException;
import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.stdio.PostedMessages;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.SessionEnd;
import io.mcpproxy.stdio.SessionRegistry;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionStorageException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The legacy MCP HTTP+SSE transport (protocol 2024-11-05): {@code GET <ssePath>} opens a session's stream, whose
 * first event names the POST endpoint; {@code POST <messagesPath>?session_id=<id>} takes the client's messages and
 * answers 202, the replies travel on that session's stream only.
 */
final class SseHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(SseHandler.class);
    static final String SESSION_PARAMETER = "session_id";

    private final SseTransport.Settings settings;
    private final ProxyContext context;
    private final SessionRegistry<SseSession> local;
    private Periodic keepAlives;

    SseHandler(SseTransport.Settings settings, ProxyContext context) {
        this.settings = settings;
        this.context = context;
        this.local = new SessionRegistry<>(context, Session.Type.SSE, SseSession::close);
    }

    /** Starts the keep-alive rounds; they stop with the handler. */
    @Override
    protected void doStart() throws Exception {
        Duration keepAlive = context.streams().keepAliveInterval();
        keepAlives = Periodic.every(context.scheduler(), "SSE keep-alive round", keepAlive, keepAlive,
                this::keepAlive);
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        keepAlives.cancel();
        super.doStop();
    }

    int localSessionCount() {
        return local.size();
    }

    /** The stream of a session held here, or null; for tests and diagnostics. */
    SseStream streamOf(String sessionId) {
        SseSession session = local.get(sessionId);
        return session == null ? null : session.stream();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean stream = settings.ssePath().equals(path);
        boolean messages = settings.messagesPath().equals(path);
        if (!stream && !messages) {
            return false;
        }
        if (context.admit(request, response, callback) == ProxyContext.Admission.REFUSED) {
            return true;
        }
        String method = request.getMethod();
        try {
            if (stream && "GET".equals(method)) {
                openStream(request, response, callback);
            } else if (messages && "POST".equals(method)) {
                post(request, response, callback);
            } else {
                response.getHeaders().put(HttpHeader.ALLOW, stream ? "GET" : "POST");
                JsonRpcPost.rejectUnread(request, response, callback, 405, JsonRpc.INVALID_REQUEST,
                        "Method Not Allowed: " + method);
            }
        } catch (SessionStorageException e) {
            storageUnavailable(response, callback, e);
        }
        return true;
    }

    // ---- GET: the session's stream ----------------------------------------------------------------------------

    private void openStream(Request request, Response response, Callback callback) {
        // No Accept header accepts anything (RFC 9110 12.5.1); one that rules out event streams gets 406
        if (request.getHeaders().contains(HttpHeader.ACCEPT) && !JsonRpcPost.accepts(request, "text/event-stream")) {
            JsonResponses.error(response, callback, 406, null, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: GET needs Accept: text/event-stream");
            return;
        }
        Map<String, String> metadata = new HashMap<>(context.cluster().ownerMetadata());
        metadata.put(Session.PROTOCOL_VERSION, ProtocolVersions.V2024_11_05);
        ProxyContext.recordPrincipal(request, metadata);
        Session created = context.sessions().create(Session.Type.SSE, metadata);
        SseSession session = new SseSession(created.id(), this::serverEnded);
        try {
            session.attach(context.backends().open(created.id(), session));
        } catch (BackendUnavailableException e) {
            local.forget(created.id());
            JsonResponses.unavailable(response, callback, null, e.reason(), e.getMessage(), 1);
            return;
        }
        SseStream stream = SseStream.open(response, callback, context.streams().maxQueuedEvents(),
                context.streams().maxQueuedBytes(),
                "SSE stream of session " + SessionIds.redact(created.id()), context.sseMetrics(Session.Type.SSE));
        local.put(created, session); // held before the client can learn the id: its first POST finds it
        session.open(stream, endpointUri(request, created.id()));
        stream.onClose(() -> clientGone(session));
        stream.abortOnFailureOf(request);
        request.addIdleTimeoutListener(timeout -> false); // keep-alives, not the idle timeout, watch the stream
    }

    /** The POST URI announced in the {@code endpoint} event. */
    String endpointUri(Request request, String sessionId) {
        String relative = settings.messagesPath() + "?" + SESSION_PARAMETER + "=" + sessionId;
        if (settings.publicBaseUrl() != null) {
            return stripTrailingSlash(settings.publicBaseUrl()) + relative;
        }
        if (settings.trustProxyHeaders()) {
            String forwarded = forwardedBase(request);
            if (forwarded != null) {
                return forwarded + relative;
            }
        }
        return relative;
    }

    /**
     * {@code proto://host/prefix} from the {@code X-Forwarded-*} headers, or null unless all three are present and
     * usable: half a URL, or one that points somewhere odd, is worse than the relative default.
     */
    private static String forwardedBase(Request request) {
        String proto = firstElement(request.getHeaders().get("X-Forwarded-Proto"));
        String host = firstElement(request.getHeaders().get("X-Forwarded-Host"));
        String prefix = firstElement(request.getHeaders().get("X-Forwarded-Prefix"));
        if (proto == null || host == null || prefix == null) {
            return null;
        }
        proto = proto.toLowerCase(Locale.ROOT);
        if (!"http".equals(proto) && !"https".equals(proto)) {
            return null; // the client POSTs to this URI: no javascript:, file: or other schemes
        }
        // Characters that would end the authority or the path would let a header move the endpoint elsewhere.
        if (host.isEmpty() || hasUnsafeCharacter(host, "/\\?#@") || hasUnsafeCharacter(prefix, "\\?#")
                || (!prefix.isEmpty() && !prefix.startsWith("/"))) {
            return null;
        }
        return proto + "://" + host + stripTrailingSlash(prefix);
    }

    /**
     * The first element of a comma-separated forwarding header: proxies in a chain append theirs, so the first
     * is what the client itself connected to.
     */
    private static String firstElement(String value) {
        if (value == null) {
            return null;
        }
        int comma = value.indexOf(',');
        return (comma < 0 ? value : value.substring(0, comma)).trim();
    }

    /** Whether {@code text} holds a space, a control character or one of {@code forbidden}. */
    private static boolean hasUnsafeCharacter(String text, String forbidden) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c == 0x7F || forbidden.indexOf(c) >= 0) {
                return true;
            }
        }
        return false;
    }

    // ---- POST: the client's messages --------------------------------------------------------------------------

    private void post(Request request, Response response, Callback callback) {
        Fields query = Request.extractQueryParameters(request);
        String sessionId = query.getValue(SESSION_PARAMETER);
        if (sessionId == null || sessionId.isEmpty()) {
            JsonRpcPost.rejectUnread(request, response, callback, 400, JsonRpc.INVALID_REQUEST,
                    "Bad Request: the " + SESSION_PARAMETER + " query parameter is required");
            return;
        }
        JsonRpcPost.read(request, response, callback, context.maxBodyBytes(), null, body -> {
            try {
                deliver(sessionId, body, request, response, callback);
            } catch (SessionStorageException e) {
                storageUnavailable(response, callback, e);
            }
        });
    }

    private void deliver(String sessionId, JsonRpcPost.Messages body, Request request, Response response,
                         Callback callback) {
        List<ObjectNode> messages = body.messages();
        SseSession session = local.resolve(sessionId, SseSession::isEnded, request, response, callback, body.body(),
                messages.get(0).get("id"));
        if (session == null) {
            return;
        }
        // Answers travel on the session's stream
        PostedMessages posted = PostedMessages.deliver(session.channel(), messages, message -> session.channel()
                .request(message, "initialize".equals(JsonRpc.method(message)) ? new Initialize(session) : session));
        if (posted.onlyRefused()) {
            JsonResponses.answerNobodyAwaits(response, callback, posted.refusedAnswer());
            return;
        }
        JsonResponses.empty(response, callback, 202);
    }

    /** Relays the initialize answer and records the negotiated version. */
    private final class Initialize implements Backend.Exchange {
        private final SseSession session;

        Initialize(SseSession session) {
            this.session = session;
        }

        @Override
        public boolean onMessage(ObjectNode message) {
            return session.onMessage(message);
        }

        @Override
        public void onResponse(ObjectNode response) {
            session.onResponse(response);
            String negotiated = response.path("result").path("protocolVersion").asText(null);
            if (negotiated != null) {
                local.recordNegotiatedVersion(session.id(), negotiated);
            }
        }
    }

    // ---- lifecycle --------------------------------------------------------------------------------------------

    /** The client closed its stream (or was cut off): the session ends, nothing of it stays behind. */
    private void clientGone(SseSession session) {
        if (local.remove(session.id(), session, SessionEnd.CLIENT_GONE)) {
            session.close();
            local.forgetLater(session.id());
        }
    }

    /** The MCP server behind the session died. Called on the stdio reader thread. */
    private void serverEnded(SseSession session) {
        if (local.remove(session.id(), session, SessionEnd.SERVER_EXITED)) {
            local.forgetLater(session.id());
        }
    }

    /** Keep-alive comments; each also refreshes the session's TTL, so a connected idle client keeps its session. */
    private void keepAlive() {
        for (SseSession session : local.all()) {
            SseStream stream = session.stream();
            if (stream == null || !stream.comment("keep-alive")) {
                continue;
            }
            local.refreshLater(session.id(), session);
        }
    }

    /** Ends every stream and session of this replica (shutdown). */
    void closeAll() {
        for (SseSession session : local.all()) {
            local.remove(session.id(), session, SessionEnd.CLOSED);
            session.close();
            local.forget(session.id());
        }
    }

    private static void storageUnavailable(Response response, Callback callback, SessionStorageException e) {
        LOG.debug("session storage unavailable: {}", e.getMessage()); // the SessionManager logs the outage
        JsonResponses.storageUnavailable(response, callback, null);
    }

    private static String stripTrailingSlash(String text) {
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }
}
