package io.mcpproxy.session;

import static io.mcpproxy.session.TestSessions.session;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalStorageTest {

    private static final Duration TTL = Duration.ofMinutes(10);

    private final MutableClock clock = new MutableClock();
    private LocalStorage storage = LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).build();

    @AfterEach
    void close() {
        storage.close();
    }

    @Test
    void sessionsOfDifferentTypesWithOneIdAreKeptApart() {
        Session streamable = session("shared-id");
        Session transparent = new Session("shared-id", Session.Type.TRANSPARENT, streamable.createdAt(),
                streamable.lastAccess(), Map.of());
        assertTrue(storage.createIfAbsent(streamable, TTL));
        assertTrue(storage.createIfAbsent(transparent, TTL));
        assertEquals(Optional.of(transparent), storage.load(Session.Type.TRANSPARENT, "shared-id", TTL));
        assertTrue(storage.delete(Session.Type.STREAMABLE, "shared-id"));
        assertEquals(Optional.of(transparent), storage.load(Session.Type.TRANSPARENT, "shared-id", TTL));
        assertEquals(Optional.empty(), storage.load(Session.Type.SSE, "shared-id", TTL));
    }

    @Test
    void aReplicasLivenessRecordLivesForItsTtl() {
        assertFalse(storage.heartbeat("replica-a", "http://a", Duration.ofSeconds(2)), "no record before");
        assertTrue(storage.isAlive("replica-a"));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(storage.heartbeat("replica-a", "http://a", Duration.ofSeconds(2)), "refreshed in time");
        clock.advance(Duration.ofSeconds(2));
        assertFalse(storage.isAlive("replica-a"), "expired");
        assertFalse(storage.heartbeat("replica-a", "http://a", Duration.ofSeconds(2)), "gone, then written again");
        storage.removeReplica("replica-a");
        assertFalse(storage.isAlive("replica-a"));
    }

    @Test
    void loadReturnsWhatWasCreated() {
        Session session = session("a");
        assertTrue(storage.createIfAbsent(session, TTL));
        assertEquals(Optional.of(session), storage.load(Session.Type.STREAMABLE, "a", TTL));
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, "missing", TTL));
    }

    @Test
    void untouchedSessionExpiresAtItsTtl() {
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL.minusMillis(1));
        assertEquals(1, storage.size());
        clock.advance(Duration.ofMillis(1));
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, "a", TTL),
                "expired sessions are invisible before any sweep");
        assertEquals(0, storage.size());
    }

    @Test
    void everyLoadSlidesTheTtl() {
        storage.createIfAbsent(session("a"), TTL);
        for (int i = 0; i < 5; i++) {
            clock.advance(TTL.minusSeconds(1));
            assertTrue(storage.load(Session.Type.STREAMABLE, "a", TTL).isPresent(),
                    "load " + i + " within the TTL of the previous one");
        }
        clock.advance(TTL);
        assertFalse(storage.load(Session.Type.STREAMABLE, "a", TTL).isPresent());
    }

    @Test
    void storeReplacesAndSlidesTheTtl() {
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL.minusSeconds(1));
        Session updated = session("a").withMetadata("k", "v");
        storage.store(updated, TTL);
        clock.advance(TTL.minusSeconds(1));
        assertEquals(Optional.of(updated), storage.load(Session.Type.STREAMABLE, "a", TTL));
        assertEquals(1, storage.size());
    }

    @Test
    void replaceUpdatesALiveSessionAndSlidesItsTtl() {
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL.minusSeconds(1));
        Session updated = session("a").withMetadata("k", "v");
        assertTrue(storage.replace(updated, TTL));
        clock.advance(TTL.minusSeconds(1));
        assertEquals(Optional.of(updated), storage.load(Session.Type.STREAMABLE, "a", TTL),
                "the replace restarted the TTL");
        assertEquals(1, storage.size());
    }

    @Test
    void replaceOnADeletedSessionDoesNotRecreateIt() {
        storage.createIfAbsent(session("a"), TTL);
        storage.delete(Session.Type.STREAMABLE, "a");
        assertFalse(storage.replace(session("a").withMetadata("k", "v"), TTL));
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, "a", TTL));
        assertEquals(0, storage.size());
    }

    @Test
    void replaceOnAnExpiredSessionDoesNotRecreateIt() {
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL); // expired, not swept: the entry is still in the map
        assertEquals(1, storage.size());
        assertFalse(storage.replace(session("a").withMetadata("k", "v"), TTL));
        assertEquals(0, storage.size(), "the expired entry was removed, not revived");
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, "a", TTL));
        assertTrue(storage.createIfAbsent(session("a"), TTL), "the id is free again");
    }

    @Test
    void replaceOnAnUnknownIdStoresNothing() {
        assertFalse(storage.replace(session("never"), TTL));
        assertEquals(Optional.empty(), storage.load(Session.Type.STREAMABLE, "never", TTL));
        assertEquals(0, storage.size());
    }

    @Test
    void createIfAbsentRefusesALiveIdButReplacesAnExpiredOne() {
        Session first = session("a");
        assertTrue(storage.createIfAbsent(first, TTL));
        assertFalse(storage.createIfAbsent(session("a").withMetadata("other", "x"), TTL));
        assertEquals(Optional.of(first), storage.load(Session.Type.STREAMABLE, "a", TTL));

        clock.advance(TTL);
        Session second = session("a").withMetadata("second", "yes");
        assertTrue(storage.createIfAbsent(second, TTL));
        assertEquals(Optional.of(second), storage.load(Session.Type.STREAMABLE, "a", TTL));
        assertEquals(1, storage.size());
    }

    @Test
    void deleteRemovesAndToleratesMissing() {
        storage.createIfAbsent(session("a"), TTL);
        assertTrue(storage.delete(Session.Type.STREAMABLE, "a"));
        assertFalse(storage.delete(Session.Type.STREAMABLE, "a"));
        assertFalse(storage.load(Session.Type.STREAMABLE, "a", TTL).isPresent());
        assertEquals(0, storage.size());
    }

    @Test
    void removeExpiredSweepsOnlyExpiredSessions() {
        storage.createIfAbsent(session("old"), Duration.ofMinutes(1));
        storage.createIfAbsent(session("young"), Duration.ofMinutes(5));
        clock.advance(Duration.ofMinutes(2));
        assertEquals(1, storage.removeExpired());
        assertEquals(1, storage.size());
        assertTrue(storage.load(Session.Type.STREAMABLE, "young", TTL).isPresent());
    }

    @Test
    void maxSessionsRefusesCreationWithAClearError() {
        storage.close();
        storage = LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).maxSessions(2).build();
        assertTrue(storage.createIfAbsent(session("a"), TTL));
        assertTrue(storage.createIfAbsent(session("b"), TTL));

        SessionLimitExceededException refused =
                assertThrows(SessionLimitExceededException.class, () -> storage.createIfAbsent(session("c"), TTL));
        assertTrue(refused.getMessage().contains("maximum of 2 sessions"), refused.getMessage());
        assertEquals(2, refused.maxSessions());
        assertFalse(storage.load(Session.Type.STREAMABLE, "c", TTL).isPresent());

        storage.store(session("a").withMetadata("k", "v"), TTL); // updates are never refused
        assertEquals("v", storage.load(Session.Type.STREAMABLE, "a", TTL).orElseThrow().metadata().get("k"));
        assertTrue(storage.replace(session("b").withMetadata("k", "w"), TTL), "replace is an update too");
        assertEquals("w", storage.load(Session.Type.STREAMABLE, "b", TTL).orElseThrow().metadata().get("k"));

        storage.delete(Session.Type.STREAMABLE, "b");
        assertTrue(storage.createIfAbsent(session("c"), TTL), "a freed slot can be used again");
    }

    @Test
    void maxSessionsCountsExpiredSessionsAsFree() {
        storage.close();
        storage = LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).maxSessions(1).build();
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL);
        assertTrue(storage.createIfAbsent(session("b"), TTL));
        assertEquals(1, storage.size());
    }

    @Test
    void sweeperRemovesExpiredSessionsInTheBackground() throws Exception {
        storage.close();
        storage = LocalStorage.builder().clock(clock).sweepInterval(Duration.ofMillis(10)).build();
        storage.createIfAbsent(session("a"), TTL);
        clock.advance(TTL);
        Await.until(() -> storage.size() == 0, Duration.ofSeconds(5));
        assertEquals(0, storage.size());
    }

    @Test
    void closeStopsTheSweeperThread() throws Exception {
        storage.close();
        long before = awaitSweeperThreads(count -> true);
        storage = LocalStorage.builder().sweepInterval(Duration.ofMillis(10)).build();
        assertTrue(awaitSweeperThreads(count -> count > before) > before, "a sweeper thread runs");
        storage.close();
        storage.close(); // idempotent
        // A terminated executor's thread may still be alive for an instant: wait for it, bounded.
        assertEquals(before, awaitSweeperThreads(count -> count <= before), "the sweeper thread is gone");
    }

    private static long awaitSweeperThreads(java.util.function.LongPredicate done) throws InterruptedException {
        Await.until(() -> done.test(sweeperThreads()), Duration.ofSeconds(5));
        return sweeperThreads();
    }

    private static long sweeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("mcp-session-sweeper"))
                .count();
    }

    @Test
    void builderRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> LocalStorage.builder().maxSessions(-1));
        assertThrows(IllegalArgumentException.class,
                () -> LocalStorage.builder().sweepInterval(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> LocalStorage.builder().clock(null));
    }
}
