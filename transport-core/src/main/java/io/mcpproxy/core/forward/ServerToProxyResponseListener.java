package io.mcpproxy.core.forward;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * One attempt of a {@link ForwardedExchange}: passes the upstream's response head and body on to the client as they
 * arrive, and reports the end of the upstream exchange to the exchange. A retry gets a new listener, so nothing of a
 * failed attempt leaks into the next.
 */
final class ServerToProxyResponseListener implements Request.CommitListener, Response.HeadersListener,
        Response.AsyncContentListener, Response.CompleteListener {

    private final ForwardedExchange exchange;
    private final org.eclipse.jetty.server.Response proxyToClientResponse;
    private final HeadersAhead headersAhead = new HeadersAhead();
    private final Tail tail = new Tail();
    private volatile boolean requestCommitted;
    private BodyTransformer transformer; // set with the head, before any content
    private long unread = -1; // bytes of a sized, untransformed body still to come

    ServerToProxyResponseListener(ForwardedExchange exchange) {
        this.exchange = exchange;
        this.proxyToClientResponse = exchange.proxyToClientResponse();
    }

    /** Whether any byte of the request was written to the upstream. */
    boolean requestCommitted() {
        return requestCommitted;
    }

    @Override
    public void onCommit(Request proxyToServerRequest) {
        requestCommitted = true;
    }

    @Override
    public void onHeaders(Response serverToProxyResponse) {
        Throwable refused = exchange.onServerToProxyResponseHead(serverToProxyResponse);
        if (refused != null) {
            serverToProxyResponse.abort(refused); // nothing reached the client yet: it gets an error answer
            return;
        }
        transformer = exchange.newServerToProxyBodyTransformer(serverToProxyResponse);
        HttpFields serverToProxyHeaders = serverToProxyResponse.getHeaders();
        int status = serverToProxyResponse.getStatus();
        proxyToClientResponse.setStatus(status);
        ProxyHeaders.copyServerToProxyResponse(serverToProxyHeaders, proxyToClientResponse.getHeaders(),
                transformer != null);
        if (transformer == null) {
            unread = serverToProxyHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
        }
        if (ForwardedExchange.isEventStream(serverToProxyHeaders.get(HttpHeader.CONTENT_TYPE))) {
            headersAhead.send(proxyToClientResponse); // the client sees its stream open before any event
        } else if (exchange.isBodiless(status) && !serverToProxyHeaders.contains(HttpHeader.CONTENT_LENGTH)) {
            // Committed with its last write, Jetty would give it "Content-Length: 0", a length the upstream never
            // stated (for a HEAD, the length of the GET's body; a 304 must not carry a different one)
            headersAhead.send(proxyToClientResponse);
        }
    }

    @Override
    public void onContent(Response serverToProxyResponse, Content.Chunk chunk, Runnable demander) {
        ByteBuffer data = transformer == null ? chunk.getByteBuffer() : transformer.apply(chunk.getByteBuffer());
        // Jetty releases the chunk when onContent returns; hold it until the client write is done.
        chunk.retain();
        if (unread >= 0 && (unread -= data.remaining()) <= 0) {
            tail.hold(chunk, data); // goes out with the end of the exchange
            demander.run();
            return;
        }
        Consumer<Throwable> writeFailed = failure -> {
            chunk.release();
            exchange.clientLeft(failure); // mid-stream
        };
        headersAhead.then(() -> proxyToClientResponse.write(false, data, Callback.from(() -> {
            chunk.release();
            demander.run(); // backpressure: the next upstream chunk only once the client took this one
        }, writeFailed)), writeFailed);
    }

    @Override
    public void onComplete(Result result) {
        exchange.completed(result, this);
    }

    /** Sends what is left of the body (held or transformed) with the end of the response. */
    void finish(Callback proxyToClientCallback) {
        ByteBuffer rest = transformer != null ? transformer.flush() : tail.data();
        Consumer<Throwable> writeFailed = failure -> {
            tail.release();
            proxyToClientCallback.failed(failure);
        };
        headersAhead.then(() -> proxyToClientResponse.write(true, rest, Callback.from(() -> {
            tail.release();
            proxyToClientCallback.succeeded();
        }, writeFailed)), writeFailed);
    }

    /** Releases what is held, for an attempt whose response goes no further. */
    void release() {
        tail.release();
    }
}
