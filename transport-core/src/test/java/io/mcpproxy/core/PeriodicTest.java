package io.mcpproxy.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.Await;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PeriodicTest {

    private final ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("periodic-test", true);

    @BeforeEach
    void start() throws Exception {
        scheduler.start();
    }

    @AfterEach
    void stop() throws Exception {
        scheduler.stop();
    }

    @Test
    void aRoundThatThrowsDoesNotEndTheRoundsAfterIt() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        Periodic.every(scheduler, "test task", Duration.ZERO, Duration.ofMillis(5), () -> {
            if (rounds.incrementAndGet() % 2 == 1) {
                throw new IllegalStateException("every other round fails");
            }
        });
        Await.until(() -> rounds.get() >= 4, Duration.ofSeconds(5));
        assertTrue(rounds.get() >= 4, "rounds run after failed ones: " + rounds.get());
    }

    @Test
    void noRoundRunsAfterCancel() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        Periodic periodic = Periodic.every(scheduler, "test task", Duration.ZERO, Duration.ofMillis(5),
                rounds::incrementAndGet);
        Await.until(() -> rounds.get() >= 2, Duration.ofSeconds(5));
        periodic.cancel();
        int atCancel = rounds.get();
        Thread.sleep(50); // ten intervals
        assertTrue(rounds.get() <= atCancel + 1, "a round already running may finish, no more: " + rounds.get());
        int settled = rounds.get();
        Thread.sleep(50);
        assertEquals(settled, rounds.get());
    }
}
