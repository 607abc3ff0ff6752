package io.mcpproxy.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repeating task on a proxy's one {@link Scheduler}, which survives its own failures: a failed round is logged
 * and the next one runs as planned (a plain repeating timer task that throws once is never run again, silently,
 * which would end keep-alives, TTL refreshes or idle sweeps for the life of the proxy). Rounds run with a fixed
 * delay between the end of one and the start of the next, so a slow round never piles up behind itself.
 *
 * <p>Components start their periodic tasks in {@code doStart} and {@link #cancel} them in {@code doStop}.
 */
public final class Periodic {

    private static final Logger LOG = LoggerFactory.getLogger(Periodic.class);

    private final Scheduler scheduler;
    private final String name;
    private final long intervalMillis;
    private final Runnable task;
    private final Object lock = new Object();
    private Scheduler.Task next; // guarded by lock; the round scheduled next
    private boolean cancelled; // guarded by lock

    private Periodic(Scheduler scheduler, String name, Duration interval, Runnable task) {
        this.scheduler = scheduler;
        this.name = name;
        this.intervalMillis = interval.toMillis();
        this.task = task;
    }

    /**
     * Runs {@code task} on {@code scheduler} after {@code initialDelay}, then {@code interval} after each round ends,
     * until {@link #cancel()}.
     *
     * @param name what the task does, for the log line of a failed round
     */
    public static Periodic every(Scheduler scheduler, String name, Duration initialDelay, Duration interval,
                                 Runnable task) {
        Objects.requireNonNull(task, "task");
        if (interval.toMillis() < 1) {
            throw new IllegalArgumentException(name + ": interval must be at least 1 ms, got " + interval);
        }
        Periodic periodic = new Periodic(scheduler, name, interval, task);
        periodic.scheduleIn(initialDelay.toMillis());
        return periodic;
    }

    /** Stops the rounds; one already running finishes. Idempotent. */
    public void cancel() {
        synchronized (lock) {
            cancelled = true;
            if (next != null) {
                next.cancel();
                next = null;
            }
        }
    }

    private void scheduleIn(long delayMillis) {
        synchronized (lock) {
            if (cancelled) {
                return;
            }
            try {
                next = scheduler.schedule(this::round, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                cancelled = true; // the scheduler is stopping with its proxy
            }
        }
    }

    private void round() {
        runRound(name, task);
        scheduleIn(intervalMillis);
    }

    static void runRound(String name, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.warn("{} failed; it runs again next round", name, e);
        }
    }
}
