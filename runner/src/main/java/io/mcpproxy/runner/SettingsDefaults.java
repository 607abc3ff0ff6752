package io.mcpproxy.runner;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.TlsSettings;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.session.SessionSettings;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.StreamSettings;
import io.mcpproxy.stdio.cluster.ClusterSettings;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.StdioBackendSettings;
import io.mcpproxy.streamable.InputRequestSettings;
import io.mcpproxy.streamable.ResumptionSettings;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;

/**
 * The default of every flag, read from the settings record that declares it: a default is written once, in its
 * record, and the flags and their help show the same one ({@code ${DEFAULT-VALUE}}). A flag missing here has no
 * default (it is off, or required).
 */
final class SettingsDefaults implements CommandLine.IDefaultValueProvider {

    private static final Map<String, String> DEFAULTS = defaults();

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec argument) {
        return argument instanceof CommandLine.Model.OptionSpec option ? DEFAULTS.get(option.longestName()) : null;
    }

    private static Map<String, String> defaults() {
        ListenerSettings listener = ListenerSettings.DEFAULTS;
        SessionSettings sessions = SessionSettings.DEFAULTS;
        StreamSettings streams = StreamSettings.DEFAULTS;
        StdioBackendSettings backend = StdioBackendSettings.DEFAULTS;
        UpstreamPoolSettings pool = UpstreamPoolSettings.DEFAULTS;
        return Map.ofEntries(
                Map.entry("--host", listener.host()),
                Map.entry("--port", Integer.toString(listener.port())),
                Map.entry("--drain-timeout", DurationConverter.format(listener.drainTimeout())),
                Map.entry("--max-body-size", Long.toString(listener.maxBodyBytes())),
                Map.entry("--header-timeout", DurationConverter.format(listener.headerTimeout())),
                Map.entry("--body-timeout", DurationConverter.format(listener.bodyTimeout())),
                Map.entry("--max-client-connections", Integer.toString(listener.maxClientConnections())),
                Map.entry("--tls-reload-interval", DurationConverter.format(TlsSettings.DEFAULT_RELOAD_INTERVAL)),
                Map.entry("--session-ttl", DurationConverter.format(sessions.ttl())),
                Map.entry("--redis-key-prefix", RedisStorage.DEFAULT_KEY_PREFIX),
                Map.entry("--keep-alive", DurationConverter.format(streams.keepAliveInterval())),
                Map.entry("--stream-buffer-events", Integer.toString(streams.maxQueuedEvents())),
                Map.entry("--stream-buffer-bytes", Long.toString(streams.maxQueuedBytes())),
                Map.entry("--backend-mode", backend.mode() == BackendMode.SHARED ? "shared" : "per-session"),
                Map.entry("--server-era", backend.serverEra().name().toLowerCase(Locale.ROOT)),
                Map.entry("--max-backends", Integer.toString(backend.maxBackends())),
                Map.entry("--max-sessions", Integer.toString(backend.maxSessions())),
                Map.entry("--backend-idle-timeout", DurationConverter.format(backend.backendIdleTimeout())),
                Map.entry("--request-timeout", DurationConverter.format(backend.requestTimeout())),
                Map.entry("--cancel-grace", DurationConverter.format(backend.cancelGrace())),
                Map.entry("--max-server-message-size", Long.toString(backend.maxServerMessageBytes())),
                Map.entry("--resume-window", DurationConverter.format(ResumptionSettings.DEFAULTS.window())),
                Map.entry("--input-timeout", DurationConverter.format(InputRequestSettings.DEFAULTS.inputTimeout())),
                Map.entry("--max-waiting-calls", Integer.toString(InputRequestSettings.DEFAULTS.maxWaiting())),
                Map.entry("--heartbeat-interval",
                        DurationConverter.format(ClusterSettings.DEFAULTS.heartbeatInterval())),
                Map.entry("--max-connections", Integer.toString(pool.maxConnectionsPerUpstream())),
                Map.entry("--upstream-io-threads", Integer.toString(pool.upstreamIoThreads())),
                Map.entry("--max-queued", Integer.toString(pool.maxQueuedRequests())),
                Map.entry("--pool-idle-timeout", DurationConverter.format(pool.poolIdleTimeout())),
                Map.entry("--connect-timeout", DurationConverter.format(pool.connectTimeout())),
                Map.entry("--response-idle-timeout", DurationConverter.format(pool.responseIdleTimeout())),
                Map.entry("--http2", Boolean.toString(pool.http2())),
                Map.entry("--no-idle-pooling", Boolean.toString(!pool.idlePooling())),
                Map.entry("--pooling-rate", Double.toString(pool.poolingRate())),
                Map.entry("--admin-host", OperationsSettings.DEFAULTS.adminHost()),
                Map.entry("--log-format", OperationsSettings.DEFAULTS.logFormat().toString()));
    }
}
