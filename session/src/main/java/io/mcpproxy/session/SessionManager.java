package io.mcpproxy.session;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The session layer every proxy shares: mints ids, owns the TTL, and reads and writes sessions through a
 * {@link SessionStorage}.
 *
 * <pre>{@code
 * SessionManager sessions = SessionManager.builder()
 *         .storage(RedisStorage.builder().uri("redis://127.0.0.1:6379").build()) // default: a new LocalStorage
 *         .ttl(Duration.ofMinutes(30))                                      // default: 2 hours
 *         .build();
 * }</pre>
 *
 * <p>Client-supplied ids that are not 1-4096 visible ASCII characters (0x21-0x7E) cannot name a session this layer
 * minted: they are answered as unknown without touching the storage.
 *
 * <p>{@link Session#lastAccess()} of a session returned by {@link #get} is the time of that access; storages
 * persist the last-access time on writes only, so that a read stays one round trip.
 *
 * <p>{@link #updateMetadata} is read-then-write: concurrent updates of one session from two replicas resolve as
 * last-writer-wins, per whole record. The write only replaces a session that still exists, so an update racing a
 * delete or an expiry never brings the session back.
 */
public final class SessionManager implements AutoCloseable {

    /** Default session time-to-live: 2 hours since the last access. */
    private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);

    public static final Duration DEFAULT_TTL = SessionSettings.DEFAULTS.ttl();

    /** The replica a {@link #ping} asks about: any answer shows the storage answers. */
    private static final String PING_REPLICA = "readiness-ping";

    /** The storage as given (or created). */
    private final SessionStorage raw;
    /** {@link #raw} with its outages logged and (with a registry) its operations measured: what every call uses. */
    private final SessionStorage storage;
    private final boolean ownsStorage;
    private final Duration ttl;
    private final InstantSource clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SessionManager(Builder builder) {
        this.ownsStorage = builder.settings.storage() == null;
        SessionStorage given = ownsStorage ? LocalStorage.builder().clock(builder.clock)
                .sweepInterval(builder.sweepsItself ? LocalStorage.DEFAULT_SWEEP_INTERVAL : Duration.ZERO).build()
                : builder.settings.storage();
        this.raw = given;
        this.storage = new ObservedStorage(given, new StorageOutageLog(LOG, builder.clock), builder.meterRegistry);
        this.ttl = builder.settings.ttl();
        this.clock = builder.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates and stores a new session with a fresh id.
     *
     * @throws SessionStorageException when the storage fails or refuses (e.g. its session limit)
     */
    public Session create(Session.Type type, Map<String, String> metadata) {
        Instant now = now();
        // 192 random bits: a collision is not going to happen, but createIfAbsent makes it harmless if it did.
        for (int attempt = 0; attempt < 3; attempt++) {
            Session session = new Session(SessionIds.mint(), type, now, now, metadata);
            if (storage.createIfAbsent(session, ttl)) {
                return session;
            }
        }
        throw new SessionStorageException("could not mint an unused session id in 3 attempts");
    }

    /**
     * Stores a session whose id someone else minted (an upstream MCP server, seen by the transparent proxy), unless
     * a live session with that id exists.
     *
     * @return the stored session, or empty when the id is malformed or already taken
     * @throws SessionStorageException when the storage fails or refuses
     */
    public Optional<Session> register(String id, Session.Type type, Map<String, String> metadata) {
        if (!isValidId(id)) {
            return Optional.empty();
        }
        Instant now = now();
        Session session = new Session(id, type, now, now, metadata);
        return storage.createIfAbsent(session, ttl) ? Optional.of(session) : Optional.empty();
    }

    /**
     * Loads a session of {@code type} and restarts its TTL.
     *
     * @return empty for an unknown, expired or malformed id, or a session of another type
     * @throws SessionStorageException when the storage fails (the session may exist: do not answer 404)
     */
    public Optional<Session> get(Session.Type type, String id) {
        if (!isValidId(id)) {
            return Optional.empty();
        }
        return storage.load(type, id, ttl).map(session -> session.withLastAccess(now()));
    }

    /**
     * Stores {@code session} again with a fresh TTL, whether or not the storage still has it: a replica writes back the
     * sessions it holds live after the storage lost its data.
     *
     * @throws SessionStorageException when the storage fails
     */
    public void restore(Session session) {
        storage.store(session.withLastAccess(now()), ttl);
    }

    /**
     * Sets metadata entries of a session (others kept) and restarts its TTL.
     *
     * @return the updated session, or empty when it does not exist, also when it was deleted or expired between
     *         the read and the write (it is then not recreated)
     * @throws SessionStorageException when the storage fails
     */
    public Optional<Session> updateMetadata(Session.Type type, String id, Map<String, String> changes) {
        Objects.requireNonNull(changes, "changes");
        return get(type, id).flatMap(session -> {
            Session updated = session.withMetadata(changes);
            // replace, not store: a plain write after the read would resurrect a session ended in between
            return storage.replace(updated, ttl) ? Optional.of(updated) : Optional.empty();
        });
    }

    /**
     * Ends a session.
     *
     * @return whether it existed
     * @throws SessionStorageException when the storage fails
     */
    public boolean delete(Session.Type type, String id) {
        return isValidId(id) && storage.delete(type, id);
    }

    /** The sliding time-to-live of every session. */
    public Duration ttl() {
        return ttl;
    }

    /**
     * How often whatever keeps a session in use without requests (an open stream, a long call) must restart its
     * TTL: three times per TTL, so that one late or failed refresh costs nothing.
     */
    public Duration refreshInterval() {
        return ttl.dividedBy(3);
    }

    /**
     * Removes expired sessions now from the in-process storage this manager created, if it created one and was built
     * not to sweep it itself ({@link Builder#sweptByOwner}); a no-op otherwise. Expired sessions are invisible
     * anyway: the sweep frees their memory.
     */
    public void sweep() {
        if (ownsStorage && raw instanceof LocalStorage local) {
            local.removeExpired();
        }
    }

    /**
     * One round trip to the storage, within its own timeout: what a readiness check asks.
     *
     * @throws SessionStorageException when the storage does not answer
     */
    public void ping() {
        raw.isAlive(PING_REPLICA); // a probe reports its own result; only the proxy's own operations make an outage
    }

    /** The storage behind this manager, as given (or created). */
    public SessionStorage storage() {
        return raw;
    }

    /**
     * The storage as this manager calls it: its outages logged, its operations measured when the manager has a
     * meter registry. For parts that call the storage beside the manager (replica heartbeats).
     */
    public SessionStorage observedStorage() {
        return storage;
    }

    /**
     * Whether {@code id} has the shape of a session id: 1-4096 characters, each visible ASCII (0x21-0x7E).
     * Transports use it to reject a malformed {@code Mcp-Session-Id} before any storage call.
     */
    public static boolean isValidId(String id) {
        return SessionIds.isValid(id);
    }

    /** Closes the storage if this manager created it (the default LocalStorage); a storage handed in stays open. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsStorage) {
            storage.close();
        }
    }

    private Instant now() {
        // Stored records keep milliseconds; truncating here keeps every storage returning equal values.
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Options of {@link SessionManager}. */
    public static final class Builder {
        private SessionSettings settings = SessionSettings.DEFAULTS;
        private InstantSource clock = InstantSource.system();
        private boolean sweepsItself = true;
        private MeterRegistry meterRegistry;

        private Builder() {
        }

        /** Where sessions live. Default: a new {@link LocalStorage}, closed with the manager. */
        public Builder storage(SessionStorage storage) {
            this.settings = settings.withStorage(storage);
            return this;
        }

        /** Sliding time-to-live since the last access. Default 2 hours; at least 1 second. */
        public Builder ttl(Duration ttl) {
            this.settings = settings.withTtl(ttl);
            return this;
        }

        /** Storage and TTL at once; a null storage means a new {@link LocalStorage}, closed with the manager. */
        public Builder settings(SessionSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * The in-process storage the manager creates (when given none) sweeps its expired sessions from no thread of
         * its own: its owner calls {@link SessionManager#sweep()} on its own timer (a proxy, on its one scheduler).
         * Default: the storage sweeps on a thread of its own, every {@link LocalStorage#DEFAULT_SWEEP_INTERVAL}.
         */
        public Builder sweptByOwner() {
            this.sweepsItself = false;
            return this;
        }

        /** Source of "now" for timestamps (and for the default LocalStorage's TTLs). Default: system clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Times every storage operation and counts its failures, by operation, in {@code registry}
         * ({@code mcp.proxy.storage.operations}, {@code mcp.proxy.storage.failures}). Default: none, no cost.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        public SessionManager build() {
            return new SessionManager(this);
        }
    }
}
