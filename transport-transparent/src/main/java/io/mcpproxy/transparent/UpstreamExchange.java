package io.mcpproxy.transparent;

import io.mcpproxy.session.SessionIds;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.SessionStorageException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request forwarded to one upstream, the response streamed back chunk by chunk with backpressure (the
 * next upstream chunk is read only when the client took the previous one). The upstream request is aborted, and
 * its connection released, the moment the client response fails or the client goes away, also while the upstream
 * is silent ({@link ClientDisconnectWatch}).
 *
 * <p>A request that fails because its pooled connection was already closed, before any request byte was written,
 * is sent once more; never after bytes were sent (JSON-RPC calls are not idempotent).
 */
final class UpstreamExchange {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamExchange.class);

    /** Connection-scoped headers (RFC 9110 7.6.1) that a proxy must not forward. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final TransparentHandler handler;
    private final Request clientToProxyRequest;
    private final Response proxyToClientResponse;
    private final Callback callback;
    private final byte[] body;
    private final URI target;
    private final String knownSession;
    private int attempt;
    private volatile org.eclipse.jetty.client.Request proxyToServerRequest;
    private volatile boolean clientGone;
    private ClientDisconnectWatch clientDisconnectWatch;
    private volatile boolean carriesSession; // whether this exchange is in OpenStreams; read when it completes

    UpstreamExchange(TransparentHandler handler, Request clientToProxyRequest, Response proxyToClientResponse,
                     Callback callback, byte[] body, URI target, String knownSession) {
        this.handler = handler;
        this.clientToProxyRequest = clientToProxyRequest;
        this.proxyToClientResponse = proxyToClientResponse;
        this.callback = callback;
        this.body = body;
        this.target = target;
        this.knownSession = knownSession;
    }

    /** Forwards the request; the request body must have been read whole. */
    void send() {
        // While the exchange runs, the upstream's response idle timeout decides how long a silent answer may take
        // (a tool call may run for minutes); the client connection's idle timeout is for the time between requests.
        clientToProxyRequest.addIdleTimeoutListener(timeout -> false);
        clientToProxyRequest.addFailureListener(this::clientLeft);
        clientDisconnectWatch = ClientDisconnectWatch.start(clientToProxyRequest,
                () -> clientLeft(new EofException("client closed its connection")));
        if (knownSession != null) {
            carries(knownSession); // a session with a request in flight is in use, however long the answer takes
        }
        attempt();
    }

    /**
     * Records the session the upstream just issued; null when done, else why this exchange must fail instead of
     * handing the client an id that no later request could use.
     */
    private Throwable learn(String sessionId) {
        try {
            return handler.learned(sessionId, servedBy()) ? null : new SessionIdTaken();
        } catch (SessionStorageException e) {
            LOG.warn("could not record the session {} learned from {}: {}", SessionIds.redact(sessionId),
                    target, e.getMessage());
            return e;
        }
    }

    /** This exchange is open for {@code sessionId}: the session's TTL is kept fresh meanwhile. */
    private void carries(String sessionId) {
        carriesSession = true;
        handler.openStreams().opened(this, sessionId);
    }

    /** The client went away: release the upstream at once. */
    private void clientLeft(Throwable failure) {
        clientGone = true;
        org.eclipse.jetty.client.Request current = proxyToServerRequest;
        if (current != null) {
            current.abort(failure);
        }
    }

    private void attempt() {
        TransparentProxy.Settings settings = handler.settings();
        org.eclipse.jetty.client.Request proxyToServerRequest = handler.client().newRequest(origin())
                .path(upstreamPathAndQuery())
                .method(clientToProxyRequest.getMethod())
                .idleTimeout(settings.responseIdleTimeout().toMillis(), TimeUnit.MILLISECONDS);
        proxyToServerRequest.headers(this::copyRequestHeaders);
        if (body != null) {
            proxyToServerRequest.body(new BytesRequestContent(
                    clientToProxyRequest.getHeaders().get(HttpHeader.CONTENT_TYPE), body));
        }
        boolean[] committed = {false};
        proxyToServerRequest.onRequestCommit(request -> committed[0] = true);
        this.proxyToServerRequest = proxyToServerRequest;
        if (clientGone) {
            proxyToServerRequest.abort(new EofException("client closed its connection")); // before it is sent
        }

        EndpointEventRewriter[] rewriter = {null};
        long[] unread = {-1}; // bytes of a sized body still to come
        Tail tail = new Tail();
        HeadersAhead headersAhead = new HeadersAhead();
        proxyToServerRequest.onResponseHeaders(serverToProxyResponse -> {
            int status = serverToProxyResponse.getStatus();
            String issued = serverToProxyResponse.getHeaders().get(TransparentHandler.SESSION_HEADER);
            if (status / 100 == 2 && issued != null && !issued.equals(knownSession)) {
                Throwable unlearned = learn(issued);
                if (unlearned != null) {
                    serverToProxyResponse.abort(unlearned); // nothing reached the client yet: 502 or 503
                    return;
                }
            }
            if (knownSession != null && "DELETE".equals(clientToProxyRequest.getMethod())) {
                handler.deleted(knownSession, status);
            }
            boolean eventStream = isEventStream(serverToProxyResponse.getHeaders().get(HttpHeader.CONTENT_TYPE));
            if (eventStream && "GET".equals(clientToProxyRequest.getMethod())) {
                rewriter[0] = new EndpointEventRewriter(settings.pathPrefix(), upstreamPathAndQuery(), id -> {
                    Throwable unlearned = learn(id);
                    if (unlearned == null) {
                        carries(id); // a legacy stream lasts as long as its session
                    } else {
                        serverToProxyResponse.abort(unlearned); // the stream ends; the client reconnects
                    }
                });
            }
            proxyToClientResponse.setStatus(status);
            copyResponseHeaders(serverToProxyResponse.getHeaders(), rewriter[0] != null);
            if (rewriter[0] == null) {
                unread[0] = serverToProxyResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
            }
            if (eventStream) {
                headersAhead.send(proxyToClientResponse); // the client sees its stream open before any event
            } else if (isBodiless(status) && !serverToProxyResponse.getHeaders().contains(HttpHeader.CONTENT_LENGTH)) {
                // Committed with its last write, Jetty would give it "Content-Length: 0", a length the upstream
                // never stated (for a HEAD, the length of the GET's body; a 304 must not carry a different one)
                headersAhead.send(proxyToClientResponse);
            }
        });
        proxyToServerRequest.onResponseContentAsync((serverToProxyResponse, chunk, demander) -> {
            ByteBuffer data = chunk.getByteBuffer();
            if (rewriter[0] != null) {
                data = rewriter[0].apply(data);
            }
            // Jetty releases the chunk when onContent returns; hold it until the client write is done.
            chunk.retain();
            if (unread[0] >= 0 && (unread[0] -= data.remaining()) <= 0) {
                // The bytes that complete a sized body go out only with the end of the exchange: a client that
                // saw the whole body would send its next request before this upstream connection is back in the
                // pool, and the pool would open another one.
                tail.hold(chunk, data);
                demander.run();
                return;
            }
            ByteBuffer bytes = data;
            Consumer<Throwable> writeFailed = failure -> {
                chunk.release();
                clientLeft(failure); // mid-stream
            };
            headersAhead.then(() -> proxyToClientResponse.write(false, bytes, Callback.from(() -> {
                chunk.release();
                demander.run(); // backpressure: the next upstream chunk only once the client took this one
            }, writeFailed)), writeFailed);
        });
        proxyToServerRequest.send(result -> completed(result, committed[0], rewriter[0], tail, headersAhead));
    }

    /** An answer that has no body whatever its headers say: to a HEAD, or a 304 (RFC 9110 6.4.1). */
    private boolean isBodiless(int status) {
        return status == 304 || "HEAD".equals(clientToProxyRequest.getMethod());
    }

    private static boolean isEventStream(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /**
     * The response head of an event stream, sent on its own as soon as the upstream's arrives: a stream may stay
     * silent for long before its first event, and the client must not wait that long to learn it is open. Also the
     * head of a bodiless answer of unstated length, which must not be committed by its last write. Every body write
     * waits for it (Jetty allows one write in flight); other responses keep head and body together.
     */
    private static final class HeadersAhead {
        private CompletableFuture<Void> sent; // null: the head goes out with the first body bytes

        void send(Response response) {
            CompletableFuture<Void> written = new CompletableFuture<>();
            sent = written;
            response.write(false, BufferUtil.EMPTY_BUFFER, Callback.from(() -> written.complete(null),
                    written::completeExceptionally));
        }

        /** Runs {@code write} once the head is out, or {@code failed} if sending it failed. */
        void then(Runnable write, Consumer<Throwable> failed) {
            if (sent == null) {
                write.run();
                return;
            }
            sent.whenComplete((ignored, failure) -> {
                if (failure == null) {
                    write.run();
                } else {
                    failed.accept(failure);
                }
            });
        }
    }

    /** The last chunk of a sized body, held until the upstream exchange has completed. */
    private static final class Tail {
        private Content.Chunk chunk;
        private ByteBuffer data = BufferUtil.EMPTY_BUFFER;

        void hold(Content.Chunk chunk, ByteBuffer data) {
            this.chunk = chunk;
            this.data = data;
        }

        void release() {
            if (chunk != null) {
                chunk.release();
                chunk = null;
            }
        }
    }

    private void completed(Result result, boolean requestCommitted, EndpointEventRewriter rewriter, Tail tail,
                           HeadersAhead headersAhead) {
        // A response, even a partial one, proves the upstream took the request (it may have answered before
        // reading a body it refuses, then closed): such a request never goes out again.
        boolean answered = result.getResponse().getStatus() != 0;
        if (!result.isSucceeded() && !requestCommitted && !answered && attempt == 0 && !clientGone
                && isClosedConnection(result.getFailure())) {
            attempt++;
            LOG.debug("pooled connection to {} was closed before the request was written; retrying once", target);
            tail.release();
            proxyToClientResponse.getHeaders().clear();
            attempt();
            return;
        }
        clientDisconnectWatch.stop(); // before the response completes: Jetty then reads the connection again
        if (carriesSession) {
            handler.openStreams().closed(this);
        }
        // An answer that arrived whole is the client's, even if sending the rest of the request body then failed
        boolean answeredWhole = answered && result.getResponseFailure() == null;
        if (result.isSucceeded() || answeredWhole) {
            ByteBuffer rest = rewriter != null ? rewriter.flush() : tail.data;
            Consumer<Throwable> writeFailed = failure -> {
                tail.release();
                callback.failed(failure);
            };
            headersAhead.then(() -> proxyToClientResponse.write(true, rest, Callback.from(() -> {
                tail.release();
                callback.succeeded();
            }, writeFailed)), writeFailed);
            return;
        }
        tail.release();
        Throwable failure = result.getFailure();
        if (clientGone) {
            LOG.debug("client left; upstream {} exchange aborted: {}", target, failure.toString());
            callback.failed(failure); // nobody to answer
            return;
        }
        if (proxyToClientResponse.isCommitted()) {
            LOG.debug("upstream {} failed mid-response: {}", target, failure.toString());
            callback.failed(failure); // aborts the client connection: it must not see a truncated body as whole
            return;
        }
        proxyToClientResponse.getHeaders().clear();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SessionStorageException) { // the session could not be recorded
                JsonResponses.storageUnavailable(proxyToClientResponse, callback, TransparentHandler.idOf(body));
                return;
            }
        }
        JsonRpcErrorOf error = JsonRpcErrorOf.of(failure);
        LOG.info("upstream {} {}: {}", target, error.reason, failure.toString());
        JsonResponses.write(proxyToClientResponse, callback, error.status,
                JsonRpc.proxyError(TransparentHandler.idOf(body), error.reason,
                        error.message + " (" + servedBy() + ")"));
    }

    /** The upstream issued a session id that another upstream's live session has. */
    private static final class SessionIdTaken extends RuntimeException {
        SessionIdTaken() {
            super("the upstream issued a session id another upstream's session has", null, false, false);
        }
    }

    /** 502 for an unreachable upstream or one whose new session's id is taken, 504 for one that timed out. */
    private record JsonRpcErrorOf(int status, String reason, String message) {
        static JsonRpcErrorOf of(Throwable failure) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                if (cause instanceof SessionIdTaken) {
                    return new JsonRpcErrorOf(502, "session_id_taken",
                            "The upstream MCP server issued a session id another upstream's session has");
                }
                if (cause instanceof TimeoutException) {
                    return new JsonRpcErrorOf(504, "upstream_timeout", "The upstream MCP server did not answer in time");
                }
            }
            return new JsonRpcErrorOf(502, "upstream_unreachable", "The upstream MCP server is unreachable");
        }
    }

    private static boolean isClosedConnection(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof EOFException || cause instanceof ClosedChannelException
                    || cause instanceof java.io.IOException && !(cause instanceof ConnectException)
                    && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("closed")) {
                return true;
            }
        }
        return false;
    }

    /** The target's scheme, host and port. */
    private URI origin() {
        return URI.create(target.getScheme() + "://" + target.getRawAuthority());
    }

    /**
     * The client's request target as it sent it, path prefix removed: forwarded byte for byte (percent-encoding,
     * path parameters and all), never decoded and re-encoded; jetty-client writes a target that is not a valid
     * {@code java.net.URI} (say, {@code ?q=a|b}) as it is.
     */
    private String upstreamPathAndQuery() {
        HttpURI uri = clientToProxyRequest.getHttpURI();
        String path = uri.getPath();
        if (hasDotSegment(path)) {
            // Routing read the normalized path; the upstream gets that one too, not "/../x" once a prefix is cut
            path = URIUtil.encodePath(Request.getPathInContext(clientToProxyRequest));
        }
        String prefix = handler.settings().pathPrefix();
        if (!prefix.isEmpty()) {
            // The handler checked the prefix on the decoded path; a client that percent-encoded the prefix itself
            // gets the decoded remainder, encoded again.
            path = path.startsWith(prefix) ? path.substring(prefix.length())
                    : URIUtil.encodePath(Request.getPathInContext(clientToProxyRequest).substring(prefix.length()));
            if (path.isEmpty()) {
                path = "/";
            }
        }
        String query = uri.getQuery();
        return query == null ? path : path + "?" + query;
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

    /** What is recorded as the session's {@code backend_url}: the upstream actually used, with its path. */
    private URI servedBy() {
        return URI.create(target.getScheme() + "://" + target.getRawAuthority()
                + (target.getRawPath() == null ? "" : target.getRawPath()));
    }

    private void copyRequestHeaders(HttpFields.Mutable proxyToServerHeaders) {
        HttpFields clientHeaders = clientToProxyRequest.getHeaders();
        Set<String> connectionScoped = connectionTokens(clientHeaders);
        for (HttpField field : clientHeaders) {
            String name = field.getLowerCaseName();
            // Expect: the body is already read whole (Jetty sent the client its 100 Continue); forwarded, it would
            // make the upstream client wait for a 100 before sending a body that is ready.
            if (HOP_BY_HOP.contains(name) || connectionScoped.contains(name) || field.getHeader() == HttpHeader.HOST
                    || field.getHeader() == HttpHeader.CONTENT_LENGTH || field.getHeader() == HttpHeader.EXPECT) {
                continue;
            }
            proxyToServerHeaders.add(field);
        }
        String clientAddress = Request.getRemoteAddr(clientToProxyRequest);
        String host = clientHeaders.get(HttpHeader.HOST);
        String scheme = clientToProxyRequest.getHttpURI().getScheme();
        String forwardedFor = clientHeaders.get(HttpHeader.X_FORWARDED_FOR);
        proxyToServerHeaders.put(HttpHeader.X_FORWARDED_FOR,
                forwardedFor == null ? clientAddress : forwardedFor + ", " + clientAddress);
        proxyToServerHeaders.put(HttpHeader.X_FORWARDED_PROTO, scheme);
        if (host != null) {
            proxyToServerHeaders.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        String forwarded = "for=" + quoteIfIpv6(clientAddress) + ";proto=" + scheme
                + (host == null ? "" : ";host=\"" + host + "\"");
        String earlier = clientHeaders.get(HttpHeader.FORWARDED);
        proxyToServerHeaders.put(HttpHeader.FORWARDED, earlier == null ? forwarded : earlier + ", " + forwarded);
        if (!pooled()) {
            proxyToServerHeaders.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
    }

    /** Whether this request may use (and leave behind) a pooled connection. */
    private boolean pooled() {
        TransparentProxy.Settings settings = handler.settings();
        if (settings.http2()) {
            return true; // one multiplexed connection; Connection: close does not apply
        }
        if (!settings.idlePooling()) {
            return false; // max idle 0: every connection closes after its exchange
        }
        double rate = settings.poolingRate();
        return rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate;
    }

    /** @param bodyRewritten whether the body may change length (a legacy stream's endpoint event rewritten) */
    private void copyResponseHeaders(HttpFields serverToProxyHeaders, boolean bodyRewritten) {
        Set<String> connectionScoped = connectionTokens(serverToProxyHeaders);
        HttpFields.Mutable proxyToClientHeaders = proxyToClientResponse.getHeaders();
        for (HttpField field : serverToProxyHeaders) {
            String name = field.getLowerCaseName();
            if (HOP_BY_HOP.contains(name) || connectionScoped.contains(name)) {
                continue;
            }
            if (field.getHeader() == HttpHeader.CONTENT_LENGTH && bodyRewritten) {
                continue;
            }
            proxyToClientHeaders.add(field);
        }
    }


    /**
     * The header names every {@code Connection} field lists (there may be several fields), besides those dropped
     * anyway: nearly every response says just {@code keep-alive}, and that costs no set.
     */
    private static Set<String> connectionTokens(HttpFields headers) {
        Set<String> tokens = Set.of();
        for (HttpField field : headers) {
            if (field.getHeader() != HttpHeader.CONNECTION) {
                continue;
            }
            for (String token : field.getValue().split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (!HOP_BY_HOP.contains(name) && !name.equals("close") && !name.isEmpty()) {
                    if (tokens.isEmpty()) {
                        tokens = new HashSet<>();
                    }
                    tokens.add(name);
                }
            }
        }
        return tokens;
    }

    private static String quoteIfIpv6(String address) {
        return address.contains(":") ? "\"[" + address + "]\"" : address;
    }
}
