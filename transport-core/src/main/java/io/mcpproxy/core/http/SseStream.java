package io.mcpproxy.core.http;

import io.mcpproxy.core.observe.SseMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server-sent-events response: events are queued and written one at a time (Jetty allows one pending write per
 * response), never blocking the caller. The queue is bounded by messages and bytes; a consumer that falls behind
 * past the bound is cut off with a log line instead of growing the heap.
 */
public final class SseStream {

    private static final Logger LOG = LoggerFactory.getLogger(SseStream.class);

    /** Where a stream is in its life; it only moves forward. */
    private enum State {
        /** Takes events. */
        OPEN,
        /** Takes no more events; what is queued is written, then the response ends ({@link #close}, a hand-over). */
        CLOSING,
        /** The response's last write is with Jetty. */
        ENDING,
        /** Over: the handler's callback is completed and the close action ran (or runs at once when set). */
        DONE
    }

    private final Response response;
    private final Callback completion;
    private final int maxQueuedEvents;
    private final long maxQueuedBytes;
    private final String description;
    private final SseMetrics metrics;
    private final Flusher flusher = new Flusher();
    /** Guards {@link #state}'s changes, the queue and its counters, and {@link #onClose}. */
    private final Object lock = new Object();
    private volatile State state = State.OPEN; // written under lock; read without it by isOpen
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queuedBytes;
    /** High-water marks of the queue, so tests and diagnostics can see that a backlog never outgrew the bound. */
    private int peakQueuedEvents;
    private long peakQueuedBytes;
    private Runnable onClose; // null once run, or while none is set

    private SseStream(Response response, Callback completion, int maxQueuedEvents, long maxQueuedBytes,
                      String description, SseMetrics metrics) {
        this.response = response;
        this.completion = completion;
        this.maxQueuedEvents = maxQueuedEvents;
        this.maxQueuedBytes = maxQueuedBytes;
        this.description = description;
        this.metrics = metrics;
        metrics.opened();
    }

    /**
     * Commits {@code response} as {@code 200 text/event-stream} (headers already on it are kept) and returns the
     * stream. {@code completion} is the handler's callback: succeeded when the stream ends, failed when the client
     * goes away.
     */
    public static SseStream open(Response response, Callback completion, int maxQueuedEvents, long maxQueuedBytes,
                                 String description) {
        return open(response, completion, maxQueuedEvents, maxQueuedBytes, description, SseMetrics.NONE);
    }

