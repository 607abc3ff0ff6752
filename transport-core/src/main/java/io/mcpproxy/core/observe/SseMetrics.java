package io.mcpproxy.core.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server-sent-event streams of one transport: streams open (a gauge), events sent, streams cut off because
 * their client stopped reading, and streams resumed with {@code Last-Event-ID}. {@link #NONE} records nothing.
 */
public final class SseMetrics {

    /** Records nothing: a proxy without a meter registry. */
    public static final SseMetrics NONE = new SseMetrics();

    private final AtomicInteger open = new AtomicInteger();
    private final Counter events;
    private final Counter slowConsumersCut;
    private final Counter resumes;

    private SseMetrics() {
        this.events = null;
        this.slowConsumersCut = null;
        this.resumes = null;
    }

    /** Registers the meters of {@code transport}'s streams (tag {@code transport}) in {@code registry}. */
    public SseMetrics(MeterRegistry registry, String transport) {
        Gauge.builder("mcp.proxy.sse.streams.open", open, AtomicInteger::get)
                .description("Server-sent-event streams open").tag("transport", transport).register(registry);
        this.events = Counter.builder("mcp.proxy.sse.events").description("Server-sent events queued to clients")
                .tag("transport", transport).register(registry);
        this.slowConsumersCut = Counter.builder("mcp.proxy.sse.slow.consumers")
                .description("Streams cut off because their client stopped reading").tag("transport", transport)
                .register(registry);
        this.resumes = Counter.builder("mcp.proxy.sse.resumes")
                .description("Streams resumed with Last-Event-ID").tag("transport", transport).register(registry);
    }

    /** A stream opened. */
    public void opened() {
        if (events != null) {
            open.incrementAndGet();
        }
    }

    /** A stream ended, whichever way; once per {@link #opened()}. */
    public void closed() {
        if (events != null) {
            open.decrementAndGet();
        }
    }

    /** An event (not a keep-alive comment) was queued. */
    public void eventSent() {
        if (events != null) {
            events.increment();
        }
    }

    /** A stream was cut off because its client fell behind past the queue's bound. */
    public void slowConsumerCut() {
        if (slowConsumersCut != null) {
            slowConsumersCut.increment();
        }
    }

    /** A client resumed a stream with {@code Last-Event-ID}. */
    public void resumed() {
        if (resumes != null) {
            resumes.increment();
        }
    }
}
