package io.mcpproxy.session.redis;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.TestSessions;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Measures RedisStorage.load round trips on loopback and prints the percentiles (see BENCHMARKS.md). It asserts
 * only that every load found its session: timing targets live in BENCHMARKS.md, never in a test assertion.
 */
class RedisLoadLatencyIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final int WARMUP = 5_000;
    private static final int MEASURED = 20_000;
    private static final Duration TTL = Duration.ofHours(2);

    @Test
    void loadLatencyOnLoopback() {
        try (RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build()) {
            String[] ids = new String[1_000];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = "latency-" + i;
                storage.createIfAbsent(TestSessions.session(ids[i],
                        Map.of(Session.PROTOCOL_VERSION, "2025-06-18", Session.OWNER, "replica-a")), TTL);
            }
            int found = 0;
            for (int i = 0; i < WARMUP; i++) {
                found += storage.load(Session.Type.STREAMABLE, ids[i % ids.length], TTL).isPresent() ? 1 : 0;
            }
            long[] nanos = new long[MEASURED];
            for (int i = 0; i < MEASURED; i++) {
                long start = System.nanoTime();
                found += storage.load(Session.Type.STREAMABLE, ids[i % ids.length], TTL).isPresent() ? 1 : 0;
                nanos[i] = System.nanoTime() - start;
            }
            assertEquals(WARMUP + MEASURED, found);
            Arrays.sort(nanos);
            System.out.printf("RedisStorage.load on loopback, %d sequential loads: p50 %.1f us, p99 %.1f us, "
                            + "p99.9 %.1f us, max %.1f us%n", MEASURED, micros(nanos, 0.50), micros(nanos, 0.99),
                    micros(nanos, 0.999), nanos[MEASURED - 1] / 1_000.0);
        }
    }

    private static double micros(long[] sorted, double quantile) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(quantile * sorted.length))] / 1_000.0;
    }
}
