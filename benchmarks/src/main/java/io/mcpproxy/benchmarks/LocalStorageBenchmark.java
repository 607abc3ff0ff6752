package io.mcpproxy.benchmarks;

import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/** {@link LocalStorage#load}: the per-request session lookup of every proxy using the default storage. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LocalStorageBenchmark {

    private static final Duration TTL = Duration.ofHours(2);

    @Param({"100000"})
    int sessions;

    private LocalStorage storage;
    private String[] ids;

    @Setup
    public void fill() {
        storage = LocalStorage.create();
        ids = new String[sessions];
        Instant now = Instant.now();
        for (int i = 0; i < sessions; i++) {
            ids[i] = "session-" + i + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
            storage.createIfAbsent(new Session(ids[i], Session.Type.STREAMABLE, now, now,
                    Map.of(Session.PROTOCOL_VERSION, "2025-06-18", Session.OWNER, "replica-a")), TTL);
        }
    }

    @TearDown
    public void close() {
        storage.close();
    }

    @Benchmark
    @Threads(1)
    public Object loadOneThread() {
        return storage.load(Session.Type.STREAMABLE, ids[ThreadLocalRandom.current().nextInt(ids.length)], TTL);
    }

    @Benchmark
    @Threads(2)
    public Object loadTwoThreads() {
        return storage.load(Session.Type.STREAMABLE, ids[ThreadLocalRandom.current().nextInt(ids.length)], TTL);
    }
}
