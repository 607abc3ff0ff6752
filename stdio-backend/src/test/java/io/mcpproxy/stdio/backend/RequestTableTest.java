package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.RequestTable.LocalAnswer;
import io.mcpproxy.stdio.backend.RequestTable.ResponseOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The request table alone: no process, a hand-set clock. */
class RequestTableTest {

    private final AtomicLong clock = new AtomicLong(1_000);
    private final RequestTable table = new RequestTable("test", Duration.ofSeconds(2), clock::get);
    private final ServerProcess process = mock(ServerProcess.class); // only its identity matters here
    private final Recorder a = new Recorder();
    private final Recorder b = new Recorder();
    private final ClientSession sessionA = new ClientSession("a", a, process);
    private final ClientSession sessionB = new ClientSession("b", b, process);

    private static ObjectNode request(Object id, String method, String paramsJson) {
        JsonNode params = paramsJson == null ? null : JsonRpc.parse(paramsJson.getBytes(StandardCharsets.UTF_8));
        return JsonRpc.request(JsonRpc.MAPPER.valueToTree(id), method, params);
    }

    private static ObjectNode serverResult(long proxyId) {
        return JsonRpc.result(JsonRpc.MAPPER.valueToTree(proxyId), JsonRpc.objectNode().put("from", "server"));
    }

    private ClientRequest register(ClientSession session, Recorder exchange, ObjectNode request) {
        return table.register(session, request, exchange, JsonRpc.method(request));
    }

    @Test
    void collidingClientIdsGetProxyUniqueIdsAndTheirOwnBackOnTheAnswer() {
        ObjectNode toServerA = request(1, "tools/list", null);
        ObjectNode toServerB = request(1, "tools/list", null);
        ClientRequest fromA = register(sessionA, a, toServerA);
        ClientRequest fromB = register(sessionB, b, toServerB);
        assertNotEquals(toServerA.get("id"), toServerB.get("id"));
        assertEquals(fromA.proxyId, toServerA.get("id").asLong(), "the request is rewritten in place");

        assertEquals(ResponseOutcome.ANSWERED, table.serverAnswered(serverResult(fromB.proxyId)));
        assertEquals(1, b.responses.peek().get("id").asInt());
        assertTrue(a.responses.isEmpty());
        assertEquals(1, table.inFlightCount());
        assertEquals(1, table.inFlightCount(sessionA));
        assertEquals(0, table.inFlightCount(sessionB));
    }

    @Test
    void aSessionReusingAnIdStillInFlightIsRefusedAndMayReuseItOnceAnswered() {
        ClientRequest first = register(sessionA, a, request("x", "tools/call", null));
        ObjectNode again = request("x", "tools/call", null);
        assertNull(register(sessionA, a, again));
        assertEquals("x", again.get("id").asText(), "a refused request is left as it was");
        assertNotNull(register(sessionB, b, request("x", "tools/call", null)), "another session's ids are its own");

        table.serverAnswered(serverResult(first.proxyId));
        assertNotNull(register(sessionA, a, request("x", "tools/call", null)));
    }

    @Test
    void progressTokensAreRewrittenAndLeadToTheirRequestWhileItIsInFlight() {
        ObjectNode call = request(7, "tools/call", "{\"_meta\":{\"progressToken\":42}}");
        ClientRequest entry = register(sessionA, a, call);
        String serverToken = call.path("params").path("_meta").path("progressToken").asText();
        assertNotEquals("42", serverToken);
        assertSame(entry, table.progressOwner(serverToken));
        assertEquals(42, entry.clientProgressToken.asInt());

        table.serverAnswered(serverResult(entry.proxyId));
        assertNull(table.progressOwner(serverToken), "answered: the token leads nowhere");
    }

    @Test
    void aRequestIsAnsweredExactlyOnceWhoeverComesFirst() {
        ClientRequest entry = register(sessionA, a, request(3, "tools/call", null));
        AtomicBoolean timerCancelled = new AtomicBoolean();
        entry.timeout = () -> timerCancelled.compareAndSet(false, true);

        assertTrue(table.answerLocally(entry, LocalAnswer.CANCELLED,
                JsonRpc.error(entry.clientId, JsonRpc.REQUEST_CANCELLED, "cancelled")));
        assertTrue(timerCancelled.get(), "an answered request leaves no timer armed");
        assertFalse(table.complete(entry, JsonRpc.proxyError(entry.clientId, "timeout", "late timeout")));
        assertFalse(table.answerLocally(entry, LocalAnswer.TIMED_OUT, JsonRpc.proxyError(entry.clientId, "x", "x")));
        assertEquals(ResponseOutcome.LATE, table.serverAnswered(serverResult(entry.proxyId)));
        assertEquals(1, a.responses.size());
        assertEquals(JsonRpc.REQUEST_CANCELLED, a.responses.peek().path("error").path("code").asInt());
        assertEquals(ResponseOutcome.UNEXPECTED, table.serverAnswered(serverResult(entry.proxyId)));
    }

