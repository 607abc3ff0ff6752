package io.mcpproxy.session;

import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process {@link SessionStorage}: the default of every proxy. Sessions live in a concurrent map with a sliding
 * TTL; a daemon sweeper removes expired ones. Expired sessions are also invisible before the sweeper runs.
 *
 * <pre>{@code
 * LocalStorage storage = LocalStorage.builder()
 *         .maxSessions(50_000)                 // default: unbounded
 *         .sweepInterval(Duration.ofMinutes(1)) // default: 1 minute
 *         .build();
 * }</pre>
 */
public final class LocalStorage implements SessionStorage {

    /** How often the sweeper removes expired sessions unless told otherwise: every minute. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(LocalStorage.class);

    /**
     * A stored session and when it expires, in epoch milliseconds. The expiry is the only mutable part: loads
     * slide it with a compare-and-set instead of replacing the map entry, so a load takes no lock and allocates
     * nothing but its result. Removal first sets {@link #RETIRED}; after that no load can revive the entry, which
     * closes the race between a load that slides the TTL and a sweep that removes the entry as expired.
     */
    private static final class Entry {
        private static final long RETIRED = Long.MIN_VALUE;
        private static final AtomicLongFieldUpdater<Entry> EXPIRES_AT =
                AtomicLongFieldUpdater.newUpdater(Entry.class, "expiresAt");

        final Session session;
        private volatile long expiresAt;

        Entry(Session session, long expiresAt) {
            this.session = session;
            this.expiresAt = expiresAt;
        }

        boolean isExpiredAt(long now) {
            return now >= expiresAt;
        }

        /** Restarts the TTL, unless the entry already expired or was retired. */
        boolean touch(long now, long newExpiresAt) {
            while (true) {
                long current = expiresAt;
                if (now >= current) {
                    return false;
                }
                if (EXPIRES_AT.compareAndSet(this, current, newExpiresAt)) {
                    return true;
                }
            }
        }

        /** Retires the entry if it is expired at {@code now}: from then on no load can touch it. */
        boolean retireIfExpired(long now) {
            while (true) {
                long current = expiresAt;
                if (now < current) {
                    return false;
                }
                if (current == RETIRED || EXPIRES_AT.compareAndSet(this, current, RETIRED)) {
                    return true;
                }
            }
        }
    }

