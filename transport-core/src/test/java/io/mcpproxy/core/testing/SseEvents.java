package io.mcpproxy.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Parses a text/event-stream body on a background thread into events a test can wait for, with bounded waits. */
public final class SseEvents implements AutoCloseable {

    /** One SSE event; {@code data} is empty for priming events. */
    public record Event(String id, String name, String data) {
        public ObjectNode json() {
            return (ObjectNode) JsonRpc.parse(data.getBytes(StandardCharsets.UTF_8));
        }

        public boolean isPriming() {
            return data.isEmpty();
        }
    }

    private static final Event END = new Event(null, null, "<end>");

    private final InputStream body;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<String> comments = new ArrayList<>();
    private volatile boolean ended;

    public SseEvents(InputStream body) {
        this.body = body;
        Thread reader = new Thread(this::read, "test-sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String name = null;
            StringBuilder data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id, name, data.toString()));
                    }
                    id = null;
                    name = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    synchronized (comments) {
                        comments.add(line.substring(1).trim());
                    }
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String value = line.substring(5);
                    value = value.startsWith(" ") ? value.substring(1) : value;
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
        } catch (IOException e) {
            // closed by the test or the server
        } finally {
            ended = true;
            events.add(END);
        }
    }

    /** The next event, failing the test after {@code timeout}; null when the stream ended. */
    public Event next(Duration timeout) throws InterruptedException {
        Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
            throw new AssertionError("no SSE event within " + timeout);
        }
        if (event == END) {
            events.add(END);
            return null;
        }
        return event;
    }

    /** The next event that is a JSON-RPC message (priming events skipped). */
    public ObjectNode nextMessage(Duration timeout) throws InterruptedException {
        while (true) {
            Event event = next(timeout);
            if (event == null) {
                throw new AssertionError("stream ended while a message was expected");
            }
            if (!event.isPriming()) {
                return event.json();
            }
        }
    }

    /** Every remaining message until the stream ends. */
    public List<ObjectNode> remaining(Duration timeout) throws InterruptedException {
        List<ObjectNode> messages = new ArrayList<>();
        Event event;
        while ((event = next(timeout)) != null) {
            if (!event.isPriming()) {
                messages.add(event.json());
            }
        }
        return messages;
    }

    /**
     * True when no event arrives within {@code wait} and the stream is still open: a stream that died receives
     * nothing either, and must not pass for a quiet one.
     */
    public boolean quietFor(Duration wait) throws InterruptedException {
        Event event = events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (event != null) {
            events.add(event); // keep it observable (order is lost only for assertions that already failed)
            return false;
        }
        return !ended;
    }

    public boolean ended() {
        return ended;
    }

    public List<String> comments() {
        synchronized (comments) {
            return List.copyOf(comments);
        }
    }

    public static JsonNode result(ObjectNode response) {
        return response.get("result");
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
