package io.mcpproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SessionManagerTest {

    private final MutableClock clock = new MutableClock();
    private final SessionManager manager = SessionManager.builder().clock(clock).ttl(Duration.ofMinutes(30)).build();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void aManagerSweptByItsOwnerStartsNoThreadAndSweepsWhenAsked() {
        long sweepersBefore = sweeperThreads();
        try (SessionManager swept = SessionManager.builder().clock(clock).ttl(Duration.ofMinutes(30)).sweptByOwner()
                .build()) {
            swept.create(Session.Type.STREAMABLE, Map.of());
            assertEquals(sweepersBefore, sweeperThreads(), "no sweeper thread of the storage's own");
            clock.advance(Duration.ofMinutes(31));
            assertEquals(1, ((LocalStorage) swept.storage()).size(), "expired, not yet swept");
            swept.sweep();
            assertEquals(0, ((LocalStorage) swept.storage()).size());
        }
    }

    private static long sweeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().equals("mcp-session-sweeper")).count();
    }

    @Test
    void createGetUpdateDelete() {
        Session created = manager.create(Session.Type.SSE, Map.of(Session.OWNER, "replica-a"));
        assertEquals(Session.Type.SSE, created.type());
        assertEquals(clock.instant(), created.createdAt());

        clock.advance(Duration.ofMinutes(1));
        Session loaded = manager.get(created.type(), created.id()).orElseThrow();
        assertEquals(created.metadata(), loaded.metadata());
        assertEquals(created.createdAt(), loaded.createdAt());
        assertEquals(clock.instant(), loaded.lastAccess(), "a get is an access");

        Session updated = manager.updateMetadata(created.type(), created.id(), Map.of(Session.PROTOCOL_VERSION,
                "2025-11-25"))
                .orElseThrow();
        assertEquals(Map.of(Session.OWNER, "replica-a", Session.PROTOCOL_VERSION, "2025-11-25"), updated.metadata());
        assertEquals(updated.metadata(), manager.get(created.type(), created.id()).orElseThrow().metadata());

        assertTrue(manager.delete(created.type(), created.id()));
        assertFalse(manager.delete(created.type(), created.id()));
        assertEquals(Optional.empty(), manager.get(created.type(), created.id()));
        assertEquals(Optional.empty(), manager.updateMetadata(created.type(), created.id(), Map.of("k", "v")));
    }

    @Test
    void updateMetadataDoesNotResurrectASessionEndedBetweenItsReadAndItsWrite() {
        try (LocalStorage local = LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).build();
             SessionManager racing = SessionManager.builder().storage(new EndingAfterLoadStorage(local))
                     .clock(clock).build()) {
            Session created = racing.create(Session.Type.SSE, Map.of(Session.OWNER, "replica-a"));
            assertEquals(Optional.empty(), racing.updateMetadata(created.type(), created.id(), Map.of("k", "v")),
                    "the session ended after the read: the update reports it missing");
            assertEquals(Optional.empty(), local.load(created.type(), created.id(), Duration.ofMinutes(1)),
                    "not recreated");
            assertEquals(0, local.size());
        }
    }

    @Test
    void registerStoresAnUpstreamMintedIdOnce() {
        Session learned = manager.register("upstream-id-1", Session.Type.TRANSPARENT,
                Map.of(Session.BACKEND_URL, "http://127.0.0.1:9001/mcp")).orElseThrow();
        assertEquals("upstream-id-1", learned.id());
        assertEquals(Optional.empty(), manager.register("upstream-id-1", Session.Type.TRANSPARENT, Map.of()),
                "taken");
        assertEquals(Optional.empty(), manager.register("bad id", Session.Type.TRANSPARENT, Map.of()));
        assertEquals("http://127.0.0.1:9001/mcp",
                manager.get(Session.Type.TRANSPARENT,
                        "upstream-id-1").orElseThrow().metadata(Session.BACKEND_URL).orElseThrow());
    }

    @Test
    void sessionsExpireAfterTheManagersTtlSinceLastAccess() {
        Session session = manager.create(Session.Type.STREAMABLE, Map.of());
        clock.advance(Duration.ofMinutes(29));
        assertTrue(manager.get(session.type(), session.id()).isPresent());
        clock.advance(Duration.ofMinutes(29));
        assertTrue(manager.get(session.type(), session.id()).isPresent(), "the previous get slid the TTL");
        clock.advance(Duration.ofMinutes(30));
        assertFalse(manager.get(session.type(), session.id()).isPresent());
    }

    @Test
    void mintedIdsAreVisibleAsciiWithAtLeast122RandomBitsAndUnique() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = manager.create(Session.Type.STREAMABLE, Map.of()).id();
            assertTrue(id.chars().allMatch(c -> c >= 0x21 && c <= 0x7E), id);
            assertTrue(id.matches("[A-Za-z0-9_-]{32}"), "32 base64url characters = 192 bits: " + id);
            assertTrue(seen.add(id), "duplicate id " + id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "tab\there", "caf\u00e9", "new\nline", "\u007f"})
    void malformedIdsAreUnknownWithoutTouchingStorage(String id) {
        SessionStorage storage = mock(SessionStorage.class);
        try (SessionManager guarded = SessionManager.builder().storage(storage).build()) {
            assertEquals(Optional.empty(), guarded.get(Session.Type.STREAMABLE, id));
            assertFalse(guarded.delete(Session.Type.STREAMABLE, id));
            assertEquals(Optional.empty(), guarded.updateMetadata(Session.Type.STREAMABLE, id, Map.of("k", "v")));
            assertFalse(SessionManager.isValidId(id));
        }
        verifyNoInteractions(storage);
    }

    @Test
    void idsLongerThan4096CharactersAreUnknownWithoutTouchingStorage() {
        SessionStorage storage = mock(SessionStorage.class);
        try (SessionManager guarded = SessionManager.builder().storage(storage).build()) {
            assertEquals(Optional.empty(), guarded.get(Session.Type.STREAMABLE, "x".repeat(4097)));
            assertEquals(Optional.empty(), guarded.get(Session.Type.STREAMABLE, null));
        }
        verifyNoInteractions(storage);
        assertTrue(SessionManager.isValidId("x".repeat(4096)));
        assertTrue(SessionManager.isValidId("!~"));
    }

    @Test
    void aHandedInStorageOutlivesTheManager() {
        LocalStorage storage = LocalStorage.create();
        SessionManager first = SessionManager.builder().storage(storage).build();
        Session session = first.create(Session.Type.TRANSPARENT, Map.of());
        first.close();
        first.close();
        try (SessionManager second = SessionManager.builder().storage(storage).build()) {
            assertTrue(second.get(session.type(), session.id()).isPresent());
        } finally {
            storage.close();
        }
    }

    @Test
    void storageFailuresAreNotNotFound() {
        SessionStorage broken = failingStorage();
        try (SessionManager failing = SessionManager.builder().storage(broken).build()) {
            assertThrows(SessionStorageException.class, () -> failing.get(Session.Type.STREAMABLE, "abc"));
            assertThrows(SessionStorageException.class, () -> failing.create(Session.Type.SSE, Map.of()));
        }
    }

    private static SessionStorage failingStorage() {
        return new SessionStorage() {
            @Override
            public boolean createIfAbsent(Session session, Duration ttl) {
                throw new SessionStorageException("down");
            }

            @Override
            public void store(Session session, Duration ttl) {
                throw new SessionStorageException("down");
            }

            @Override
            public boolean replace(Session session, Duration ttl) {
                throw new SessionStorageException("down");
            }

            @Override
            public Optional<Session> load(Session.Type type, String id, Duration ttl) {
                throw new SessionStorageException("down");
            }

            @Override
            public boolean delete(Session.Type type, String id) {
                throw new SessionStorageException("down");
            }

            @Override
            public boolean heartbeat(String replicaId, String url, Duration ttl) {
                throw new SessionStorageException("down");
            }

            @Override
            public boolean isAlive(String replicaId) {
                throw new SessionStorageException("down");
            }

            @Override
            public void removeReplica(String replicaId) {
                throw new SessionStorageException("down");
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void builderValidates() {
        assertThrows(IllegalArgumentException.class, () -> SessionManager.builder().ttl(Duration.ofMillis(999)));
        assertThrows(NullPointerException.class, () -> SessionManager.builder().storage(null));
        assertEquals(Duration.ofHours(2), SessionManager.DEFAULT_TTL);
        try (SessionManager defaults = SessionManager.builder().build()) {
            assertEquals(Duration.ofHours(2), defaults.ttl());
            assertTrue(defaults.storage() instanceof LocalStorage);
        }
        assertNotEquals(manager.create(Session.Type.SSE, Map.of()).id(), manager.create(Session.Type.SSE,
                Map.of()).id());
    }
}