    /** The sessions of each type by id: types are kept apart, and a lookup allocates nothing. */
    private final Map<Session.Type, ConcurrentHashMap<String, Entry>> sessionsByType =
            new EnumMap<>(Session.Type.class);
    /** Replicas' liveness: when each one's record expires, in epoch milliseconds. */
    private final ConcurrentHashMap<String, Long> replicas = new ConcurrentHashMap<>();
    /** Live entries in {@link #sessions}; changed only inside the map's per-key atomic operations. */
    private final AtomicInteger count = new AtomicInteger();
    private final InstantSource clock;
    private final int maxSessions;
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalStorage(Builder builder) {
        for (Session.Type type : Session.Type.values()) {
            sessionsByType.put(type, new ConcurrentHashMap<>());
        }
        this.clock = builder.clock;
        this.maxSessions = builder.maxSessions;
        if (builder.sweepInterval.isZero()) {
            this.sweeper = null;
        } else {
            this.sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "mcp-session-sweeper");
                thread.setDaemon(true);
                return thread;
            });
            long millis = builder.sweepInterval.toMillis();
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** A storage with the defaults: unbounded, system clock, sweeping every minute. */
    public static LocalStorage create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean createIfAbsent(Session session, Duration ttl) {
        return put(session, ttl, true);
    }

    @Override
    public void store(Session session, Duration ttl) {
        put(session, ttl, false);
    }

    @Override
    public boolean replace(Session session, Duration ttl) {
        Objects.requireNonNull(session, "session");
        long now = clock.millis();
        Entry fresh = new Entry(session, now + ttl.toMillis());
        boolean[] replaced = {false};
        sessionsOf(session.type()).computeIfPresent(session.id(), (id, existing) -> {
            if (existing.retireIfExpired(now)) {
                // Expired (or retired by a sweep that has not removed it yet): it ends here, not revived.
                count.decrementAndGet();
                return null;
            }
            replaced[0] = true;
            return fresh; // same key, so the count is unchanged
        });
        return replaced[0];
    }

    private boolean put(Session session, Duration ttl, boolean onlyIfAbsent) {
        Objects.requireNonNull(session, "session");
        long now = clock.millis();
        Entry fresh = new Entry(session, now + ttl.toMillis());
        if (onlyIfAbsent) {
            reserveSlot(); // the bound refuses new sessions, never updates of existing ones
        } else {
            count.incrementAndGet();
        }
        boolean[] stored = {false};
        sessionsOf(session.type()).compute(session.id(), (id, existing) -> {
            if (existing != null && onlyIfAbsent && !existing.retireIfExpired(now)) {
                return existing; // live: leave it
            }
            stored[0] = true;
            if (existing != null) {
                count.decrementAndGet(); // replaced, so the reserved slot was not needed
            }
            return fresh;
        });
        if (!stored[0]) {
            count.decrementAndGet();
        }
        return stored[0];
    }

    /** Counts the session about to be added, refusing past the bound (after one sweep for expired entries). */
    private void reserveSlot() {
        if (maxSessions == 0) {
            count.incrementAndGet();
            return;
        }
        if (tryReserve() || (removeExpired() > 0 && tryReserve())) {
            return;
        }
        throw new SessionLimitExceededException(maxSessions);
    }

    private boolean tryReserve() {
        while (true) {
            int current = count.get();
            if (current >= maxSessions) {
                return false;
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    @Override
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        ConcurrentHashMap<String, Entry> sessions = sessionsOf(type);
        Entry entry = sessions.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        long now = clock.millis();
        if (entry.touch(now, now + ttl.toMillis())) {
            return Optional.of(entry.session);
        }
        removeIfExpired(sessions, id, entry, now);
        return Optional.empty();
    }

    @Override
    public boolean delete(Session.Type type, String id) {
        Entry removed = sessionsOf(type).remove(id);
        if (removed == null) {
            return false;
        }
        count.decrementAndGet();
        return !removed.isExpiredAt(clock.millis());
    }

    @Override
    public boolean heartbeat(String replicaId, String url, Duration ttl) {
        long now = clock.millis();
        Long before = replicas.put(replicaId, now + ttl.toMillis());
        return before != null && before > now;
    }

    @Override
    public boolean isAlive(String replicaId) {
        Long expiresAt = replicas.get(replicaId);
        return expiresAt != null && expiresAt > clock.millis();
    }

    @Override
    public void removeReplica(String replicaId) {
        replicas.remove(replicaId);
    }

    private ConcurrentHashMap<String, Entry> sessionsOf(Session.Type type) {
        return sessionsByType.get(Objects.requireNonNull(type, "type"));
    }

    /** Whoever takes an entry out of the map decrements the count: map removal is atomic, so exactly once. */
    private boolean removeIfExpired(Map<String, Entry> sessions, String id, Entry entry, long now) {
        if (entry.retireIfExpired(now) && sessions.remove(id, entry)) {
            count.decrementAndGet();
            return true;
        }
        return false;
    }

    /**
     * Removes every expired session now (the sweeper calls this periodically).
     *
     * @return how many were removed
     */
    public int removeExpired() {
        long now = clock.millis();
        int removed = 0;
        for (ConcurrentHashMap<String, Entry> sessions : sessionsByType.values()) {
            for (Map.Entry<String, Entry> candidate : sessions.entrySet()) {
                if (removeIfExpired(sessions, candidate.getKey(), candidate.getValue(), now)) {
                    removed++;
                }
            }
        }
        replicas.values().removeIf(expiresAt -> expiresAt <= now);
        return removed;
    }

    private void sweepQuietly() {
        try {
            int removed = removeExpired();
            if (removed > 0) {
                LOG.debug("removed {} expired sessions, {} remain", removed, count.get());
            }
        } catch (RuntimeException e) {
            // A sweeper that dies silently would let the map grow forever: log and keep going.
            LOG.warn("session sweep failed", e);
        }
    }

    /** Sessions held, expired ones not yet swept included. */
    public int size() {
        return count.get();
    }

    /** Stops the sweeper and drops every session. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
            try {
                sweeper.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sessionsByType.values().forEach(Map::clear);
        replicas.clear();
        count.set(0);
    }

    /** Options of {@link LocalStorage}; every one has a default. */
    public static final class Builder {
        private InstantSource clock = InstantSource.system();
        private int maxSessions;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;

        private Builder() {
        }

        /** Source of "now" for TTLs. Default: the system clock. Tests pass a fake clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Upper bound on stored sessions; creating one more fails with {@link SessionLimitExceededException}.
         * Default 0: unbounded.
         */
        public Builder maxSessions(int maxSessions) {
            if (maxSessions < 0) {
                throw new IllegalArgumentException("maxSessions must be >= 0 (0 = unbounded), got " + maxSessions);
            }
            this.maxSessions = maxSessions;
            return this;
        }

        /** How often the sweeper removes expired sessions. Default 1 minute; {@code Duration.ZERO} = no sweeper. */
        public Builder sweepInterval(Duration interval) {
            Objects.requireNonNull(interval, "sweepInterval");
            if (interval.isNegative() || (!interval.isZero() && interval.toMillis() < 1)) {
                throw new IllegalArgumentException("sweepInterval must be zero (off) or at least 1 ms, got " + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        public LocalStorage build() {
            return new LocalStorage(this);
        }
    }
}
