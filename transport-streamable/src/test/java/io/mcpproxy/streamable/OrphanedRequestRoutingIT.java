package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.stdio.testing.StubbornServer;
import io.mcpproxy.session.Await;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One shared server that keeps working on requests the proxy already answered (cancelled, session deleted) and
 * later sends a log notification and a sampling request for them, within the cancel grace: those never reach
 * another client.
 */
class OrphanedRequestRoutingIT {

    private static final Duration QUIET = Duration.ofMillis(300);

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.command(StubbornServer.commandLine())
                    .cancelGrace(Duration.ofMinutes(1))); // "inside the grace" however slow the machine is

    private StreamableHttpProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aCancelledRequestsLateMessagesDoNotReachAnotherBusySession() throws Exception {
        proxy = proxies.start();
        McpTestClient a = initialized();
        McpTestClient b = initialized();
        ObjectNode stubborn = b.request("tools/call", toolCall("stubborn", Map.of("tag", "B")));
        CompletableFuture<HttpResponse<String>> bCall = http.sendAsync(b.newPost(JsonRpc.toJson(stubborn)).build(),
                HttpResponse.BodyHandlers.ofString());
        awaitStubbornCalls(a, 1);
        assertEquals(202, b.post(cancel(stubborn)).status());
        ObjectNode cancelled = (ObjectNode) JsonRpc.parse(bCall.get(WAIT.toSeconds(), TimeUnit.SECONDS).body()
                .getBytes());
        assertEquals(-32800, cancelled.path("error").path("code").asInt(), cancelled.toString());

        // A is the only session with a request in flight when the server talks about B's request.
        CompletableFuture<McpTestClient.Reply> aHold = CompletableFuture.supplyAsync(() -> post(a, "hold"));
        Await.until(() -> proxy.backends().inFlight() == 1, WAIT);
        assertEquals(1, proxy.backends().inFlight(), "A's hold is in flight");
        assertEquals(202, b.post(trigger()).status());

        McpTestClient.Reply held = aHold.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("held", text(held.response()));
        assertEquals(List.of(), otherThanTheResponse(held), "A's POST stream carried none of B's messages");
        assertEquals("[\"s-1 error -32603\"]", text(a.callTool("answers", Map.of())),
                "the proxy answered B's sampling request for B with an error");
        assertEquals(2, proxy.stats().undeliverable(), "B's log and sampling request, dropped and counted");
        awaitLateAnswerDropped();
    }

    @Test
    void aDeletedSessionsLateMessagesDoNotReachTheNextSession() throws Exception {
        proxy = proxies.start();
        McpTestClient b = initialized();
        ObjectNode stubborn = b.request("tools/call", toolCall("stubborn", Map.of("tag", "B")));
        CompletableFuture<HttpResponse<String>> bCall = http.sendAsync(b.newPost(JsonRpc.toJson(stubborn)).build(),
                HttpResponse.BodyHandlers.ofString());
        awaitStubbornCalls(b, 1);
        assertEquals(204, b.delete().status());
        bCall.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        McpTestClient c = initialized(); // now the only open session, idle, listening
        HttpResponse<InputStream> cGet = c.openGet();
        assertEquals(200, cGet.statusCode());
        try (SseEvents cEvents = new SseEvents(cGet.body())) {
            assertEquals(202, c.post(trigger()).status());
            Await.until(() -> proxy.stats().undeliverable() >= 2, WAIT);
            assertTrue(cEvents.quietFor(QUIET), "C's GET stream carried none of B's messages");
            assertEquals(2, proxy.stats().undeliverable(), "B's log and sampling request, dropped and counted");
            assertEquals("[\"s-1 error -32603\"]", text(c.callTool("answers", Map.of())),
                    "the proxy answered B's sampling request with an error");
        }
        awaitLateAnswerDropped();
    }

    @Test
    void aCancelledRequestsLateMessagesStillReachItsOwnSession() throws Exception {
        proxy = proxies.start();
        McpTestClient a = initialized();
        McpTestClient b = initialized();
        HttpResponse<InputStream> bGet = b.openGet();
        try (SseEvents bEvents = new SseEvents(bGet.body())) {
            ObjectNode stubborn = b.request("tools/call", toolCall("stubborn", Map.of("tag", "B")));
            CompletableFuture<HttpResponse<String>> bCall = http.sendAsync(
                    b.newPost(JsonRpc.toJson(stubborn)).build(), HttpResponse.BodyHandlers.ofString());
            awaitStubbornCalls(a, 1);
            assertEquals(202, b.post(cancel(stubborn)).status());
            bCall.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(202, a.post(trigger()).status()); // two open idle sessions: only B's own request explains it

            ObjectNode log = bEvents.nextMessage(WAIT);
            assertEquals("log for B", log.path("params").path("data").asText(), log.toString());
            ObjectNode sampling = bEvents.nextMessage(WAIT);
            assertEquals("sampling/createMessage", JsonRpc.method(sampling));
            assertEquals(202, b.post(JsonRpc.result(sampling.get("id"), JsonRpc.MAPPER.valueToTree(Map.of(
                    "role", "assistant", "content", Map.of("type", "text", "text", "ok"), "model", "m")))).status());
            assertEquals("[\"s-1 result\"]", text(a.callTool("answers", Map.of())));
            assertEquals(0, proxy.stats().undeliverable());
        }
        awaitLateAnswerDropped();
    }

    @Test
    void withAnOrphanBehindItALiveRequestStillGetsItsMessagesOnItsOwnStream() throws Exception {
        proxy = proxies.start();
        McpTestClient a = initialized(); // idle; only asks the server how far it is
        McpTestClient b = initialized(); // no GET stream: a client's POST streams are all it reads
        ObjectNode cancelledCall = b.request("tools/call", toolCall("stubborn", Map.of("tag", "X")));
        CompletableFuture<HttpResponse<String>> xCall = http.sendAsync(
                b.newPost(JsonRpc.toJson(cancelledCall)).build(), HttpResponse.BodyHandlers.ofString());
        awaitStubbornCalls(a, 1);
        assertEquals(202, b.post(cancel(cancelledCall)).status());
        xCall.get(WAIT.toSeconds(), TimeUnit.SECONDS); // X is an orphan now: answered by the proxy, still running
        CompletableFuture<McpTestClient.Reply> yCall = CompletableFuture.supplyAsync(() -> {
            try {
                return b.post(b.request("tools/call", toolCall("stubborn", Map.of("tag", "Y"))));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        awaitStubbornCalls(a, 2);
        assertEquals(202, a.post(trigger()).status());

        McpTestClient.Reply y = yCall.get(WAIT.toSeconds() + 15, TimeUnit.SECONDS); // two unanswered samplings: 2x5 s
        assertEquals("done Y", text(y.response()));
        List<String> onYsStream = otherThanTheResponse(y).stream().map(message -> JsonRpc.method(message) + " "
                + message.path("params").path("data").asText(message.path("params").toString())).toList();
        assertTrue(onYsStream.contains("notifications/message log for Y"), onYsStream.toString());
        assertTrue(onYsStream.stream().anyMatch(line -> line.startsWith("sampling/createMessage")
                && line.contains("private prompt of Y")), onYsStream.toString());
        assertEquals(0, proxy.stats().undeliverable(), "all of it was B's, and B got it");
    }

    private McpTestClient initialized() throws Exception {
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        return client;
    }

    /** The server has the stubborn call(s): a cancel or trigger sent now reaches it after them. */
    private static void awaitStubbornCalls(McpTestClient via, int count) throws Exception {
        Await.until(() -> String.valueOf(count).equals(text(post(via, "started").response())), WAIT);
        assertEquals(String.valueOf(count), text(via.callTool("started", Map.of())));
    }

    /** The server's own answer to the request the proxy answered before: dropped, counted, nothing else. */
    private void awaitLateAnswerDropped() throws InterruptedException {
        long undeliverable = proxy.stats().undeliverable();
        Await.until(() -> proxy.stats().lateResponses() == 1, WAIT);
        assertEquals(1, proxy.stats().lateResponses(), "the server's late answer was dropped");
        assertEquals(undeliverable, proxy.stats().undeliverable(), "and not taken for an unattributable message");
    }

    private static McpTestClient.Reply post(McpTestClient client, String tool) {
        try {
            return client.post(client.request("tools/call", toolCall(tool, Map.of())));
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    private static List<ObjectNode> otherThanTheResponse(McpTestClient.Reply reply) {
        return reply.events().stream().filter(message -> JsonRpc.method(message) != null).toList();
    }

    private static ObjectNode cancel(ObjectNode request) {
        return JsonRpc.notification("notifications/cancelled",
                McpTestClient.params("requestId", request.get("id"), "reason", "user pressed stop"));
    }

    /** Makes the server send its messages about the waiting stubborn calls, without making the sender busy. */
    private static ObjectNode trigger() {
        return JsonRpc.notification("notifications/roots/list_changed", null);
    }
}
