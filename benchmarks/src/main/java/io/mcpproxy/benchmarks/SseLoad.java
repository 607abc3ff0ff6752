package io.mcpproxy.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load generator for the legacy HTTP+SSE transport (benchmarks/sse/run.sh; results in BENCHMARKS.md).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.SseLoad http://127.0.0.1:8080/sse CLIENTS WARMUP_S DURATION_S
 * </pre>
 *
 * <p>CLIENTS clients, one thread each, each with its own SSE stream ({@code GET /sse}) and its own keep-alive
 * connection for POSTs, on raw sockets. Before anything is measured every client opens its session: the
 * {@code endpoint} event, {@code initialize} (its answer read from the stream), {@code notifications/initialized}.
 * Then each loops: POST {@code tools/call echo} (read the 202), read the stream until the {@code message} event
 * with that request's id arrives; the latency is POST start to that event. Every answer is checked (the id, a
 * result carrying the echoed text, no error). A request counts when it started after the warm-up and ended
 * before the end of the measured window; req/s = counted requests / measured seconds.
 *
 * <p>Prints one machine-readable line:
 * {@code RESULT clients=N requests=R duration_s=D rps=X p50_ms=A p99_ms=B max_ms=C errors=E}
 * (E = failed or wrong answers over the whole run; a client that fails stops, so E > 0 makes the run invalid).
 */
public final class SseLoad {

