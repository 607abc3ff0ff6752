package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {

    private static final long SHORT_LIFE = Duration.ofSeconds(1).toNanos();

    @Test
    void theDelayDoublesPerShortLivedProcessUpToTheMax() {
        RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(250), Duration.ofSeconds(30));
        long[] delays = new long[10];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = backoff.nextDelayMillis(SHORT_LIFE);
        }
        assertEquals("[250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]",
                java.util.Arrays.toString(delays));
    }

    @Test
    void aProcessThatLivedLongerThanTheMaxDelayStartsTheDoublingOver() {
        RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(250), Duration.ofSeconds(30));
        backoff.nextDelayMillis(SHORT_LIFE);
        backoff.nextDelayMillis(SHORT_LIFE);
        assertEquals(1000, backoff.nextDelayMillis(SHORT_LIFE));
        assertEquals(250, backoff.nextDelayMillis(Duration.ofSeconds(31).toNanos()), "a healthy run resets it");
        assertEquals(250, backoff.nextDelayMillis(SHORT_LIFE));
        assertEquals(500, backoff.nextDelayMillis(SHORT_LIFE));
    }

    @Test
    void aProcessThatNeverStartedCountsAsOneMoreFailure() {
        RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertEquals(100, backoff.nextDelayMillis(0));
        assertEquals(200, backoff.nextDelayMillis(0));
        assertEquals(400, backoff.nextDelayMillis(0));
        assertEquals(800, backoff.nextDelayMillis(0));
        assertEquals(1000, backoff.nextDelayMillis(0));
    }
}
