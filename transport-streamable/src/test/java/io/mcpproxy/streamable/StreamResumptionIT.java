package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client whose SSE connection drops comes back with {@code GET} and {@code Last-Event-ID} (what the official SDKs
 * do for 2025-11-25 streams, which start with a priming event id) and gets what followed on that stream: for a POST
 * stream the rest of its messages and the response, even when the response came while no connection carried it.
 * Connections are plain sockets the test closes abruptly, as a network drop would.
 */
class StreamResumptionIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();
    private StreamableHttpProxy proxy;
    private McpTestClient client;

    private void start(Duration resumeWindow) throws Exception {
        proxy = proxies.start(builder -> builder.resumeWindow(resumeWindow));
        client = new McpTestClient(http, proxy.uri());
        client.protocolVersion = "2025-11-25";
        client.initialize();
    }

    @Test
    void aResponseThatCameWhileTheConnectionWasGoneIsDeliveredOnTheResumingGet() throws Exception {
        start(Duration.ofSeconds(60));
        ObjectNode call = progressCall(3, 300);
        String lastSeen = dropAfterFirstProgress(call);

        Await.until(() -> proxy.handler().inFlight(client.sessionId) == 0, WAIT); // answered, with no connection

        List<ObjectNode> rest = resume(lastSeen);
        assertEquals(List.of(2, 3), progressSteps(rest), "what followed the last event seen, once each");
        ObjectNode response = rest.get(rest.size() - 1);
        assertEquals(call.get("id").asLong(), response.path("id").asLong(-1),
                "the stream ends with the call's response: " + rest);
        assertEquals("done 3 steps", text(response));
    }

    @Test
    void aClientResumingWhileTheCallRunsGetsTheRestLiveAndTheStreamEndsWithTheResponse() throws Exception {
        start(Duration.ofSeconds(60));
        ObjectNode call = progressCall(4, 400);
        String lastSeen = dropAfterFirstProgress(call);

        List<ObjectNode> rest = resume(lastSeen); // at once: the proxy has probably not noticed the drop yet
        assertEquals(List.of(2, 3, 4), progressSteps(rest));
        assertEquals(call.get("id").asLong(), rest.get(rest.size() - 1).path("id").asLong(-1), rest::toString);
    }

    @Test
    void theGetStreamResumesAfterTheLastEventTheClientSawWithoutRepeatingIt() throws Exception {
        start(Duration.ofSeconds(60));
        String lastSeen;
        try (Socket get = rawGet(null)) {
            SseEvents events = new SseEvents(RawSse.skipHead(get.getInputStream()));
            assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
            SseEvents.Event seen = nextMessageEvent(events);
            assertEquals("notifications/tools/list_changed", JsonRpc.method(seen.json()));
            lastSeen = seen.id();
        }
        assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "prompts"))));

        try (Socket get = rawGet(lastSeen)) {
            SseEvents events = new SseEvents(RawSse.skipHead(get.getInputStream()));
            assertEquals("notifications/prompts/list_changed", JsonRpc.method(nextMessageEvent(events).json()));
            assertTrue(events.quietFor(Duration.ofMillis(300)), "nothing repeated: " + events.comments());
            assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "resources"))));
            assertEquals("notifications/resources/list_changed",
                    JsonRpc.method(nextMessageEvent(events).json()), "and it stays the session's GET stream");
        }
    }

    @Test
    void resumingAStreamThatEndedWithNothingLeftGets405AndLeavesTheGetStreamAlone() throws Exception {
        start(Duration.ofSeconds(60));
        HttpResponse<InputStream> listening = client.openGet();
        try (SseEvents get = new SseEvents(listening.body())) {
            assertTrue(get.next(WAIT).isPriming());
            String lastId = null;
            HttpResponse<InputStream> post = client.open(client.newPost(JsonRpc.toJson(progressCall(2, 10))).build());
            try (SseEvents events = new SseEvents(post.body())) {
                SseEvents.Event event;
                while ((event = events.next(WAIT)) != null) {
                    lastId = event.id();
                }
            }
            assertNotNull(lastId);

            // What the TypeScript SDK does after a POST stream whose last message was not a result
            HttpResponse<String> resumed = http.send(HttpRequest.newBuilder(proxy.uri())
                    .header("Accept", "text/event-stream").header("Mcp-Session-Id", client.sessionId)
                    .header("MCP-Protocol-Version", client.protocolVersion).header("Last-Event-ID", lastId)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, resumed.statusCode(), resumed.body());
            assertTrue(resumed.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertTrue(JsonRpc.parse(resumed.body().getBytes(StandardCharsets.UTF_8)).path("error")
                    .path("message").asText().contains("has ended"), resumed.body());

            assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
            assertEquals("notifications/tools/list_changed", JsonRpc.method(nextMessageEvent(get).json()),
                    "the session's GET stream was not taken over");
        }
    }

    @Test
    void withReplayOffALastEventIdOpensAPlainGetStream() throws Exception {
        start(Duration.ZERO);
        ObjectNode call = progressCall(3, 200);
        String lastSeen = dropAfterFirstProgress(call);
        Await.until(() -> proxy.handler().inFlight(client.sessionId) == 0, WAIT);

        try (Socket get = rawGet(lastSeen)) {
            SseEvents events = new SseEvents(RawSse.skipHead(get.getInputStream()));
            assertTrue(events.next(WAIT).isPriming(), "a fresh GET stream");
            assertTrue(events.quietFor(Duration.ofMillis(300)), "nothing replayed");
            assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
            assertEquals("notifications/tools/list_changed", JsonRpc.method(nextMessageEvent(events).json()));
        }
    }

    @Test
    void aLastEventIdTheSessionNeverIssuedOpensAPlainGetStream() throws Exception {
        start(Duration.ofSeconds(60));
        for (String unknown : List.of("999-999", "0-1", "not-an-id", "-1", "7")) {
            try (Socket get = rawGet(unknown)) {
                SseEvents events = new SseEvents(RawSse.skipHead(get.getInputStream()));
                assertTrue(events.next(WAIT).isPriming(), unknown + ": a fresh GET stream");
                assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
                assertEquals("notifications/tools/list_changed", JsonRpc.method(nextMessageEvent(events).json()),
                        unknown);
            }
        }
    }

    @Test
    void theReplayBufferMayNotExceedTheStreamBuffer() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StreamableHttpProxy.builder()
                .command(ExampleServerCommand.commandLine()).streamBuffer(100, 1_000_000)
                .replayBuffer(200, 1_000).build());
        assertTrue(e.getMessage().contains("must not exceed streamBuffer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StreamableHttpProxy.builder()
                .resumeWindow(Duration.ofSeconds(-1)));
        // a smaller stream buffer alone lowers the replay default with it
        assertNotNull(StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .streamBuffer(10, 1_000).build());
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private ObjectNode progressCall(int steps, int delayMs) {
        ObjectNode call = client.request("tools/call",
                McpTestClient.toolCall("progress", Map.of("steps", steps, "delayMs", delayMs)));
        ((ObjectNode) call.get("params")).set("_meta", McpTestClient.params("progressToken", "t"));
        return call;
    }

    /**
     * POSTs {@code call} on a plain socket, reads its stream up to the first progress notification and drops the
     * connection as a network would; returns the id of that last event seen.
     */
    private String dropAfterFirstProgress(ObjectNode call) throws IOException, InterruptedException {
        try (Socket post = rawPost(call)) {
            SseEvents events = new SseEvents(RawSse.skipHead(post.getInputStream()));
            assertTrue(events.next(WAIT).isPriming(), "2025-11-25: the stream opens with a priming event");
            return firstProgress(events).id();
        }
    }

    /** GET with Last-Event-ID over the JDK client; every message until the stream ends. */
    private List<ObjectNode> resume(String lastEventId) throws Exception {
        HttpResponse<InputStream> resumed = http.send(HttpRequest.newBuilder(proxy.uri())
                .header("Accept", "text/event-stream").header("Mcp-Session-Id", client.sessionId)
                .header("MCP-Protocol-Version", client.protocolVersion).header("Last-Event-ID", lastEventId)
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resumed.statusCode());
        try (SseEvents events = new SseEvents(resumed.body())) {
            List<ObjectNode> messages = events.remaining(WAIT); // fails the test if the stream does not end
            assertFalse(messages.isEmpty(), "something replayed");
            return messages;
        }
    }

    private static SseEvents.Event firstProgress(SseEvents events) throws InterruptedException {
        while (true) {
            SseEvents.Event event = nextMessageEvent(events);
            if ("notifications/progress".equals(JsonRpc.method(event.json()))) {
                assertEquals(1, event.json().path("params").path("progress").asInt());
                assertNotNull(event.id(), "events carry ids");
                return event;
            }
        }
    }

    private static SseEvents.Event nextMessageEvent(SseEvents events) throws InterruptedException {
        while (true) {
            SseEvents.Event event = events.next(WAIT);
            assertNotNull(event, "stream ended early");
            if (!event.isPriming()) {
                return event;
            }
        }
    }

    private static List<Integer> progressSteps(List<ObjectNode> messages) {
        List<Integer> steps = new ArrayList<>();
        for (ObjectNode message : messages) {
            if ("notifications/progress".equals(JsonRpc.method(message))) {
                steps.add(message.path("params").path("progress").asInt());
            }
        }
        return steps;
    }

    /** A POST over HTTP/1.0 on a plain socket, so that the test can drop it like a network would. */
    private Socket rawPost(ObjectNode message) throws IOException {
        byte[] body = JsonRpc.toJson(message).getBytes(StandardCharsets.UTF_8);
        return raw("POST", "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                + "Content-Length: " + body.length + "\r\n", body);
    }

    private Socket rawGet(String lastEventId) throws IOException {
        return raw("GET", "Accept: text/event-stream\r\n"
                + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n"), new byte[0]);
    }

    private Socket raw(String method, String headers, byte[] body) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
        socket.setSoTimeout((int) WAIT.toMillis());
        String head = method + " " + proxy.uri().getPath() + " HTTP/1.0\r\nHost: 127.0.0.1:" + proxy.port()
                + "\r\nMcp-Session-Id: " + client.sessionId + "\r\nMCP-Protocol-Version: " + client.protocolVersion
                + "\r\n" + headers + "\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(body);
        socket.getOutputStream().flush();
        return socket;
    }
}
