package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mcpproxy.core.http.SseStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class LocalSessionTest {

    private final LocalSession session = new LocalSession("session-under-test", "2025-11-25", 16,
            new ReplayBuffer.Settings(TimeUnit.SECONDS.toNanos(60), 16, 4096, System::nanoTime), ended -> { });

    /** A GET that found the session just before a DELETE (expiry, server exit) closed it opens nothing. */
    @Test
    void aGetThatRacedTheSessionsEndOpensNoStream() {
        AtomicInteger opened = new AtomicInteger();
        Supplier<SseStream> open = () -> {
            opened.incrementAndGet();
            throw new AssertionError("no connection may be opened on an ended session");
        };
        session.close();
        assertFalse(session.openStandalone(open, true), "answered 404 instead");
        assertEquals(LocalSession.Resumption.SESSION_ENDED, session.resume("1-1", open));
        assertEquals(0, opened.get());
        assertFalse(session.isListening());
    }
}