    private static final long NANOS = 1_000_000_000L;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SseLoad SSE_URL CLIENTS WARMUP_S DURATION_S");
            System.exit(2);
        }
        URI sse = URI.create(args[0]);
        int clients = Integer.parseInt(args[1]);
        double warmup = Double.parseDouble(args[2]);
        double duration = Double.parseDouble(args[3]);

        List<Client> all = new ArrayList<>();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        AtomicLong errors = new AtomicLong();
        // Sessions first, all of them, before any clock starts.
        for (int i = 0; i < clients; i++) {
            Client client = new Client(sse, i);
            client.open();
            all.add(client);
        }
        System.err.printf("SseLoad: %d sessions open and initialized%n", clients);

        long start = System.nanoTime();
        long measureStart = start + (long) (warmup * NANOS);
        long end = measureStart + (long) (duration * NANOS);
        CountDownLatch done = new CountDownLatch(clients);
        for (Client client : all) {
            Thread thread = new Thread(() -> {
                try {
                    client.loop(measureStart, end);
                } catch (Throwable t) {
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }, "sse-client-" + client.index);
            thread.setDaemon(true);
            thread.start();
        }
        long budget = (long) ((warmup + duration) * 1000) + 60_000;
        if (!done.await(budget, TimeUnit.MILLISECONDS)) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, new IllegalStateException("clients did not finish in time"));
        }
        for (Client client : all) {
            client.close();
            errors.addAndGet(client.wrong);
        }

        int total = 0;
        for (Client client : all) {
            total += client.count;
        }
        long[] samples = new long[total];
        int at = 0;
        for (Client client : all) {
            System.arraycopy(client.latencies, 0, samples, at, client.count);
            at += client.count;
        }
        Arrays.sort(samples);
        if (firstError.get() != null) {
            System.err.println("SseLoad: first error: " + firstError.get());
        }
        for (Client client : all) {
            if (client.firstWrong != null) {
                System.err.println("SseLoad: first wrong answer: " + client.firstWrong);
                break;
            }
        }
        System.out.printf("RESULT clients=%d requests=%d duration_s=%.3f rps=%.1f p50_ms=%.4f p99_ms=%.4f"
                        + " max_ms=%.4f errors=%d%n",
                clients, total, duration, total / duration, SseWire.percentileMillis(samples, total, 50),
                SseWire.percentileMillis(samples, total, 99), SseWire.percentileMillis(samples, total, 100),
                errors.get());
        System.exit(errors.get() == 0 ? 0 : 1);
    }

    /** One MCP client: a stream, a POST connection, a session. Used by one thread at a time. */
    private static final class Client {
        final URI sse;
        final int index;
        SseWire.Connection stream;
        InputStream events;
        SseWire.Connection posts;
        String endpoint;
        long[] latencies = new long[1 << 14];
        int count;
        long wrong;
        String firstWrong;
        long nextId;

        Client(URI sse, int index) {
            this.sse = sse;
            this.index = index;
            this.nextId = 1_000_000L * (index + 1);
        }

        void open() throws IOException {
            stream = new SseWire.Connection(sse, 10_000);
            stream.socket.setSoTimeout(30_000);
            stream.write("GET " + sse.getRawPath() + " HTTP/1.1\r\nHost: " + stream.hostHeader
                    + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n", null);
            SseWire.Head head = SseWire.readHead(stream.in);
            if (head.status() != 200) {
                throw new IOException("GET " + sse + " answered " + head.status() + ": " + head.raw());
            }
            events = SseWire.body(stream.in, head);
            SseWire.Event first = SseWire.nextEvent(events);
            if (first == null || !"endpoint".equals(first.name())) {
                throw new IOException("first event is not 'endpoint': " + first);
            }
            endpoint = first.data(); // relative: /messages?session_id=...
            if (!endpoint.startsWith("/")) {
                endpoint = URI.create(endpoint).getRawPath() + "?" + URI.create(endpoint).getRawQuery();
            }
            posts = new SseWire.Connection(sse, 10_000);
            posts.socket.setSoTimeout(30_000);
            long id = nextId++;
            post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"sse-load\",\"version\":\"1.0.0\"}}}");
            String answer = awaitResponse(id);
            if (!answer.contains("\"result\"")) {
                throw new IOException("initialize failed: " + answer);
            }
            post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        }

        void loop(long measureStart, long end) throws IOException {
            String text = "hello from client " + index;
            String expected = "\"text\":\"" + text + "\"";
            while (true) {
                long t0 = System.nanoTime();
                if (t0 >= end) {
                    return;
                }
                long id = nextId++;
                post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                        + "\"arguments\":{\"text\":\"" + text + "\"}}}");
                String answer = awaitResponse(id);
                long t1 = System.nanoTime();
                if (!answer.contains(expected) || answer.contains("\"error\"") || answer.contains("\"isError\":true")) {
                    wrong++;
                    if (firstWrong == null) {
                        firstWrong = answer;
                    }
                }
                if (t0 >= measureStart && t1 <= end) {
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, count * 2);
                    }
                    latencies[count++] = t1 - t0;
                }
            }
        }

        /** POSTs one message on the keep-alive connection and checks the 202. */
        private void post(String json) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            posts.write("POST " + endpoint + " HTTP/1.1\r\nHost: " + posts.hostHeader
                    + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n", body);
            SseWire.Head head = SseWire.readHead(posts.in);
            String answer = SseWire.readBody(posts.in, head);
            if (head.status() != 202) {
                throw new IOException("POST answered " + head.status() + ": " + answer);
            }
        }

        /** Reads the stream until the message event answering {@code id}; other events are skipped. */
        private String awaitResponse(long id) throws IOException {
            String idField = "\"id\":" + id;
            while (true) {
                SseWire.Event event = SseWire.nextEvent(events);
                if (event == null) {
                    throw new IOException("the stream ended while waiting for the answer to " + id);
                }
                if (event.name() != null && !"message".equals(event.name())) {
                    continue;
                }
                String data = event.data();
                int at = data.indexOf(idField);
                if (at >= 0) {
                    int after = at + idField.length();
                    if (after < data.length() && (data.charAt(after) == ',' || data.charAt(after) == '}')
                            && !data.contains("\"method\"")) {
                        return data;
                    }
                }
            }
        }

        void close() {
            if (posts != null) {
                posts.close();
            }
            if (stream != null) {
                stream.close();
            }
        }
    }
}
