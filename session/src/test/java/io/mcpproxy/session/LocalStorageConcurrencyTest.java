package io.mcpproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 16 threads hammer one LocalStorage (creates, loads, replaces, deletes, a sweeper): nothing lost, nothing phantom,
 * the count stays exact.
 */
class LocalStorageConcurrencyTest {

    private static final int THREADS = 16;
    private static final int ROUNDS = 5_000;
    private static final Duration TTL = Duration.ofHours(1);

    @Test
    void sixteenThreadsCreateLoadReplaceAndDeleteWithoutLostOrPhantomSessions() throws Exception {
        try (LocalStorage storage = LocalStorage.builder().sweepInterval(Duration.ofMillis(1)).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> kept = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                kept.add(pool.submit(() -> {
                    start.await();
                    int survivors = 0;
                    for (int i = 0; i < ROUNDS; i++) {
                        String own = "t" + thread + "-" + i;
                        Session session = TestSessions.session(own, Map.of("thread", Integer.toString(thread)));
                        if (!storage.createIfAbsent(session, TTL)) {
                            throw new AssertionError("fresh id " + own + " reported as existing");
                        }
                        Session loaded = storage.load(Session.Type.STREAMABLE, own, TTL)
                                .orElseThrow(() -> new AssertionError("lost " + own));
                        if (!loaded.equals(session)) {
                            throw new AssertionError("phantom: " + own + " loaded as " + loaded);
                        }
                        // A shared id every thread fights over: exactly one create may win while it is live.
                        String contested = "contested-" + (i % 64);
                        storage.createIfAbsent(TestSessions.session(contested), TTL);
                        storage.load(Session.Type.STREAMABLE, contested, TTL);
                        storage.replace(TestSessions.session(contested, Map.of("by", Integer.toString(thread))), TTL);
                        storage.delete(Session.Type.STREAMABLE, contested);
                        if (i % 2 == 0) {
                            if (!storage.delete(Session.Type.STREAMABLE, own)) {
                                throw new AssertionError("delete lost " + own);
                            }
                            if (storage.load(Session.Type.STREAMABLE, own, TTL).isPresent()) {
                                throw new AssertionError("deleted " + own + " came back");
                            }
                        } else {
                            survivors++;
                        }
                    }
                    return survivors;
                }));
            }
            start.countDown();
            int expected = 0;
            for (Future<Integer> future : kept) {
                expected += future.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));

            for (int t = 0; t < THREADS; t++) {
                for (int i = 1; i < ROUNDS; i += 2) {
                    assertTrue(storage.load(Session.Type.STREAMABLE, "t" + t + "-" + i, TTL).isPresent(),
                            "survivor t" + t + "-" + i);
                }
            }
            for (int c = 0; c < 64; c++) {
                storage.delete(Session.Type.STREAMABLE,
                        "contested-" + c); // a last create may have raced the final delete
            }
            assertEquals(expected, storage.size(), "count matches the sessions really held");
        }
    }
}
