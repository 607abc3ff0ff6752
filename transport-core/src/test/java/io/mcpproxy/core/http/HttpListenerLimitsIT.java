package io.mcpproxy.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.testing.RawHttp;
import io.mcpproxy.core.testing.SlowClients;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener's limits against slow and greedy clients, on a real socket. */
class HttpListenerLimitsIT {

    private static final String POST = SlowClients.post("/mcp");
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private HttpListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop();
        }
    }

    /** A listener whose one handler reads a JSON-RPC POST and answers 200. */
    private HttpListener start(ListenerSettings settings) throws Exception {
        listener = new HttpListener("limits-test", settings.withPort(0));
        listener.handler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                JsonRpcPost.read(request, response, callback, 1024, null,
                        messages -> JsonResponses.empty(response, callback, 200));
                return true;
            }
        });
        listener.start();
        return listener;
    }

    private static ListenerSettings shortTimeouts() {
        return ListenerSettings.DEFAULTS.withHeaderTimeout(TIMEOUT).withBodyTimeout(TIMEOUT);
    }

    private int busyThreads() {
        return ((QueuedThreadPool) listener.executor()).getBusyThreads();
    }

    @Test
    void headsSentAByteASecondGet408WithinTheHeaderTimeoutAndThePoolGoesBackToIdle() throws Exception {
        start(shortTimeouts());
        int idle = busyThreads();
        try (SlowClients slow = SlowClients.open(listener.port(), 50, POST, 1, Duration.ofSeconds(1))) {
            for (SlowClients.Answer answer : slow.awaitClosed(TIMEOUT.plus(SlowClients.MARGIN).multipliedBy(2))) {
                SlowClients.assertTimedOut(answer, SlowClients.SLOW_HEAD + "1000 ms", TIMEOUT);
            }
        }
        // a thread that wrote a 408 may return to the pool a moment after its client saw the connection close
        assertTrue(awaitBusyThreads(idle, Duration.ofSeconds(2)),
                "no thread waits for a slow client: busy " + busyThreads() + ", idle " + idle);
        assertEquals("HTTP/1.1 200 OK", RawHttp.exchange(listener.port(), POST.replace("Host:",
                "Connection: close\r\nHost:")).statusLine(), "a prompt client is served");
    }

    @Test
    void aHeadThatKeepsArrivingAfterAnEarlierRequestIsTimedFromItsOwnFirstByte() throws Exception {
        start(shortTimeouts());
        // one whole request at once, then the next head a byte at a time on the same connection
        try (SlowClients slow = SlowClients.open(listener.port(), 1, POST + POST, POST.length() + 1,
                Duration.ofMillis(300))) {
            SlowClients.Answer answer = slow.awaitClosed(Duration.ofSeconds(5)).get(0);
            assertTrue(answer.text().startsWith("HTTP/1.1 200 OK"), answer.text());
            assertTrue(answer.text().contains("HTTP/1.1 408 Request Timeout"), answer.text());
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsNotTimedLikeAHead() throws Exception {
        start(shortTimeouts());
        try (Socket socket = connect()) {
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write(POST.getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(readHead(in).startsWith("HTTP/1.1 200 OK"));
            Thread.sleep(TIMEOUT.multipliedBy(2).toMillis()); // idle between requests: the idle timeout's business
            socket.getOutputStream().write(POST.getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(readHead(in).startsWith("HTTP/1.1 200 OK"), "the connection still serves");
        }
    }

    /** Reads one bodiless response head. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int read = in.read();
            if (read < 0) {
                break;
            }
            head.append((char) read);
        }
        return head.toString();
    }

    @Test
    void stalledBodiesGet408WithinTheBodyTimeoutNot500() throws Exception {
        start(shortTimeouts());
        int idle = busyThreads();
        int headEnd = SlowClients.headLength(POST);
        try (SlowClients stalled = SlowClients.open(listener.port(), 50, POST, headEnd + 5, null)) {
            for (SlowClients.Answer answer : stalled.awaitClosed(TIMEOUT.plus(SlowClients.MARGIN).multipliedBy(2))) {
                SlowClients.assertTimedOut(answer, SlowClients.STALLED_BODY, TIMEOUT);
            }
        }
        assertTrue(awaitBusyThreads(idle, Duration.ofSeconds(2)), "busy threads " + busyThreads() + ", idle " + idle);
    }

    private boolean awaitBusyThreads(int expected, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (busyThreads() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return busyThreads() == expected;
    }

    @Test
    void aBodyThatKeepsComingIsNotCutByTheBodyTimeout() throws Exception {
        start(shortTimeouts());
        String post = POST.replace("Host:", "Connection: close\r\nHost:");
        // the last 20 bytes of the body take 20 x 200 ms = 4 s, longer than the timeout, but never pause for it
        try (SlowClients steady = SlowClients.open(listener.port(), 1, post, post.length() - 20,
                Duration.ofMillis(200))) {
            assertEquals("HTTP/1.1 200 OK", steady.awaitClosed(Duration.ofSeconds(10)).get(0).statusLine());
        }
    }

    @Test
    void malformedRequestLinesGet400WithAJsonRpcBody() throws Exception {
        start(ListenerSettings.DEFAULTS);
        String rest = "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
        // (a bare LF ending every line is fine: RFC 9112 section 2.2 lets a server read it as a line end)
        for (String malformed : List.of("POST /mcp\r\n HTTP/1.1\r\n" + rest, "POST /mcp HTTP/9.9\r\n" + rest,
                "POST /mcp HTTP/1.1\r\nX-Folded: a\r\n b\r\n" + rest, "POST /mcp FOO\r\n" + rest,
                "POST /mcp\nHTTP/1.1\r\n" + rest)) {
            RawHttp.Answer answer = RawHttp.exchange(listener.port(), malformed);
            assertEquals("HTTP/1.1 400 Bad Request", answer.statusLine(), malformed + " -> " + answer.text());
            assertTrue(answer.text().contains("{\"jsonrpc\":\"2.0\""), answer.text());
        }
    }

    @Test
    void connectionsPastTheCapWaitUntilOneCloses() throws Exception {
        start(ListenerSettings.DEFAULTS.withMaxClientConnections(2));
        try (Socket first = connect(); Socket second = connect()) { // open, idle
            Socket third = connect(); // accepted by the kernel's queue, not by the listener
            third.setSoTimeout(1_000);
            writeRequest(third);
            assertTrue(readsNothing(third), "the third connection is not served while two are open");
            first.close();
            third.setSoTimeout(5_000);
            String answer = new String(third.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 200 OK"), answer);
            third.close();
        }
    }

    private Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), listener.port());
    }

    private static void writeRequest(Socket socket) throws IOException {
        socket.getOutputStream().write(POST.replace("Host:", "Connection: close\r\nHost:")
                .getBytes(StandardCharsets.ISO_8859_1));
    }

    private static boolean readsNothing(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException nothing) {
            return true;
        }
    }
}
