package io.mcpproxy.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** SseStream's life on a response that completes every write at once (the HTTP side is a narrow seam here). */
class SseStreamTest {

    private final List<String> written = new ArrayList<>();
    private final List<Boolean> lasts = new ArrayList<>();
    private final AtomicInteger succeeded = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    private SseStream open() {
        Response response = mock(Response.class);
        when(response.getHeaders()).thenReturn(HttpFields.build());
        doAnswer(invocation -> {
            ByteBuffer bytes = invocation.getArgument(1);
            synchronized (written) {
                written.add(StandardCharsets.UTF_8.decode(bytes.duplicate()).toString());
                lasts.add(invocation.getArgument(0));
            }
            invocation.<Callback>getArgument(2).succeeded();
            return null;
        }).when(response).write(anyBoolean(), any(), any());
        Callback completion = Callback.from(succeeded::incrementAndGet, failure -> failed.incrementAndGet());
        return SseStream.open(response, completion, 10, 1024, "test stream");
    }

    @Test
    void closeWritesWhatIsQueuedThenEndsTheResponseOnce() {
        SseStream stream = open();
        assertTrue(stream.send("1", "message", "{}"));
        stream.close();
        stream.close();
        assertFalse(stream.isOpen());
        assertFalse(stream.send("2", "message", "{}"), "a closed stream takes no events");
        assertEquals(List.of("id: 1\nevent: message\ndata: {}\n\n", ""), written);
        assertEquals(List.of(false, true), lasts);
        assertEquals(1, succeeded.get());
        assertEquals(0, failed.get());
    }

    @Test
    void theCloseActionRunsOnceWhenSetAfterTheStreamEnded() {
        SseStream stream = open();
        stream.close();
        AtomicInteger runs = new AtomicInteger();
        stream.onClose(runs::incrementAndGet);
        stream.abort(new IllegalStateException("late abort"));
        assertEquals(1, runs.get());
        assertEquals(1, succeeded.get(), "an abort after the end completes nothing twice");
        assertEquals(0, failed.get());
    }

    @Test
    void theCloseActionRunsOnceWhenItIsSetWhileTheStreamEnds() {
        // The action is set exactly while the stream ends: from inside the completion of the handler's callback,
        // the moment another thread's onClose would land between the end and the close action.
        AtomicInteger runs = new AtomicInteger();
        SseStream[] stream = new SseStream[1];
        Response response = mock(Response.class);
        when(response.getHeaders()).thenReturn(HttpFields.build());
        stream[0] = SseStream.open(response, Callback.from(() -> { },
                failure -> stream[0].onClose(runs::incrementAndGet)), 10, 1024, "racing stream");
        stream[0].abort(new IllegalStateException("client gone"));
        assertEquals(1, runs.get());
    }

    @Test
    void aClientThatFallsBehindIsCutOffAndTheCallbackFails() {
        Response response = mock(Response.class);
        when(response.getHeaders()).thenReturn(HttpFields.build());
        // Jetty never completes these writes: the client does not read
        SseStream stream = SseStream.open(response, Callback.from(succeeded::incrementAndGet,
                failure -> failed.incrementAndGet()), 3, 1024, "stuck stream");
        AtomicInteger closed = new AtomicInteger();
        stream.onClose(closed::incrementAndGet);
        boolean accepted = true;
        for (int i = 0; i < 10 && accepted; i++) {
            accepted = stream.send(null, "message", "{}");
        }
        assertFalse(accepted);
        assertFalse(stream.isOpen());
        assertTrue(stream.peakQueuedEvents() <= 3, "peak " + stream.peakQueuedEvents());
        assertEquals(1, failed.get());
        assertEquals(1, closed.get());
    }

    @Test
    void aHandOverMovesTheUnwrittenEventsInOrderAndEndsTheOldStream() {
        Response stuck = mock(Response.class);
        when(stuck.getHeaders()).thenReturn(HttpFields.build());
        SseStream old = SseStream.open(stuck, Callback.NOOP, 10, 1024, "old stream");
        old.send("1", "message", "a"); // handed to Jetty, never completes
        old.send("2", "message", "b");
        old.send("3", "message", "c");
        SseStream successor = open();
        assertTrue(old.handOverTo(successor));
        assertFalse(old.isOpen());
        assertEquals(List.of("id: 2\nevent: message\ndata: b\n\n", "id: 3\nevent: message\ndata: c\n\n"), written);
    }
}
