package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.Backend;
import io.mcpproxy.core.BackendUnavailableException;
import io.mcpproxy.core.Backends;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.jsonrpc.JsonRpcException;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
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
    private static final int RETRY_AFTER_SECONDS = 1;

    private final StreamableHttpProxy.Settings settings;
    private final Backends backends;
    private final SessionManager sessions;
    private final RequestGuard guard;
    private final Executor executor;
    private final PostExchange.StreamSettings streamSettings;
    private final ConcurrentHashMap<String, LocalSession> local = new ConcurrentHashMap<>();

    StreamableHttpHandler(StreamableHttpProxy.Settings settings, Backends backends, SessionManager sessions,
                          RequestGuard guard, Executor executor, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.backends = backends;
        this.sessions = sessions;
        this.guard = guard;
        this.executor = executor;
        this.streamSettings = new PostExchange.StreamSettings(settings.maxQueuedEvents(), settings.maxQueuedBytes());
        long keepAlive = settings.keepAliveInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::keepAlive, keepAlive, keepAlive, TimeUnit.MILLISECONDS);
        long reap = Math.max(1_000, Math.min(60_000, settings.sessionTtl().toMillis() / 4));
        scheduler.scheduleWithFixedDelay(this::reapIdle, reap, reap, TimeUnit.MILLISECONDS);
    }

    /** Ids of the sessions this replica holds. */
    java.util.Set<String> localSessionIds() {
        return java.util.Set.copyOf(local.keySet());
    }

    /** Sessions this replica holds. */
    public int localSessionCount() {
        return local.size();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!settings.path().equals(Request.getPathInContext(request))) {
            return false;
        }
        String forbidden = guard.check(request);
        if (forbidden != null) {
            JsonResponses.error(response, callback, 403, null, JsonRpc.INVALID_REQUEST, "Forbidden: " + forbidden);
            return true;
        }
        String version = request.getHeaders().get(VERSION_HEADER);
        if (version != null && !ProtocolVersions.isSupported(version)) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                    "Bad Request: unsupported MCP-Protocol-Version " + version + "; supported: "
                            + ProtocolVersions.SUPPORTED);
            return true;
        }
        String effectiveVersion = version == null ? ProtocolVersions.ASSUMED_WHEN_MISSING : version;
        try {
            switch (request.getMethod()) {
                case "POST" -> post(request, response, callback, effectiveVersion);
                case "GET" -> get(request, response, callback);
                case "DELETE" -> delete(request, response, callback);
                default -> {
                    response.getHeaders().put(HttpHeader.ALLOW, "GET, POST, DELETE");
                    JsonResponses.error(response, callback, 405, null, JsonRpc.INVALID_REQUEST,
                            "Method Not Allowed: " + request.getMethod());
                }
            }
        } catch (SessionStorageException e) {
            storageUnavailable(response, callback, null, e);
        }
        return true;
    }

    // ---- POST -------------------------------------------------------------------------------------------------

    private void post(Request request, Response response, Callback callback, String version) {
        if (!isJson(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
            JsonResponses.error(response, callback, 415, null, JsonRpc.INVALID_REQUEST,
                    "Unsupported Media Type: Content-Type must be application/json");
            return;
        }
        if (!accepts(request, "application/json") || !accepts(request, "text/event-stream")) {
            JsonResponses.error(response, callback, 406, null, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: Accept must list both application/json and text/event-stream");
            return;
        }
        long declared = request.getLength();
        if (declared > settings.maxBodyBytes()) {
            tooLarge(response, callback);
            return;
        }
        Content.Source.asByteArrayAsync(request, (int) settings.maxBodyBytes()).whenComplete((body, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                if (cause instanceof IllegalArgumentException) {
                    tooLarge(response, callback);
                } else {
                    callback.failed(cause); // the client went away mid-body
                }
                return;
            }
            try {
                postBody(request, response, callback, version, body);
            } catch (SessionStorageException e) {
                storageUnavailable(response, callback, null, e);
            } catch (RuntimeException e) {
                LOG.error("POST failed", e);
                JsonResponses.error(response, callback, 500, null, JsonRpc.INTERNAL_ERROR, "Internal error");
            }
        });
    }

    private void tooLarge(Response response, Callback callback) {
        JsonResponses.error(response, callback, 413, null, JsonRpc.INVALID_REQUEST,
                "Payload Too Large: the body exceeds " + settings.maxBodyBytes() + " bytes");
    }

    private void postBody(Request request, Response response, Callback callback, String version, byte[] body) {
        JsonNode parsed;
        try {
            parsed = JsonRpc.parse(body);
        } catch (JsonRpcException e) {
            JsonResponses.error(response, callback, 400, null, e.code(), e.getMessage());
            return;
        }
        boolean batch = parsed.isArray();
        if (batch && !ProtocolVersions.allowsBatches(version)) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                    "Invalid Request: JSON-RPC batches are only supported in protocol version 2025-03-26");
            return;
        }
        List<ObjectNode> messages = new ArrayList<>();
        for (JsonNode node : batch ? parsed : List.of(parsed)) {
            if (JsonRpc.Kind.of(node) == JsonRpc.Kind.INVALID) {
                JsonNode id = node.isObject() ? node.get("id") : null;
                JsonResponses.error(response, callback, 400, id != null && (id.isTextual() || id.isNumber()) ? id : null,
                        JsonRpc.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message");
                return;
            }
            messages.add((ObjectNode) node);
        }
        if (messages.isEmpty()) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST, "Invalid Request: empty batch");
            return;
        }
        ObjectNode initialize = messages.stream().filter(m -> "initialize".equals(JsonRpc.method(m))).findFirst()
                .orElse(null);
        if (initialize != null) {
            if (messages.size() > 1) {
                JsonResponses.error(response, callback, 400, initialize.get("id"), JsonRpc.INVALID_REQUEST,
                        "Invalid Request: initialize must be sent alone");
                return;
            }
            if (JsonRpc.Kind.of(initialize) != JsonRpc.Kind.REQUEST) {
                JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                        "Invalid Request: initialize must be a request");
                return;
            }
            initialize(request, response, callback, initialize);
            return;
        }
        JsonNode firstId = messages.get(0).get("id");
        String sessionId = request.getHeaders().get(SESSION_HEADER);
        if (sessionId == null) {
            JsonResponses.error(response, callback, 400, firstId, JsonRpc.INVALID_REQUEST,
                    "Bad Request: Mcp-Session-Id header is required");
            return;
        }
        LocalSession session = resolve(sessionId, response, callback, firstId);
        if (session == null) {
            return;
        }
        Backend.Channel channel = session.channel();
        List<ObjectNode> requests = new ArrayList<>();
        for (ObjectNode message : messages) {
            switch (JsonRpc.Kind.of(message)) {
                case REQUEST -> requests.add(message);
                case NOTIFICATION -> channel.notify(message);
                default -> channel.respond(message);
            }
        }
        if (requests.isEmpty()) {
            JsonResponses.empty(response, callback, 202);
            return;
        }
        ignoreIdleTimeouts(request);
        PostExchange exchange = new PostExchange(response, callback, session, requests.size(), batch, streamSettings,
                session.protocolVersion(), message -> { });
        for (ObjectNode message : requests) { // all at once: batch members run concurrently at the server
            channel.request(message, exchange.exchange());
        }
    }

    private void initialize(Request request, Response response, Callback callback, ObjectNode initialize) {
        JsonNode id = initialize.get("id");
        String requested = initialize.path("params").path("protocolVersion").asText(ProtocolVersions.LATEST);
        Session created = sessions.create(Session.Type.STREAMABLE, Map.of(Session.OWNER, settings.replicaId(),
                Session.PROTOCOL_VERSION, requested));
        LocalSession session = new LocalSession(created.id(), requested, settings.maxWaitingMessages(),
                this::ended);
        try {
            session.attach(backends.open(created.id(), session));
        } catch (BackendUnavailableException e) {
            deleteQuietly(created.id());
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
            JsonResponses.write(response, callback, 503, JsonRpc.proxyError(id, "server_unavailable", e.getMessage()));
            return;
        }
        local.put(created.id(), session);
        response.getHeaders().put(SESSION_HEADER, created.id());
        ignoreIdleTimeouts(request);
        PostExchange exchange = new PostExchange(response, callback, session, 1, false, streamSettings, requested,
                answer -> initialized(session, answer));
        session.channel().request(initialize, exchange.exchange());
    }

    /** Called on the server's reader thread: storage work goes to the executor. */
    private void initialized(LocalSession session, ObjectNode answer) {
        JsonNode result = answer.get("result");
        if (result == null) {
            LOG.info("initialize failed for a new session: {}", answer.path("error").path("message").asText());
            executor.execute(() -> endLocally(session));
            return;
        }
        String negotiated = result.path("protocolVersion").asText(session.protocolVersion());
        session.protocolVersion(negotiated);
        executor.execute(() -> {
            try {
                sessions.updateMetadata(session.id(), Map.of(Session.PROTOCOL_VERSION, negotiated));
            } catch (SessionStorageException e) {
                LOG.warn("could not record the negotiated protocol version: {}", e.getMessage());
            }
        });
    }

    // ---- GET --------------------------------------------------------------------------------------------------

    private void get(Request request, Response response, Callback callback) {
        if (!accepts(request, "text/event-stream")) {
            JsonResponses.error(response, callback, 406, null, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: GET needs Accept: text/event-stream");
            return;
        }
        String sessionId = request.getHeaders().get(SESSION_HEADER);
        if (sessionId == null) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                    "Bad Request: Mcp-Session-Id header is required");
            return;
        }
        LocalSession session = resolve(sessionId, response, callback, null);
        if (session == null) {
            return;
        }
        synchronized (session) {
            SseStream existing = session.standalone();
            if (existing != null && existing.isOpen()) {
                JsonResponses.error(response, callback, 409, null, JsonRpc.INVALID_REQUEST,
                        "Conflict: this session already has an open GET stream");
                return;
            }
            long number = session.nextStreamNumber();
            SseStream stream = SseStream.open(response, callback, settings.maxQueuedEvents(),
                    settings.maxQueuedBytes(), "GET stream of session " + abbreviate(sessionId));
            ignoreIdleTimeouts(request);
            if (ProtocolVersions.primesStreams(session.protocolVersion())) {
                stream.prime(session.nextEventId(number));
            } else {
                stream.comment("stream open"); // commits the headers now, so the client sees the stream
            }
            session.openStandalone(stream, number);
        }
    }

    // ---- DELETE -----------------------------------------------------------------------------------------------

    private void delete(Request request, Response response, Callback callback) {
        String sessionId = request.getHeaders().get(SESSION_HEADER);
        if (sessionId == null) {
            JsonResponses.error(response, callback, 400, null, JsonRpc.INVALID_REQUEST,
                    "Bad Request: Mcp-Session-Id header is required");
            return;
        }
        LocalSession session = local.remove(sessionId);
        if (session != null) {
            session.close();
        }
        if (!sessions.delete(sessionId) && session == null) {
            sessionNotFound(response, callback, null);
            return;
        }
        JsonResponses.empty(response, callback, 204);
    }

    // ---- sessions ---------------------------------------------------------------------------------------------

    /**
     * The session a request names, its TTL refreshed; or null after answering 404 (unknown, expired, ended) or
     * 503 (owned by another replica). Storage failures propagate as {@link SessionStorageException} (503).
     */
    private LocalSession resolve(String sessionId, Response response, Callback callback, JsonNode id) {
        Optional<Session> stored = sessions.get(sessionId); // malformed ids come back empty without a storage call
        LocalSession session = local.get(sessionId);
        if (stored.isEmpty()) {
            if (session != null) {
                endLocally(session);
            }
            sessionNotFound(response, callback, id);
            return null;
        }
        if (session == null || session.channel().isEnded()) {
            String owner = stored.get().metadata(Session.OWNER).orElse(settings.replicaId());
            if (!owner.equals(settings.replicaId())) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
                JsonResponses.write(response, callback, 503, JsonRpc.proxyError(id, "wrong_replica",
                        "Session is served by proxy replica " + owner + "; route its requests there"));
                return null;
            }
            // Ours, but this process holds nothing for it (restarted, or its server died): it is over.
            deleteQuietly(sessionId);
            sessionNotFound(response, callback, id);
            return null;
        }
        session.touch();
        return session;
    }

    /** The session's MCP server died or the backend stopped. Called on the reader thread. */
    private void ended(LocalSession session) {
        local.remove(session.id(), session);
        executor.execute(() -> deleteQuietly(session.id()));
    }

    private void endLocally(LocalSession session) {
        local.remove(session.id(), session);
        session.close();
        deleteQuietly(session.id());
    }

    private void deleteQuietly(String sessionId) {
        try {
            sessions.delete(sessionId);
        } catch (SessionStorageException e) {
            LOG.warn("could not delete an ended session from storage (it will expire): {}", e.getMessage());
        }
    }

    private void keepAlive() {
        for (LocalSession session : local.values()) {
            SseStream stream = session.standalone();
            if (stream != null && stream.isOpen()) {
                stream.comment("keep-alive");
            }
        }
    }

    /** Closes sessions idle past the TTL here; storage expires them on its own. */
    private void reapIdle() {
        long ttl = settings.sessionTtl().toNanos();
        for (LocalSession session : local.values()) {
            SseStream stream = session.standalone();
            boolean streaming = stream != null && stream.isOpen();
            if (!streaming && session.idleNanos() > ttl && session.channel().inFlight() == 0) {
                LOG.debug("session {} expired", abbreviate(session.id()));
                endLocally(session);
            }
        }
    }

    /** Ends every session (shutdown). */
    void closeAll() {
        for (LocalSession session : local.values()) {
            endLocally(session);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private void sessionNotFound(Response response, Callback callback, JsonNode id) {
        JsonResponses.error(response, callback, 404, id, JsonRpc.SESSION_NOT_FOUND, "Session not found");
    }

    private void storageUnavailable(Response response, Callback callback, JsonNode id, SessionStorageException e) {
        LOG.warn("session storage unavailable: {}", e.getMessage());
        JsonResponses.unavailable(response, callback, id, "storage_unavailable",
                "Session storage is unavailable; retry shortly", RETRY_AFTER_SECONDS);
    }

    /** Responses may wait minutes for the server: the connector's idle timeout must not cut them. */
    private static void ignoreIdleTimeouts(Request request) {
        request.addIdleTimeoutListener(timeout -> false);
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String mime = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return mime.equalsIgnoreCase("application/json");
    }

    /** Whether Accept lists {@code type} (or a wildcard covering it). */
    static boolean accepts(Request request, String type) {
        List<String> values = request.getHeaders().getValuesList(HttpHeader.ACCEPT);
        String major = type.substring(0, type.indexOf('/'));
        for (String header : values) {
            for (String part : header.split(",")) {
                int semicolon = part.indexOf(';');
                String mime = (semicolon < 0 ? part : part.substring(0, semicolon)).trim().toLowerCase();
                if (mime.equals(type) || mime.equals("*/*") || mime.equals(major + "/*")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String abbreviate(String id) {
        return id.length() <= 6 ? id : id.substring(0, 6) + "…";
    }
}
