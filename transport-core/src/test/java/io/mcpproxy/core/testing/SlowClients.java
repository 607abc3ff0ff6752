package io.mcpproxy.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Clients that send a request slowly, as an abusive client would: each connection writes its first bytes at once,
 * then one byte per tick, until it has written everything or the server closed it; meanwhile it reads what the
 * server answers until the server closes the connection.
 */
public final class SlowClients implements AutoCloseable {

    /** What one connection read, and after how long the server closed it (from its first byte written). */
    public record Answer(String text, Duration closedAfter) {
        public String statusLine() {
            int end = text.indexOf("\r\n");
            return end < 0 ? text : text.substring(0, end);
        }
    }

    /** The message of the 408 answered to a head that took too long. */
    public static final String SLOW_HEAD = "the request head did not arrive within ";
    /** The message of the 408 answered to a body that paused too long. */
    public static final String STALLED_BODY = "the request body paused longer than the body timeout";
    /**
     * Allowance past a timeout for the timer and the loopback round trip, generous for loaded machines (a proxy's
     * first connection can wait for its freshly started server process's JVM to leave the CPU).
     */
    public static final Duration MARGIN = Duration.ofSeconds(3);

    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "slow-client-ticker");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Socket> sockets = new ArrayList<>();
    private final List<CompletableFuture<Answer>> answers = new ArrayList<>();

    /**
     * Opens {@code count} connections to {@code port} on loopback, each sending {@code request}: its first
     * {@code atOnce} bytes at once, the rest one byte per {@code tick} ({@code null}: never).
     */
    public static SlowClients open(int port, int count, String request, int atOnce, Duration tick)
            throws IOException {
        SlowClients clients = new SlowClients();
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(60_000);
            clients.sockets.add(socket);
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(bytes, 0, Math.min(atOnce, bytes.length));
            out.flush();
            if (tick != null && atOnce < bytes.length) {
                clients.dribble(out, bytes, atOnce, tick);
            }
            clients.answers.add(CompletableFuture.supplyAsync(() -> readToEnd(socket, start), runnable -> {
                Thread reader = new Thread(runnable, "slow-client-reader");
                reader.setDaemon(true);
                reader.start();
            }));
        }
        return clients;
    }

    private void dribble(OutputStream out, byte[] bytes, int from, Duration tick) {
        int[] next = {from};
        ticker.scheduleAtFixedRate(() -> {
            if (next[0] >= bytes.length) {
                return;
            }
            try {
                out.write(bytes[next[0]++]);
                out.flush();
            } catch (IOException closed) {
                next[0] = bytes.length; // the server closed the connection
            }
        }, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Answer readToEnd(Socket socket, long start) {
        StringBuilder text = new StringBuilder();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                text.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException reset) {
            // a reset ends the connection too
        }
        return new Answer(text.toString(), Duration.ofNanos(System.nanoTime() - start));
    }

    /** A JSON-RPC POST of a ping to {@code target}, whole, as a client would send it on its own connection. */
    public static String post(String target) {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length() + "\r\n\r\n"
                + body;
    }

    /** How many bytes of {@code request} are its head. */
    public static int headLength(String request) {
        return request.indexOf("\r\n\r\n") + 4;
    }

    /**
     * Asserts that the server answered 408 with a JSON-RPC error whose message ends in {@code what} and closed the
     * connection, {@code timeout} (within the margin) after the first byte.
     */
    public static void assertTimedOut(Answer answer, String what, Duration timeout) {
        assertEquals("HTTP/1.1 408 Request Timeout", answer.statusLine(), what + ": " + answer.text());
        assertTrue(answer.text().contains("\r\nConnection: close\r\n"), answer.text());
        assertTrue(answer.text().contains("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                + "\"Request Timeout: " + what), answer.text());
        Duration closedAfter = answer.closedAfter();
        assertTrue(closedAfter.compareTo(timeout.plus(MARGIN)) < 0, "closed after " + closedAfter);
        assertTrue(closedAfter.compareTo(timeout.minusMillis(100)) > 0, "closed after " + closedAfter);
    }

    /**
     * Sends a POST to {@code target} whose head comes a byte a second, and one whose body stops after five bytes;
     * asserts each is answered 408 and closed after {@code timeout}, the listener's head and body timeout.
     */
    public static void assertSlowClientsTimedOut(int port, String target, Duration timeout) throws Exception {
        String post = post(target);
        try (SlowClients slowHead = open(port, 1, post, 1, Duration.ofSeconds(1));
             SlowClients stalledBody = open(port, 1, post, headLength(post) + 5, null)) {
            assertTimedOut(slowHead.awaitClosed(timeout.plus(MARGIN).multipliedBy(2)).get(0), SLOW_HEAD, timeout);
            assertTimedOut(stalledBody.awaitClosed(timeout.plus(MARGIN).multipliedBy(2)).get(0), STALLED_BODY,
                    timeout);
        }
    }

    /** Every connection's answer, once the server closed them all; fails after {@code max}. */
    public List<Answer> awaitClosed(Duration max) throws Exception {
        List<Answer> all = new ArrayList<>();
        long deadline = System.nanoTime() + max.toNanos();
        for (CompletableFuture<Answer> answer : answers) {
            all.add(answer.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        }
        return all;
    }

    @Override
    public void close() throws IOException {
        ticker.shutdownNow();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