    @Test
    void anOrphanStaysItsSessionsWorkUntilTheCancelGraceHasPassed() {
        ClientRequest entry = register(sessionA, a, request(3, "tools/call", null));
        table.answerLocally(entry, LocalAnswer.TIMED_OUT, JsonRpc.proxyError(entry.clientId, "timeout", "t"));
        assertEquals(0, table.inFlightCount());
        assertEquals(List.of(sessionA), table.readWorkAtServer((inFlight, orphans) ->
                orphans.stream().map(Orphans.Orphan::session).toList()));

        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(0, (int) table.readWorkAtServer((inFlight, orphans) -> orphans.size()),
                "the cancel grace has passed");
        assertEquals(ResponseOutcome.UNEXPECTED, table.serverAnswered(serverResult(entry.proxyId)));
    }

    @Test
    void cancelledAndEndedSessionsRequestsCountForExactlyTheGraceWhileLiveOnesKeepCounting() {
        ClientRequest cancelled = register(sessionA, a, request(1, "tools/call", null));
        ClientRequest live = register(sessionB, b, request(1, "tools/call", null));
        table.answerLocally(cancelled, LocalAnswer.CANCELLED, JsonRpc.error(cancelled.clientId, -32800, "c"));
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        ClientRequest ended = register(sessionB, b, request(2, "tools/call", null));
        sessionB.end();
        table.answerLocally(ended, LocalAnswer.SESSION_ENDED, JsonRpc.error(ended.clientId, -32001, "ended"));

        clock.addAndGet(Duration.ofSeconds(1).toNanos() - 1);
        assertEquals(List.of(1L, 3L), orphanIds(table), "both within their grace");
        clock.incrementAndGet();
        assertEquals(List.of(3L), orphanIds(table), "the cancel is 2 s old: it no longer counts");
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(List.of(), orphanIds(table), "the ended session's too");
        assertEquals(1, table.inFlightCount(), "a request the server still owes an answer counts whatever its age");
        assertSame(live, table.inFlight(sessionB, live.clientId));
    }

    @Test
    void withoutCancelGraceAnAnsweredRequestNeverCounts() {
        RequestTable graceless = new RequestTable("test", Duration.ZERO, clock::get);
        ClientRequest entry = graceless.register(sessionA, request(1, "tools/call", null), a, "tools/call");
        graceless.answerLocally(entry, LocalAnswer.CANCELLED, JsonRpc.error(entry.clientId, -32800, "cancelled"));
        assertEquals(List.of(), orphanIds(graceless));
    }

    private static List<Long> orphanIds(RequestTable table) {
        return table.readWorkAtServer((inFlight, orphans) ->
                orphans.stream().map(Orphans.Orphan::proxyId).sorted().toList());
    }

    @Test
    void theAnswerToAnInternalRequestIsExpectedOnce() {
        long id = table.internalRequest();
        ClientRequest client = register(sessionA, a, request(1, "ping", null));
        assertNotEquals(id, client.proxyId, "one id space");
        assertEquals(ResponseOutcome.INTERNAL, table.serverAnswered(serverResult(id)));
        assertEquals(ResponseOutcome.UNEXPECTED, table.serverAnswered(serverResult(id)));
        assertEquals(ResponseOutcome.UNEXPECTED, table.serverAnswered(JsonRpc.result(
                JsonRpc.MAPPER.valueToTree("text"), JsonRpc.objectNode())), "the proxy's ids are numbers");
    }

    @Test
    void aDeadProcessTakesItsRequestsAndOrphansWithIt() {
        ServerProcess other = mock(ServerProcess.class);
        ClientSession onOther = new ClientSession("c", new Recorder(), other);
        ClientRequest live = register(sessionA, a, request(1, "tools/call", null));
        ClientRequest orphaned = register(sessionA, a, request(2, "tools/call", null));
        ClientRequest elsewhere = register(onOther, new Recorder(), request(1, "tools/call", null));
        table.answerLocally(orphaned, LocalAnswer.CANCELLED, JsonRpc.error(orphaned.clientId, -32800, "c"));

        assertEquals(List.of(live), table.inFlightOn(process));
        table.forget(process);
        assertEquals(0, (int) table.readWorkAtServer((inFlight, orphans) -> orphans.size()));
        assertEquals(List.of(elsewhere), table.inFlightOn(other));
    }

    @Test
    void anEndedSessionsRequestsAreStillAnsweredAndCounted() {
        ClientRequest entry = register(sessionA, a, request(1, "tools/call", null));
        sessionA.end();
        table.sessionEnded(sessionA);
        assertEquals(List.of(entry), table.inFlightOf(sessionA));
        assertEquals(ResponseOutcome.ANSWERED, table.serverAnswered(serverResult(entry.proxyId)));
        assertEquals(0, table.inFlightCount(sessionA));
        assertEquals(1, a.responses.size());
    }
}
