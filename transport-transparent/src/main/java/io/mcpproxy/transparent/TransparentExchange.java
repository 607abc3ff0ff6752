package io.mcpproxy.transparent;

import io.mcpproxy.core.forward.BodyTransformer;
import io.mcpproxy.core.forward.ForwardedExchange;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.client.Result;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.auth.Principal;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client request forwarded by the transparent proxy: the exchange of {@link ForwardedExchange}, plus what makes
 * the proxy session-aware. It learns the sessions upstreams issue ({@code Mcp-Session-Id} on a 2xx, or a legacy
 * stream's endpoint event, rewritten where the client would otherwise miss the proxy), keeps the TTL of a session
 * fresh while one of its exchanges is open, ends a session its upstream deleted, and sends the request target
 * without the proxy's path prefix. A modern request's exchange is stateless: it goes without the client's
 * {@code Mcp-Session-Id} (which a modern server ignores, and which must not reach, unchecked, a legacy server that
 * might not) and teaches the proxy no session.
 */
final class TransparentExchange extends ForwardedExchange {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentExchange.class);

    private final TransparentHandler handler;
    private final String knownSession;
    private final boolean stateless;
    private volatile boolean carriesSession; // whether this exchange is in OpenStreams; read when it completes

    /**
     * @param knownSession the session the request named and the storage holds; null for none
     * @param stateless    a modern request: no session goes up, none is learned from the answer
     */
    TransparentExchange(TransparentHandler handler, Request clientToProxyRequest, Response proxyToClientResponse,
                        Callback proxyToClientCallback, byte[] body, URI upstream, String knownSession,
                        boolean stateless) {
        super(handler.forwarder(), clientToProxyRequest, proxyToClientResponse, proxyToClientCallback, body,
                upstream);
        this.handler = handler;
        this.knownSession = knownSession;
        this.stateless = stateless;
    }

    @Override
    public void send() {
        if (knownSession != null) {
            carries(knownSession); // a session with a request in flight is in use, however long the answer takes
        }
        super.send();
    }

    /**
     * The client's request target as it sent it, path prefix removed. A target with dot segments goes as routing
     * read it, normalized: not "/../x" once a prefix is cut.
     */
    @Override
    protected String proxyToServerPathAndQuery() {
        Request clientToProxyRequest = clientToProxyRequest();
        String path = clientToProxyRequest.getHttpURI().getPath();
        if (hasDotSegment(path)) {
            path = URIUtil.encodePath(Request.getPathInContext(clientToProxyRequest));
        }
        String prefix = handler.pathPrefix();
        if (!prefix.isEmpty()) {
            // The handler checked the prefix on the decoded path; a client that percent-encoded the prefix itself
            // gets the decoded remainder, encoded again.
            path = path.startsWith(prefix) ? path.substring(prefix.length())
                    : URIUtil.encodePath(Request.getPathInContext(clientToProxyRequest).substring(prefix.length()));
            if (path.isEmpty()) {
                path = "/";
            }
        }
        String query = clientToProxyRequest.getHttpURI().getQuery();
        return query == null ? path : path + "?" + query;
    }

    /**
     * The client's token stays here when the proxy authenticates clients itself (unless told to pass it on); a
     * modern request's session id, whose owner the proxy did not check, stays here too.
     */
    @Override
    protected void adjustProxyToServerHeaders(HttpFields.Mutable proxyToServerHeaders) {
        if (handler.stripsAuthorization()) {
            proxyToServerHeaders.remove(HttpHeader.AUTHORIZATION);
        }
        if (stateless) {
            proxyToServerHeaders.remove(ClientRequests.SESSION_HEADER);
        }
    }

    /** Learns the session a 2xx answer issues; refuses one the proxy could not record or that is taken. */
    @Override
    protected Throwable onServerToProxyResponseHead(org.eclipse.jetty.client.Response serverToProxyResponse) {
        if (stateless) {
            return null;
        }
        String issued = serverToProxyResponse.getHeaders().get(ClientRequests.SESSION_HEADER);
        if (serverToProxyResponse.getStatus() / 100 == 2 && issued != null && !issued.equals(knownSession)) {
            // nothing reached the client yet: 502 or 503
            return learn(() -> handler.sessions().learned(issued, servedBy(), principalDigest()), issued);
        }
        return null;
    }

    /** A legacy stream: its endpoint event names its session and may need rewriting. */
    @Override
    protected BodyTransformer newServerToProxyBodyTransformer(org.eclipse.jetty.client.Response serverToProxyResponse) {
        if (stateless || !"GET".equals(clientToProxyRequest().getMethod())
                || !isEventStream(serverToProxyResponse.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
            return null;
        }
        return new EndpointEventRewriter(handler.pathPrefix(), proxyToServerPathAndQuery(), (id, messagePath) -> {
            Throwable unlearned = learn(() -> handler.sessions().learnedLegacy(id, servedBy(), messagePath,
                    principalDigest()), id);
            if (unlearned == null) {
                carries(id); // a legacy stream lasts as long as its session
            } else {
                serverToProxyResponse.abort(unlearned); // the stream ends; the client reconnects
            }
        });
    }

    @Override
    protected void onServerToProxyResponseComplete(Result result) {
        if (carriesSession) {
            handler.openStreams().closed(this);
        }
        if (knownSession != null && "DELETE".equals(clientToProxyRequest().getMethod())) {
            handler.sessions().deleted(knownSession, result.getResponse().getStatus());
        }
    }

    @Override
    protected void writeProxyToClientError(Throwable failure) {
        if (causedBy(failure, SessionStorageException.class)) { // the session could not be recorded
            JsonResponses.storageUnavailable(proxyToClientResponse(), proxyToClientCallback(), requestId());
        } else if (causedBy(failure, SessionIdTaken.class)) {
            writeProxyToClientError(502, "session_id_taken",
                    "The upstream MCP server issued a session id another upstream's session has", failure);
        } else {
            super.writeProxyToClientError(failure);
        }
    }

    /** The digest of the principal whose request this is; null without authentication. */
    private String principalDigest() {
        Principal principal = Authentication.principalOf(clientToProxyRequest());
        return principal == null ? null : principal.digest();
    }

    /**
     * Records the session the upstream just issued; null when done, else why this exchange must fail instead of
     * handing the client an id that no later request could use.
     */
    private Throwable learn(BooleanSupplier record, String sessionId) {
        try {
            return record.getAsBoolean() ? null : new SessionIdTaken();
        } catch (SessionStorageException e) {
            LOG.warn("could not record the session {} learned from {}: {}", SessionIds.redact(sessionId),
                    upstream(), e.getMessage());
            return e;
        }
    }

    /** This exchange is open for {@code sessionId}: the session's TTL is kept fresh meanwhile. */
    private void carries(String sessionId) {
        carriesSession = true;
        handler.openStreams().opened(this, sessionId);
    }

    private static boolean hasDotSegment(String rawPath) {
        if (!rawPath.contains("/.")) {
            return false; // nearly every request: no split, no allocation
        }
        for (String segment : rawPath.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return false;
    }

    /** The upstream issued a session id that another upstream's live session has. */
    private static final class SessionIdTaken extends RuntimeException {
        SessionIdTaken() {
            super("the upstream issued a session id another upstream's session has", null, false, false);
        }
    }
}
