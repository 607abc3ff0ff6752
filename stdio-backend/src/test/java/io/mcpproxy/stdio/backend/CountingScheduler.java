package io.mcpproxy.stdio.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/** Jetty's scheduler, counting the tasks armed and those neither run nor cancelled yet. */
final class CountingScheduler extends ScheduledExecutorScheduler {

    private final AtomicInteger scheduled = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();

    CountingScheduler() {
        super("counting-scheduler", true);
    }

    @Override
    public Task schedule(Runnable task, long delay, TimeUnit unit) {
        scheduled.incrementAndGet();
        pending.incrementAndGet();
        AtomicBoolean settled = new AtomicBoolean();
        Task armed = super.schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                pending.decrementAndGet();
            }
            task.run();
        }, delay, unit);
        return () -> {
            boolean cancelled = armed.cancel();
            if (cancelled && settled.compareAndSet(false, true)) {
                pending.decrementAndGet();
            }
            return cancelled;
        };
    }

    /** Tasks ever armed. */
    int scheduled() {
        return scheduled.get();
    }

    /** Tasks armed and neither run nor cancelled. */
    int pending() {
        return pending.get();
    }
}
