package io.mcpproxy.core.forward;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that closes its connection while its response waits on a silent upstream (a long tool call, an
 * event stream between events), so the upstream connection is released at once rather than at the next write.
 *
 * <p>Jetty does not read an HTTP/1.1 connection while a request is being handled, so a client's FIN goes unseen
 * until a write fails. An exchange that is still running after {@link #DELAY} has its client connection watched:
 * the watch asks Jetty's selector to report the connection readable, and then only peeks. Readable with no byte to
 * read is end of stream or a reset: the client is gone. Bytes are a pipelined next request, left unread for Jetty,
 * and the watch ends. A readable report may be stale (selected before Jetty's last read of the request took those
 * bytes), so readiness is confirmed on the socket itself before the client is declared gone.
 *
 * <p>Quick exchanges, nearly all of them, end before the delay and cost one timer. A client that left earlier is
 * noticed when the delay ends: the end of its stream waits in the socket.
 *
 * <p>The watch must end before the response completes: Jetty registers its own read interest for the next request
 * then, and an endpoint takes one at a time.
 */
final class ClientDisconnectWatch {

    /** How long an exchange runs before its client connection is watched. */
    static final Duration DELAY = Duration.ofMillis(100);

    private static final Logger LOG = LoggerFactory.getLogger(ClientDisconnectWatch.class);
    private static final ClientDisconnectWatch NONE = new ClientDisconnectWatch(null, null, null);

    private final AbstractEndPoint endPoint;
    private final SocketChannel channel;
    private final Runnable onGone;
    private final Callback readable;
    // guarded by this
    private Scheduler.Task timer;
    private boolean watching;
    private boolean stopped;

    private ClientDisconnectWatch(AbstractEndPoint endPoint, SocketChannel channel, Runnable onGone) {
        this.endPoint = endPoint;
        this.channel = channel;
        this.onGone = onGone;
        this.readable = Callback.from(Invocable.InvocationType.NON_BLOCKING, this::readable, failure -> { });
    }

    /**
     * Watches the connection of {@code request}, whose body must have been read whole, from {@link #DELAY} on;
     * {@code onGone} runs (at most once, never after {@link #stop}) if the client goes away. Connections that are
     * not plain TCP sockets are not watched: their client is noticed at the next write.
     */
    static ClientDisconnectWatch start(Request request, Runnable onGone) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!(endPoint instanceof AbstractEndPoint watched) || !(endPoint.getTransport() instanceof SocketChannel ch)) {
            return NONE;
        }
        ClientDisconnectWatch watch = new ClientDisconnectWatch(watched, ch, onGone);
        Scheduler.Task timer = request.getComponents().getScheduler()
                .schedule(watch::arm, DELAY.toMillis(), TimeUnit.MILLISECONDS);
        synchronized (watch) {
            watch.timer = timer;
        }
        return watch;
    }

    /** Ends the watch, or cancels it before it began; call it before the response completes. */
    void stop() {
        if (endPoint == null) {
            return;
        }
        synchronized (this) {
            stopped = true;
            if (timer != null) {
                timer.cancel();
            }
            if (watching) {
                // Fails our read interest if it is still registered. No one else can hold it now: Jetty registers
                // its own only after the response completed, and a stale report cannot register ours again.
                endPoint.getFillInterest().onFail(new IOException("client disconnect watch stopped"));
            }
        }
    }

    private synchronized void arm() {
        if (!stopped) {
            // false only while Jetty reads this connection itself, which it does not while an exchange runs
            watching = endPoint.tryFillInterested(readable);
        }
    }

    private void readable() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            switch (peek()) {
                case NOTHING -> {
                    endPoint.tryFillInterested(readable); // keep watching
                    return;
                }
                case BYTES, UNKNOWN -> {
                    return; // a pipelined request, which Jetty reads once this response is done; writes still notice
                }
                case END -> stopped = true;
            }
        }
        LOG.debug("client {} closed its connection while its response was pending", endPoint.getRemoteSocketAddress());
        onGone.run();
    }

    private enum Peek { NOTHING, BYTES, END, UNKNOWN }

    /** What the socket holds now, read from it without taking a byte. */
    private Peek peek() {
        Selector probe;
        try {
            probe = Selector.open();
        } catch (IOException e) {
            LOG.debug("cannot watch client {} any longer: {}", endPoint.getRemoteSocketAddress(), e.toString());
            return Peek.UNKNOWN;
        }
        try (probe) {
            channel.register(probe, SelectionKey.OP_READ);
            if (probe.selectNow() == 0) {
                return Peek.NOTHING; // the report was stale
            }
            return channel.socket().getInputStream().available() > 0 ? Peek.BYTES : Peek.END;
        } catch (IOException closed) {
            return Peek.END;
        }
    }
}
