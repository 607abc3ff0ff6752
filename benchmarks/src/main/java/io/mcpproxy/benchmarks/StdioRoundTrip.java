package io.mcpproxy.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Direct stdio round trips to {@link EchoStdioServer}, no HTTP: the floor under the Streamable HTTP benchmark.
 *
 * <p>Spawns the echo server (same JVM binary, same class path), initializes it, then sends sequential
 * {@code tools/call echo} requests, each written and flushed before the previous answer is read back: a warm-up
 * phase, then a measured phase. Prints p50/p99 round-trip latency and requests per second, the last line as
 * {@code RESULT requests=N seconds=S rps=R p50_ms=A p99_ms=B}.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.StdioRoundTrip [warmupSeconds] [seconds]</pre>
 */
public final class StdioRoundTrip {

    public static void main(String[] args) throws Exception {
        double warmupSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(List.of(java, "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), EchoStdioServer.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            OutputStream toServer = server.getOutputStream();
            BufferedReader fromServer = new BufferedReader(
                    new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8), 1 << 16);

            send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                    + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                    + "\"clientInfo\":{\"name\":\"stdio-round-trip\",\"version\":\"1\"}}}");
            expect(fromServer.readLine(), 0);
            send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

            long id = 1;
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            while (System.nanoTime() < warmupEnd) {
                roundTrip(toServer, fromServer, id++);
            }

            long[] latencies = new long[1 << 20];
            int n = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now = start;
            while (now < end) {
                long t0 = now;
                roundTrip(toServer, fromServer, id++);
                now = System.nanoTime();
                if (n == latencies.length) {
                    latencies = Arrays.copyOf(latencies, n * 2);
                }
                latencies[n++] = now - t0;
            }
            double elapsed = (now - start) / 1e9;
            Arrays.sort(latencies, 0, n);
            double p50 = latencies[(int) Math.min(n - 1, Math.floor(n * 0.50))] / 1e6;
            double p99 = latencies[(int) Math.min(n - 1, Math.floor(n * 0.99))] / 1e6;
            double rps = n / elapsed;
            System.out.printf(Locale.ROOT, "stdio round trips: %d in %.2f s, %.0f req/s, p50 %.4f ms, p99 %.4f ms%n",
                    n, elapsed, rps, p50, p99);
            System.out.printf(Locale.ROOT, "RESULT requests=%d seconds=%.3f rps=%.0f p50_ms=%.4f p99_ms=%.4f%n",
                    n, elapsed, rps, p50, p99);
        } finally {
            server.getOutputStream().close();
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static void roundTrip(OutputStream toServer, BufferedReader fromServer, long id) throws IOException {
        send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + id
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hello\"}}}");
        expect(fromServer.readLine(), id);
    }

    private static void send(OutputStream toServer, String message) throws IOException {
        toServer.write((message + "\n").getBytes(StandardCharsets.UTF_8));
        toServer.flush();
    }

    /** A cheap check that the line is the answer to {@code id}; the server answers in order. */
    private static void expect(String line, long id) {
        if (line == null) {
            throw new IllegalStateException("echo server closed stdout");
        }
        if (!line.contains("\"id\":" + id + ",") || line.contains("\"error\"")) {
            throw new IllegalStateException("unexpected answer to " + id + ": " + line);
        }
    }
}
