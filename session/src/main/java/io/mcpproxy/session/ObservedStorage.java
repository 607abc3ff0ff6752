package io.mcpproxy.session;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The storage as a {@link SessionManager} uses it: every failure goes to the {@link StorageOutageLog}, and with a
 * meter registry every operation is timed ({@value #OPERATIONS}) and its failures counted ({@value #FAILURES}), by
 * operation, with meters registered once, up front. Without a registry nothing is timed.
 */
final class ObservedStorage implements SessionStorage {

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

    /** One operation: its name in logs, its timer and failure counter (both null without a registry). */
    private record Op(String name, StorageOutageLog outages, Timer timer, Counter failures) {

        <T> T run(Supplier<T> operation) {
            long start = timer == null ? 0 : System.nanoTime();
            try {
                T result = operation.get();
                outages.succeeded();
                return result;
            } catch (SessionStorageException e) {
                outages.failed(name, e);
                if (failures != null) {
                    failures.increment();
                }
                throw e;
            } finally {
                if (timer != null) {
                    timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }
            }
        }
    }

    /** @param registry null: no metrics */
    ObservedStorage(SessionStorage storage, StorageOutageLog outages, MeterRegistry registry) {
        this.storage = storage;
        String kind = storage instanceof LocalStorage ? "local"
                : storage.getClass().getSimpleName().replace("Storage", "").toLowerCase(Locale.ROOT);
        this.create = op("create", outages, registry, kind);
        this.store = op("store", outages, registry, kind);
        this.replace = op("replace", outages, registry, kind);
        this.load = op("load", outages, registry, kind);
        this.delete = op("delete", outages, registry, kind);
        this.heartbeat = op("heartbeat", outages, registry, kind);
        this.isAlive = op("is_alive", outages, registry, kind);
        this.removeReplica = op("remove_replica", outages, registry, kind);
    }

    private static Op op(String name, StorageOutageLog outages, MeterRegistry registry, String kind) {
        if (registry == null) {
            return new Op(name, outages, null, null);
        }
        Timer timer = Timer.builder(OPERATIONS).description("Session storage operations, failed ones included")
                .tag("storage", kind).tag("op", name).publishPercentileHistogram().register(registry);
        Counter failures = Counter.builder(FAILURES).description("Session storage operations that failed")
                .tag("storage", kind).tag("op", name).register(registry);
        return new Op(name, outages, timer, failures);
    }

    @Override
    public boolean createIfAbsent(Session session, Duration ttl) {
        return create.run(() -> storage.createIfAbsent(session, ttl));
    }

    @Override
    public void store(Session session, Duration ttl) {
        store.run(() -> {
            storage.store(session, ttl);
            return null;
        });
    }

    @Override
    public boolean replace(Session session, Duration ttl) {
        return replace.run(() -> storage.replace(session, ttl));
    }

    @Override
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        return load.run(() -> storage.load(type, id, ttl));
    }

    @Override
    public boolean delete(Session.Type type, String id) {
        return delete.run(() -> storage.delete(type, id));
    }

    @Override
    public boolean heartbeat(String replicaId, String url, Duration ttl) {
        return heartbeat.run(() -> storage.heartbeat(replicaId, url, ttl));
    }

    @Override
    public boolean isAlive(String replicaId) {
        return isAlive.run(() -> storage.isAlive(replicaId));
    }

    @Override
    public void removeReplica(String replicaId) {
        removeReplica.run(() -> {
            storage.removeReplica(replicaId);
            return null;
        });
    }

    @Override
    public void close() {
        storage.close();
    }
}
