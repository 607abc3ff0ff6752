package io.mcpproxy.transparent;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each client request to an upstream MCP server: requests of a known session to the upstream that created
 * it ({@code backend_url}), new sessions round robin, requests of unknown sessions answered here without any
 * upstream. The exchange itself is a {@link TransparentExchange}.
 */
final class TransparentHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentHandler.class);
    static final String SESSION_HEADER = "Mcp-Session-Id";

    private final TransparentProxy.Settings settings;
    private final Forwarder forwarder;
    private final Upstreams upstreams;
    private final LearnedSessions sessions;
    private final OpenStreams openStreams;
    private final RequestGuard guard;

    TransparentHandler(TransparentProxy.Settings settings, Forwarder forwarder, Upstreams upstreams,
                       SessionManager sessions, OpenStreams openStreams, RequestGuard guard,
                       InvocationType invocationType) {
        super(invocationType);
        this.settings = settings;
        this.forwarder = forwarder;
        this.upstreams = upstreams;
        this.sessions = new LearnedSessions(sessions);
        this.openStreams = openStreams;
        this.guard = guard;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String prefix = settings.pathPrefix();
        if (!prefix.isEmpty() && !(path.equals(prefix) || path.startsWith(prefix + "/"))) {
            return false;
        }
        String forbidden = guard.check(request);
        if (forbidden != null) {
            JsonRpcPost.rejectUnread(request, response, callback, 403, JsonRpc.INVALID_REQUEST,
                    "Forbidden: " + forbidden);
            return true;
        }
        if (hasMalformedEscape(request.getHttpURI().getPathQuery())) {
            // Jetty's server lets "%zz" through, its client cannot send it on: answered here, not as a 502
            JsonRpcPost.rejectUnread(request, response, callback, 400, JsonRpc.INVALID_REQUEST,
                    "Bad Request: malformed percent-encoding in the request target");
            return true;
        }
        if (hasBody(request)) {
            readBodyThenRoute(request, response, callback);
        } else {
            route(request, response, callback, null);
        }
        return true;
    }

    private void readBodyThenRoute(Request request, Response response, Callback callback) {
        long maxBodyBytes = settings.maxBodyBytes();
        if (request.getLength() > maxBodyBytes) {
            JsonRpcPost.tooLarge(request, response, callback, maxBodyBytes);
            return;
        }
        Content.Source.asByteArrayAsync(request, (int) maxBodyBytes).whenComplete((body, failure) -> {
            if (failure == null) {
                route(request, response, callback, body);
            } else if (JsonRpcPost.exceededLimit(unwrap(failure))) {
                JsonRpcPost.tooLarge(request, response, callback, maxBodyBytes);
            } else {
                callback.failed(unwrap(failure));
            }
        });
    }

    private void route(Request request, Response response, Callback callback, byte[] body) {
        String sessionId = sessionIdOf(request);
        try {
            if (sessionId == null) {
                forward(request, response, callback, body, upstreams.pick(), null);
                return;
            }
            Optional<Session> session = sessions.get(sessionId);
            if (session.isPresent()) {
                forward(request, response, callback, body,
                        LearnedSessions.backendOf(session.get(), upstreams.first()), sessionId);
            } else if (isInitialize(body)) {
                forward(request, response, callback, body, upstreams.pick(), null); // a client starting over
            } else {
                JsonResponses.error(response, callback, settings.unknownSessionStatus(), JsonRpc.requestIdOf(body),
                        JsonRpc.SESSION_NOT_FOUND, "Session not found");
            }
        } catch (SessionStorageException e) {
            LOG.warn("session storage unavailable: {}", e.getMessage());
            JsonResponses.storageUnavailable(response, callback, JsonRpc.requestIdOf(body));
        } catch (RuntimeException e) {
            // Every request gets an answer: this may run in the body reader's completion, where a throw is lost.
            LOG.warn("could not forward {} {}", request.getMethod(), request.getHttpURI(), e);
            if (response.isCommitted()) {
                callback.failed(e);
            } else {
                JsonResponses.error(response, callback, 500, JsonRpc.requestIdOf(body), JsonRpc.INTERNAL_ERROR,
                        "Internal error");
            }
        }
    }

    private void forward(Request request, Response response, Callback callback, byte[] body, URI target,
                         String knownSession) {
        new TransparentExchange(this, request, response, callback, body, target, knownSession).send();
    }

    Forwarder forwarder() {
        return forwarder;
    }

    String pathPrefix() {
        return settings.pathPrefix();
    }

    LearnedSessions sessions() {
        return sessions;
    }

    OpenStreams openStreams() {
        return openStreams;
    }

    /** The session a request names: {@code Mcp-Session-Id}, or the legacy SSE POST's query parameter. */
    static String sessionIdOf(Request request) {
        String header = request.getHeaders().get(SESSION_HEADER);
        if (header != null) {
            return header;
        }
        String query = request.getHttpURI().getQuery();
        return query == null ? null : sessionIdInQuery(query);
    }

    /**
     * The session a legacy SSE POST URI's raw query names ({@code session_id}, or {@code sessionId} as some servers
     * spell it), or null. One reading for both ends: the id learned from an endpoint event is the id looked up.
     */
    static String sessionIdInQuery(String query) {
        String legacy = queryParameter(query, "session_id");
        return legacy != null ? legacy : queryParameter(query, "sessionId");
    }

    /**
     * The first value of {@code name} in a raw query string; lenient, because the request is forwarded as it is
     * (a value that does not percent-decode is taken verbatim, a malformed neighbour does not matter).
     */
    private static String queryParameter(String query, String name) {
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals == name.length() && pair.startsWith(name)) {
                String value = pair.substring(equals + 1);
                try {
                    return URLDecoder.decode(value, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    return value;
                }
            }
        }
        return null;
    }

    /** Whether {@code target} has a '%' not followed by two hex digits (RFC 3986 section 2.1). */
    static boolean hasMalformedEscape(String target) {
        for (int i = target.indexOf('%'); i >= 0; i = target.indexOf('%', i + 1)) {
            if (i + 2 >= target.length() || Character.digit(target.charAt(i + 1), 16) < 0
                    || Character.digit(target.charAt(i + 2), 16) < 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** Whether a POST body is (or contains, in a batch) an initialize request. */
    static boolean isInitialize(byte[] body) {
        JsonNode json = JsonRpc.parseOrNull(body);
        if (json == null) {
            return false;
        }
        for (JsonNode message : json.isArray() ? json : List.of(json)) {
            if ("initialize".equals(message.path("method").asText(null))) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
