package io.mcpproxy.session;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.slf4j.Logger;

/**
 * Logs a storage outage as operators want to read it: one WARN when the first operation fails, a summary WARN per
 * {@link #SUMMARY_INTERVAL} while operations keep failing, one INFO when an operation succeeds again. Without it,
 * every request during an outage logged a WARN of its own (127 lines per replica in 5 s).
 */
final class StorageOutageLog {

    static final Duration SUMMARY_INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final InstantSource clock;
    /** Whether an outage is under way: the only field an operation that succeeds reads. */
    private volatile boolean down;
    // Guarded by this: the outage's start, its last summary, and the failures since then and in all.
    private Instant since;
    private Instant lastSummary;
    private long failuresSinceSummary;
    private long failures;

    StorageOutageLog(Logger log, InstantSource clock) {
        this.log = log;
        this.clock = clock;
    }

    /** An operation failed: the first of an outage is logged, the rest counted and summarized. */
    void failed(String operation, SessionStorageException failure) {
        Instant now = clock.instant();
        synchronized (this) {
            failures++;
            if (!down) {
                down = true;
                since = now;
                lastSummary = now;
                failuresSinceSummary = 0;
                log.warn("session storage unavailable: {} failed: {} (further failures are summarized every {} s)",
                        operation, failure.getMessage(), SUMMARY_INTERVAL.toSeconds());
                return;
            }
            failuresSinceSummary++;
            if (Duration.between(lastSummary, now).compareTo(SUMMARY_INTERVAL) >= 0) {
                log.warn("session storage still unavailable after {} s: {} operations failed in the last {} s,"
                        + " the latest {}: {}", Duration.between(since, now).toSeconds(), failuresSinceSummary,
                        Duration.between(lastSummary, now).toSeconds(), operation, failure.getMessage());
                lastSummary = now;
                failuresSinceSummary = 0;
            }
        }
    }

    /** An operation succeeded: ends an outage under way. */
    void succeeded() {
        if (!down) {
            return;
        }
        Instant now = clock.instant();
        synchronized (this) {
            if (!down) {
                return;
            }
            down = false;
            log.info("session storage answers again after {} ms; {} operations failed meanwhile",
                    Duration.between(since, now).toMillis(), failures);
            failures = 0;
        }
    }
}
