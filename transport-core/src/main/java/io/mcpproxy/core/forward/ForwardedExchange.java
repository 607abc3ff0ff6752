package io.mcpproxy.core.forward;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request forwarded to one upstream, the response streamed back chunk by chunk with backpressure (the
 * next upstream chunk is read only when the client took the previous one). What crosses: every end-to-end header,
 * none of the connection-scoped ones, {@code X-Forwarded-*} and {@code Forwarded} added; the request target as the
 * client sent it; the body as read.
 *
 * <p>The rules every exchange keeps:
 * <ul>
 *   <li>The upstream request is aborted, and its connection released, the moment the client response fails or the
 *       client goes away, also while the upstream is silent (ClientDisconnectWatch, from 100 ms on).</li>
 *   <li>While the exchange runs, the client connection's idle timeout does not apply: the upstream's response idle
 *       timeout bounds a silent answer (a tool call may run for minutes).</li>
 *   <li>A request that fails because its pooled connection was already closed, before any request byte was written
 *       and before any response (even a partial one) arrived, is sent once more; never after bytes were sent
 *       (JSON-RPC calls are not idempotent).</li>
 *   <li>The bytes that complete a sized body reach the client only once the upstream exchange completed, so the pool
 *       has the connection back before the client's next request.</li>
 *   <li>An event stream's head, and the head of an answer to a HEAD or a 304 of unstated length, go out ahead of
 *       any body; such an answer keeps the length the upstream stated and gets none invented.</li>
 *   <li>A failure before anything reached the client is answered with a JSON-RPC error; after, the client
 *       connection is aborted, so a truncated body is never taken for a whole one.</li>
 * </ul>
 *
 * <p>Each exchange's state lives here; each attempt's in its ServerToProxyResponseListener. Subclasses
 * adapt an exchange through the protected hooks, which run in this order: {@link #proxyToServerPathAndQuery},
 * {@link #adjustProxyToServerHeaders}, {@link #onServerToProxyResponseHead}, {@link #newServerToProxyBodyTransformer},
 * {@link #onServerToProxyResponseComplete}, and {@link #writeProxyToClientError} for a failure.
 */
public class ForwardedExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ForwardedExchange.class);

    private final Forwarder forwarder;
    private final Request clientToProxyRequest;
    private final Response proxyToClientResponse;
    private final Callback proxyToClientCallback;
    private final byte[] body;
    private final URI upstream;
    private ClientDisconnectWatch clientDisconnectWatch; // set by send, before any attempt
    private boolean retried; // read and set only by the completion of an attempt, one attempt at a time
    private long sentNanos; // set by send, before any attempt
    private volatile org.eclipse.jetty.client.Request proxyToServerRequest;
    private volatile boolean clientGone;

    /**
     * @param clientToProxyRequest  the client's request, its body already read whole
     * @param proxyToClientResponse the response to the client, nothing of it sent yet
     * @param proxyToClientCallback completes the client's exchange; the engine completes it exactly once
     * @param body                  the request body, null for none
     * @param upstream              where the request goes: its scheme, host and port (the request target comes
     *                              from {@link #proxyToServerPathAndQuery}); with its path, what
     *                              {@link #servedBy} reports
     */
    public ForwardedExchange(Forwarder forwarder, Request clientToProxyRequest, Response proxyToClientResponse,
                             Callback proxyToClientCallback, byte[] body, URI upstream) {
        this.forwarder = Objects.requireNonNull(forwarder, "forwarder");
        this.clientToProxyRequest = clientToProxyRequest;
        this.proxyToClientResponse = proxyToClientResponse;
        this.proxyToClientCallback = proxyToClientCallback;
        this.body = body;
        this.upstream = upstream;
    }

    /** Forwards the request. */
    public void send() {
        sentNanos = System.nanoTime();
        clientToProxyRequest.addIdleTimeoutListener(timeout -> false);
        clientToProxyRequest.addFailureListener(this::clientLeft);
        clientDisconnectWatch = ClientDisconnectWatch.start(clientToProxyRequest,
                () -> clientLeft(new EofException("client closed its connection")));
        sendProxyToServerRequest();
    }

    // ----- hooks -----

    /**
     * The request target the upstream gets. Default: the client's own, byte for byte (percent-encoding, path
     * parameters and all), never decoded and re-encoded; jetty-client writes a target that is not a valid
     * {@code java.net.URI} (say, {@code ?q=a|b}) as it is.
     */
    protected String proxyToServerPathAndQuery() {
        HttpURI uri = clientToProxyRequest.getHttpURI();
        String query = uri.getQuery();
        return query == null ? uri.getPath() : uri.getPath() + "?" + query;
    }

    /**
     * Adds or drops headers on the way up, after the end-to-end ones were copied and the forwarding ones added.
     * Default: nothing.
     */
    protected void adjustProxyToServerHeaders(HttpFields.Mutable proxyToServerHeaders) {
    }

    /**
     * The upstream's response head arrived; nothing of it reached the client yet. Default: go on.
     *
     * @return null to pass the response on, or why the exchange must fail instead: the upstream response is then
     *         aborted and the client answered by {@link #writeProxyToClientError}
     */
    protected Throwable onServerToProxyResponseHead(org.eclipse.jetty.client.Response serverToProxyResponse) {
        return null;
    }

    /**
     * Called with the response head passed on; a transformer changes the body on its way (and the response then
     * goes without {@code Content-Length}). Default: none.
     *
     * @return the transformer of this response's body, or null to pass the body on as it is
     */
    protected BodyTransformer newServerToProxyBodyTransformer(org.eclipse.jetty.client.Response serverToProxyResponse) {
        return null;
    }

    /**
     * The upstream exchange is over, succeeded or not (after any retry), and the client's response is not yet
     * complete: bookkeeping here happens before the client can send its next request. Called once per exchange.
     * Default: nothing.
     *
     * @param result the upstream request and response; {@code result.getResponse().getStatus()} is 0 when no
     *               response arrived
     */
    protected void onServerToProxyResponseComplete(Result result) {
    }

    /**
     * Answers the client for an exchange that failed before anything was sent to it. Default: 504
     * {@code upstream_timeout} for an upstream silent past the response idle timeout, else 502
     * {@code upstream_unreachable}. Subclasses answer the failures of their own hooks and pass the rest on.
     */
    protected void writeProxyToClientError(Throwable failure) {
        if (causedBy(failure, TimeoutException.class)) {
            writeProxyToClientError(504, "upstream_timeout", "The upstream MCP server did not answer in time", failure);
        } else {
            writeProxyToClientError(502, "upstream_unreachable", "The upstream MCP server is unreachable", failure);
        }
    }

    // ----- for subclasses -----

    /**
     * Writes a JSON-RPC error with {@code data.reason} {@code reason}; {@link #servedBy} is appended to
     * {@code message}. Logged at INFO with its cause.
     */
    protected final void writeProxyToClientError(int status, String reason, String message, Throwable failure) {
        LOG.info("upstream {} {}: {}", upstream, reason, failure.toString());
        if (forwarder.metrics() != null) {
            forwarder.metrics().errorAnswered(status, reason);
        }
        JsonResponses.write(proxyToClientResponse, proxyToClientCallback, status,
                JsonRpc.proxyError(requestId(), reason, message + " (" + servedBy() + ")"));
    }

    /** The client's request, as it reached the proxy. */
    protected final Request clientToProxyRequest() {
        return clientToProxyRequest;
    }

    /** The response to the client. */
    protected final Response proxyToClientResponse() {
        return proxyToClientResponse;
    }

    /** Completes the client's exchange; for a hook that answers the client itself. */
    protected final Callback proxyToClientCallback() {
        return proxyToClientCallback;
    }

    /** Where the request goes, as given. */
    protected final URI upstream() {
        return upstream;
    }

    /** The upstream as it is recorded and reported: scheme, authority and path. */
    protected final URI servedBy() {
        return URI.create(upstream.getScheme() + "://" + upstream.getRawAuthority()
                + (upstream.getRawPath() == null ? "" : upstream.getRawPath()));
    }

    /** The JSON-RPC id of the request body, for error answers; null when there is none. */
    protected final JsonNode requestId() {
        return JsonRpc.requestIdOf(body);
    }

    /** Whether {@code failure} or one of its causes is a {@code type}. */
    protected static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a {@code Content-Type} names an event stream. */
    protected static boolean isEventStream(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    // ----- the engine -----

    private void sendProxyToServerRequest() {
        org.eclipse.jetty.client.Request request = forwarder.client()
                .newRequest(URI.create(upstream.getScheme() + "://" + upstream.getRawAuthority()))
                .path(proxyToServerPathAndQuery())
                .method(clientToProxyRequest.getMethod())
                .idleTimeout(forwarder.pool().responseIdleTimeout().toMillis(), TimeUnit.MILLISECONDS);
        boolean pooled = forwarder.pooled();
        request.headers(headers -> {
            ProxyHeaders.copyClientToProxyRequest(clientToProxyRequest, headers, pooled);
            adjustProxyToServerHeaders(headers);
        });
        if (body != null) {
            request.body(new BytesRequestContent(clientToProxyRequest.getHeaders().get(HttpHeader.CONTENT_TYPE), body));
        }
        ServerToProxyResponseListener listener = new ServerToProxyResponseListener(this);
        request.onRequestCommit(listener); // send registers the listener's response interfaces itself
        proxyToServerRequest = request;
        if (clientGone) {
            request.abort(new EofException("client closed its connection")); // before it is sent
        }
        request.send(listener);
    }

    /** The client went away: release the upstream at once. */
    final void clientLeft(Throwable failure) {
        clientGone = true;
        org.eclipse.jetty.client.Request current = proxyToServerRequest;
        if (current != null) {
            current.abort(failure);
        }
    }

    /** An answer that has no body whatever its headers say: to a HEAD, or a 304 (RFC 9110 6.4.1). */
    final boolean isBodiless(int status) {
        return status == 304 || "HEAD".equals(clientToProxyRequest.getMethod());
    }

    /** The upstream exchange of {@code attempt} completed. */
    final void completed(Result result, ServerToProxyResponseListener attempt) {
        UpstreamMetrics metrics = forwarder.metrics();
        if (mayRetry(result, attempt)) {
            retried = true;
            if (metrics != null) {
                metrics.retried();
            }
            LOG.debug("pooled connection to {} was closed before the request was written; retrying once", upstream);
            attempt.release();
            proxyToClientResponse.getHeaders().clear();
            sendProxyToServerRequest();
            return;
        }
        clientDisconnectWatch.stop(); // before the response completes: Jetty then reads the connection again
        if (metrics != null) {
            metrics.completed(upstream, result.getResponse().getStatus(), System.nanoTime() - sentNanos);
        }
        onServerToProxyResponseComplete(result);
        // An answer that arrived whole is the client's, even if sending the rest of the request body then failed
        boolean answered = result.getResponse().getStatus() != 0;
        if (result.isSucceeded() || answered && result.getResponseFailure() == null) {
            attempt.finish(proxyToClientCallback);
            return;
        }
        attempt.release();
        failed(result.getFailure());
    }

    /**
     * The retry-once rule: a second attempt only when the first failed on a pooled connection that turned out to be
     * closed, before any request byte was written and before any response arrived. A response, even a partial one,
     * proves the upstream took the request (it may have answered before reading a body it refuses, then closed):
     * such a request never goes out again, nor does one whose client has left.
     */
    private boolean mayRetry(Result result, ServerToProxyResponseListener attempt) {
        return !result.isSucceeded() && !retried && !clientGone && !attempt.requestCommitted()
                && result.getResponse().getStatus() == 0 && isClosedConnection(result.getFailure());
    }

    private void failed(Throwable failure) {
        if (clientGone) {
            LOG.debug("client left; upstream {} exchange aborted: {}", upstream, failure.toString());
            proxyToClientCallback.failed(failure); // nobody to answer
            return;
        }
        if (proxyToClientResponse.isCommitted()) {
            LOG.debug("upstream {} failed mid-response: {}", upstream, failure.toString());
            proxyToClientCallback.failed(failure); // aborts the client connection: no truncated body taken as whole
            return;
        }
        proxyToClientResponse.getHeaders().clear();
        writeProxyToClientError(failure);
    }

    private static boolean isClosedConnection(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof EOFException || cause instanceof ClosedChannelException
                    || cause instanceof IOException && !(cause instanceof ConnectException)
                    && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("closed")) {
                return true;
            }
        }
        return false;
    }
}
