package io.mcpproxy.session;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling for tests, shared by every module through this module's test-jar: waits for a condition that
 * another thread or process makes true (a reader thread, a sweeper, Redis expiring a key, a socket closing). It
 * never asserts: the test asserts the condition afterwards, so a timeout fails with the test's own message.
 */
public final class Await {
    private static final long POLL_MILLIS = 10;

    private Await() {
    }

    /** Polls {@code done} every 10 ms until it holds or {@code limit} has passed; returns its last value. */
    public static boolean until(BooleanSupplier done, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return true;
    }
}
