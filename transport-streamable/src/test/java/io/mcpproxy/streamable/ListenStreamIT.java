package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code subscriptions/listen} of modern clients through real sockets to the legacy example server over stdio: the
 * acknowledgement, the filter, the subscription id, keep-alives, and the server's resource subscriptions following
 * the listeners.
 */
class ListenStreamIT {

    private static final String MODERN = "2026-07-28";
    private static final String URI_A = "example://watched-a";
    private static final Duration QUIET = Duration.ofMillis(500);

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();
    private McpTestClient client;
    private StreamableHttpProxy proxy;

    private void start(Consumer<StreamableHttpProxy.Builder> options) throws Exception {
        proxy = proxies.start(options);
        client = new McpTestClient(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        client.protocolVersion = MODERN;
    }

    private ObjectNode modern(String method, ObjectNode params) {
        ObjectNode meta = params.putObject("_meta");
        meta.put("io.modelcontextprotocol/protocolVersion", MODERN);
        meta.putObject("io.modelcontextprotocol/clientCapabilities");
        return client.request(method, params);
    }

    private HttpRequest mirrored(ObjectNode message) {
        HttpRequest.Builder builder = client.newPost(JsonRpc.toJson(message))
                .header("Mcp-Method", JsonRpc.method(message));
        JsonNode name = message.path("params").get("name");
        if (name != null) {
            builder.header("Mcp-Name", name.asText());
        }
        return builder.build();
    }

    private String call(String tool, Map<String, Object> arguments) throws Exception {
        McpTestClient.Reply reply = client.send(mirrored(modern("tools/call", McpTestClient.toolCall(tool,
                arguments))));
        assertEquals(200, reply.status(), reply.body());
        return McpTestClient.text(reply.response());
    }

    private static ObjectNode filter(String... uris) {
        ObjectNode params = JsonRpc.objectNode();
        ObjectNode notifications = params.putObject("notifications").put("toolsListChanged", true);
        if (uris.length > 0) {
            List.of(uris).forEach(notifications.putArray("resourceSubscriptions")::add);
        }
        return params;
    }

    /** Opens a listen stream and returns it once its acknowledgement came, which it asserts. */
    private Listening listen(ObjectNode params) throws Exception {
        ObjectNode request = modern("subscriptions/listen", params);
        HttpResponse<InputStream> open = client.open(mirrored(request));
        assertEquals(200, open.statusCode());
        assertEquals("no", open.headers().firstValue("X-Accel-Buffering").orElse(null));
        SseEvents events = proxies.closeAfterwards(new SseEvents(open.body()));
        ObjectNode ack = events.nextMessage(McpTestClient.WAIT);
        assertEquals("notifications/subscriptions/acknowledged", JsonRpc.method(ack), ack.toString());
        assertEquals(request.get("id").asText(), subscriptionId(ack).asText(), ack.toString());
        return new Listening(request.get("id"), ack, events);
    }

    private record Listening(JsonNode id, ObjectNode ack, SseEvents events) {
    }

    private static JsonNode subscriptionId(ObjectNode notification) {
        return notification.path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId");
    }

    @Test
    void aListenStreamCarriesWhatItsFilterAskedForTaggedWithTheSubscriptionId() throws Exception {
        start(builder -> { });
        Listening listening = listen(filter(URI_A));
        assertEquals(JsonRpc.MAPPER.readTree("{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"" + URI_A
                + "\"]}"), listening.ack().path("params").path("notifications"));

        call("notify_list_changed", Map.of("kind", "prompts")); // not asked for
        call("notify_list_changed", Map.of("kind", "tools"));
        assertEquals("updated " + URI_A, call("update_resource", Map.of("uri", URI_A)));

        ObjectNode tools = listening.events().nextMessage(McpTestClient.WAIT);
        assertEquals("notifications/tools/list_changed", JsonRpc.method(tools), tools.toString());
        assertEquals(listening.id().asText(), subscriptionId(tools).asText());
        ObjectNode updated = listening.events().nextMessage(McpTestClient.WAIT);
        assertEquals("notifications/resources/updated", JsonRpc.method(updated), updated.toString());
        assertEquals(URI_A, updated.path("params").path("uri").asText());
        assertEquals(listening.id().asText(), subscriptionId(updated).asText());
        assertTrue(listening.events().quietFor(QUIET), "the prompts list change stays off the stream");
    }

    @Test
    void aStreamFilteredToPromptsGetsNoToolListChange() throws Exception {
        start(builder -> { });
        ObjectNode params = JsonRpc.objectNode();
        params.putObject("notifications").put("promptsListChanged", true);
        Listening listening = listen(params);

        call("notify_list_changed", Map.of("kind", "tools"));
        assertTrue(listening.events().quietFor(QUIET), "nothing but what was asked for");
        call("notify_list_changed", Map.of("kind", "prompts"));
        assertEquals("notifications/prompts/list_changed",
                JsonRpc.method(listening.events().nextMessage(McpTestClient.WAIT)));
    }

    @Test
    void keepAliveCommentsComeAtTheConfiguredInterval() throws Exception {
        start(builder -> builder.keepAliveInterval(Duration.ofMillis(50)));
        Listening listening = listen(filter());

        assertTrue(Await.until(() -> listening.events().comments().size() >= 3, Duration.ofSeconds(5)),
                listening.events().comments().toString());
        assertTrue(listening.events().comments().contains("keep-alive"), listening.events().comments().toString());
    }

    @Test
    void theServerIsSubscribedOnceAndUnsubscribedWhenTheLastListenerLeaves() throws Exception {
        start(builder -> builder.keepAliveInterval(Duration.ofMillis(50))); // a keep-alive finds a client gone
        Listening first = listen(filter(URI_A));
        Listening second = listen(filter(URI_A));
        assertEquals(1, count(requestsAtServer(), "resources/subscribe"), "one subscribe for both listeners");

        first.events().close();
        assertTrue(Await.until(() -> proxyHoldsChannels() == 1, Duration.ofSeconds(10)), "the first left");
        assertEquals("updated " + URI_A, call("update_resource", Map.of("uri", URI_A)));
        assertEquals("notifications/resources/updated",
                JsonRpc.method(second.events().nextMessage(McpTestClient.WAIT)));
        assertEquals(0, count(requestsAtServer(), "resources/unsubscribe"), "the second still listens");

        second.events().close();
        assertTrue(Await.until(() -> count(requestsAtServer(), "resources/unsubscribe") == 1,
                Duration.ofSeconds(10)), "the last listener left: unsubscribed");
        assertEquals("not subscribed " + URI_A, call("update_resource", Map.of("uri", URI_A)));
    }

    @Test
    void aLegacySessionAndAListenerShareOneSubscriptionAtTheServer() throws Exception {
        start(builder -> builder.keepAliveInterval(Duration.ofMillis(50)));
        McpTestClient legacy = new McpTestClient(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        legacy.initialize();
        ObjectNode subscribe = legacy.request("resources/subscribe", McpTestClient.params("uri", URI_A));
        assertTrue(legacy.post(subscribe).response().has("result"));
        Listening listening = listen(filter(URI_A));
        assertEquals(1, count(requestsAtServer(), "resources/subscribe"), "the listener rides the session's");

        assertEquals(204, legacy.delete().status());
        assertEquals("updated " + URI_A, call("update_resource", Map.of("uri", URI_A)));
        assertEquals("notifications/resources/updated",
                JsonRpc.method(listening.events().nextMessage(McpTestClient.WAIT)));
        assertEquals(0, count(requestsAtServer(), "resources/unsubscribe"), "the listener still wants it");
    }

    @Test
    void aListenerBeyondTheSessionLimitIs503() throws Exception {
        start(builder -> builder.maxSessions(1));
        listen(filter());

        McpTestClient.Reply refused = client.send(mirrored(modern("subscriptions/listen", filter())));
        assertEquals(503, refused.status(), refused.body());
        assertEquals("too_many_sessions", refused.json().path("error").path("data").path("reason").asText(),
                refused.body());
    }

    @Test
    void aListenRequestWithoutAFilterIs400InvalidParams() throws Exception {
        start(builder -> { });
        McpTestClient.Reply reply = client.send(mirrored(modern("subscriptions/listen", JsonRpc.objectNode())));

        assertEquals(400, reply.status(), reply.body());
        assertEquals(JsonRpc.INVALID_PARAMS, reply.json().path("error").path("code").asInt(), reply.body());
    }

    @Test
    void aServerExitEndsTheStreamWithAnErrorForTheListenRequest() throws Exception {
        start(builder -> { });
        Listening listening = listen(filter());

        client.open(mirrored(modern("tools/call", McpTestClient.toolCall("crash", Map.of()))));
        ObjectNode end = listening.events().nextMessage(McpTestClient.WAIT);
        assertEquals(listening.id().asText(), end.path("id").asText(), end.toString());
        assertTrue(end.has("error"), end.toString());
        assertTrue(Await.until(listening.events()::ended, Duration.ofSeconds(5)), "the stream ended");
    }

    private int proxyHoldsChannels() {
        return proxy.backends().shared().channelCount();
    }

    private List<String> requestsAtServer() {
        try {
            return JsonRpc.MAPPER.readValue(call("requests", Map.of()),
                    JsonRpc.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long count(List<String> methods, String method) {
        return methods.stream().filter(method::equals).count();
    }
}
