package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.RequestTable.LocalAnswer;
import io.mcpproxy.stdio.backend.ServerMessageRouter.Rule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the router does with each kind of server message, against a real request table and no process. */
class ServerMessageRouterTest {

    private final AtomicLong clock = new AtomicLong(1_000);
    private final RequestTable requests = new RequestTable("test", Duration.ofSeconds(10), clock::get);
    private final OpenSessions sessions = new OpenSessions();
    private final BackendStats stats = new BackendStats();
    private final List<ObjectNode> toServer = new CopyOnWriteArrayList<>();
    private final ServerRequests serverRequests = new ServerRequests();
    private final ServerMessageRouter router = new ServerMessageRouter("test", requests, serverRequests, sessions,
            new SubscriptionRouter("test", requests, sessions, stats), stats, clock::get, toServer::add);
    private final ServerProcess process = mock(ServerProcess.class); // only its identity matters here

    private static ObjectNode json(String text) {
        return (ObjectNode) JsonRpc.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private ClientSession open(String id, Recorder recorder) {
        ClientSession session = new ClientSession(id, recorder, process);
        session.protocol().declared(json("{\"sampling\":{},\"elicitation\":{},\"roots\":{}}"));
        sessions.add(session);
        return session;
    }

    private ClientRequest call(ClientSession session, Recorder exchange, Object id, String paramsJson) {
        JsonNode params = paramsJson == null ? null : json(paramsJson);
        return requests.register(session, JsonRpc.request(JsonRpc.MAPPER.valueToTree(id), "tools/call", params),
                exchange, "tools/call");
    }

    @Test
    void eachMessageFallsUnderOneRule() {
        assertEquals(Rule.RESPONSE, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")));
        assertEquals(Rule.RESPONSE, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":1}}")));
        assertEquals(Rule.PING, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")));
        assertEquals(Rule.ROOTS_LIST, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"roots/list\"}")));
        assertEquals(Rule.SERVER_REQUEST, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":\"s\","
                + "\"method\":\"sampling/createMessage\"}")));
        assertEquals(Rule.SERVER_REQUEST, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":2,"
                + "\"method\":\"elicitation/create\"}")));
        assertEquals(Rule.PROGRESS, Rule.of(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}")));
        for (String kind : List.of("tools", "prompts", "resources")) {
            assertEquals(Rule.LIST_CHANGED, Rule.of(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/" + kind
                    + "/list_changed\"}")));
        }
        assertEquals(Rule.RESOURCE_UPDATED, Rule.of(json("{\"jsonrpc\":\"2.0\","
                + "\"method\":\"notifications/resources/updated\"}")));
        assertEquals(Rule.SERVER_CANCELLED, Rule.of(json("{\"jsonrpc\":\"2.0\","
                + "\"method\":\"notifications/cancelled\"}")));
        assertEquals(Rule.LOG_MESSAGE, Rule.of(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}")));
        assertEquals(Rule.NOTIFICATION, Rule.of(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/custom\"}")));
        assertEquals(Rule.NOT_JSON_RPC, Rule.of(json("{\"id\":1,\"result\":{}}")));
        assertEquals(Rule.NOT_JSON_RPC, Rule.of(json("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}")));
    }

    @Test
    void serverPingsAreAnsweredByTheProxy() {
        Recorder a = new Recorder();
        open("a", a);
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-ping\",\"method\":\"ping\"}"));
        assertEquals(1, toServer.size());
        assertEquals("srv-ping", toServer.get(0).get("id").asText());
        assertTrue(toServer.get(0).has("result"));
        assertTrue(a.delivered.isEmpty());
    }

    @Test
    void responsesReachTheirExchangeAndLateOnesAreCounted() {
        Recorder a = new Recorder();
        ClientSession session = open("a", a);
        ClientRequest first = call(session, a, "one", null);
        ClientRequest second = call(session, a, "two", null);
        requests.answerLocally(second, LocalAnswer.TIMED_OUT, JsonRpc.proxyError(second.clientId, "timeout", "t"));

        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":" + first.proxyId + ",\"result\":{\"ok\":1}}"));
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":" + second.proxyId + ",\"result\":{}}"));
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}"));
        assertEquals(List.of("two", "one"), a.responses.stream().map(r -> r.get("id").asText()).toList());
        assertEquals(2, stats.lateResponses(), "the late answer and the one nobody waited for");
        assertEquals(0, stats.undeliverable());
    }

    @Test
    void progressGoesToTheRequestOwningTheTokenWithTheClientsToken() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ClientRequest call = call(open("a", a), a, 1, "{\"_meta\":{\"progressToken\":42}}");
        open("b", b);
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                + "{\"progressToken\":\"" + call.proxyProgressToken + "\",\"progress\":1}}"));
        assertEquals(1, a.messages.size());
        assertTrue(a.messages.peek().path("params").path("progressToken").isInt());
        assertEquals(42, a.messages.peek().path("params").path("progressToken").asInt());
        assertTrue(b.messages.isEmpty() && b.delivered.isEmpty());

        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                + "{\"progressToken\":\"nobody\",\"progress\":1}}"));
        a.streamGone = true;
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                + "{\"progressToken\":\"" + call.proxyProgressToken + "\",\"progress\":2}}"));
        assertEquals(2, stats.undeliverable(), "no owner, and an owner whose stream is gone");
    }

    @Test
    void listChangedReachesEverySessionAndResourceUpdatesOnlyTheSubscribers() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ClientSession sessionA = open("a", a);
        open("b", b);
        sessionA.protocol().subscribed("file:///a");
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}"));
        assertEquals(1, a.delivered.size());
        assertEquals(1, b.delivered.size());

        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\","
                + "\"params\":{\"uri\":\"file:///a\"}}"));
        assertEquals(2, a.delivered.size());
        assertEquals(1, b.delivered.size());
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\","
                + "\"params\":{\"uri\":\"file:///nobody\"}}"));
        assertEquals(1, stats.undeliverable(), "an update nobody subscribed to");
    }

    @Test
    void anUnambiguousServerRequestRidesTheBusyRequestAndOnlyThatSessionHoldsIt() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ClientSession sessionA = open("a", a);
        ClientSession sessionB = open("b", b);
        call(sessionA, a, 9, null);
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"method\":\"sampling/createMessage\"}"));
        assertEquals(1, a.messages.size(), "on the request's exchange");
        assertTrue(toServer.isEmpty());
        assertFalse(serverRequests.takenBack("s:srv-2", sessionB));

        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                + "\"params\":{\"requestId\":\"srv-2\"}}"));
        assertEquals(1, a.delivered.size(), "the withdrawal goes to the session holding the request");
        assertTrue(b.delivered.isEmpty());
        assertFalse(serverRequests.takenBack("s:srv-2", sessionA), "withdrawn: nothing left to answer");
    }

    @Test
    void anAmbiguousServerRequestIsAnsweredWithAnErrorAndNeverGuessedAt() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        call(open("a", a), a, 1, null);
        call(open("b", b), b, 1, null);
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"sampling/createMessage\"}"));
        assertEquals(1, toServer.size());
        assertEquals("srv-1", toServer.get(0).get("id").asText());
        assertEquals(JsonRpc.INTERNAL_ERROR, toServer.get(0).path("error").path("code").asInt());
        assertEquals(1, stats.undeliverable());
        assertTrue(a.messages.isEmpty() && b.messages.isEmpty() && a.delivered.isEmpty() && b.delivered.isEmpty());
    }

    @Test
    void aCancelledRequestKeepsOtherSessionsFromUnaddressedMessagesForTheCancelGraceOnly() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ClientSession sessionA = open("a", a);
        ClientRequest cancelled = call(sessionA, a, 1, null);
        requests.answerLocally(cancelled, RequestTable.LocalAnswer.CANCELLED, JsonRpc.error(cancelled.clientId,
                JsonRpc.REQUEST_CANCELLED, "cancelled"));
        ClientRequest running = call(open("b", b), b, 1, null);

        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"sampling/createMessage\"}"));
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                + "\"params\":{\"level\":\"info\",\"data\":\"whose?\"}}"));
        assertEquals(JsonRpc.INTERNAL_ERROR, toServer.get(0).path("error").path("code").asInt(), "refused");
        assertTrue(b.messages.isEmpty() && b.delivered.isEmpty(), "within the grace it may be A's: B gets nothing");
        assertEquals(2, stats.unattributable());
        assertEquals(2, stats.undeliverable());

        clock.addAndGet(Duration.ofSeconds(10).toNanos()); // this router's cancel grace
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"method\":\"sampling/createMessage\"}"));
        assertEquals("srv-2", b.messages.poll().get("id").asText(), "on B's request's stream");
        assertEquals(1, toServer.size(), "nothing more refused");
        assertEquals(2, stats.unattributable());
        assertTrue(serverRequests.takenBack("s:srv-2", running.session));
    }

    @Test
    void progressNamesItsRequestAndIsNeverHeldUpByACancelledOne() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ClientRequest cancelled = call(open("a", a), a, 1, null);
        requests.answerLocally(cancelled, RequestTable.LocalAnswer.CANCELLED, JsonRpc.error(cancelled.clientId,
                JsonRpc.REQUEST_CANCELLED, "cancelled"));
        ClientRequest running = call(open("b", b), b, 1, "{\"_meta\":{\"progressToken\":\"t\"}}");
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                + "{\"progressToken\":\"" + running.proxyProgressToken + "\",\"progress\":1}}"));
        assertEquals("t", b.messages.poll().path("params").path("progressToken").asText());
        assertEquals(0, stats.undeliverable());
    }

    @Test
    void aServerRequestForACapabilityTheSessionDidNotDeclareIsAnsweredAsItsClientWould() {
        Recorder a = new Recorder();
        ClientSession sessionA = open("a", a);
        sessionA.protocol().declared(json("{\"roots\":{}}"));
        call(sessionA, a, 1, null);
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"sampling/createMessage\"}"));
        assertEquals("srv-1", toServer.get(0).get("id").asText());
        assertEquals(JsonRpc.METHOD_NOT_FOUND, toServer.get(0).path("error").path("code").asInt());
        assertTrue(a.messages.isEmpty() && a.delivered.isEmpty(), "never forwarded");
        assertFalse(serverRequests.takenBack("s:srv-1", sessionA), "not held by the session");
        assertEquals(0, stats.undeliverable(), "answered, not lost");
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"method\":\"roots/list\"}"));
        assertEquals("roots/list", JsonRpc.method(a.messages.poll()), "what it declared reaches it");
    }

    @Test
    void aServerRequestWhoseSessionCannotTakeItIsAnsweredWithAnError() {
        Recorder a = new Recorder();
        ClientSession sessionA = open("a", a);
        a.streamGone = true;
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"elicitation/create\"}"));
        assertEquals(5, toServer.get(0).get("id").asInt());
        assertEquals(JsonRpc.INTERNAL_ERROR, toServer.get(0).path("error").path("code").asInt());
        assertEquals(1, stats.undeliverable());
        assertFalse(serverRequests.takenBack("n:5", sessionA), "not held by a session that never got it");
    }

    @Test
    void logMessagesBelowTheSessionsOwnLevelAreNotSentAndNotCounted() {
        Recorder a = new Recorder();
        ClientSession session = open("a", a);
        session.protocol().setLogLevel("warning");
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                + "\"params\":{\"level\":\"info\",\"data\":\"chatter\"}}"));
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                + "\"params\":{\"level\":\"error\",\"data\":\"trouble\"}}"));
        assertEquals(1, a.delivered.size());
        assertEquals("trouble", a.delivered.peek().path("params").path("data").asText());
        assertEquals(0, stats.undeliverable());
    }

    @Test
    void aNotificationForNobodyIsCountedAndALineThatIsNotJsonRpcIsSkipped() {
        router.serverToProxy(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/custom\"}"));
        assertEquals(1, stats.undeliverable());
        router.serverToProxy(json("{\"hello\":\"world\"}"));
        assertEquals(1, stats.undeliverable());
        assertTrue(toServer.isEmpty());
    }
}
