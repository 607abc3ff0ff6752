package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MCP server behind stdio, shared by the client sessions that {@link #open open} a {@link Channel} on it. A
 * facade over the parts that do the work: the {@link ProcessSupervisor} keeps the server running, the
 * {@link RequestTable} and {@link ServerRequests} know every request in flight, {@link ClientToServer} handles what
 * sessions send, and the {@link ServerMessageRouter} (with the {@link SubscriptionRouter} for subscribers) decides
 * where what the server sends goes.
 *
 * <h2>Ids</h2>
 * Every client request gets a proxy-unique numeric id on its way to the server and its own id back on the
 * response, so clients may use colliding ids freely. A session that reuses an id still in flight gets an
 * {@code -32600} error. Progress tokens are rewritten the same way, so progress reaches the request that asked.
 *
 * <h2>initialize</h2>
 * The server is initialized once per process: the first client's {@code initialize} is forwarded (to a shared
 * server with the proxy's own {@code clientInfo} and every capability the proxy routes, see
 * {@link ClientCapabilities}; in per-session mode as is) and its result remembered; every later session's {@code initialize} is answered by the proxy from that result, with
 * {@code protocolVersion} = {@link ProtocolVersions#negotiate the client's version if supported and not newer than
 * the server's, else the server's}. Only the first {@code notifications/initialized} reaches the server.
 * Concurrent first initializes wait for the one in flight. (In per-session mode every process has one session,
 * so everything passes through.)
 *
 * <h2>Routing of server-to-client messages</h2>
 * See {@link ServerMessageRouter}. A request the proxy answered on its own (cancelled, timed out, its session
 * ended; the server got {@code notifications/cancelled} for it) still counts as its session's request in flight
 * until the server answers it (that answer is dropped), the server exits, or the cancel grace
 * ({@link StdioBackendSettings#cancelGrace}, 2 s) has passed: the server may still send its last messages for it. So
 * its session stays busy, and once that session has ended, messages that could be its are refused, never handed to
 * another session. Refusals are counted ({@link BackendStats#unattributable()}) and logged once per run.
 *
 * <h2>Failure</h2>
 * When the server exits, every request in flight is answered with a {@code -32000} error at once, every channel
 * ends ({@link Listener#onEnded}), and the process is started again with exponential backoff (not for
 * handed-in streams).
 */
public final class Backend implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);

    /** A client request's way back: called for related messages first, then once for the response. */
    public interface Exchange {
        /**
         * A notification or server request related to this request, in order.
         *
         * @return false when the client can no longer receive it (its stream is gone): the message is then counted
         *         as undeliverable, and a server request is answered with an error so the server does not wait
         */
        boolean onMessage(ObjectNode message);

        /** The response, with the client's id restored. Called exactly once. */
        void onResponse(ObjectNode response);
    }

    /** A client session's stream for messages not tied to one of its requests. */
    public interface Listener {
        /**
         * Delivers a server-to-client message.
         *
         * @return false when the session cannot take it now (the message is then counted as undeliverable)
         */
        boolean deliver(ObjectNode message);

        /** The server behind the session died or the backend stopped: the session is over. */
        void onEnded(String reason);
    }

    private final String serverName;
    /** Per-session mode: the process lives exactly as long as its one session. */
    private final boolean closeWhenUnused;
    private final OpenSessions sessions = new OpenSessions();
    private final RequestTable requests;
    private final ServerRequests serverRequests = new ServerRequests();
    private final ClientToServer clientToServer;
    private final SubscriptionRouter subscriptions;
    private final ServerMessageRouter router;
    private final ProcessSupervisor supervisor;
    private final LongSupplier nanoClock;
    /** When a session last sent the server anything (a request, notification or answer). */
    private volatile long lastClientMessageNanos;

    /**
     * @param whenGone told once when no process runs or will run again and the last one has been reaped
     */
    Backend(StdioBackendSettings settings, Scheduler scheduler, BackendStats stats, LongSupplier nanoClock,
            Consumer<Backend> whenGone) {
        this.serverName = settings.server().name();
        this.nanoClock = nanoClock;
        this.lastClientMessageNanos = nanoClock.getAsLong();
        this.closeWhenUnused = settings.mode() == BackendMode.PER_SESSION;
        this.requests = new RequestTable(serverName, settings.cancelGrace(), nanoClock);
        this.clientToServer = new ClientToServer(serverName, requests, serverRequests, sessions,
                settings.requestTimeout(), scheduler, nanoClock, stats, !closeWhenUnused, this::closeIfUnused);
        this.supervisor = new ProcessSupervisor(settings, settings.restart() && !closeWhenUnused, scheduler,
                nanoClock, stats, new ProcessSupervisor.Listener() {
                    @Override
                    public void serverToProxy(ObjectNode message) {
                        router.serverToProxy(message);
                    }

                    @Override
                    public void processStarted(ServerProcess fresh) {
                        if (fresh.era().era() == null) {
                            EraProbe.probe(serverName, fresh, requests, scheduler);
                        }
                        fresh.era().whenDecided(() -> listenForLegacySessions(fresh));
                    }

                    @Override
                    public void processExited(ServerProcess dead, String reason) {
                        Backend.this.processExited(dead, reason);
                    }

                    @Override
                    public void supervisionOver() {
                        whenGone.accept(Backend.this);
                    }
                });
        this.subscriptions = new SubscriptionRouter(serverName, requests, sessions, stats);
        this.router = new ServerMessageRouter(serverName, requests, serverRequests, sessions, subscriptions, stats,
                nanoClock, supervisor::sendToCurrent);
    }

    /** Starts the server process (or attaches the handed-in streams). */
    void start() throws IOException {
        supervisor.start();
    }

    /**
     * Opens a channel for a client session.
     *
     * @throws BackendUnavailableException while the server is down or restarting
     */
    public Channel open(String sessionId, Listener listener) {
        ServerProcess current = supervisor.current();
        if (current == null) {
            throw new BackendUnavailableException("the MCP server '" + serverName + "' is restarting");
        }
        ClientSession session = new ClientSession(sessionId, listener, current);
        sessions.add(session);
        if (supervisor.current() != current) { // died while we attached: do not hand out a dead channel
            sessions.remove(session);
            throw new BackendUnavailableException("the MCP server '" + serverName + "' is restarting");
        }
        return new Channel(clientToServer, requests, session, serverName, this::clientSentMessage);
    }

    private void clientSentMessage() {
        lastClientMessageNanos = nanoClock.getAsLong();
    }

    /**
     * How long the sessions on this backend have sent the server nothing while no request awaited its answer (zero
     * while one does).
     */
    Duration idleFor() {
        return requests.inFlightCount() > 0 ? Duration.ZERO
                : Duration.ofNanos(nanoClock.getAsLong() - lastClientMessageNanos);
    }

    /** Whether a live server process is attached. */
    public boolean isUp() {
        return supervisor.isUp();
    }

    /** The era of the current server process: LEGACY or MODERN, or null while down or being probed. */
    public ServerEra serverEra() {
        ServerProcess current = supervisor.current();
        return current == null ? null : current.era().era();
    }

    /** Process id of the current server process, or -1. */
    public long pid() {
        return supervisor.pid();
    }

    /** Channels open on this backend. */
    public int channelCount() {
        return sessions.size();
    }

    /** Requests sent to the server and not yet answered. */
    public int inFlight() {
        return requests.inFlightCount();
    }

    /** Stops the server; open channels end. */
    @Override
    public void close() {
        supervisor.stop(); // the exit that follows ends the channels and fails what is in flight
    }

    /** After {@link #close}: waits, up to {@code timeout}, for the server's reader threads to end. */
    void awaitThreads(Duration timeout) throws InterruptedException {
        supervisor.awaitThreads(timeout);
    }

    /**
     * On a modern process: one {@code subscriptions/listen} of the proxy's own for tool, prompt and resource list
     * changes, which reach every session as a legacy server's {@code list_changed} notifications do. One per
     * process rather than per session: a listen per session would count as that session's work in flight forever.
     */
    private void listenForLegacySessions(ServerProcess process) {
        if (!process.era().isModern()) {
            return;
        }
        long id = requests.internalRequest(ended -> subscriptions.processListenEnded(ended.path("id").asLong()));
        subscriptions.processListenOpened(id);
        ObjectNode params = EraProbe.params();
        params.putObject("notifications").put("toolsListChanged", true).put("promptsListChanged", true)
                .put("resourcesListChanged", true);
        process.sendQuietly(JsonRpc.request(LongNode.valueOf(id), "subscriptions/listen", params));
    }

    private void processExited(ServerProcess dead, String reason) {
        dead.era().decide(ServerEra.LEGACY, null); // what waits for its probe goes on, and fails on the dead process
        List<ClientRequest> failed = requests.inFlightOn(dead);
        for (ClientRequest request : failed) {
            requests.complete(request, JsonRpc.proxyError(request.clientId, "server_exited",
                    "The MCP server exited before answering: " + reason));
        }
        for (ClientSession session : sessions.on(dead)) {
            clientToServer.end(session, reason);
        }
        requests.forget(dead); // a dead server sends nothing more
        serverRequests.forget(dead);
        if (!supervisor.isStopped()) {
            LOG.warn("[{}] MCP server exited ({}): {} requests failed, sessions on it ended", serverName, reason,
                    failed.size());
        }
    }

    private void closeIfUnused() {
        if (closeWhenUnused && sessions.isEmpty()) {
            close();
        }
    }

    /**
     * One client session's channel to the server. Thread-safe: a transport may send several requests of one
     * session at once.
     */
    public static final class Channel {
        private final ClientToServer clientToServer;
        private final RequestTable requests;
        private final ClientSession session;
        private final String serverName;
        private final Runnable clientSentMessage;

        private Channel(ClientToServer clientToServer, RequestTable requests, ClientSession session,
                        String serverName, Runnable clientSentMessage) {
            this.clientToServer = clientToServer;
            this.requests = requests;
            this.session = session;
            this.serverName = serverName;
            this.clientSentMessage = clientSentMessage;
        }

        public String sessionId() {
            return session.id();
        }

        public boolean isEnded() {
            return session.isEnded();
        }

        /**
         * Runs {@code then} with the era of this channel's server process ({@link ServerEra#LEGACY} or
         * {@link ServerEra#MODERN}) once known: at once, or on the thread that decides it.
         */
        public void whenServerEraKnown(Consumer<ServerEra> then) {
            ProcessEra era = session.process().era();
            era.whenDecided(() -> then.accept(era.era()));
        }

        /** Requests of this session the server has not answered yet. */
        public int inFlight() {
            return requests.inFlightCount(session);
        }

        /** Sends a client request; the answer and related messages go to {@code exchange}. */
        public void request(ObjectNode request, Exchange exchange) {
            clientSentMessage.run();
            clientToServer.request(session, request, exchange);
        }

        /**
         * Initializes this channel's session without a message, when its legacy server has already answered an
         * {@code initialize}: for a client of the proxy's own (a modern request bridged to a legacy server) that
         * needs the session initialized but not an answer of its own to show.
         *
         * @param capabilities what the session's client can answer (the server requests routed to it); kept as is
         * @return the server's initialize result, shared and never to be changed; null when the server is modern,
         *         its era not yet known or no initialize answered yet (then send one)
         */
        public ObjectNode initializeFromCache(JsonNode capabilities) {
            return clientToServer.initializeFromCache(session, capabilities);
        }

        /** Sends a client notification; {@code notifications/cancelled} is mapped to the proxy's id. */
        public void notify(ObjectNode notification) {
            clientSentMessage.run();
            clientToServer.notify(session, notification);
        }

        /**
         * Sends the client's answer to a server request.
         *
         * @return false when that server request was not sent to this session (refused, counted)
         */
        public boolean respond(ObjectNode response) {
            clientSentMessage.run();
            return clientToServer.respond(session, response);
        }

        /**
         * Marks the channel's request as waiting for its client's input (or working again): while it waits, a server
         * message goes to another busy session rather than being refused as ambiguous, since the waiting request's
         * handler awaits the client's answers. Still busy when no other session is.
         */
        public void awaitsClient(boolean waiting) {
            session.awaitsClient(waiting);
        }

        /** Ends the session on the proxy's initiative (DELETE, expiry): its requests are cancelled at the server. */
        public void close() {
            clientToServer.close(session);
        }

        @Override
        public String toString() {
            return "Channel[" + serverName + ", " + inFlight() + " in flight]";
        }
    }
}
