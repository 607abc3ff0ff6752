package io.mcpproxy.session;

import java.time.Duration;
import java.util.Optional;

/**
 * Where sessions live: in this process ({@link LocalStorage}, the default) or shared by several proxy replicas
 * ({@code RedisStorage} (module session-redis)).
 *
 * <p>Sessions of different {@link Session.Type types} are kept apart: a session is read and deleted by its type and
 * id, so proxies of different kinds sharing one store (a transparent proxy in front of Streamable HTTP replicas, all
 * on one Redis) never take each other's records for their own, even where an id repeats.
 *
 * <p>Replicas that share a storage also keep their liveness in it: each refreshes a short-lived record of its own
 * ({@link #heartbeat}), so that the others can tell a replica that holds sessions from one that is gone.
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
     * Reads a session of {@code type} and restarts its TTL, in one operation.
     *
     * @return the session, or empty when there is none of that type and id, or it expired
     * @throws SessionStorageException when the storage fails
     */
    Optional<Session> load(Session.Type type, String id, Duration ttl);

    /**
     * Removes a session of {@code type}; a missing one is fine.
     *
     * @return whether a session was removed
     * @throws SessionStorageException when the storage fails
     */
    boolean delete(Session.Type type, String id);

    /**
     * Records that replica {@code replicaId} is alive, reachable at {@code url}, for {@code ttl} from now.
     *
     * @return whether its record was still there: false when it had expired, was removed, or the storage lost its
     *         data (a Redis restarted without persistence, or flushed); the record is there again either way
     * @throws SessionStorageException when the storage fails
     */
    boolean heartbeat(String replicaId, String url, Duration ttl);

    /**
     * Whether replica {@code replicaId} has a live record.
     *
     * @throws SessionStorageException when the storage fails
     */
    boolean isAlive(String replicaId);

    /**
     * Removes replica {@code replicaId}'s record (it stops); a missing one is fine.
     *
     * @throws SessionStorageException when the storage fails
     */
    void removeReplica(String replicaId);

    /** Releases threads and connections. Idempotent. */
    @Override
    void close();
}
