package io.mcpproxy.stdio.cluster;

import io.mcpproxy.core.Periodic;
import io.mcpproxy.session.SessionStorage;
import io.mcpproxy.session.SessionStorageException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's liveness record in the shared storage, and what the records of the others say. The record is
 * refreshed twice per heartbeat interval and lives two intervals; a replica whose record is gone has crashed or
 * stopped, and the sessions it held are over.
 *
 * <p>A record found gone by the heartbeat that should have refreshed it means the storage lost its data (a Redis
 * restarted without persistence, or flushed) or the heartbeats could not reach it for a while: the sessions this
 * replica holds are then written back ({@code recordLost}), and for one record lifetime after that this replica does
 * not conclude from a missing record that another replica is gone: the others may not have written theirs back yet.
 */
public final class ReplicaLiveness {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaLiveness.class);

    /** What the storage says of another replica. */
    public enum Verdict {
        ALIVE,
        /** No record: it crashed or stopped; its sessions are over. */
        GONE,
        /** Not known now (the storage failed, or its data is being written back): the client should retry. */
        UNKNOWN
    }

    private final String replicaId;
    private final String url;
    private final Duration interval;
    /** How long a record lives without a refresh: two intervals, so one late heartbeat never expires it. */
    private final Duration recordLifetime;
    private final SessionStorage storage;
    private final Executor workers;
    private final Runnable recordLost;
    private final LongSupplier nanoClock;
    /** Replicas known alive, until when (nano clock); a cache that spares forwarded requests a storage round trip. */
    private final ConcurrentHashMap<String, Long> aliveUntil = new ConcurrentHashMap<>();
    /**
     * The heartbeat in flight, completed once it knows whether the record was lost (before the write-back that may
     * follow, which can take a while); null: none. One at a time.
     */
    private final AtomicReference<CompletableFuture<Void>> beating = new AtomicReference<>();
    /** Since when this replica's record is known to have lived without a gap (nano clock); 0: not yet. */
    private volatile long unbrokenSince;
    /** When a heartbeat last found this replica's record gone (nano clock); null: never since start. */
    private volatile Long recordLostAt;
    private Periodic heartbeats; // from start to stop

    /**
     * @param workers    runs the heartbeat's storage call off the timer thread
     * @param recordLost writes back the sessions this replica holds; runs on a worker after a lost record
     */
    public ReplicaLiveness(String replicaId, String url, Duration interval, SessionStorage storage, Executor workers,
                           Runnable recordLost, LongSupplier nanoClock) {
        this.replicaId = replicaId;
        this.url = url;
        this.interval = interval;
        this.recordLifetime = interval.multipliedBy(2);
        this.storage = storage;
        this.workers = workers;
        this.recordLost = recordLost;
        this.nanoClock = nanoClock;
    }

    /**
     * Writes the record now, then refreshes it twice per interval on {@code scheduler}: the record lives two
     * intervals, so it takes several refreshes in a row to be late (a busy machine, a pause) before it expires.
     */
    public void start(Scheduler scheduler) {
        heartbeat();
        Duration every = interval.dividedBy(2);
        heartbeats = Periodic.every(scheduler, "replica heartbeat", every, every,
                () -> workers.execute(this::heartbeat));
    }

    /** Stops the heartbeats and removes the record: the last thing a replica that stops does. */
    public void stop() {
        if (heartbeats != null) {
            heartbeats.cancel();
        }
        try {
            storage.removeReplica(replicaId);
        } catch (SessionStorageException e) {
            LOG.warn("could not remove this replica's liveness record (it expires in {} ms): {}",
                    recordLifetime.toMillis(), e.getMessage());
        }
    }

    /** What the storage says of replica {@code owner}. */
    public Verdict of(String owner) {
        long now = nanoClock.getAsLong();
        Long until = aliveUntil.get(owner);
        if (until != null && now - until < 0) {
            return Verdict.ALIVE;
        }
        try {
            if (storage.isAlive(owner)) {
                aliveUntil.put(owner, now + interval.toNanos() / 2);
                return Verdict.ALIVE;
            }
        } catch (SessionStorageException e) {
            return Verdict.UNKNOWN;
        }
        aliveUntil.remove(owner);
        long since = unbrokenSince;
        // A missing record proves a replica gone only once this one's own record has lived a whole record lifetime:
        // after the storage lost its data, every replica writes its record back within one interval
        if (since == 0 || now - since < recordLifetime.toNanos()) {
            return Verdict.UNKNOWN;
        }
        // ... and only while this one's own record is there: if it is gone too, the storage has just lost its
        // data and this replica's heartbeat has not noticed yet
        return storageLostData() ? Verdict.UNKNOWN : Verdict.GONE;
    }

    /**
     * After a session was not found: whether the storage lost its data (this replica's own record is gone too, or
     * was found gone less than a record lifetime ago), so that the session may well be written back shortly by its
     * owner and the client should retry rather than start over. A lost record is written back at once.
     */
    public boolean storageLostData() {
        if (recordLostLately()) {
            return true; // this record is back, but the owner's write-back may still be on its way
        }
        try {
            if (storage.isAlive(replicaId)) {
                return lostByTheHeartbeatInFlight();
            }
        } catch (SessionStorageException e) {
            return false; // the caller's own storage call decides
        }
        workers.execute(this::heartbeat);
        return true;
    }

    private boolean recordLostLately() {
        Long lostAt = recordLostAt;
        return lostAt != null && nanoClock.getAsLong() - lostAt < recordLifetime.toNanos();
    }

    /**
     * The record is there, but a heartbeat in flight may have just written it back after the storage lost its data,
     * and not yet said so: waits for it (at most one interval) before concluding that nothing was lost.
     */
    private boolean lostByTheHeartbeatInFlight() {
        CompletableFuture<Void> inFlight = beating.get();
        if (inFlight != null) {
            try {
                inFlight.get(interval.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // a heartbeat that failed or hangs wrote nothing this check can learn from
            }
        }
        return recordLostLately();
    }

    /** Refreshes the record; a record that was gone is written back, and so are the sessions this replica holds. */
    void heartbeat() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!beating.compareAndSet(null, done)) {
            return;
        }
        try {
            boolean lived = storage.heartbeat(replicaId, url, recordLifetime);
            if (!lived || unbrokenSince == 0) {
                unbrokenSince = nanoClock.getAsLong();
            }
            if (!lived && heartbeats != null) { // not the first record, written at start
                recordLostAt = nanoClock.getAsLong();
                done.complete(null); // what storageLostData waits for is known: it need not wait for the write-back
                LOG.warn("this replica's liveness record was gone (the session storage lost its data, or was out of"
                        + " reach for over {} ms); writing back the sessions it holds",
                        recordLifetime.toMillis());
                recordLost.run();
            }
        } catch (SessionStorageException e) {
            unbrokenSince = 0; // the record may expire meanwhile: not known to be unbroken any more
            LOG.debug("heartbeat failed: {}", e.getMessage());
        } finally {
            beating.set(null);
            done.complete(null);
        }
    }
}
