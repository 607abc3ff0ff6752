package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.Mockito.mock;

import com.fasterxml.jackson.databind.node.IntNode;
import io.mcpproxy.stdio.backend.Orphans.Orphan;
import io.mcpproxy.stdio.backend.RequestTable.LocalAnswer;
import io.mcpproxy.stdio.backend.ServerMessageRouter.Target;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure "whoever is busy" decision: work at the server and open sessions in, a target or a refusal out. */
class BusySessionTest {

    private static final long NOW = 1_000_000_000L;
    private static final long WINDOW = SessionProtocolState.ROOTS_NOTICE_WINDOW.toNanos();

    private final ServerProcess process = mock(ServerProcess.class); // only its identity matters here
    private final ClientSession a = new ClientSession("a", new Recorder(), process);
    private final ClientSession b = new ClientSession("b", new Recorder(), process);
    private int nextId = 1;

    private ClientRequest live(ClientSession session) {
        int id = nextId++;
        return new ClientRequest(id, IntNode.valueOf(id), "n:" + id, session, new Recorder(), "tools/call");
    }

    private Orphan orphan(ClientSession session) {
        return new Orphan(nextId++, session, "tools/call", LocalAnswer.CANCELLED, NOW);
    }

    private static Target decide(List<ClientRequest> live, List<Orphan> orphans, List<ClientSession> open) {
        return ServerMessageRouter.busySession(live, orphans, open, false, NOW);
    }

    private static Target decideRootsList(List<ClientRequest> live, List<ClientSession> open) {
        return ServerMessageRouter.busySession(live, List.of(), open, true, NOW);
    }

    private static Target refused(String why, String... sessions) {
        return new Target.Refused(why, List.of(sessions));
    }

    @Test
    void withNothingAtTheServerTheOnlyOpenSessionGetsItAndAnyOtherCountIsRefused() {
        assertEquals(refused("no session is open"), decide(List.of(), List.of(), List.of()));
        assertEquals(new Target.Deliver(a, null), decide(List.of(), List.of(), List.of(a)));
        assertEquals(refused("several sessions are open, none busy", "a", "b"),
                decide(List.of(), List.of(), List.of(a, b)));
    }

    @Test
    void aSessionWaitingForItsClientsInputYieldsToOneThatWorksAndAloneStillCounts() {
        ClientRequest waiting = live(a);
        ClientRequest working = live(b);
        a.awaitsClient(true);

        assertEquals(new Target.Deliver(b, working), decide(List.of(waiting, working), List.of(), List.of(a, b)));
        assertEquals(new Target.Deliver(a, waiting), decide(List.of(waiting), List.of(), List.of(a, b)),
                "alone, the waiting call is the one the server talks about");
        b.awaitsClient(true);
        assertEquals(refused("requests of several sessions are in flight", "a", "b"),
                decide(List.of(waiting, working), List.of(), List.of(a, b)), "two waiting: still ambiguous");
    }

    @Test
    void theOneBusySessionGetsItOnItsRequestWhenItHasExactlyOne() {
        ClientRequest first = live(a);
        assertEquals(new Target.Deliver(a, first), decide(List.of(first), List.of(), List.of(a, b)));
        assertEquals(new Target.Deliver(a, null), decide(List.of(first, live(a)), List.of(), List.of(a, b)),
                "two requests: the session's own stream");
    }

    @Test
    void requestsOfSeveralSessionsMakeItAmbiguous() {
        assertEquals(refused("requests of several sessions are in flight", "a", "b"),
                decide(List.of(live(b), live(a)), List.of(), List.of(a, b)));
        assertEquals(refused("requests of several sessions are in flight (the proxy answered some already, the"
                + " server has not)", "a", "b"), decide(List.of(live(a)), List.of(orphan(b)), List.of(a, b)));
    }

    @Test
    void anOrphanKeepsItsSessionBusyAndBesidesALiveRequestLeavesThatRequestsStream() {
        assertEquals(new Target.Deliver(a, null), decide(List.of(), List.of(orphan(a)), List.of(a, b)));
        ClientRequest running = live(a);
        assertEquals(new Target.Deliver(a, running), decide(List.of(running), List.of(orphan(a)), List.of(a, b)));
    }

    @Test
    void whatMayBelongToAnEndedSessionGoesToNobodyElse() {
        Orphan left = orphan(a);
        a.end();
        assertEquals(refused("the session of the request the server works on has ended", "a"),
                decide(List.of(), List.of(left), List.of(b)));
    }

    @Test
    void aRootsListRightAfterASessionAnnouncedItsRootsIsThatSessions() {
        a.protocol().noticeOfRoots(NOW - WINDOW + 1);
        assertEquals(new Target.Deliver(a, null), decideRootsList(List.of(), List.of(a, b)));
        assertEquals(refused("several sessions are open, none busy", "a", "b"),
                decide(List.of(), List.of(), List.of(a, b)), "only a roots/list is about roots");
        ClientRequest running = live(a);
        assertEquals(new Target.Deliver(a, running), decideRootsList(List.of(running), List.of(a, b)));
        assertEquals(refused("one session just announced its roots while another is busy: either may be the one"
                + " asked", "a", "b"), decideRootsList(List.of(live(b)), List.of(a, b)));
    }

    @Test
    void aRootsAnnouncementCountsOnlyWithinTheWindow() {
        a.protocol().noticeOfRoots(NOW - WINDOW);
        assertEquals(refused("several sessions are open, none busy", "a", "b"),
                decideRootsList(List.of(), List.of(a, b)));
        assertEquals(Duration.ofSeconds(2), SessionProtocolState.ROOTS_NOTICE_WINDOW);
    }
}
