package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.stdio.process.StdioServer;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.junit.jupiter.api.Test;

/** Backends as a Jetty lifecycle component, against real processes ({@code cat}, which lives until its stdin ends). */
class BackendsLifecycleTest {

    private static final StdioServer CAT = StdioServer.command(List.of("cat"));

    /** Live threads named after the server {@code cat}. */
    private static Set<Thread> catThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("mcp-stdio-cat-")).collect(Collectors.toSet());
    }

    private static Set<String> names(Set<Thread> threads) {
        return threads.stream().map(Thread::getName).collect(Collectors.toSet());
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void noThreadOfTheSharedServerSurvivesStopAndTheProcessIsReaped() throws Exception {
        Set<Thread> before = catThreads();
        Backends backends = new Backends(StdioBackendSettings.of(CAT));
        backends.start();
        long pid = backends.shared().pid();
        Set<Thread> ours = new HashSet<>(catThreads());
        ours.removeAll(before);
        assertEquals(Set.of("mcp-stdio-cat-out", "mcp-stdio-cat-err"), names(ours), "stdout reader, stderr copier");
        assertTrue(alive(pid));
        Scheduler own = backends.getBean(Scheduler.class);
        assertTrue(own.isRunning(), "a scheduler of their own, started with them");

        backends.stop();
        assertTrue(ours.stream().noneMatch(Thread::isAlive), "ended by the time stop returns");
        assertFalse(alive(pid), "reaped");
        assertTrue(own.isStopped());
        assertFalse(backends.shared().isUp());
    }

    @Test
    void noThreadOfAPerSessionServerSurvivesStop() throws Exception {
        Set<Thread> before = catThreads();
        Backends backends = new Backends(StdioBackendSettings.of(CAT).withMode(BackendMode.PER_SESSION));
        backends.start();
        assertEquals(0, backends.perSessionCount(), "per-session processes start with their session");
        Recorder session = new Recorder();
        Backend.Channel channel = backends.open("s", session);
        Set<Thread> ours = new HashSet<>(catThreads());
        ours.removeAll(before);
        assertEquals(Set.of("mcp-stdio-cat-out", "mcp-stdio-cat-err"), names(ours));
        assertEquals(1, backends.perSessionCount());

        backends.stop();
        assertTrue(ours.stream().noneMatch(Thread::isAlive));
        assertEquals(0, backends.perSessionCount());
        assertTrue(channel.isEnded());
        assertEquals(1, session.ended.size(), "the session heard that it is over");
    }

    @Test
    void aHandedInSchedulerIsUsedButNeitherStartedNorStopped() throws Exception {
        ScheduledExecutorScheduler proxyScheduler = new ScheduledExecutorScheduler("proxy-scheduler", true);
        proxyScheduler.start();
        try {
            Backends backends = new Backends(StdioBackendSettings.of(CAT), proxyScheduler);
            assertSame(proxyScheduler, backends.getBean(Scheduler.class));
            assertFalse(backends.isManaged(proxyScheduler));
            backends.start();
            backends.stop();
            assertTrue(proxyScheduler.isRunning(), "the proxy's scheduler outlives the backends");
        } finally {
            proxyScheduler.stop();
        }
    }

    @Test
    void closeStopsOnceAndNeverThrows() throws Exception {
        Backends neverStarted = new Backends(StdioBackendSettings.of(CAT));
        neverStarted.close();
        assertTrue(neverStarted.isStopped());

        Backends backends = new Backends(StdioBackendSettings.of(CAT));
        backends.start();
        backends.close();
        backends.close();
        assertTrue(backends.isStopped());
    }

    @Test
    void aServerThatCannotStartFailsTheStartAndLeavesNothingRunning() throws Exception {
        PipedOutputStream serverStdout = new PipedOutputStream();
        StdioServer streams = StdioServer.streams("once", new PipedInputStream(serverStdout),
                new ByteArrayOutputStream());
        Backends first = new Backends(StdioBackendSettings.of(streams));
        first.start(); // handed-in streams are used once
        serverStdout.close();
        first.stop();
        Backends second = new Backends(StdioBackendSettings.of(streams));
        UncheckedIOException failed = assertThrows(UncheckedIOException.class, second::start);
        assertTrue(failed.getMessage().startsWith("cannot start the MCP server 'streams of once'"),
                failed.getMessage());
        assertTrue(second.isFailed());
        assertTrue(second.getBean(Scheduler.class).isStopped(), "its own scheduler stopped again");
    }
}
