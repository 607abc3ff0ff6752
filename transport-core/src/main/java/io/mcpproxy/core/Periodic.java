package io.mcpproxy.core;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repeating timer tasks that survive their own failures. A task given to
 * {@link ScheduledExecutorService#scheduleWithFixedDelay} that throws once is never run again, silently: one
 * unexpected exception in a keep-alive round would end keep-alives, TTL refreshes or idle sweeps for the life of
 * the proxy. Here a failed round is logged and the next one runs as planned.
 */
public final class Periodic {

    private static final Logger LOG = LoggerFactory.getLogger(Periodic.class);

    private Periodic() {
    }

    /**
     * Runs {@code task} on {@code timer} after {@code initialDelay}, then {@code interval} after each round ends.
     *
     * @param name what the task does, for the log line of a failed round
     */
    public static ScheduledFuture<?> every(ScheduledExecutorService timer, String name, Duration initialDelay,
                                           Duration interval, Runnable task) {
        return timer.scheduleWithFixedDelay(() -> runRound(name, task), initialDelay.toMillis(),
                interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    static void runRound(String name, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.warn("{} failed; it runs again next round", name, e);
        }
    }
}