    /** As {@link #open(Response, Callback, int, long, String)}, counting the stream's life in {@code metrics}. */
    public static SseStream open(Response response, Callback completion, int maxQueuedEvents, long maxQueuedBytes,
                                 String description, SseMetrics metrics) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, no-transform");
        response.getHeaders().put("X-Accel-Buffering", "no"); // ask reverse proxies not to buffer the stream
        return new SseStream(response, completion, maxQueuedEvents, maxQueuedBytes, description, metrics);
    }

    /**
     * Runs {@code action} once when the stream ends, for whatever reason; at once if it already has. A later call
     * replaces an action that has not run yet.
     */
    public void onClose(Runnable action) {
        Objects.requireNonNull(action);
        synchronized (lock) {
            if (state != State.DONE) {
                onClose = action;
                return;
            }
        }
        action.run();
    }

    /**
     * Queues an event. {@code data} must not contain raw newlines (compact JSON never does).
     *
     * @return false when the stream is closed or was just cut off for falling behind
     */
    public boolean send(String id, String event, String data) {
        StringBuilder text = new StringBuilder(data.length() + 48);
        if (id != null) {
            text.append("id: ").append(id).append('\n');
        }
        if (event != null) {
            text.append("event: ").append(event).append('\n');
        }
        text.append("data: ").append(data).append("\n\n");
        if (!enqueue(text.toString())) {
            return false;
        }
        metrics.eventSent();
        return true;
    }

    /** Queues the priming event of 2025-11-25 streams: an event id and empty data, so the client can resume. */
    public boolean prime(String id) {
        return enqueue("id: " + id + "\ndata: \n\n");
    }

    /** Queues an SSE comment (keep-alive): ignored by clients, keeps proxies and NATs from closing the stream. */
    public boolean comment(String text) {
        return enqueue(": " + text + "\n\n");
    }

    private boolean enqueue(String text) {
        return enqueue(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), true);
    }

    /** @param bounded false for events handed over from a predecessor: that backlog was within its own bound */
    private boolean enqueue(ByteBuffer bytes, boolean bounded) {
        boolean cutOff;
        synchronized (lock) {
            if (state != State.OPEN) {
                return false;
            }
            // The bytes bound is for backlog: an event larger than the bound alone (a big tool result) is admitted
            // when nothing waits before it, or a client that keeps up could never receive it.
            cutOff = bounded && (queue.size() >= maxQueuedEvents
                    || queuedBytes > 0 && queuedBytes + bytes.remaining() > maxQueuedBytes);
            if (cutOff) {
                LOG.warn("{}: client is not reading ({} events, {} bytes queued); closing the stream",
                        description, queue.size(), queuedBytes);
            } else {
                queue.add(bytes);
                queuedBytes += bytes.remaining();
                peakQueuedEvents = Math.max(peakQueuedEvents, queue.size());
                peakQueuedBytes = Math.max(peakQueuedBytes, queuedBytes);
            }
        }
        if (cutOff) {
            metrics.slowConsumerCut();
            abort(new IllegalStateException(description + ": slow consumer cut off"));
            return false;
        }
        flusher.iterate();
        return true;
    }

    /** Ends the stream after what is queued has been written. */
    public void close() {
        synchronized (lock) {
            if (state != State.OPEN) {
                return;
            }
            state = State.CLOSING;
        }
        flusher.iterate();
    }

    /**
     * Ends this stream cleanly in favour of {@code successor}: the events queued here and not yet written move, in
     * order, to the successor's queue instead of going out on this (probably abandoned) connection. Only the one
     * write already handed to Jetty stays with this stream. Used when a client reconnects and its new stream
     * takes over from the old one.
     *
     * @return false when this stream had already ended, or the successor is closed (this stream is then left as it
     *         was) or closed while the events moved. Moved events are not held to the successor's bound: they were
     *         within this stream's.
     */
    public boolean handOverTo(SseStream successor) {
        if (!successor.isOpen()) {
            return false; // this stream stays as it is: the events are not thrown at a stream that is already gone
        }
        List<ByteBuffer> unwritten;
        synchronized (lock) {
            if (state != State.OPEN) {
                return false;
            }
            state = State.CLOSING;
            unwritten = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
        }
        flusher.iterate(); // nothing left but the end of the response
        boolean moved = true;
        for (ByteBuffer event : unwritten) {
            moved &= successor.enqueue(event, false);
        }
        return moved;
    }

    /**
     * Ends the stream now, dropping what is queued (slow consumer, client gone, shutdown). Fails the handler's
     * callback first, so Jetty closes the connection even while a write is stuck on a client that stopped reading.
     */
    public void abort(Throwable cause) {
        finish(cause);
        flusher.abort(cause);
    }

    /** Ends the stream when Jetty reports the request failed (connection error, client gone). */
    public void abortOnFailureOf(org.eclipse.jetty.server.Request request) {
        request.addFailureListener(this::abort);
    }

    /** Whether the stream takes events. */
    public boolean isOpen() {
        return state == State.OPEN;
    }

    /** Events waiting to be written. */
    public int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /**
     * The most events this stream ever held queued at once (the one being written excluded). Never above the
     * events bound it was opened with, however far its client falls behind.
     */
    public int peakQueuedEvents() {
        synchronized (lock) {
            return peakQueuedEvents;
        }
    }

    /** The most bytes this stream ever held queued at once; never above the bytes bound it was opened with. */
    public long peakQueuedBytes() {
        synchronized (lock) {
            return peakQueuedBytes;
        }
    }

    /** Completes the handler's callback and runs the close action, once, whichever way the stream ends. */
    private void finish(Throwable failure) {
        Runnable action;
        synchronized (lock) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            queue.clear();
            queuedBytes = 0;
            action = onClose;
            onClose = null;
        }
        metrics.closed();
        if (failure == null) {
            completion.succeeded();
        } else {
            completion.failed(failure);
        }
        if (action != null) {
            action.run();
        }
    }

    /** Writes the queue one buffer at a time; Jetty calls back when each write is done. */
    private final class Flusher extends IteratingCallback {
        @Override
        protected Action process() {
            ByteBuffer next;
            synchronized (lock) {
                switch (state) {
                    case DONE, ENDING -> {
                        return Action.SUCCEEDED;
                    }
                    default -> {
                        next = queue.poll();
                        if (next != null) {
                            queuedBytes -= next.remaining();
                        } else if (state == State.CLOSING) {
                            state = State.ENDING;
                        } else {
                            return Action.IDLE;
                        }
                    }
                }
            }
            boolean last = next == null;
            response.write(last, last ? BufferUtil.EMPTY_BUFFER : next, this);
            return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteSuccess() {
            finish(null);
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            LOG.debug("{}: stream ended: {}", description, cause.toString());
            finish(cause);
        }
    }
}
