package io.mcpproxy.stdio.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.Await;
import io.mcpproxy.session.ForwardingStorage;
import io.mcpproxy.session.LocalStorage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A replica's liveness record in a real in-process storage, and what a lookup that found no session concludes. */
class ReplicaLivenessTest {

    /** Long enough that no periodic heartbeat runs during a test: the test runs them itself. */
    static final Duration INTERVAL = Duration.ofSeconds(30);

    private final LocalStorage local = LocalStorage.create();
    private final SlowHeartbeats storage = new SlowHeartbeats(local);
    private final ExecutorService workers = Executors.newCachedThreadPool();
    private final ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler();
    private final AtomicInteger writeBacks = new AtomicInteger();
    private ReplicaLiveness liveness;

    @BeforeEach
    void start() throws Exception {
        scheduler.start();
        liveness = new ReplicaLiveness("replica-a", "http://127.0.0.1:1", INTERVAL, storage, workers,
                writeBacks::incrementAndGet, System::nanoTime);
        liveness.start(scheduler);
    }

    @AfterEach
    void stop() throws Exception {
        liveness.stop();
        scheduler.stop();
        workers.shutdownNow();
        local.close();
    }

    @Test
    void aStorageThatKeptThisRecordHasNotLostItsData() {
        assertFalse(liveness.storageLostData());
        assertEquals(0, writeBacks.get());
    }

    @Test
    void aStorageThatLostThisRecordLostItsDataAndTheRecordAndSessionsAreWrittenBack() throws Exception {
        local.removeReplica("replica-a"); // a flushed Redis

        assertTrue(liveness.storageLostData());
        assertTrue(Await.until(() -> local.isAlive("replica-a") && writeBacks.get() == 1, Duration.ofSeconds(5)));
        assertTrue(liveness.storageLostData(), "for a record lifetime after, the owners may still be writing back");
    }

    @Test
    void aHeartbeatThatRewroteTheLostRecordButHasNotSaidSoYetIsWaitedFor() throws Exception {
        local.removeReplica("replica-a");
        storage.pauseAfterNextHeartbeat(Duration.ofMillis(300));
        CompletableFuture<Void> heartbeat = CompletableFuture.runAsync(liveness::heartbeat, workers);
        assertTrue(storage.written.await(5, TimeUnit.SECONDS));
        assertTrue(local.isAlive("replica-a"), "the record is back before the heartbeat knows it was gone");

        assertTrue(liveness.storageLostData(), "a not-found session may be written back by its owner: retry");
        heartbeat.get(5, TimeUnit.SECONDS);
        assertEquals(1, writeBacks.get());
    }

    @Test
    void anotherReplicasMissingRecordProvesNothingBeforeThisOneHasLivedARecordLifetime() {
        assertEquals(ReplicaLiveness.Verdict.UNKNOWN, liveness.of("replica-b"));
        local.heartbeat("replica-b", "http://127.0.0.1:2", INTERVAL);
        assertEquals(ReplicaLiveness.Verdict.ALIVE, liveness.of("replica-b"));
    }

    /** A storage whose next heartbeat takes a while to return after its write, as a slow reply does. */
    static final class SlowHeartbeats extends ForwardingStorage {
        final CountDownLatch written = new CountDownLatch(1);
        private volatile Duration pause;

        SlowHeartbeats(LocalStorage delegate) {
            super(delegate);
        }

        void pauseAfterNextHeartbeat(Duration pause) {
            this.pause = pause;
        }

        @Override
        public boolean heartbeat(String replicaId, String url, Duration ttl) {
            boolean lived = delegate.heartbeat(replicaId, url, ttl);
            Duration now = pause;
            if (now != null) {
                pause = null;
                written.countDown();
                try {
                    Thread.sleep(now.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return lived;
        }
    }
}
