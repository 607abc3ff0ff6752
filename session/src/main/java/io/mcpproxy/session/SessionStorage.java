package io.mcpproxy.session;

import java.time.Duration;
import java.util.Optional;

/**
 * Where sessions live: in this process ({@link LocalStorage}, the default) or shared by several proxy replicas
 * ({@code RedisStorage} (module session-redis)).
 *
 * <p>The time-to-live is passed on every call rather than configured per storage, so that the
 * {@link SessionManager} (and the proxy builders above it) own one TTL that behaves the same on every storage.
 * The TTL slides: {@link #load} restarts it in the same operation that reads the session.
 *
 * <p>Implementations are thread-safe. Every failure of the storage itself (unreachable, timed out, corrupt record)
 * raises {@link SessionStorageException}; "not found" is never an exception, so callers can tell a missing
 * session (HTTP 404) from an unavailable store (HTTP 503).
 */
public interface SessionStorage extends AutoCloseable {

    /**
     * Stores {@code session} only when no live session has its id, atomically.
     *
     * @return {@code true} if stored, {@code false} if a live session with that id already exists
     * @throws SessionStorageException when the storage fails or refuses (see {@link SessionLimitExceededException})
     */
    boolean createIfAbsent(Session session, Duration ttl);

    /**
     * Stores {@code session}, replacing any session with its id, and restarts its TTL. Creates the session when
     * none exists; to update a session that may have ended meanwhile, use {@link #replace}.
     *
     * @throws SessionStorageException when the storage fails
     */
    void store(Session session, Duration ttl);

    /**
     * Stores {@code session} only while a live session with its id exists, replacing it and restarting its TTL,
     * atomically. A session deleted or expired before this call stays gone: an update racing the end of a session
     * must not bring it back for a whole TTL.
     *
     * @return {@code true} if replaced, {@code false} if no live session had that id (nothing was stored)
     * @throws SessionStorageException when the storage fails
     */
    boolean replace(Session session, Duration ttl);

    /**
     * Reads a session and restarts its TTL, in one operation.
     *
     * @return the session, or empty when there is none or it expired
     * @throws SessionStorageException when the storage fails
     */
    Optional<Session> load(String id, Duration ttl);

    /**
     * Removes a session; a missing one is fine.
     *
     * @return whether a session was removed
     * @throws SessionStorageException when the storage fails
     */
    boolean delete(String id);

    /** Releases threads and connections. Idempotent. */
    @Override
    void close();
}
