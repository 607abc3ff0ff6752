package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.SessionEnd;
import io.mcpproxy.stdio.SessionRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Streamable HTTP sessions this replica holds, over their life: created for an {@code initialize}, looked up
 * for every later request, kept alive while their clients listen or wait, swept when idle past the TTL, ended on
 * DELETE, server exit or shutdown.
 */
final class StreamableSessions {

    private static final Logger LOG = LoggerFactory.getLogger(StreamableSessions.class);

    private final ProxyContext context;
    private final ReplayBuffer.Settings replay;
    private final SessionRegistry<LocalSession> local;
    private Periodic keepAlives; // set by start, cancelled by stop
    private Periodic idleSweep;

    StreamableSessions(ProxyContext context, ResumptionSettings resumption) {
        this.context = context;
        this.local = new SessionRegistry<>(context, Session.Type.STREAMABLE, LocalSession::close);
        ResumptionSettings.ReplayBounds bounds = resumption.replayBufferFor(context.streams());
        this.replay = new ReplayBuffer.Settings(resumption.window().toNanos(), bounds.maxEvents(), bounds.maxBytes(),
                System::nanoTime);
    }

    /** Starts the keep-alive rounds and the idle sweep on the proxy's timer. */
    void start() {
        Duration keepAlive = context.streams().keepAliveInterval();
        keepAlives = Periodic.every(context.scheduler(), "Streamable HTTP keep-alive round", keepAlive, keepAlive,
                this::keepAlive);
        Duration reap = Duration.ofMillis(Math.max(1_000, Math.min(60_000, context.sessions().ttl().toMillis() / 4)));
        idleSweep = Periodic.every(context.scheduler(), "idle session sweep", reap, reap, this::reapIdle);
    }

    void stop() {
        keepAlives.cancel();
        idleSweep.cancel();
    }

    /** A session held here for a session just created in storage; not registered until {@link #hold}. */
    LocalSession open(String sessionId, String protocolVersion) {
        return new LocalSession(sessionId, protocolVersion, context.streams().maxWaitingMessages(), replay,
                this::ended);
    }

    /** Holds {@code session}, stored as {@code record}. */
    void hold(Session record, LocalSession session) {
        local.put(record, session);
    }

    /**
     * The session a request names, held here (its TTL in storage restarted); or null after answering for it (see
     * {@link SessionRegistry#resolve}: forwarded to its owner, 404, 503).
     */
    LocalSession resolve(String sessionId, Request request, Response response, Callback callback, byte[] body,
                         JsonNode id) {
        LocalSession session = local.resolve(sessionId, held -> held.channel().isEnded(), request, response, callback,
                body, id);
        if (session != null) {
            session.touch();
        }
        return session;
    }

    /**
     * Ends a session on DELETE and answers 204, or 404 for one nobody has. A session another replica holds is ended
     * there: the DELETE is forwarded to it when replicas forward, else it is deleted from storage here (its replica
     * notices at its next keep-alive).
     */
    void delete(String sessionId, Request request, Response response, Callback callback) {
        if (!local.mayUse(request, sessionId)) {
            JsonResponses.sessionNotFound(response, callback, null); // another principal's: as if it did not exist
            return;
        }
        LocalSession session = local.remove(sessionId, SessionEnd.DELETED);
        if (session != null) {
            session.close();
            local.delete(sessionId);
            JsonResponses.empty(response, callback, 204);
        } else if (context.cluster().forwarding()) {
            if (resolve(sessionId, request, response, callback, null, null) != null) {
                delete(sessionId, request, response, callback); // it came back here meanwhile: end it here
            }
        } else if (local.delete(sessionId, request)) {
            JsonResponses.empty(response, callback, 204);
        } else {
            JsonResponses.sessionNotFound(response, callback, null);
        }
    }

    SessionRegistry<LocalSession> registry() {
        return local;
    }

    /** Ids of the sessions this replica holds. */
    Set<String> ids() {
        return local.all().stream().map(LocalSession::id).collect(Collectors.toUnmodifiableSet());
    }

    /** Requests of a session this replica holds that still wait for the MCP server; 0 for an unknown session. */
    int inFlight(String sessionId) {
        LocalSession session = local.get(sessionId);
        return session == null ? 0 : session.channel().inFlight();
    }

    int count() {
        return local.size();
    }

    /** The session's MCP server died or the backend stopped. Called on the reader thread. */
    private void ended(LocalSession session) {
        local.remove(session.id(), session, SessionEnd.SERVER_EXITED);
        local.forgetLater(session.id());
    }

    /** Ends a session here and in storage, now (its initialize failed, or the proxy stops). */
    void endLocally(LocalSession session) {
        local.remove(session.id(), session, SessionEnd.CLOSED);
        session.close();
        local.forget(session.id());
    }

    /** Ends every session (shutdown). */
    void closeAll() {
        for (LocalSession session : local.all()) {
            endLocally(session);
        }
    }

    /**
     * Keep-alive comments on every connected stream, GET and POST (a long tool call's stream stays open through
     * proxies and NATs, and a connection that died unnoticed is found); a session whose GET stream is connected, or
     * that waits for answers, also gets its TTL refreshed in storage (a client that only listens, or whose tool call
     * outlasts the TTL, keeps its session), and a session the storage no longer has ends here too.
     */
    private void keepAlive() {
        for (LocalSession session : local.all()) {
            boolean listening = session.keepAlive();
            if (listening || session.channel().inFlight() > 0) { // a client that listens or waits keeps its session
                local.refreshLater(session.id(), session);
            }
        }
    }

    /** Closes sessions idle past the TTL here; storage expires them on its own. */
    private void reapIdle() {
        long ttl = context.sessions().ttl().toNanos();
        for (LocalSession session : local.all()) {
            if (!session.isListening() && session.idleNanos() > ttl && session.channel().inFlight() == 0) {
                LOG.debug("session {} expired", SessionIds.redact(session.id()));
                local.remove(session.id(), session, SessionEnd.EXPIRED);
                session.close();
                local.forgetLater(session.id()); // a storage call: not on the timer thread that sends keep-alives
            }
        }
    }
}
