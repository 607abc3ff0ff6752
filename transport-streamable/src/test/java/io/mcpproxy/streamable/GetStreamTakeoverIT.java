package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.BulkServer;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that reconnects its GET stream while the proxy still holds the old one (its connection dropped
 * without the proxy noticing yet, or simply still open): the new GET takes over at once, the old stream ends
 * cleanly, and no server message is lost or doubled on the way.
 */
class GetStreamTakeoverIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            // the default keep-alive interval: an old stream is not found dead quickly
            .options(builder -> builder.keepAliveInterval(Duration.ofSeconds(15)));

    private final HttpClient http = HttpClient.newHttpClient();
    private StreamableHttpProxy proxy;
    private McpTestClient client;

    private void start(List<String> command, int maxQueuedEvents, long maxQueuedBytes) throws Exception {
        proxy = proxies.start(builder -> builder.command(command).streamBuffer(maxQueuedEvents, maxQueuedBytes));
        client = new McpTestClient(http, proxy.uri());
        client.initialize();
    }

    @Test
    void aNewGetTakesOverAtOnceAndTheOldStreamEndsCleanly() throws Exception {
        start(ExampleServerCommand.commandLine(), 1_000, 8L * 1024 * 1024);
        try (Socket old = openRawGet(null)) {
            InputStream oldBody = RawSse.skipHead(old.getInputStream());
            HttpResponse<InputStream> reconnect = client.openGet();
            assertEquals(200, reconnect.statusCode(), "a reconnecting client is never refused");
            try (SseEvents events = new SseEvents(reconnect.body())) {
                assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
                assertEquals("notifications/tools/list_changed", JsonRpc.method(events.nextMessage(WAIT)));

                // HTTP/1.0: the old response ends with its connection, so EOF means the stream was ended
                old.setSoTimeout((int) WAIT.toMillis());
                String rest = new String(oldBody.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(!rest.contains("list_changed"), "the old stream got nothing after the take-over: " + rest);
                assertTrue(events.quietFor(Duration.ofMillis(200)), "each message once, on the live stream only");
            }
        }
    }

    @Test
    void aGetResumingWithLastEventIdIsAcceptedAndTakesOver() throws Exception {
        start(ExampleServerCommand.commandLine(), 1_000, 8L * 1024 * 1024);
        HttpResponse<InputStream> first = client.openGet();
        assertEquals(200, first.statusCode());
        try (SseEvents firstEvents = new SseEvents(first.body())) {
            assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "tools"))));
            SseEvents.Event seen = firstEvents.next(WAIT);
            assertEquals("notifications/tools/list_changed", JsonRpc.method(seen.json()));

            HttpResponse<InputStream> resumed = http.send(HttpRequest.newBuilder(proxy.uri())
                    .header("Accept", "text/event-stream").header("Mcp-Session-Id", client.sessionId)
                    .header("MCP-Protocol-Version", client.protocolVersion).header("Last-Event-ID", seen.id())
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, resumed.statusCode());
            try (SseEvents events = new SseEvents(resumed.body())) {
                Await.until(firstEvents::ended, WAIT);
                assertTrue(firstEvents.ended(), "the replaced stream ends");
                assertEquals("sent", text(client.callTool("notify_list_changed", Map.of("kind", "prompts"))));
                assertEquals("notifications/prompts/list_changed", JsonRpc.method(events.nextMessage(WAIT)));
            }
        }
    }

    @Test
    void eventsTheOldStreamHadNotWrittenMoveToTheNewOneEachExactlyOnce() throws Exception {
        int count = 400;
        int padChars = 32 * 1024; // 13 MB in all: far more than the socket buffers of a client that stopped reading
        start(BulkServer.commandLine(), 10_000, 64L * 1024 * 1024);
        try (Socket old = openRawGet(4096)) {
            InputStream oldBody = RawSse.skipHead(old.getInputStream());
            assertEquals("flooded " + count, text(client.callTool("flood", Map.of("count", count,
                    "padChars", padChars))));

            HttpResponse<InputStream> reconnect = client.openGet();
            assertEquals(200, reconnect.statusCode());
            try (SseEvents live = new SseEvents(reconnect.body())) {
                old.setSoTimeout((int) WAIT.toMillis());
                List<Integer> onOld = seqs(new SseEvents(oldBody).remaining(WAIT));
                List<Integer> onLive = new ArrayList<>();
                while (onOld.size() + onLive.size() < count) {
                    ObjectNode message = live.nextMessage(WAIT);
                    if (message == null) {
                        break;
                    }
                    onLive.add(message.path("params").path("seq").asInt());
                }
                assertTrue(!onLive.isEmpty() && onOld.size() < count,
                        "what the old stream had not written went to the new one: " + onOld.size() + " on the old");
                TreeSet<Integer> all = new TreeSet<>(onOld);
                all.addAll(onLive);
                assertEquals(count, onOld.size() + onLive.size(), "no message doubled or lost");
                assertEquals(count, all.size());
                assertEquals(List.copyOf(all), concat(onOld, onLive), "in order across the hand-over");
                assertTrue(live.quietFor(Duration.ofMillis(200)));
            }
        }
    }

    /** A GET over HTTP/1.0 on a plain socket that the test reads only when it wants to (or never). */
    private Socket openRawGet(Integer receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer != null) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", proxy.port()));
        String head = "GET " + proxy.uri().getPath() + " HTTP/1.0\r\nHost: 127.0.0.1:" + proxy.port()
                + "\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + client.sessionId
                + "\r\nMCP-Protocol-Version: " + client.protocolVersion + "\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    private static List<Integer> seqs(List<ObjectNode> messages) {
        List<Integer> seqs = new ArrayList<>();
        for (ObjectNode message : messages) {
            seqs.add(message.path("params").path("seq").asInt());
        }
        return seqs;
    }

    private static List<Integer> concat(List<Integer> first, List<Integer> second) {
        List<Integer> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
