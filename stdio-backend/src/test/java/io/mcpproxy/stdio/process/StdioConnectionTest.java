package io.mcpproxy.stdio.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The line protocol against real child processes: {@code cat} echoes every line the connection writes, so what
 * comes back proves both the combined writes and the byte-level line reader.
 */
class StdioConnectionTest {

    private final BlockingQueue<ObjectNode> received = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private StdioConnection connection;

    private final StdioConnection.Listener listener = new StdioConnection.Listener() {
        @Override
        public void onMessage(ObjectNode message) {
            received.add(message);
        }

        @Override
        public void onClosed(String reason) {
            closed.countDown();
        }
    };

    @AfterEach
    void closeConnection() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void aFailingReaderClosesTheConnectionInsteadOfDyingSilently() throws Exception {
        List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
        connection = StdioServer.command(List.of("cat")).connect(new StdioConnection.Listener() {
            @Override
            public void onMessage(ObjectNode message) {
                throw new OutOfMemoryError("simulated: no heap left for this line"); // not a RuntimeException
            }

            @Override
            public void onClosed(String reason) {
                reasons.add(reason);
                closed.countDown();
            }
        });
        connection.send(JsonRpc.notification("n", JsonRpc.objectNode()));
        assertTrue(closed.await(10, TimeUnit.SECONDS), "the listener heard that the conversation ended");
        assertEquals(1, reasons.size());
        assertTrue(reasons.get(0).contains("simulated: no heap left"), reasons.get(0));
    }

    @Test
    void concurrentSendersNeverInterleaveLinesAndKeepTheirOwnOrder() throws Exception {
        connection = StdioServer.command(List.of("cat")).connect(listener);
        int threads = 8;
        int perThread = 2_000;
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(senders.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        ObjectNode params = JsonRpc.objectNode().put("thread", thread).put("seq", i)
                                .put("padding", "x".repeat(i % 300));
                        connection.send(JsonRpc.notification("n", params));
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
        Map<Integer, Integer> nextSeq = new HashMap<>();
        for (int n = 0; n < threads * perThread; n++) {
            ObjectNode message = received.poll(30, TimeUnit.SECONDS);
            assertNotNull(message, "message " + n + " of " + threads * perThread + " never came back");
            int thread = message.path("params").path("thread").asInt();
            int seq = message.path("params").path("seq").asInt();
            assertEquals(nextSeq.getOrDefault(thread, 0), seq, "order of thread " + thread);
            assertEquals("x".repeat(seq % 300), message.path("params").path("padding").asText());
            nextSeq.put(thread, seq + 1);
        }
        assertTrue(received.isEmpty(), "no extra lines");
    }

    @Test
    void anAnswerOverTheMessageLimitBecomesAnErrorAnswerAndTheStreamGoesOn() throws Exception {
        int limit = 100_000; // lines past it span several 64 KB reads
        connection = StdioServer.command(List.of("cat")).connect(listener, limit);
        String padding = "y".repeat(300_000);
        // a Python-style answer (id first), a TypeScript-style one (id last), a notification, each over the limit
        connection.send(JsonRpc.objectNode().put("jsonrpc", "2.0").put("id", 7)
                .set("result", JsonRpc.objectNode().put("text", padding)));
        ObjectNode idLast = JsonRpc.objectNode();
        idLast.set("result", JsonRpc.objectNode().put("text", padding));
        idLast.put("jsonrpc", "2.0").put("id", 8);
        connection.send(idLast);
        connection.send(JsonRpc.notification("big", JsonRpc.objectNode().put("text", padding)));
        ObjectNode atTheLimit = JsonRpc.objectNode().put("jsonrpc", "2.0").put("id", 9);
        atTheLimit.set("result", JsonRpc.objectNode().put("text", ""));
        int room = limit - JsonRpc.toBytes(atTheLimit).length;
        ((ObjectNode) atTheLimit.get("result")).put("text", "z".repeat(room));
        assertEquals(limit, JsonRpc.toBytes(atTheLimit).length);
        connection.send(atTheLimit);

        for (int id : new int[] {7, 8}) {
            ObjectNode error = received.poll(30, TimeUnit.SECONDS);
            assertNotNull(error, "an error answer for " + id);
            assertEquals(id, error.path("id").asInt());
            assertEquals("message_too_large", error.path("error").path("data").path("reason").asText(),
                    error.toString());
            assertTrue(error.path("error").path("message").asText().contains("over the proxy's limit of 100000"),
                    error.toString());
        }
        ObjectNode whole = received.poll(30, TimeUnit.SECONDS); // the notification was only logged
        assertNotNull(whole);
        assertEquals(9, whole.path("id").asInt());
        assertEquals(room, whole.path("result").path("text").asText().length(), "a line at the limit is kept");
        assertTrue(received.isEmpty());
        assertTrue(connection.isOpen());
    }

    @Test
    void aLineLongerThanOneReadArrivesWhole() throws Exception {
        connection = StdioServer.command(List.of("cat")).connect(listener);
        String big = "é".repeat(150_000) + "\u2028end"; // 300 KB of UTF-8, a line separator inside a string
        connection.send(JsonRpc.notification("big", JsonRpc.objectNode().put("text", big)));
        connection.send(JsonRpc.notification("after", null));
        ObjectNode first = received.poll(30, TimeUnit.SECONDS);
        assertNotNull(first);
        assertEquals(big, first.path("params").path("text").asText());
        assertEquals("after", JsonRpc.method(received.poll(30, TimeUnit.SECONDS)));
    }

    @Test
    void skipsNoiseSplitsBatchesAndDeliversALastLineWithoutNewline() throws Exception {
        String script = "printf 'not json\\n\\n  \\r\\n{\"jsonrpc\":\"2.0\",\"method\":\"a\"}\\r\\n42\\n"
                + "[{\"jsonrpc\":\"2.0\",\"method\":\"b\"},{\"jsonrpc\":\"2.0\",\"method\":\"c\"}]\\n"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"last\"}'";
        connection = StdioServer.command(List.of("sh", "-c", script)).connect(listener);
        assertTrue(closed.await(30, TimeUnit.SECONDS), "EOF ends the connection");
        List<String> methods = new ArrayList<>();
        for (ObjectNode message : received) {
            methods.add(JsonRpc.method(message));
        }
        assertEquals(List.of("a", "b", "c", "last"), methods);
    }

    @Test
    void sendingAfterCloseFailsLoudly() throws Exception {
        connection = StdioServer.command(List.of("cat")).connect(listener);
        connection.close();
        assertTrue(closed.await(10, TimeUnit.SECONDS));
        IOException failure = assertThrows(IOException.class,
                () -> connection.send(JsonRpc.notification("late", null)));
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
    }
}
