package io.mcpproxy.session;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A storage whose every operation is timed ({@value #OPERATIONS}) and whose failures are counted
 * ({@value #FAILURES}), both by operation; meters registered once, up front, so an operation looks nothing up.
 */
final class MeteredStorage implements SessionStorage {

    static final String OPERATIONS = "mcp.proxy.storage.operations";
    static final String FAILURES = "mcp.proxy.storage.failures";

    private final SessionStorage storage;
    private final Op create;
    private final Op store;
    private final Op replace;
    private final Op load;
    private final Op delete;
    private final Op heartbeat;
    private final Op isAlive;
    private final Op removeReplica;

    /** The timer and failure counter of one operation. */
    private record Op(Timer timer, Counter failures) {

        <T> T time(Supplier<T> operation) {
            long start = System.nanoTime();
            try {
                return operation.get();
            } catch (RuntimeException e) {
                failures.increment();
                throw e;
            } finally {
                timer.record(Duration.ofNanos(System.nanoTime() - start));
            }
        }
    }

    MeteredStorage(SessionStorage storage, MeterRegistry registry) {
        this.storage = storage;
        String kind = storage instanceof LocalStorage ? "local" : storage.getClass().getSimpleName()
                .replace("Storage", "").toLowerCase(java.util.Locale.ROOT);
        this.create = op(registry, kind, "create");
        this.store = op(registry, kind, "store");
        this.replace = op(registry, kind, "replace");
        this.load = op(registry, kind, "load");
        this.delete = op(registry, kind, "delete");
        this.heartbeat = op(registry, kind, "heartbeat");
        this.isAlive = op(registry, kind, "is_alive");
        this.removeReplica = op(registry, kind, "remove_replica");
    }

    private static Op op(MeterRegistry registry, String kind, String name) {
        Timer timer = Timer.builder(OPERATIONS).description("Session storage operations, failed ones included")
                .tag("storage", kind).tag("op", name).publishPercentileHistogram().register(registry);
        Counter failures = Counter.builder(FAILURES).description("Session storage operations that failed")
                .tag("storage", kind).tag("op", name).register(registry);
        return new Op(timer, failures);
    }

    /** The storage this one times. */
    SessionStorage unwrap() {
        return storage;
    }

    @Override
    public boolean createIfAbsent(Session session, Duration ttl) {
        return create.time(() -> storage.createIfAbsent(session, ttl));
    }

    @Override
    public void store(Session session, Duration ttl) {
        store.time(() -> {
            storage.store(session, ttl);
            return null;
        });
    }

    @Override
    public boolean replace(Session session, Duration ttl) {
        return replace.time(() -> storage.replace(session, ttl));
    }

    @Override
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        return load.time(() -> storage.load(type, id, ttl));
    }

    @Override
    public boolean delete(Session.Type type, String id) {
        return delete.time(() -> storage.delete(type, id));
    }

    @Override
    public boolean heartbeat(String replicaId, String url, Duration ttl) {
        return heartbeat.time(() -> storage.heartbeat(replicaId, url, ttl));
    }

    @Override
    public boolean isAlive(String replicaId) {
        return isAlive.time(() -> storage.isAlive(replicaId));
    }

    @Override
    public void removeReplica(String replicaId) {
        removeReplica.time(() -> {
            storage.removeReplica(replicaId);
            return null;
        });
    }

    @Override
    public void close() {
        storage.close();
    }
}
