package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.params;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.cluster.ForwardMarker;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import redis.clients.jedis.Jedis;

/**
 * Three Streamable HTTP replicas sharing one Redis, each advertising its URL and sharing a cluster secret; the
 * client sends every request of a session to the next replica in turn, as a plain round-robin load balancer would.
 * Whatever replica a request reaches, it is served by the one that holds the session.
 */
class AnyReplicaIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    static final String SECRET = "a cluster secret of this test, long enough";
    static final Duration HEARTBEAT = Duration.ofMillis(200);

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<StreamableHttpProxy> replicas = new ArrayList<>();
    private final List<RedisStorage> storages = new ArrayList<>();
    private final List<McpTestClient> clients = new ArrayList<>();
    private int turn;

    @BeforeEach
    void start() throws Exception {
        try (Jedis redis = new Jedis(URI.create(REDIS.uri()))) {
            redis.flushAll(); // every test starts from an empty store
        }
        for (int i = 0; i < 3; i++) {
            replicas.add(startReplica("replica-" + i));
            clients.add(new McpTestClient(http, replicas.get(i).uri()));
        }
    }

    /** A replica on a port it knows before it binds, so that it can advertise it. */
    private StreamableHttpProxy startReplica(String id) throws Exception {
        int port = freePort();
        RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build();
        storages.add(storage);
        StreamableHttpProxy replica = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .port(port).withSessionStorage(storage).replicaId(id)
                .advertiseUrl(URI.create("http://127.0.0.1:" + port)).clusterSecret(SECRET)
                .heartbeatInterval(HEARTBEAT).build();
        replica.start();
        return replica;
    }

    @AfterEach
    void stop() {
        replicas.forEach(StreamableHttpProxy::close);
        storages.forEach(RedisStorage::close);
    }

    @Test
    void everyRequestOfASessionIsServedWhicheverReplicaItReaches() throws Exception {
        initializeAt(0);
        for (int i = 0; i < 6; i++) {
            McpTestClient client = next();
            McpTestClient.Reply echo = client.post(client.request("tools/call",
                    toolCall("echo", Map.of("text", "call " + i))));
            assertEquals(200, echo.status(), echo.body());
            assertEquals("call " + i, text(echo.json()));
        }
        assertEquals(1, replicas.get(0).handler().localSessionCount(), "the session stays with the replica it began at");
        assertEquals(0, replicas.get(1).handler().localSessionCount());
    }

    @Test
    void progressReachesTheClientThroughAnotherReplica() throws Exception {
        initializeAt(0);
        McpTestClient client = at(1);
        ObjectNode call = client.request("tools/call", toolCall("progress", Map.of("steps", 3, "delayMs", 10)));
        ((ObjectNode) call.get("params")).set("_meta", params("progressToken", "t1"));
        McpTestClient.Reply reply = client.post(call);
        assertEquals(200, reply.status());
        assertTrue(reply.contentType().startsWith("text/event-stream"), reply.contentType());
        long progress = reply.events().stream()
                .filter(event -> "notifications/progress".equals(JsonRpc.method(event))).count();
        assertEquals(3, progress, reply.events().toString());
        assertTrue(reply.response().has("result"), reply.response().toString());
    }

    @Test
    void aSamplingRequestOnOneReplicasStreamIsAnsweredThroughAnother() throws Exception {
        initializeAt(0);
        McpTestClient caller = at(1);
        HttpResponse<InputStream> stream = caller.open(caller.newPost(JsonRpc.toJson(caller.request("tools/call",
                toolCall("sample", Map.of("prompt", "the prompt"))))).build());
        try (SseEvents events = new SseEvents(stream.body())) {
            ObjectNode sampling = events.nextMessage(WAIT);
            assertEquals("sampling/createMessage", JsonRpc.method(sampling), sampling.toString());
            McpTestClient answerer = at(2);
            McpTestClient.Reply accepted = answerer.post(JsonRpc.result(sampling.get("id"), params("role",
                    "assistant", "content", Map.of("type", "text", "text", "sampled elsewhere"), "model", "m")));
            assertEquals(202, accepted.status(), accepted.body());
            ObjectNode result = events.nextMessage(WAIT);
            assertTrue(text(result).contains("sampled elsewhere"), result.toString());
        }
    }

    @Test
    void anElicitationOnOneReplicasStreamIsAnsweredThroughAnother() throws Exception {
        initializeAt(0);
        McpTestClient caller = at(1);
        HttpResponse<InputStream> stream = caller.open(caller.newPost(JsonRpc.toJson(caller.request("tools/call",
                toolCall("elicit", Map.of("message", "your name?"))))).build());
        try (SseEvents events = new SseEvents(stream.body())) {
            ObjectNode elicitation = events.nextMessage(WAIT);
            assertEquals("elicitation/create", JsonRpc.method(elicitation), elicitation.toString());
            McpTestClient answerer = at(2);
            McpTestClient.Reply accepted = answerer.post(JsonRpc.result(elicitation.get("id"), params("action",
                    "accept", "content", Map.of("answer", "answered elsewhere"))));
            assertEquals(202, accepted.status(), accepted.body());
            ObjectNode result = events.nextMessage(WAIT);
            assertTrue(text(result).contains("answered elsewhere"), result.toString());
        }
    }

    @Test
    void theGetStreamHeldThroughOneReplicaGetsWhatRequestsThroughOthersCause() throws Exception {
        initializeAt(0);
        HttpResponse<InputStream> get = at(1).openGet();
        assertEquals(200, get.statusCode());
        try (SseEvents events = new SseEvents(get.body())) {
            McpTestClient client = at(2);
            assertEquals(200, client.post(client.request("tools/call",
                    toolCall("notify_list_changed", Map.of("kind", "tools")))).status());
            ObjectNode changed = events.nextMessage(WAIT);
            assertEquals("notifications/tools/list_changed", JsonRpc.method(changed), changed.toString());
        }
    }

    @Test
    void aDeleteAtAnyReplicaEndsTheSessionEverywhere() throws Exception {
        initializeAt(0);
        assertEquals(204, at(2).delete().status());
        Await.until(() -> replicas.get(0).handler().localSessionCount() == 0, WAIT);
        for (int i = 0; i < 3; i++) {
            McpTestClient client = at(i);
            McpTestClient.Reply gone = client.post(client.request("tools/call", toolCall("echo", Map.of("text", "x"))));
            assertEquals(404, gone.status(), "replica " + i + ": " + gone.body());
            assertEquals(-32001, gone.json().path("error").path("code").asInt());
        }
    }

    @Test
    void aForgedForwardMarkerGets403() throws Exception {
        initializeAt(0);
        McpTestClient client = at(1);
        HttpResponse<String> forged = http.send(client.newPost(JsonRpc.toJson(client.request("tools/call",
                toolCall("echo", Map.of("text", "x"))))).header(ForwardMarker.HEADER, "not-the-token").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forged.statusCode(), forged.body());
        assertEquals(-32600, JsonRpc.parse(forged.body().getBytes()).path("error").path("code").asInt());
    }

    @Test
    void aForwardedRequestIsNeverForwardedAgain() throws Exception {
        initializeAt(0);
        // As if replica 2 had forwarded it: replica 1 does not hold the session, so it answers 404 and forwards nothing
        McpTestClient client = at(1);
        HttpResponse<String> forwarded = http.send(client.newPost(JsonRpc.toJson(client.request("tools/call",
                toolCall("echo", Map.of("text", "x"))))).header(ForwardMarker.HEADER, ForwardMarker.of(SECRET).value())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, forwarded.statusCode(), forwarded.body());
        assertEquals(200, at(0).post(at(0).request("tools/call", toolCall("echo", Map.of("text", "y")))).status(),
                "the session itself is untouched");
    }

    @Test
    void theSessionsOfAReplicaThatStoppedAreOverAtTheOthers() throws Exception {
        initializeAt(0);
        replicas.get(0).close(); // drains, ends its sessions, removes its liveness record last
        McpTestClient client = at(1);
        McpTestClient.Reply gone = client.post(client.request("tools/call", toolCall("echo", Map.of("text", "x"))));
        assertEquals(404, gone.status(), gone.body());
    }

    @Test
    void liveSessionsComeBackAfterRedisLostItsDataUnderLoad() throws Exception {
        int sessions = 4;
        int callsEach = 40;
        List<List<McpTestClient>> roundRobins = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            List<McpTestClient> perReplica = replicas.stream().map(r -> new McpTestClient(http, r.uri())).toList();
            perReplica.get(s % 3).initialize();
            String id = perReplica.get(s % 3).sessionId;
            perReplica.forEach(client -> client.sessionId = id);
            roundRobins.add(perReplica);
        }
        ExecutorService load = Executors.newFixedThreadPool(sessions);
        try {
            List<Future<Integer>> unavailable = new ArrayList<>();
            for (List<McpTestClient> perReplica : roundRobins) {
                unavailable.add(load.submit(() -> callRoundRobin(perReplica, callsEach)));
            }
            Thread.sleep(150); // the load is running
            try (Jedis redis = new Jedis(URI.create(REDIS.uri()))) {
                redis.flushAll();
            }
            for (Future<Integer> session : unavailable) {
                assertTrue(session.get(60, TimeUnit.SECONDS) <= 1, "a session saw more than one 503");
            }
        } finally {
            load.shutdownNow();
        }
    }

    /** Calls echo through each replica in turn; every call ends answered (after a 503's Retry-After). */
    private static int callRoundRobin(List<McpTestClient> perReplica, int calls) throws Exception {
        int unavailable = 0;
        for (int i = 0; i < calls; i++) {
            McpTestClient client = perReplica.get(i % perReplica.size());
            McpTestClient.Reply reply = client.post(client.request("tools/call",
                    toolCall("echo", Map.of("text", "call " + i))));
            if (reply.status() == 503) {
                unavailable++;
                Thread.sleep(Long.parseLong(reply.header("Retry-After")) * 1000);
                i--; // the same call again, as a client does after Retry-After
                continue;
            }
            assertEquals(200, reply.status(), "call " + i + ": " + reply.body());
            assertEquals("call " + i, text(reply.json()));
            Thread.sleep(10);
        }
        return unavailable;
    }

    @Test
    void theOfficialSdkClientWorksUnchangedBehindAPlainRoundRobinBalancer() throws Exception {
        List<String> prompts = new CopyOnWriteArrayList<>();
        try (RoundRobinBalancer balancer = new RoundRobinBalancer(replicas.stream().map(r -> URI.create(
                "http://127.0.0.1:" + r.port())).toList())) {
            McpSyncClient sdk = McpClient.sync(HttpClientStreamableHttpTransport.builder(balancer.uri().toString())
                            .endpoint("/mcp").build())
                    .clientInfo(Implementation.builder("sdk-behind-a-balancer", "1.0.0").build())
                    .requestTimeout(Duration.ofSeconds(20)).initializationTimeout(Duration.ofSeconds(20))
                    .capabilities(ClientCapabilities.builder().sampling().build())
                    .sampling(request -> {
                        prompts.add(((TextContent) request.messages().get(0).content()).text());
                        return CreateMessageResult.builder(Role.ASSISTANT, "sampled behind a balancer", "model")
                                .stopReason(CreateMessageResult.StopReason.END_TURN).build();
                    })
                    .build();
            try {
                sdk.initialize();
                for (int i = 0; i < 5; i++) {
                    CallToolResult echo = sdk.callTool(CallToolRequest.builder("echo")
                            .arguments(Map.of("text", "request " + i)).build());
                    assertEquals("request " + i, ((TextContent) echo.content().get(0)).text());
                }
                CallToolResult sampled = sdk.callTool(CallToolRequest.builder("sample")
                        .arguments(Map.of("prompt", "a haiku")).build());
                assertEquals("sampled: sampled behind a balancer", ((TextContent) sampled.content().get(0)).text());
                assertEquals(List.of("a haiku"), prompts);
                assertEquals(1, replicas.stream().mapToInt(r -> r.handler().localSessionCount()).sum(),
                        "one session, held by one replica");
                assertTrue(sdk.closeGracefully(), "DELETE through whichever replica");
            } finally {
                sdk.close();
            }
        }
        Await.until(() -> replicas.stream().mapToInt(r -> r.handler().localSessionCount()).sum() == 0, WAIT);
    }

    @Test
    void aClientResumesAStreamAtAThirdReplica() throws Exception {
        clients.forEach(client -> client.protocolVersion = "2025-11-25");
        initializeAt(0);
        McpTestClient caller = at(1);
        ObjectNode call = caller.request("tools/call", toolCall("progress", Map.of("steps", 3, "delayMs", 300)));
        ((ObjectNode) call.get("params")).set("_meta", params("progressToken", "t"));
        HttpResponse<InputStream> first = caller.open(caller.newPost(JsonRpc.toJson(call)).build());
        String lastSeen;
        try (SseEvents events = new SseEvents(first.body())) {
            SseEvents.Event priming = events.next(WAIT);
            assertTrue(priming.isPriming(), priming.toString());
            SseEvents.Event progress = events.next(WAIT);
            assertEquals("notifications/progress", JsonRpc.method(progress.json()), progress.toString());
            lastSeen = progress.id();
        } // the connection drops after the first progress event
        McpTestClient resumer = at(2);
        HttpResponse<InputStream> resumed = http.send(HttpRequest.newBuilder(replicas.get(2).uri())
                .header("Accept", "text/event-stream").header("Mcp-Session-Id", resumer.sessionId)
                .header("MCP-Protocol-Version", "2025-11-25").header("Last-Event-ID", lastSeen).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resumed.statusCode());
        try (SseEvents events = new SseEvents(resumed.body())) {
            List<ObjectNode> rest = events.remaining(WAIT);
            ObjectNode response = rest.get(rest.size() - 1);
            assertEquals(call.get("id").asLong(), response.get("id").asLong(), rest.toString());
            assertEquals("done 3 steps", text(response));
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private void initializeAt(int replica) throws IOException, InterruptedException {
        McpTestClient first = clients.get(replica);
        first.initialize();
        clients.forEach(client -> client.sessionId = first.sessionId);
        turn = replica + 1;
    }

    private McpTestClient at(int replica) {
        return clients.get(replica);
    }

    /** The next replica's client, in turn: what a round-robin load balancer does to a session's requests. */
    private McpTestClient next() {
        return clients.get(turn++ % clients.size());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
