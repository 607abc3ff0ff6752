package io.mcpproxy.stdio.backend;

import io.mcpproxy.core.ProtocolVersions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.process.StdioConnection;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MCP server behind stdio, shared by the client sessions that {@link #open open} a {@link Channel} on it.
 *
 * <h2>Ids</h2>
 * Every client request gets a proxy-unique numeric id on its way to the server and its own id back on the
 * response, so clients may use colliding ids freely. A session that reuses an id still in flight gets an
 * {@code -32600} error. Progress tokens are rewritten the same way, so progress reaches the request that asked.
 *
 * <h2>initialize</h2>
 * The server is initialized once per process: the first client's {@code initialize} is forwarded as is and its
 * result remembered; every later session's {@code initialize} is answered by the proxy from that result, with
 * {@code protocolVersion} = {@link ProtocolVersions#negotiate the client's version if supported and not newer than
 * the server's, else the server's}. Only the first {@code notifications/initialized} reaches the server.
 * Concurrent first initializes wait for the one in flight. (In per-session mode every process has one session,
 * so everything passes through.)
 *
 * <h2>Routing of server-to-client messages</h2>
 * <ul>
 *   <li>responses: to the request's {@link Exchange}, id restored;</li>
 *   <li>{@code notifications/progress}: to the exchange owning the progress token;</li>
 *   <li>{@code notifications/*}{@code /list_changed}: to every channel's {@link Listener} (facts about the
 *       server);</li>
 *   <li>{@code notifications/resources/updated}: to the channels subscribed to that URI;</li>
 *   <li>server requests, {@code notifications/message} and any other notification: to the one channel with
 *       requests in flight (on the request's exchange when it has exactly one, else on its listener); when no
 *       request is in flight and exactly one channel is open, to that channel's listener. Otherwise the target
 *       is ambiguous: the message is not guessed at (it could reach the wrong client); it is logged and counted
 *       in {@link BackendStats#undeliverable()}, and a server request is answered with an error so the server
 *       does not wait forever. Servers that call back into clients while several sessions are busy belong in
 *       per-session mode;</li>
 *   <li>a request the proxy answered on its own (cancelled, timed out, its session ended) still counts as its
 *       session's request in flight until the server answers it (that answer is dropped), the server exits, or
 *       the request timeout (5 min without one) passes again: the server may still be working on it. So its
 *       session stays busy, and once that session has ended, messages that could be its are dropped as above,
 *       never handed to another session;</li>
 *   <li>server {@code ping}: answered by the proxy.</li>
 * </ul>
 *
 * <h2>Failure</h2>
 * When the server exits, every request in flight is answered with a {@code -32000} error at once, every channel
 * ends ({@link Listener#onEnded}), and the process is started again with exponential backoff (not for
 * handed-in streams).
 */
public final class Backend implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);
    /** MCP's log levels (RFC 5424 severities), most verbose first. */
    private static final List<String> LOG_LEVELS = List.of("debug", "info", "notice", "warning", "error", "critical",
            "alert", "emergency");

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

    private final StdioServer server;
    private final Duration requestTimeout;
    private final long maxServerMessageBytes;
    private final Duration restartInitialDelay;
    private final Duration restartMaxDelay;
    private final boolean restart;
    private final Scheduler scheduler;
    private final BackendStats stats;
    private final boolean closeWhenUnused;
    private final Consumer<Backend> whenGone;
    private final AtomicBoolean gone = new AtomicBoolean();

    private final Object lifecycle = new Object();
    private volatile Generation generation;
    /** The last process started, alive or not: the one whose threads a stop waits for. Guarded by lifecycle. */
    private Generation latest;
    private volatile boolean stopped;
    private int consecutiveFailures;

    private final AtomicLong nextId = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pending> progressTokens = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Channel> serverRequests = new ConcurrentHashMap<>();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    /**
     * Requests the proxy answered on its own (cancelled, timed out, session ended) that the server has not answered
     * yet, by proxy id. The server may still be working on them and sending their messages, so each stays its
     * session's until the server answers it, the server exits, or {@link #orphanPatience} has passed.
     */
    private final ConcurrentHashMap<Long, Orphan> orphans = new ConcurrentHashMap<>();
    /**
     * How long an orphan keeps its claim on the server's unattributable messages. Servers that honour
     * {@code notifications/cancelled} never answer (the specification asks them not to), so without a bound one
     * cancellation would make every later unattributable message undeliverable. The request timeout is how long the
     * proxy waits for any answer; without one, five minutes.
     */
    private final Duration orphanPatience;
    /** Ids of requests the proxy sends on its own behalf; their responses are expected and dropped. */
    private final Set<Long> internalRequests = ConcurrentHashMap.newKeySet();
    /**
     * How long after a session told the server about its roots ({@code notifications/roots/list_changed}, or the
     * {@code notifications/initialized} that opens a connection) a {@code roots/list} from the server may be the
     * reaction to it, so that session counts as busy for it. Servers ask at once.
     */
    static final Duration ROOTS_NOTICE_WINDOW = Duration.ofSeconds(2);
    /** Sessions that told the server about their roots less than {@link #ROOTS_NOTICE_WINDOW} ago. */
    private final ConcurrentHashMap<Channel, Long> rootsNotices = new ConcurrentHashMap<>();

    Backend(StdioBackendSettings settings, boolean restart, Scheduler scheduler, BackendStats stats,
            boolean closeWhenUnused, Consumer<Backend> whenGone) {
        this.server = settings.server();
        this.requestTimeout = settings.requestTimeout();
        this.maxServerMessageBytes = settings.maxServerMessageBytes();
        this.orphanPatience = requestTimeout.isZero() ? Duration.ofMinutes(5) : requestTimeout;
        this.restartInitialDelay = settings.restartInitialDelay();
        this.restartMaxDelay = settings.restartMaxDelay();
        this.restart = restart && server.restartable();
        this.scheduler = scheduler;
        this.stats = stats;
        this.closeWhenUnused = closeWhenUnused;
        this.whenGone = whenGone;
    }

    /** Starts the server process (or attaches the handed-in streams). */
    void start() throws IOException {
        synchronized (lifecycle) {
            generation = connect();
        }
    }

    /**
     * Opens a channel for a client session.
     *
     * @throws BackendUnavailableException while the server is down or restarting
     */
    public Channel open(String sessionId, Listener listener) {
        Generation current = generation;
        if (current == null || stopped) {
            throw new BackendUnavailableException("the MCP server '" + server.name() + "' is restarting");
        }
        Channel channel = new Channel(sessionId, listener, current);
        channels.add(channel);
        if (generation != current) { // died while we attached: do not hand out a dead channel
            channels.remove(channel);
            throw new BackendUnavailableException("the MCP server '" + server.name() + "' is restarting");
        }
        return channel;
    }

    /** Whether a live server process is attached. */
    public boolean isUp() {
        return generation != null && !stopped;
    }

    /** Process id of the current server process, or -1. */
    public long pid() {
        Generation current = generation;
        return current == null ? -1 : current.connection.pid();
    }

    /** Channels open on this backend. */
    public int channelCount() {
        return channels.size();
    }

    /** Requests sent to the server and not yet answered. */
    public int inFlight() {
        return pending.size();
    }

    /** Stops the server; open channels end. */
    @Override
    public void close() {
        Generation last;
        synchronized (lifecycle) {
            if (stopped) {
                return;
            }
            stopped = true;
            last = generation;
        }
        if (last != null) {
            last.connection.close(); // onClosed ends the channels and fails what is in flight
        }
    }

    /**
     * After {@link #close}: waits, up to {@code timeout}, until the last process's stdout reader and stderr copier
     * threads have ended.
     */
    void awaitThreads(Duration timeout) throws InterruptedException {
        Generation last;
        synchronized (lifecycle) {
            last = latest;
        }
        if (last != null && !last.connection.awaitThreads(timeout)) {
            LOG.warn("[{}] the MCP server's output threads still run {} ms after it stopped (a child process may"
                    + " hold its pipes)", server.name(), timeout.toMillis());
        }
    }

    // ---- server side ------------------------------------------------------------------------------------------

    private Generation connect() throws IOException {
        Generation[] holder = new Generation[1];
        StdioConnection connection = server.connect(new StdioConnection.Listener() {
            @Override
            public void onMessage(ObjectNode message) {
                serverToProxy(message);
            }

            @Override
            public void onClosed(String reason) {
                serverExited(holder[0], reason);
            }

            @Override
            public void onTerminated() {
                processGone();
            }
        }, maxServerMessageBytes);
        holder[0] = new Generation(connection);
        latest = holder[0];
        return holder[0];
    }

    /**
     * A server process has been reaped. When no restart follows (stopped, or never restarted), the backend is over:
     * its owner learns it once, only now, so a limit on live processes never counts one that still runs.
     */
    private void processGone() {
        boolean over;
        synchronized (lifecycle) {
            over = stopped || !restart;
        }
        if (over && gone.compareAndSet(false, true)) {
            whenGone.accept(this);
        }
    }

    private void serverToProxy(ObjectNode message) {
        switch (JsonRpc.Kind.of(message)) {
            case RESPONSE -> serverResponse(message);
            case REQUEST -> serverRequest(message);
            case NOTIFICATION -> serverNotification(message);
            default -> LOG.warn("[{}] skipped a message that is not JSON-RPC: {}", server.name(), abbreviate(message));
        }
    }

    private void serverResponse(ObjectNode response) {
        JsonNode id = response.get("id");
        Pending request = id.canConvertToLong() ? pending.get(id.asLong()) : null;
        if (request != null) {
            request.onServerResponse(response);
            if (complete(request, response)) {
                return;
            } // else the proxy answered it meanwhile: it is an orphan now
        }
        if (id.canConvertToLong() && orphans.remove(id.asLong()) != null) {
            // The server finished a request the proxy had already answered: its session no longer claims the
            // server's unattributable messages; the answer itself has nowhere to go.
            stats.lateResponses.incrementAndGet();
            LOG.debug("[{}] dropped the late answer to id {} (cancelled, timed out or its session ended)",
                    server.name(), id);
            return;
        }
        if (id.canConvertToLong() && internalRequests.remove(id.asLong())) {
            return;
        }
        stats.lateResponses.incrementAndGet();
        LOG.debug("[{}] dropped a response to id {} that nobody waits for", server.name(), id);
    }

    private void serverRequest(ObjectNode request) {
        String method = JsonRpc.method(request);
        if ("ping".equals(method)) { // the proxy is the server's client: it answers liveness checks itself
            sendToServer(JsonRpc.result(request.get("id"), JsonRpc.objectNode()));
            return;
        }
        Target target = unambiguousTarget("roots/list".equals(method));
        if (target.channel() == null) {
            stats.undeliverable.incrementAndGet();
            LOG.warn("[{}] cannot tell which client session '{}' (id {}) is for: {}; answered with an error"
                    + " (per-session mode avoids this)", server.name(), method, request.get("id"), target.refusal());
            sendToServer(JsonRpc.error(request.get("id"), JsonRpc.INTERNAL_ERROR,
                    "The proxy cannot tell which client this request is for"));
            return;
        }
        String key = idKey(request.get("id"));
        serverRequests.put(key, target.channel);
        if (!target.deliver(request)) {
            serverRequests.remove(key, target.channel);
            stats.undeliverable.incrementAndGet();
            LOG.warn("[{}] client session has no open stream for server request '{}'", server.name(), method);
            sendToServer(JsonRpc.error(request.get("id"), JsonRpc.INTERNAL_ERROR,
                    "The client session has no open stream to receive this request"));
        }
    }

    private void serverNotification(ObjectNode notification) {
        String method = JsonRpc.method(notification);
        JsonNode params = notification.path("params");
        if ("notifications/progress".equals(method)) {
            Pending owner = progressTokens.get(params.path("progressToken").asText());
            if (owner != null) {
                ObjectNode restored = notification.deepCopy();
                ((ObjectNode) restored.get("params")).set("progressToken", owner.clientProgressToken);
                if (!owner.exchange.onMessage(restored)) {
                    undeliverable(notification, "the request's stream is gone");
                }
                return;
            }
            undeliverable(notification, "no request owns progress token " + params.path("progressToken"));
            return;
        }
        if (method.endsWith("/list_changed")) {
            for (Channel channel : channels) {
                if (!channel.listener.deliver(notification)) {
                    undeliverable(notification, "session stream unavailable");
                }
            }
            return;
        }
        if ("notifications/resources/updated".equals(method)) {
            String uri = params.path("uri").asText();
            boolean any = false;
            for (Channel channel : channels) {
                if (channel.subscriptions.contains(uri)) {
                    any = true;
                    if (!channel.listener.deliver(notification)) {
                        undeliverable(notification, "session stream unavailable");
                    }
                }
            }
            if (!any) {
                undeliverable(notification, "no session subscribed to " + uri);
            }
            return;
        }
        if ("notifications/cancelled".equals(method)) { // the server withdraws a request it sent to a client
            Channel channel = serverRequests.remove(idKey(params.path("requestId")));
            if (channel == null || !channel.listener.deliver(notification)) {
                undeliverable(notification, "no session holds server request " + params.path("requestId"));
            }
            return;
        }
        Target target = unambiguousTarget(false);
        if (target.channel() == null) {
            undeliverable(notification, target.refusal());
        } else if ("notifications/message".equals(method)
                && target.channel().logsBelow(params.path("level").asText())) {
            LOG.debug("[{}] a log message below the level its session set: not sent", server.name());
        } else if (!target.deliver(notification)) {
            undeliverable(notification, "session stream unavailable");
        }
    }

    /**
     * The level the one server logs at when sessions share it: the most verbose any session asked for, and the
     * most verbose of all ({@code debug}) while some session has not asked, since the server then sends it
     * everything. Each session's own level filters what reaches it ({@link Channel#logsBelow}).
     */
    private String serverLogLevel() {
        int mostVerbose = LOG_LEVELS.size() - 1;
        for (Channel channel : channels) {
            String level = channel.logLevel;
            mostVerbose = Math.min(mostVerbose, level == null ? 0 : LOG_LEVELS.indexOf(level));
        }
        return LOG_LEVELS.get(mostVerbose);
    }

    private void undeliverable(ObjectNode message, String why) {
        stats.undeliverable.incrementAndGet();
        LOG.info("[{}] undeliverable {} ({}): {}", server.name(), JsonRpc.method(message), why, abbreviate(message));
    }

    /**
     * Where a message tied to "whoever is busy" goes: the one session with requests at the server (answered ones
     * the server still works on included), else the only open session. For a {@code roots/list}, a session that
     * just announced its roots counts as busy too. Anything else is refused with the reason: a guess could reach
     * the wrong client.
     *
     * @param rootsList whether the message is a {@code roots/list} request
     */
    private Target unambiguousTarget(boolean rootsList) {
        forgetStaleOrphans();
        Channel busy = null;
        Pending only = null;
        for (Pending request : pending.values()) {
            if (busy == null) {
                busy = request.channel;
                only = request;
            } else if (busy != request.channel) {
                return Target.refused("requests of several sessions are in flight");
            } else {
                only = null;
            }
        }
        for (Orphan orphan : orphans.values()) {
            if (busy == null) {
                busy = orphan.channel(); // no live request: the session's own stream
            } else if (busy != orphan.channel()) {
                return Target.refused("requests of several sessions are in flight (the proxy answered some already,"
                        + " the server has not)");
            }
            // One live request of the same session besides: the message goes on its stream, which that client
            // reads now (a GET stream is optional), and it is that client's message whichever request it is about.
        }
        long now = System.nanoTime();
        for (Map.Entry<Channel, Long> notice : rootsNotices.entrySet()) {
            Channel notifier = notice.getKey();
            if (now - notice.getValue() >= ROOTS_NOTICE_WINDOW.toNanos() || notifier.isEnded()) {
                rootsNotices.remove(notifier, notice.getValue());
            } else if (!rootsList) {
                continue; // a sampling or elicitation request is about a call, not about roots
            } else if (busy == null) {
                busy = notifier; // the server asks for the roots that session just announced
            } else if (busy != notifier) {
                return Target.refused("one session just announced its roots while another is busy: either may be"
                        + " the one asked");
            }
        }
        if (busy != null) {
            return busy.isEnded()
                    ? Target.refused("the session of the request the server works on has ended")
                    : new Target(busy, only, null);
        }
        if (channels.size() == 1) {
            for (Channel channel : channels) {
                return new Target(channel, null, null);
            }
        }
        return Target.refused(channels.isEmpty() ? "no session is open" : "several sessions are open, none busy");
    }

    /** Orphans past {@link #orphanPatience} count as dropped by the server (as it does when it honours a cancel). */
    private void forgetStaleOrphans() {
        if (orphans.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        orphans.values().removeIf(orphan -> {
            if (now - orphan.orphanedAt() < orphanPatience.toNanos()) {
                return false;
            }
            LOG.info("[{}] the server never answered id {} ({}) after the proxy did; no longer waiting for it",
                    server.name(), orphan.proxyId(), orphan.method());
            return true;
        });
    }

    /** A session to deliver to (on {@code request}'s exchange when not null), or a refusal when channel is null. */
    private record Target(Channel channel, Pending request, String refusal) {
        static Target refused(String why) {
            return new Target(null, null, why);
        }

        boolean deliver(ObjectNode message) {
            if (request != null) {
                return request.exchange.onMessage(message);
            }
            return channel.listener.deliver(message);
        }
    }

    private void serverExited(Generation dead, String reason) {
        boolean scheduleRestart;
        synchronized (lifecycle) {
            if (generation == dead) {
                generation = null;
            }
            scheduleRestart = restart && !stopped;
        }
        int failed = 0;
        for (Pending request : List.copyOf(pending.values())) {
            if (request.generation == dead) {
                failed++;
                complete(request, JsonRpc.proxyError(request.clientId, "server_exited",
                        "The MCP server exited before answering: " + reason));
            }
        }
        for (Channel channel : List.copyOf(channels)) {
            if (channel.generation == dead) {
                channel.end(reason);
            }
        }
        serverRequests.values().removeIf(channel -> channel.generation == dead);
        orphans.values().removeIf(orphan -> orphan.generation() == dead); // a dead server sends nothing more
        if (!stopped) {
            LOG.warn("[{}] MCP server exited ({}): {} requests failed, sessions on it ended", server.name(), reason,
                    failed);
        }
        if (scheduleRestart) {
            scheduleRestart(dead);
        }
    }

    private void scheduleRestart(Generation dead) {
        long delay;
        synchronized (lifecycle) {
            boolean livedLong = System.nanoTime() - dead.startedAt > restartMaxDelay.toNanos();
            consecutiveFailures = livedLong ? 0 : consecutiveFailures + 1;
            delay = Math.min(restartMaxDelay.toMillis(),
                    restartInitialDelay.toMillis() << Math.min(20, Math.max(0, consecutiveFailures - 1)));
        }
        LOG.info("[{}] restarting the MCP server in {} ms", server.name(), delay);
        scheduler.schedule(this::restartNow, delay, TimeUnit.MILLISECONDS);
    }

    private void restartNow() {
        Generation fresh;
        synchronized (lifecycle) {
            if (stopped || generation != null) {
                return;
            }
            try {
                fresh = connect();
                generation = fresh;
                stats.restarts.incrementAndGet();
            } catch (IOException e) {
                LOG.error("[{}] could not restart the MCP server: {}", server.name(), e.getMessage());
                fresh = null;
            }
        }
        if (fresh == null) {
            scheduleRestart(new Generation(null));
        } else {
            LOG.info("[{}] MCP server restarted (pid {})", server.name(), fresh.connection.pid());
        }
    }

    private void sendToServer(ObjectNode message) {
        Generation current = generation;
        if (current == null) {
            LOG.debug("[{}] server down, dropped {}", server.name(), JsonRpc.method(message));
            return;
        }
        try {
            current.connection.send(message);
        } catch (IOException e) {
            LOG.debug("[{}] could not write to the server: {}", server.name(), e.getMessage());
        }
    }

    /** Completes a request exactly once; false when something else (response, timeout, cancel) did first. */
    private boolean complete(Pending request, ObjectNode response) {
        if (!pending.remove(request.proxyId, request)) {
            return false;
        }
        request.cleanUp();
        if ("initialize".equals(request.method)) {
            request.channel.initializeAnswered(response.get("result") instanceof ObjectNode result ? result : null);
        }
        response.set("id", request.clientId);
        request.exchange.onResponse(response);
        return true;
    }

    /**
     * Completes a request with the proxy's own answer while the server may still be working on it: it becomes an
     * orphan, still its session's, until the server answers it.
     *
     * @return false when something else (the server's answer, another local answer) completed it first
     */
    private boolean answerLocally(Pending request, ObjectNode answer) {
        Orphan orphan = new Orphan(request.proxyId, request.channel, request.generation, request.method,
                System.nanoTime()); // not the request: its exchange and arguments are done with
        orphans.put(request.proxyId, orphan); // before completing: no moment where the request is unclaimed
        if (complete(request, answer)) {
            return true;
        }
        orphans.remove(request.proxyId, orphan);
        return false;
    }

    private void timedOut(Pending request) {
        if (answerLocally(request, JsonRpc.proxyError(request.clientId, "timeout",
                "The MCP server did not answer within " + requestTimeout.toMillis() + " ms"))) {
            stats.timeouts.incrementAndGet();
            sendToServer(cancelled(request.proxyId, "Request timed out in the proxy"));
        }
    }

    private static ObjectNode cancelled(long proxyId, String reason) {
        ObjectNode params = JsonRpc.objectNode();
        params.put("requestId", proxyId);
        params.put("reason", reason);
        return JsonRpc.notification("notifications/cancelled", params);
    }

    /** Text key of an id that keeps {@code 1} and {@code "1"} apart. */
    static String idKey(JsonNode id) {
        return id == null ? "null" : id.isTextual() ? "s:" + id.textValue() : "n:" + id.asText();
    }

    private static String abbreviate(JsonNode message) {
        String json = JsonRpc.toJson(message);
        return json.length() <= 300 ? json : json.substring(0, 300) + "…";
    }

    // ---- state ------------------------------------------------------------------------------------------------

    /** One server process (or stream pair) and what the proxy learned from it. */
    private static final class Generation {
        final StdioConnection connection;
        final long startedAt = System.nanoTime();
        final AtomicBoolean initializedNotified = new AtomicBoolean();
        ObjectNode initializeResult; // guarded by this
        List<Runnable> initializeWaiters; // non-null while the first initialize is in flight; guarded by this

        Generation(StdioConnection connection) {
            this.connection = connection;
        }
    }

    /** A request the proxy answered on its own and the server may still work on; see {@link #orphans}. */
    private record Orphan(long proxyId, Channel channel, Generation generation, String method, long orphanedAt) {
    }

    /** A client request in flight at the server. */
    private final class Pending {
        final long proxyId;
        final JsonNode clientId;
        final String clientIdKey;
        final Channel channel;
        final Generation generation;
        final Exchange exchange;
        final String method;
        final JsonNode params;
        JsonNode clientProgressToken;
        String proxyProgressToken;
        volatile Scheduler.Task timeout;

        Pending(long proxyId, JsonNode clientId, Channel channel, Generation generation, Exchange exchange,
                String method, JsonNode params) {
            this.proxyId = proxyId;
            this.clientId = clientId;
            this.clientIdKey = idKey(clientId);
            this.channel = channel;
            this.generation = generation;
            this.exchange = exchange;
            this.method = method;
            this.params = params;
        }

        /** Learns from a successful response before it goes back to the client. */
        void onServerResponse(ObjectNode response) {
            JsonNode result = response.get("result");
            if (result != null && "resources/subscribe".equals(method)) {
                channel.subscriptions.add(params.path("uri").asText());
            }
        }

        void cleanUp() {
            Scheduler.Task scheduled = timeout;
            if (scheduled != null) {
                scheduled.cancel();
            }
            if (proxyProgressToken != null) {
                progressTokens.remove(proxyProgressToken, this);
            }
            channel.inFlight.remove(clientIdKey, this);
        }
    }

    /**
     * One client session's channel to the server. Thread-safe: a transport may send several requests of one
     * session at once.
     */
    public final class Channel {
        private final String sessionId;
        private final Listener listener;
        private final Generation generation;
        private final ConcurrentHashMap<String, Pending> inFlight = new ConcurrentHashMap<>();
        private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean ended = new AtomicBoolean();
        /** What this session set with logging/setLevel; null: everything the server sends. */
        private volatile String logLevel;

        private Channel(String sessionId, Listener listener, Generation generation) {
            this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
            this.listener = Objects.requireNonNull(listener, "listener");
            this.generation = generation;
        }

        public String sessionId() {
            return sessionId;
        }

        public boolean isEnded() {
            return ended.get();
        }

        /** Requests of this session the server has not answered yet. */
        public int inFlight() {
            return inFlight.size();
        }

        /** Sends a client request; the answer and related messages go to {@code exchange}. */
        public void request(ObjectNode request, Exchange exchange) {
            JsonNode clientId = request.get("id");
            if (ended.get()) {
                exchange.onResponse(JsonRpc.error(clientId, JsonRpc.SESSION_NOT_FOUND, "Session not found"));
                return;
            }
            String method = JsonRpc.method(request);
            if ("initialize".equals(method)) {
                initialize(request, exchange);
                return;
            }
            if ("resources/unsubscribe".equals(method) && unsubscribeLocally(request, exchange)) {
                return;
            }
            if ("logging/setLevel".equals(method)) {
                String level = request.path("params").path("level").asText();
                if (LOG_LEVELS.contains(level)) {
                    logLevel = level; // this session's: another session's setLevel must not silence or flood this one
                    ((ObjectNode) request.get("params")).put("level", serverLogLevel());
                }
            }
            forward(request, exchange);
        }

        /** Whether a log message of {@code level} is below what this session asked for with logging/setLevel. */
        boolean logsBelow(String level) {
            String own = logLevel;
            int index = LOG_LEVELS.indexOf(level);
            return own != null && index >= 0 && index < LOG_LEVELS.indexOf(own);
        }

        private void forward(ObjectNode request, Exchange exchange) {
            forgetStaleOrphans(); // also here: a server that never sends an unattributable message must not keep them
            JsonNode clientId = request.get("id");
            long proxyId = nextId.getAndIncrement();
            Pending entry = new Pending(proxyId, clientId, this, generation, exchange, JsonRpc.method(request),
                    request.path("params"));
            if (inFlight.putIfAbsent(entry.clientIdKey, entry) != null) {
                exchange.onResponse(JsonRpc.error(clientId, JsonRpc.INVALID_REQUEST,
                        "Request id " + clientId + " is already in flight in this session"));
                return;
            }
            request.put("id", proxyId);
            JsonNode meta = request.path("params").path("_meta");
            if (meta instanceof ObjectNode metaObject && metaObject.has("progressToken")) {
                entry.clientProgressToken = metaObject.get("progressToken");
                entry.proxyProgressToken = "p" + proxyId;
                metaObject.put("progressToken", entry.proxyProgressToken);
                progressTokens.put(entry.proxyProgressToken, entry);
            }
            pending.put(proxyId, entry);
            if (!requestTimeout.isZero()) {
                entry.timeout = scheduler.schedule(() -> timedOut(entry), requestTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            try {
                generation.connection.send(request);
            } catch (IOException e) {
                complete(entry, JsonRpc.proxyError(clientId, "server_unavailable",
                        "The MCP server is not reachable: " + e.getMessage()));
            }
        }

        private void initialize(ObjectNode request, Exchange exchange) {
            ObjectNode cached;
            synchronized (generation) {
                cached = generation.initializeResult;
                if (cached == null) {
                    if (generation.initializeWaiters != null) { // the first initialize is in flight: wait for it
                        generation.initializeWaiters.add(() -> initialize(request, exchange));
                        return;
                    }
                    generation.initializeWaiters = new ArrayList<>(); // this one goes to the server
                }
            }
            if (cached == null) {
                forward(request, exchange);
                return;
            }
            ObjectNode result = cached.deepCopy();
            String requested = request.path("params").path("protocolVersion").asText(null);
            result.put("protocolVersion", ProtocolVersions.negotiate(requested,
                    cached.path("protocolVersion").asText(ProtocolVersions.LATEST)));
            exchange.onResponse(JsonRpc.result(request.get("id"), result));
        }

        /**
         * The first initialize ended (answered, failed, timed out): remember a success, then let waiting
         * initializes proceed (from the cache, or the next one goes to the server).
         */
        private void initializeAnswered(ObjectNode result) {
            List<Runnable> waiters;
            synchronized (generation) {
                if (result != null && generation.initializeResult == null) {
                    generation.initializeResult = result.deepCopy();
                }
                waiters = generation.initializeWaiters;
                generation.initializeWaiters = null;
            }
            if (waiters != null) {
                waiters.forEach(Runnable::run);
            }
        }

        private boolean unsubscribeLocally(ObjectNode request, Exchange exchange) {
            String uri = request.path("params").path("uri").asText();
            boolean othersSubscribed = channels.stream()
                    .anyMatch(other -> other != this && other.subscriptions.contains(uri));
            subscriptions.remove(uri);
            if (othersSubscribed) { // the server keeps sending updates that other sessions still want
                exchange.onResponse(JsonRpc.result(request.get("id"), JsonRpc.objectNode()));
                return true;
            }
            return false;
        }

        /** Sends a client notification; {@code notifications/cancelled} is mapped to the proxy's id. */
        public void notify(ObjectNode notification) {
            if (ended.get()) {
                return;
            }
            String method = JsonRpc.method(notification);
            if ("notifications/initialized".equals(method)) {
                if (generation.initializedNotified.compareAndSet(false, true)) {
                    noticeOfRoots();
                    send(notification);
                }
                return;
            }
            if ("notifications/cancelled".equals(method)) {
                JsonNode params = notification.path("params");
                Pending request = inFlight.get(idKey(params.get("requestId")));
                if (request == null) {
                    return; // already answered: nothing to cancel
                }
                ObjectNode mapped = notification.deepCopy();
                ((ObjectNode) mapped.get("params")).set("requestId", LongNode.valueOf(request.proxyId));
                send(mapped);
                answerLocally(request, JsonRpc.error(request.clientId, JsonRpc.REQUEST_CANCELLED,
                        "Request cancelled by the client"));
                return;
            }
            if ("notifications/roots/list_changed".equals(method)) {
                noticeOfRoots();
            }
            send(notification);
        }

        /** The server may now ask this session for its roots (see ROOTS_NOTICE_WINDOW). */
        private void noticeOfRoots() {
            rootsNotices.put(this, System.nanoTime());
        }

        /**
         * Sends the client's answer to a server request.
         *
         * @return false when that server request was not sent to this session (refused, counted)
         */
        public boolean respond(ObjectNode response) {
            String key = idKey(response.get("id"));
            if (!serverRequests.remove(key, this)) {
                stats.misdirectedResponses.incrementAndGet();
                LOG.warn("[{}] refused a client response to id {}: no such server request for this session",
                        server.name(), response.get("id"));
                return false;
            }
            send(response);
            return true;
        }

        private void send(ObjectNode message) {
            try {
                generation.connection.send(message);
            } catch (IOException e) {
                LOG.debug("[{}] could not write to the server: {}", server.name(), e.getMessage());
            }
        }

        /** Ends the session on the proxy's initiative (DELETE, expiry): its requests are cancelled at the server. */
        public void close() {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            channels.remove(this);
            for (Pending request : List.copyOf(inFlight.values())) {
                if (answerLocally(request, JsonRpc.error(request.clientId, JsonRpc.SESSION_NOT_FOUND,
                        "Session ended"))) {
                    send(cancelled(request.proxyId, "Client session ended"));
                }
            }
            for (Map.Entry<String, Channel> held : serverRequests.entrySet()) {
                if (held.getValue() == this && serverRequests.remove(held.getKey(), this)) {
                    send(JsonRpc.error(serverRequestId(held.getKey()), JsonRpc.INTERNAL_ERROR,
                            "The client session ended"));
                }
            }
            for (String uri : subscriptions) {
                boolean lastSubscriber = channels.stream().noneMatch(other -> other.subscriptions.contains(uri));
                if (lastSubscriber) {
                    ObjectNode params = JsonRpc.objectNode().put("uri", uri);
                    long proxyId = nextId.getAndIncrement();
                    internalRequests.add(proxyId);
                    send(JsonRpc.request(LongNode.valueOf(proxyId), "resources/unsubscribe", params));
                }
            }
            subscriptions.clear();
            closeIfUnused();
        }

        private void end(String reason) {
            if (ended.compareAndSet(false, true)) {
                channels.remove(this);
                listener.onEnded(reason);
                closeIfUnused();
            }
        }

        @Override
        public String toString() {
            return "Channel[" + server.name() + ", " + inFlight.size() + " in flight]";
        }
    }

    /** Per-session mode: the process lives exactly as long as its one session. */
    private void closeIfUnused() {
        if (closeWhenUnused && channels.isEmpty()) {
            close();
        }
    }

    private static JsonNode serverRequestId(String key) {
        return key.startsWith("s:") ? TextNode.valueOf(key.substring(2)) : LongNode.valueOf(Long.parseLong(key.substring(2)));
    }
}
