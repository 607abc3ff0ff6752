package io.mcpproxy.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Arrays;

/**
 * Time to the first server-sent event, sequentially (benchmarks/transparent/run.sh; results in BENCHMARKS.md).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.FirstEventLatency URL WARMUP COUNT [LABEL]
 * </pre>
 *
 * <p>Each request: open a new TCP connection (as a client opening a stream does), send
 * {@code GET <path>} with {@code Accept: text/event-stream}, read the response head and the body until the first
 * complete event; the time is from before the connect to that event. WARMUP unmeasured requests first, then COUNT
 * measured ones, one at a time. A request whose status is not 200, whose type is not text/event-stream or that has
 * no event counts as an error.
 *
 * <p>Prints {@code RESULT label=L requests=N p50_ms=A p90_ms=B p99_ms=C mean_ms=M errors=E}.
 */
public final class FirstEventLatency {

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: FirstEventLatency URL WARMUP COUNT [LABEL]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        int warmup = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        String label = args.length > 3 ? args[3] : url.toString();
        String request = "GET " + url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery())
                + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
        int errors = 0;
        String firstError = null;
        for (int i = 0; i < warmup; i++) {
            try {
                once(url, request);
            } catch (IOException e) {
                errors++;
                firstError = firstError == null ? e.toString() : firstError;
            }
        }
        long[] samples = new long[count];
        int n = 0;
        double sum = 0;
        for (int i = 0; i < count; i++) {
            try {
                long nanos = once(url, request);
                samples[n++] = nanos;
                sum += nanos;
            } catch (IOException e) {
                errors++;
                firstError = firstError == null ? e.toString() : firstError;
            }
        }
        Arrays.sort(samples, 0, n);
        if (firstError != null) {
            System.err.println("FirstEventLatency: first error: " + firstError);
        }
        System.out.printf("RESULT label=%s requests=%d p50_ms=%.4f p90_ms=%.4f p99_ms=%.4f mean_ms=%.4f errors=%d%n",
                label, n, SseWire.percentileMillis(samples, n, 50), SseWire.percentileMillis(samples, n, 90),
                SseWire.percentileMillis(samples, n, 99), n == 0 ? Double.NaN : sum / n / 1e6, errors);
        System.exit(errors == 0 ? 0 : 1);
    }

    private static long once(URI url, String request) throws IOException {
        long t0 = System.nanoTime();
        try (SseWire.Connection connection = new SseWire.Connection(url, 5_000)) {
            connection.socket.setSoTimeout(10_000);
            connection.write(request, null);
            SseWire.Head head = SseWire.readHead(connection.in);
            if (head.status() != 200 || head.contentType() == null
                    || !head.contentType().startsWith("text/event-stream")) {
                throw new IOException("not an event stream: " + head.raw());
            }
            InputStream body = SseWire.body(connection.in, head);
            SseWire.Event event = SseWire.nextEvent(body);
            long t1 = System.nanoTime();
            if (event == null) {
                throw new IOException("no event in the stream");
            }
            return t1 - t0;
        }
    }
}
