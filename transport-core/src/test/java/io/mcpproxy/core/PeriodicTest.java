package io.mcpproxy.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.Await;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PeriodicTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aRoundThatThrowsDoesNotEndTheRoundsAfterIt() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        Periodic.every(timer, "test task", Duration.ZERO, Duration.ofMillis(5), () -> {
            if (rounds.incrementAndGet() % 2 == 1) {
                throw new IllegalStateException("every other round fails");
            }
        });
        Await.until(() -> rounds.get() >= 4, Duration.ofSeconds(5));
        assertTrue(rounds.get() >= 4, "rounds run after failed ones: " + rounds.get());
    }
}
