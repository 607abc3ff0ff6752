package io.mcpproxy.session;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Lives in the session package to reach the package-private codec. The JSON form RedisStorage writes and reads on every create/store/load. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SessionCodecBenchmark {

    private final Session session = new Session("Vx3c9Qe0l2KmN5pRtY7uWz1aBdFgHjLs", Session.Type.TRANSPARENT,
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:05:00Z"),
            Map.of(Session.BACKEND_URL, "http://10.0.0.7:9000/mcp", Session.PROTOCOL_VERSION, "2025-11-25"));
    private final String json = SessionCodec.encode(session);

    @Benchmark
    public String encode() {
        return SessionCodec.encode(session);
    }

    @Benchmark
    public Session decode() {
        return SessionCodec.decode(json);
    }
}
