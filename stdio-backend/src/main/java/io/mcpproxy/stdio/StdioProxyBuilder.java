package io.mcpproxy.stdio;

import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.stdio.cluster.ClusterSettings;
import io.mcpproxy.stdio.backend.Backends;
import io.mcpproxy.stdio.backend.StdioBackendSettings;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.auth.Authentication;
import io.mcpproxy.core.http.HttpListener;
import io.mcpproxy.core.http.RequestGuard;
import io.mcpproxy.stdio.process.StdioServer;
import io.mcpproxy.core.ListenerBuilder;
import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.TlsSettings;
import io.mcpproxy.session.SessionSettings;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorage;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The options every proxy has, whatever its transports. The MCP server ({@link #command} or
 * {@link #stdioServer}) is the only required one.
 *
 * @param <B> the concrete builder, so that chained calls keep its own options in reach
 */
public abstract class StdioProxyBuilder<B extends StdioProxyBuilder<B>> extends ListenerBuilder<B> {
    private StdioBackendSettings backend = StdioBackendSettings.DEFAULTS;
    private SessionSettings sessions = SessionSettings.DEFAULTS;
    private StreamSettings streams = StreamSettings.DEFAULTS;
    private ClusterSettings cluster = ClusterSettings.DEFAULTS;
    private AuthSettings auth; // null: not said; a proxy on a non-loopback address then refuses to start
    private MeterRegistry meterRegistry;

    protected StdioProxyBuilder() {
    }


    /** The stdio MCP server to spawn: program and arguments. */
    public B command(List<String> commandLine) {
        this.backend = backend.withServer(StdioServer.command(commandLine));
        return self();
    }

    /** The stdio MCP server: a command with environment and directory, or handed-in streams. */
    public B stdioServer(StdioServer server) {
        this.backend = backend.withServer(server);
        return self();
    }

    /** The whole backend at once (server, mode, limits, timeouts, restarts); replaces what was set before. */
    public B backend(StdioBackendSettings settings) {
        this.backend = Objects.requireNonNull(settings, "backend");
        return self();
    }




    /** See {@link SessionSettings#storage}: a storage handed in stays open when the proxy closes. */
    public B withSessionStorage(SessionStorage storage) {
        this.sessions = sessions.withStorage(storage);
        return self();
    }

    /** See {@link SessionSettings#ttl}. */
    public B sessionTtl(Duration ttl) {
        this.sessions = sessions.withTtl(ttl);
        return self();
    }

    /** Storage and TTL at once (a null storage: an in-process one the proxy creates and closes). */
    public B sessions(SessionSettings settings) {
        this.sessions = Objects.requireNonNull(settings, "sessions");
        return self();
    }



    /** See {@link StdioBackendSettings#requestTimeout}. */
    public B requestTimeout(Duration timeout) {
        this.backend = backend.withRequestTimeout(timeout);
        return self();
    }

    /** See {@link StdioBackendSettings#cancelGrace}. */
    public B cancelGrace(Duration grace) {
        this.backend = backend.withCancelGrace(grace);
        return self();
    }


    /**
     * See {@link StdioBackendSettings#maxServerMessageBytes}: protects the proxy's memory from a server that
     * writes without newlines.
     */
    public B maxServerMessageSize(long bytes) {
        this.backend = backend.withMaxServerMessageBytes(bytes);
        return self();
    }

    /** See {@link StreamSettings#keepAliveInterval}. */
    public B keepAliveInterval(Duration interval) {
        this.streams = streams.withKeepAliveInterval(interval);
        return self();
    }

    /** See {@link StdioBackendSettings#mode}. */
    public B backendMode(BackendMode mode) {
        this.backend = backend.withMode(mode);
        return self();
    }

    /** See {@link StdioBackendSettings#serverEra}. */
    public B serverEra(ServerEra era) {
        this.backend = backend.withServerEra(era);
        return self();
    }

    /** See {@link StdioBackendSettings#maxBackends}. */
    public B maxBackends(int max) {
        this.backend = backend.withMaxBackends(max);
        return self();
    }

    /** See {@link StdioBackendSettings#maxSessions}. */
    public B maxSessions(int max) {
        this.backend = backend.withMaxSessions(max);
        return self();
    }

    /** See {@link StdioBackendSettings#backendIdleTimeout}. */
    public B backendIdleTimeout(Duration timeout) {
        this.backend = backend.withBackendIdleTimeout(timeout);
        return self();
    }

    /**
     * Restart backoff of a crashed shared server; see {@link StdioBackendSettings#restartInitialDelay} and
     * {@link StdioBackendSettings#restartMaxDelay}.
     */
    public B restartBackoff(Duration initialDelay, Duration maxDelay) {
        this.backend = backend.withRestartBackoff(initialDelay, maxDelay);
        return self();
    }

    /** See {@link StdioBackendSettings#restart}. */
    public B restart(boolean restart) {
        this.backend = backend.withRestart(restart);
        return self();
    }

    /** See {@link StreamSettings#maxQueuedEvents} and {@link StreamSettings#maxQueuedBytes}. */
    public B streamBuffer(int maxEvents, long maxBytes) {
        this.streams = streams.withStreamBuffer(maxEvents, maxBytes);
        return self();
    }

    /** See {@link StreamSettings#maxWaitingMessages}. */
    public B maxWaitingMessages(int max) {
        this.streams = streams.withMaxWaitingMessages(max);
        return self();
    }

    /** The SSE stream options at once (keep-alive interval, stream buffer, waiting messages). */
    public B streams(StreamSettings settings) {
        this.streams = Objects.requireNonNull(settings, "streams");
        return self();
    }

    /**
     * See {@link ClusterSettings#replicaId}: default {@code <hostname>:<port>}, stable across restarts so that a
     * restarted replica answers its old sessions with 404 (re-initialize), not 503.
     */
    public B replicaId(String replicaId) {
        this.cluster = cluster.withReplicaId(replicaId);
        return self();
    }

    /**
     * See {@link ClusterSettings#advertiseUrl}: the URL the other replicas reach this one at; with it, any
     * replica serves any session (needs a {@link #clusterSecret}).
     */
    public B advertiseUrl(URI advertiseUrl) {
        this.cluster = cluster.withAdvertiseUrl(advertiseUrl);
        return self();
    }

    /** See {@link ClusterSettings#clusterSecret}. */
    public B clusterSecret(String secret) {
        this.cluster = cluster.withClusterSecret(secret);
        return self();
    }

    /** See {@link ClusterSettings#heartbeatInterval}. */
    public B heartbeatInterval(Duration interval) {
        this.cluster = cluster.withHeartbeatInterval(interval);
        return self();
    }

    /** The cluster options at once (replica id, advertise URL, secret, heartbeat). */
    public B cluster(ClusterSettings settings) {
        this.cluster = Objects.requireNonNull(settings, "cluster");
        return self();
    }




    /**
     * How clients authenticate (see {@link AuthSettings}). Unset, a proxy bound to a loopback address lets every
     * request in, and one bound to any other address refuses to start: {@code auth(AuthSettings.none())} says
     * that no authentication is wanted there.
     */
    public B auth(AuthSettings settings) {
        this.auth = Objects.requireNonNull(settings, "auth");
        return self();
    }





    /**
     * Records the proxy's metrics in {@code registry}: HTTP exchanges, sessions, the MCP server processes and the
     * session storage's operations (see the README's Operations section). Default: none, and then nothing is
     * measured.
     */
    public B meterRegistry(MeterRegistry registry) {
        this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
        return self();
    }

    /** Builds a proxy serving {@code transports} on a listener of its own. */
    protected final McpProxy buildProxy(List<Transport> transports) {
        ListenerSettings listener = listenerSettings();
        requireAuthDecision(listener.host(), auth);
        return new McpProxy(new HttpListener("mcp-proxy", listener), buildHandler(transports),
                backend.server().toString(), listener.drainTimeout());
    }

    /** Builds the handler serving {@code transports}, to mount in any Jetty server. */
    protected final McpProxyHandler buildHandler(List<Transport> transports) {
        ListenerSettings listener = listenerSettings();
        if (backend.server() == null) {
            throw new IllegalStateException("no MCP server: call command(...) or stdioServer(...)");
        }
        ClusterSettings clusterSettings = cluster.complete();
        SessionManager sessionManager = SessionManager.builder().settings(sessions).sweptByOwner()
                .meterRegistry(meterRegistry).build();
        // Keep-alives also refresh listening sessions: at least as often as the sessions' refresh interval
        ProxyContext.Options options = new ProxyContext.Options(RequestGuard.of(listener),
                new Authentication(auth == null ? AuthSettings.NONE : auth), listener.maxBodyBytes(), streams.withKeepAliveAtMost(sessionManager.refreshInterval()));
        StdioBackendSettings backendSettings = backend;
        String replicaId = clusterSettings.replicaId() != null ? clusterSettings.replicaId()
                : McpProxy.defaultReplicaId(listener.port());
        return new McpProxyHandler(scheduler -> new Backends(backendSettings, scheduler), sessionManager,
                clusterSettings, replicaId, options, List.copyOf(transports),
                meterRegistry == null ? StdioMetrics.NONE : new StdioMetrics(meterRegistry));
    }

    /**
     * Refuses a proxy that would put its MCP server on the network unauthenticated by accident: bound to a
     * non-loopback address, it needs an auth mode, or {@link AuthSettings#none()} said explicitly.
     */
    public static void requireAuthDecision(String host, AuthSettings auth) {
        if (auth == null && !HttpListener.isLoopback(host)) {
            throw new IllegalStateException("refusing to serve an MCP server on non-loopback address " + host
                    + " without authentication: choose an auth mode (--auth bearer|oauth), or say --auth none");
        }
    }
}
