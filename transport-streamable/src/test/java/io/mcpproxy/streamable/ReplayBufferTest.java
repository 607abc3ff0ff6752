package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplayBufferTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ReplayBuffer buffer(long windowSeconds, int maxEvents, long maxChars) {
        return new ReplayBuffer(new ReplayBuffer.Settings(TimeUnit.SECONDS.toNanos(windowSeconds), maxEvents,
                maxChars, now::get));
    }

    private static List<String> ids(List<ReplayBuffer.Event> events) {
        return events.stream().map(ReplayBuffer.Event::id).toList();
    }

    @Test
    void replaysOnlyTheNamedStreamAfterTheGivenSequenceInOrder() {
        ReplayBuffer buffer = buffer(60, 100, 10_000);
        buffer.add(1, 1, "{\"a\":1}");
        buffer.add(2, 2, "{\"b\":2}");
        buffer.add(1, 3, "{\"a\":3}");
        buffer.add(1, 4, "{\"a\":4}");

        assertEquals(List.of("1-3", "1-4"), ids(buffer.after(1, 1)));
        assertEquals(List.of("1-1", "1-3", "1-4"), ids(buffer.after(1, 0)));
        assertEquals(List.of(), ids(buffer.after(2, 2)));
        assertEquals("{\"a\":4}", buffer.after(1, 3).get(0).json());
        assertEquals(List.of("2-2"), ids(buffer.after(2, 0)));
        assertEquals(List.of(), ids(buffer.after(3, 0)));
    }

    @Test
    void eventsLeaveWhenTheirWindowIsOver() {
        ReplayBuffer buffer = buffer(60, 100, 10_000);
        buffer.add(1, 1, "{}");
        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        buffer.add(1, 2, "{}");
        now.addAndGet(TimeUnit.SECONDS.toNanos(31)); // the first is 61 s old, the second 31 s

        assertEquals(List.of("1-2"), ids(buffer.after(1, 0)));
        assertFalse(buffer.mayHaveLost(0), "expiring is the promise kept, not a loss");
        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        buffer.prune();
        assertEquals(0, buffer.size());
        assertEquals(List.of(), buffer.after(1, 0));
    }

    @Test
    void theBoundsPushOutTheOldestAndSayEventsMayBeMissing() {
        ReplayBuffer buffer = buffer(60, 3, 10_000);
        for (long sequence = 1; sequence <= 5; sequence++) {
            buffer.add(1, sequence, "{}");
        }
        assertEquals(List.of("1-3", "1-4", "1-5"), ids(buffer.after(1, 0)));
        assertTrue(buffer.mayHaveLost(1), "events 1 and 2 were pushed out");
        assertFalse(buffer.mayHaveLost(2), "nothing after 2 was lost");

        ReplayBuffer small = buffer(60, 100, 10);
        small.add(1, 1, "\"12345\""); // 7 characters
        small.add(1, 2, "\"1234\""); // 6: 13 in all, over 10
        assertEquals(List.of("1-2"), ids(small.after(1, 0)));
    }

    @Test
    void theNewestEventStaysHoweverLarge() {
        ReplayBuffer buffer = buffer(60, 100, 10);
        buffer.add(1, 1, "{}");
        String big = "\"" + "x".repeat(1_000) + "\"";
        buffer.add(1, 2, big);

        List<ReplayBuffer.Event> events = buffer.after(1, 0);
        assertEquals(List.of("1-2"), ids(events));
        assertEquals(big, events.get(0).json());
    }

    @Test
    void clearEmptiesTheBuffer() {
        ReplayBuffer buffer = buffer(60, 100, 10_000);
        buffer.add(1, 1, "{}");
        buffer.clear();
        assertEquals(0, buffer.size());
        assertEquals(List.of(), buffer.after(1, 0));
    }
}
