package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.process.StdioConnection;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation of the server: a process (or the handed-in stream pair) from start to exit, and what the proxy
 * learned from it ({@link ProcessProtocolState}). A restart makes a new one; sessions and requests stay with the
 * generation they started on.
 */
final class ServerProcess {

    private static final Logger LOG = LoggerFactory.getLogger(ServerProcess.class);

    /** What happens to a generation, told on its stdout reader thread (or the thread that closes it). */
    interface Events {
        /** A message from the server, one at a time. */
        void serverToProxy(ObjectNode message);

        /** The conversation ended (EOF, read or write error, close): called once, before {@link #reaped}. */
        void exited(ServerProcess process, String reason);

        /** The process is gone (reaped or killed): it no longer counts against any limit. Called once, last. */
        void reaped(ServerProcess process);
    }

    private final String serverName;
    private final long startedAt;
    private final ProcessProtocolState protocol = new ProcessProtocolState();
    private final ProcessEra era;
    /** Set once, before the generation is handed to anyone but its own listener. */
    private volatile StdioConnection connection;

    private ServerProcess(String serverName, long startedAt, ProcessEra era) {
        this.serverName = serverName;
        this.startedAt = startedAt;
        this.era = era;
    }

    /**
     * Spawns the process (or attaches the handed-in streams).
     *
     * @param serverEra what the server speaks; {@link ServerEra#AUTO}: undecided until {@link EraProbe} has probed it
     * @param startedAt nano clock reading now, to tell later how long the process lived
     * @throws IOException when it cannot be started
     */
    static ServerProcess start(StdioServer server, long maxMessageBytes, ServerEra serverEra, long startedAt,
                               Events events) throws IOException {
        ServerProcess process = new ServerProcess(server.name(), startedAt,
                serverEra == ServerEra.AUTO ? new ProcessEra() : ProcessEra.decided(serverEra));
        process.connection = server.connect(new StdioConnection.Listener() {
            @Override
            public void onMessage(ObjectNode message) {
                events.serverToProxy(message);
            }

            @Override
            public void onClosed(String reason) {
                events.exited(process, reason);
            }

            @Override
            public void onTerminated() {
                events.reaped(process);
            }
        }, maxMessageBytes);
        return process;
    }

    long startedAt() {
        return startedAt;
    }

    ProcessProtocolState protocol() {
        return protocol;
    }

    /** What this process speaks (decided by the probe, or by the settings). */
    ProcessEra era() {
        return era;
    }

    /** Process id, or -1 for handed-in streams. */
    long pid() {
        StdioConnection current = connection;
        return current == null ? -1 : current.pid();
    }

    /**
     * Sends one message.
     *
     * @throws IOException when the server's stdin is closed
     */
    void send(ObjectNode message) throws IOException {
        connection.send(message);
    }

    /** Sends one message; a server that is gone is logged, not reported: its exit is handled on its own. */
    void sendQuietly(ObjectNode message) {
        try {
            send(message);
        } catch (IOException e) {
            LOG.debug("[{}] could not write to the server: {}", serverName, e.getMessage());
        }
    }

    /** Stops the process: closes its stdin, then terminates it (forcibly after 2 s). */
    void close() {
        connection.close();
    }

    /** After {@link #close}: waits, up to {@code timeout}, for its reader threads to end; see StdioConnection. */
    boolean awaitThreads(Duration timeout) throws InterruptedException {
        return connection.awaitThreads(timeout);
    }
}
