package io.mcpproxy.core.http;

import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 connection with two read deadlines Jetty does not have. Jetty's idle timeout restarts with every byte,
 * so a client sending a head a byte at a time would hold its connection for ever: here a head must arrive whole
 * within the head timeout from its first byte, or the client gets 408 and the connection closes. While a request
 * body is read, the connection's idle timeout is the body timeout (the handlers answer that timeout with 408); it
 * is the listener's idle timeout again once the body is in.
 */
final class TimedHttpConnection extends HttpConnection {

    private static final Logger LOG = LoggerFactory.getLogger(TimedHttpConnection.class);

    /** How long the 408 of a head timeout may take to go out before the connection closes anyway. */
    private static final long CLOSE_GRACE_MILLIS = 500;

    private final long headTimeoutMillis;
    private final long bodyTimeoutMillis;
    /** The head deadline pending, or null; guarded by {@code this} (set on the parsing thread, run on the timer). */
    private Scheduler.Task headDeadline;
    /** The idle timeout between requests, restored after each body; only touched on the parsing thread. */
    private long idleTimeoutMillis = -1;

    TimedHttpConnection(HttpConfiguration configuration, Connector connector, EndPoint endPoint,
                        long headTimeoutMillis, long bodyTimeoutMillis) {
        super(configuration, connector, endPoint);
        this.headTimeoutMillis = headTimeoutMillis;
        this.bodyTimeoutMillis = bodyTimeoutMillis;
    }

    /** Called from the superclass constructor: it may use no field of this class until a request is parsed. */
    @Override
    protected RequestHandler newRequestHandler() {
        return new TimedRequestHandler();
    }

    /**
     * Over TLS the first head's time starts with the connection: a handshake sent a byte at a time would otherwise
     * hold the connection as a slow head does (its bytes never reach this connection's parser).
     */
    @Override
    public void onOpen() {
        super.onOpen();
        if (getEndPoint() instanceof SslConnection.SslEndPoint) {
            armHeadDeadline();
        }
    }

    @Override
    public void onClose(Throwable cause) {
        cancelHeadDeadline();
        super.onClose(cause);
    }

    private synchronized void armHeadDeadline() {
        if (headDeadline == null) {
            headDeadline = getConnector().getScheduler().schedule(this::headTimedOut, headTimeoutMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void cancelHeadDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel();
            headDeadline = null;
        }
    }

    /**
     * On the timer: the head is still incomplete. Nothing is being written (no request yet), so 408 goes out raw
     * (over an unfinished TLS handshake it cannot go out; the connection closes all the same).
     */
    private void headTimedOut() {
        synchronized (this) {
            if (headDeadline == null) {
                return; // the head completed meanwhile
            }
            headDeadline = null;
        }
        EndPoint endPoint = getEndPoint();
        LOG.debug("request head from {} incomplete after {} ms: 408, connection closed",
                endPoint.getRemoteSocketAddress(), headTimeoutMillis);
        endPoint.write(Callback.from(endPoint::close, failure -> endPoint.close()), requestTimeout(
                "Request Timeout: the request head did not arrive within " + headTimeoutMillis + " ms"));
        // A write over an unfinished TLS handshake never completes: the connection closes regardless, a moment on
        getConnector().getScheduler().schedule(endPoint::close, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A whole 408 response closing the connection, its body a JSON-RPC error. */
    static ByteBuffer requestTimeout(String message) {
        byte[] body = JsonRpc.toBytes(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, message));
        String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(headBytes.length + body.length).put(headBytes).put(body).flip();
    }

    /** Watches the parser: a head begins, a head completes, a body completes. */
    private final class TimedRequestHandler extends RequestHandler {

        /** Called before each parse while no head has begun: only bytes of a head (in the buffer) arm the deadline. */
        @Override
        public void messageBegin() {
            if (!isRequestBufferEmpty()) {
                armHeadDeadline();
            }
            super.messageBegin();
        }

        @Override
        public boolean headerComplete() {
            cancelHeadDeadline();
            if (bodyTimeoutMillis != getEndPoint().getIdleTimeout() && hasBody()) {
                idleTimeoutMillis = getEndPoint().getIdleTimeout();
                getEndPoint().setIdleTimeout(bodyTimeoutMillis);
            }
            return super.headerComplete();
        }

        @Override
        public boolean messageComplete() {
            restoreIdleTimeout();
            return super.messageComplete();
        }

        @Override
        public void badMessage(org.eclipse.jetty.http.HttpException failure) {
            cancelHeadDeadline();
            restoreIdleTimeout();
            super.badMessage(failure);
        }

        @Override
        public void earlyEOF() {
            cancelHeadDeadline();
            super.earlyEOF();
        }

        private boolean hasBody() {
            return getParser().getContentLength() > 0 || getParser().isChunking();
        }

        private void restoreIdleTimeout() {
            if (idleTimeoutMillis >= 0) {
                getEndPoint().setIdleTimeout(idleTimeoutMillis);
                idleTimeoutMillis = -1;
            }
        }
    }
}
