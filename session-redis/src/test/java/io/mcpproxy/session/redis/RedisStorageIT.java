package io.mcpproxy.session.redis;

import io.mcpproxy.session.Await;
import io.mcpproxy.session.EndingAfterLoadStorage;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import static io.mcpproxy.session.TestSessions.session;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/** RedisStorage against a real redis-server that this class starts, kills, pauses and restarts. */
class RedisStorageIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final Duration TTL = Duration.ofSeconds(100);
    private static final Duration SOCKET_TIMEOUT = Duration.ofMillis(500);

    private RedisStorage storage;
    private Jedis raw;

    @BeforeEach
    void connect() {
        storage = newStorage(RedisStorage.DEFAULT_KEY_PREFIX);
        raw = REDIS.rawClient();
    }

    @AfterEach
    void disconnect() {
        storage.close();
        raw.close();
    }

    private static RedisStorage newStorage(String prefix) {
        return RedisStorage.builder().uri(REDIS.uri()).keyPrefix(prefix)
                .connectTimeout(SOCKET_TIMEOUT).socketTimeout(SOCKET_TIMEOUT).poolWait(SOCKET_TIMEOUT).build();
    }

    private static String freshId() {
        return UUID.randomUUID().toString();
    }

    @Test
    void roundTripWithMetadataThroughTheSessionManager() {
        try (SessionManager manager = SessionManager.builder().storage(storage).build()) {
            Session created = manager.create(Session.Type.TRANSPARENT,
                    Map.of(Session.BACKEND_URL, "http://127.0.0.1:9001/mcp", Session.OWNER, "replica-a"));
            Session loaded = manager.get(created.type(), created.id()).orElseThrow();
            assertEquals(created.metadata(), loaded.metadata());
            assertEquals(created.type(), loaded.type());
            assertEquals(created.createdAt(), loaded.createdAt());

            manager.updateMetadata(created.type(), created.id(), Map.of(Session.PROTOCOL_VERSION, "2025-06-18"));
            assertEquals(Optional.of("2025-06-18"),
                    manager.get(created.type(), created.id()).orElseThrow().metadata(Session.PROTOCOL_VERSION));
            assertTrue(raw.get(storage.key(created.type(), created.id())).contains("\"v\":1"));

            assertTrue(manager.delete(created.type(), created.id()));
            assertFalse(raw.exists(storage.key(created.type(), created.id())));
            assertFalse(manager.delete(created.type(), created.id()), "deleting a missing session is fine");
        }
    }

    @Test
    void loadRestoresTheFullTtl() {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        raw.expire(storage.key(Session.Type.STREAMABLE, id), 10);
        assertTrue(raw.ttl(storage.key(Session.Type.STREAMABLE, id)) <= 10);

        assertTrue(storage.load(Session.Type.STREAMABLE, id, TTL).isPresent());
        long ttl = raw.ttl(storage.key(Session.Type.STREAMABLE, id));
        assertTrue(ttl >= TTL.getSeconds() - 1 && ttl <= TTL.getSeconds(), "TTL after load: " + ttl);
    }

    @Test
    void storeSetsTheTtlToo() {
        String id = freshId();
        storage.store(session(id), Duration.ofSeconds(50));
        long ttl = raw.ttl(storage.key(Session.Type.STREAMABLE, id));
        assertTrue(ttl >= 49 && ttl <= 50, "TTL after store: " + ttl);
    }

    @Test
    void replaceUpdatesALiveSessionAndRestartsItsTtl() {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        raw.expire(storage.key(Session.Type.STREAMABLE, id), 10);
        Session updated = session(id, Map.of("who", "updated"));
        assertTrue(storage.replace(updated, Duration.ofSeconds(50)));
        long ttl = raw.ttl(storage.key(Session.Type.STREAMABLE, id));
        assertTrue(ttl >= 49 && ttl <= 50, "TTL after replace: " + ttl);
        assertEquals(Optional.of(updated), storage.load(Session.Type.STREAMABLE, id, TTL));
    }

    @Test
    void replaceOnADeletedOrUnknownSessionDoesNotRecreateIt() {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        assertTrue(storage.delete(Session.Type.STREAMABLE, id));
        assertFalse(storage.replace(session(id, Map.of("who", "late")), TTL));
        assertFalse(raw.exists(storage.key(Session.Type.STREAMABLE, id)), "SET XX wrote nothing");

        String unknown = freshId();
        assertFalse(storage.replace(session(unknown), TTL));
        assertFalse(raw.exists(storage.key(Session.Type.STREAMABLE, unknown)));
    }

    @Test
    void replaceOnAnExpiredSessionDoesNotRecreateIt() throws Exception {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        raw.pexpire(storage.key(Session.Type.STREAMABLE, id), 1);
        Await.until(() -> !raw.exists(storage.key(Session.Type.STREAMABLE, id)),
                Duration.ofSeconds(5)); // EXISTS also expires a due key
        assertFalse(raw.exists(storage.key(Session.Type.STREAMABLE, id)), "Redis expired the key");
        assertFalse(storage.replace(session(id, Map.of("who", "late")), TTL));
        assertFalse(raw.exists(storage.key(Session.Type.STREAMABLE, id)));
    }

    @Test
    void updateMetadataDoesNotResurrectASessionEndedBetweenItsReadAndItsWrite() {
        try (SessionManager racing = SessionManager.builder().storage(new EndingAfterLoadStorage(storage)).build()) {
            Session created = racing.create(Session.Type.SSE, Map.of(Session.OWNER, "replica-a"));
            assertEquals(Optional.empty(), racing.updateMetadata(created.type(), created.id(), Map.of("k", "v")));
            assertFalse(raw.exists(storage.key(created.type(), created.id())), "not recreated for a whole TTL");
        }
    }

    @Test
    void anUntouchedSessionDisappearsAfterItsTtl() throws Exception {
        String id = freshId();
        storage.createIfAbsent(session(id), Duration.ofSeconds(1));
        assertTrue(raw.exists(storage.key(Session.Type.STREAMABLE, id)));
        Await.until(() -> !raw.exists(storage.key(Session.Type.STREAMABLE, id)), Duration.ofSeconds(5));
        assertFalse(raw.exists(storage.key(Session.Type.STREAMABLE, id)), "Redis expired the key");
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, id, TTL));
    }

    @Test
    void createConflictKeepsTheFirstSession() {
        String id = freshId();
        Session first = session(id, Map.of("who", "first"));
        assertTrue(storage.createIfAbsent(first, TTL));
        assertFalse(storage.createIfAbsent(session(id, Map.of("who", "second")), TTL));
        assertEquals(Optional.of(first), storage.load(Session.Type.STREAMABLE, id, TTL));
    }

    @Test
    void keyPrefixIsHonoured() {
        try (RedisStorage prefixed = newStorage("tenant-7:sessions:")) {
            String id = freshId();
            prefixed.createIfAbsent(session(id), TTL);
            assertTrue(raw.exists("tenant-7:sessions:streamable:" + id), "prefix, type, id");
            assertFalse(raw.exists(RedisStorage.DEFAULT_KEY_PREFIX + "streamable:" + id));
            assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, id, TTL),
                    "other prefixes are other namespaces");
        }
        assertThrows(IllegalArgumentException.class, () -> RedisStorage.builder().keyPrefix("no-colon"));
        assertThrows(IllegalArgumentException.class, () -> RedisStorage.builder().keyPrefix(""));
    }

    @Test
    void sessionsOfDifferentTypesWithOneIdAreKeptApart() {
        // A transparent proxy in front of Streamable HTTP replicas learns the replicas' ids: same Redis, same prefix
        String id = freshId();
        Session streamable = session(id);
        Session transparent = new Session(id, Session.Type.TRANSPARENT, streamable.createdAt(),
                streamable.lastAccess(), Map.of(Session.BACKEND_URL, "http://10.0.0.5:8080/mcp"));
        assertTrue(storage.createIfAbsent(streamable, TTL));
        assertTrue(storage.createIfAbsent(transparent, TTL), "not taken for the other type's session");
        assertEquals(Optional.of(streamable), storage.load(Session.Type.STREAMABLE, id, TTL));
        assertEquals(Optional.of(transparent), storage.load(Session.Type.TRANSPARENT, id, TTL));
        assertTrue(storage.delete(Session.Type.TRANSPARENT, id));
        assertEquals(Optional.of(streamable), storage.load(Session.Type.STREAMABLE, id, TTL));
    }

    @Test
    void aReplicasLivenessRecordLivesUntilItsTtlAndSaysWhetherItWasStillThere() throws Exception {
        assertFalse(storage.heartbeat("replica-x", "http://10.0.0.7:8080", Duration.ofMillis(500)),
                "a first heartbeat finds no record");
        assertTrue(storage.isAlive("replica-x"));
        assertTrue(storage.heartbeat("replica-x", "http://10.0.0.7:8080", Duration.ofMillis(500)));
        Await.until(() -> !storage.isAlive("replica-x"), Duration.ofSeconds(5));
        assertFalse(storage.heartbeat("replica-x", "http://10.0.0.7:8080", Duration.ofSeconds(5)),
                "the record had expired");
        storage.removeReplica("replica-x");
        assertFalse(storage.isAlive("replica-x"));
    }

    @Test
    void exactlyOneGetexPerLoad() {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        storage.load(Session.Type.STREAMABLE, id, TTL); // the pooled connection exists now: no handshake commands below

        Map<String, Long> before = commandCalls();
        assertTrue(storage.load(Session.Type.STREAMABLE, id, TTL).isPresent());
        Map<String, Long> after = commandCalls();

        Map<String, Long> delta = new HashMap<>();
        after.forEach((command, calls) -> {
            long diff = calls - before.getOrDefault(command, 0L);
            if (diff != 0) {
                delta.put(command, diff);
            }
        });
        // The only other command between the two snapshots is the first INFO itself.
        assertEquals(Map.of("getex", 1L, "info", 1L), delta);
    }

    /** Calls per command from INFO commandstats, e.g. {getex=3, set=2}. */
    private Map<String, Long> commandCalls() {
        Map<String, Long> calls = new HashMap<>();
        for (String line : raw.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                String stats = line.substring(line.indexOf(':') + 1);
                String count = stats.split(",")[0].substring("calls=".length());
                calls.put(name, Long.parseLong(count));
            }
        }
        return calls;
    }

    @Test
    void twoReplicasSeeEachOthersSessions() {
        try (RedisStorage replicaB = newStorage(RedisStorage.DEFAULT_KEY_PREFIX);
             SessionManager a = SessionManager.builder().storage(storage).build();
             SessionManager b = SessionManager.builder().storage(replicaB).build()) {
            Session created = a.create(Session.Type.STREAMABLE, Map.of(Session.OWNER, "replica-a"));
            assertEquals(created.metadata(), b.get(created.type(), created.id()).orElseThrow().metadata());

            b.updateMetadata(created.type(), created.id(), Map.of(Session.PROTOCOL_VERSION, "2025-11-25"));
            assertEquals(Optional.of("2025-11-25"), a.get(created.type(),
                    created.id()).orElseThrow().metadata(Session.PROTOCOL_VERSION));

            assertTrue(b.delete(created.type(), created.id()));
            assertEquals(Optional.empty(), a.get(created.type(), created.id()));
        }
    }

    @Test
    void corruptRecordIsAStorageErrorNotAMissingSession() {
        String id = freshId();
        raw.set(storage.key(Session.Type.STREAMABLE, id), "definitely not a session");
        assertThrows(SessionStorageException.class, () -> storage.load(Session.Type.STREAMABLE, id, TTL));
    }

    @Test
    void aclUserAndDatabaseAreHonoured() {
        raw.aclSetUser("proxy-user", "on", ">s3cret", "~*", "+@all");
        try (RedisStorage acl = RedisStorage.builder()
                .uri("redis://proxy-user:s3cret@127.0.0.1:" + REDIS.port() + "/3").build()) {
            String id = freshId();
            acl.createIfAbsent(session(id), TTL);
            assertFalse(raw.exists(acl.key(Session.Type.STREAMABLE, id)), "not in database 0");
            raw.select(3);
            assertTrue(raw.exists(acl.key(Session.Type.STREAMABLE, id)), "in database 3");
            raw.select(0);
        }
        SessionStorageException refused = assertThrows(SessionStorageException.class, () -> RedisStorage.builder()
                .host("127.0.0.1").port(REDIS.port()).user("proxy-user").password("wrong").build());
        assertTrue(refused.getMessage().contains("127.0.0.1:" + REDIS.port()), refused.getMessage());
    }

    @Test
    void afterAFailoverLeftItAReplicaThePoolStartsOverOnFreshConnections() throws Exception {
        String id = freshId();
        storage.createIfAbsent(session(id), TTL);
        raw.replicaof("127.0.0.1", 1); // demoted: a replica (of a primary that does not exist), read-only
        try {
            SessionStorageException readOnly = assertThrows(SessionStorageException.class,
                    () -> storage.load(Session.Type.STREAMABLE, id, TTL));
            assertTrue(readOnly.getMessage().contains("READONLY"), readOnly.getMessage());
            // The pooled connection that met the replica is closed: the next borrow connects anew (after a real
            // failover, to whatever the address names now) instead of asking the old primary again and again.
            Await.until(() -> raw.clientList().lines().noneMatch(line -> line.contains("cmd=getex")),
                    Duration.ofSeconds(5));
            assertEquals(List.of(), raw.clientList().lines().filter(line -> line.contains("cmd=getex")).toList());
        } finally {
            raw.replicaofNoOne();
        }
        assertTrue(storage.load(Session.Type.STREAMABLE, id, TTL).isPresent(), "works on a fresh connection");
    }

    @Test
    void aUriItCannotReadIsRefusedWithoutShowingThePassword() {
        IllegalArgumentException spaced = assertThrows(IllegalArgumentException.class,
                () -> RedisStorage.builder().uri("redis://:se cret@127.0.0.1:6390"));
        assertFalse(spaced.getMessage().contains("se cret"), spaced.getMessage());
        IllegalArgumentException hashed = assertThrows(IllegalArgumentException.class,
                () -> RedisStorage.builder().uri("redis://:sec#ret@127.0.0.1:6390"));
        assertFalse(hashed.getMessage().contains("sec#ret") || hashed.getMessage().contains("sec"),
                hashed.getMessage());
    }

    @Test
    void theUriPortIsOptional() {
        assertEquals("10.1.2.3:6379", RedisStorage.builder().uri("redis://10.1.2.3/2").address());
        assertEquals("10.1.2.3:6380", RedisStorage.builder().uri("redis://u:p@10.1.2.3:6380").address());
    }

    @Test
    void constructionFailsFastNamingTheAddressWhenNothingListens() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        long start = System.nanoTime();
        SessionStorageException e = assertThrows(SessionStorageException.class,
                () -> RedisStorage.builder().host("127.0.0.1").port(closedPort).build());
        assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
    }

    /**
     * Killed, then paused (sockets open, no answers): every operation fails with SessionStorageException within
     * the socket timeout, threads do not pile up, and the same storage object works again once Redis is back.
     * Last in the class by name order is not guaranteed, so it restores Redis itself.
     */
    @Test
    void outagesFailFastAndTheSameStorageRecovers() throws Exception {
        String survivor = freshId();
        storage.createIfAbsent(session(survivor), TTL);
        int threadsBefore = Thread.activeCount();

        REDIS.kill();
        assertEveryOperationFailsWithin(SOCKET_TIMEOUT.plusSeconds(1));

        REDIS.restart(); // an empty Redis on the same port
        String afterRestart = freshId();
        assertTrue(storage.createIfAbsent(session(afterRestart), TTL), "works again without a new storage");
        assertTrue(storage.load(Session.Type.STREAMABLE, afterRestart, TTL).isPresent());
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, survivor, TTL),
                "this Redis keeps nothing across restarts");

        REDIS.pause();
        try {
            assertEveryOperationFailsWithin(SOCKET_TIMEOUT.plusSeconds(1));
        } finally {
            REDIS.resume();
        }
        assertTrue(storage.load(Session.Type.STREAMABLE, afterRestart, TTL).isPresent(), "works again after the stall");
        assertTrue(Thread.activeCount() <= threadsBefore + 2,
                "threads before " + threadsBefore + ", after " + Thread.activeCount());
        raw.close();
        raw = REDIS.rawClient();
    }

    private void assertEveryOperationFailsWithin(Duration limit) {
        List<Executable> operations = List.of(
                () -> storage.load(Session.Type.STREAMABLE, "some-id", TTL),
                () -> storage.createIfAbsent(session(freshId()), TTL),
                () -> storage.store(session(freshId()), TTL),
                () -> storage.replace(session(freshId()), TTL),
                () -> storage.delete(Session.Type.STREAMABLE, "some-id"));
        for (int round = 0; round < 5; round++) {
            for (Executable operation : operations) {
                long start = System.nanoTime();
                SessionStorageException e = assertThrows(SessionStorageException.class, operation);
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(limit) < 0, "took " + took + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("127.0.0.1:" + REDIS.port()), e.getMessage());
            }
        }
    }
}
