package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one client session told the server through the proxy that outlives a single request: whether it initialized
 * and with which capabilities, the log level it set, the resources it subscribed to, and when it last announced its
 * roots. Thread-safe without a lock: each field is
 * written by the session's own requests and read by the router on the server's reader thread, and none of them has
 * to change together with another.
 */
final class SessionProtocolState {

    /** MCP's log levels (RFC 5424 severities), most verbose first. */
    static final List<String> LOG_LEVELS = List.of("debug", "info", "notice", "warning", "error", "critical", "alert",
            "emergency");
    /**
     * How long after a session told the server about its roots ({@code notifications/roots/list_changed}, or the
     * {@code notifications/initialized} that opens a connection) a {@code roots/list} from the server may be the
     * reaction to it, so that session counts as busy for it. Servers ask at once.
     */
    static final Duration ROOTS_NOTICE_WINDOW = Duration.ofSeconds(2);
    private static final long NEVER = Long.MIN_VALUE;

    /** What this session set with logging/setLevel; null: everything the server sends. */
    private volatile String logLevel;
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    /** Nano clock reading of the session's last roots announcement, or {@link #NEVER}. */
    private volatile long rootsNoticedAt = NEVER;
    /** Whether an {@code initialize} of this session succeeded: until then only initialize and ping pass. */
    private volatile boolean initialized;
    /** The {@code capabilities} of the session's initialize; null before one: it declared nothing. */
    private volatile JsonNode capabilities;
    /** The {@code clientInfo} of the session's initialize; null before one. */
    private volatile JsonNode clientInfo;

    /**
     * Remembers a {@code logging/setLevel} of this session's own: another session's must not silence or flood this
     * one.
     *
     * @return false when {@code level} is not one of MCP's levels (the request then goes to the server unchanged)
     */
    boolean setLogLevel(String level) {
        if (!LOG_LEVELS.contains(level)) {
            return false;
        }
        logLevel = level;
        return true;
    }

    /** Whether a log message of {@code level} is below what this session asked for with logging/setLevel. */
    boolean logsBelow(String level) {
        String own = logLevel;
        int index = LOG_LEVELS.indexOf(level);
        return own != null && index >= 0 && index < LOG_LEVELS.indexOf(own);
    }

    /**
     * The most verbose level this session wants, as an index into {@link #LOG_LEVELS}: 0 ({@code debug}) while it
     * has not set one, since the server then sends it everything.
     */
    int wantedVerbosity() {
        String own = logLevel;
        return own == null ? 0 : LOG_LEVELS.indexOf(own);
    }

    /** The session's {@code initialize} succeeded. */
    void initialized() {
        initialized = true;
    }

    boolean isInitialized() {
        return initialized;
    }

    /** What the session's client declared in its {@code initialize}: which server requests it can answer. */
    void declared(JsonNode capabilities) {
        this.capabilities = capabilities;
    }

    /** Who the session's client said it is in its {@code initialize}. */
    void introduced(JsonNode clientInfo) {
        this.clientInfo = clientInfo;
    }

    /** The {@code clientInfo} of the session's initialize, or null before one. */
    JsonNode clientInfo() {
        return clientInfo;
    }

    /** What the session set with logging/setLevel, or null. */
    String logLevel() {
        return logLevel;
    }

    /** The capabilities the session's client declared, or null before its initialize. */
    JsonNode capabilities() {
        return capabilities;
    }

    void subscribed(String uri) {
        subscriptions.add(uri);
    }

    void unsubscribed(String uri) {
        subscriptions.remove(uri);
    }

    boolean isSubscribedTo(String uri) {
        return subscriptions.contains(uri);
    }

    /** Forgets every subscription, returning them. */
    List<String> dropSubscriptions() {
        List<String> dropped = List.copyOf(subscriptions);
        subscriptions.removeAll(dropped);
        return dropped;
    }

    /** The server may now ask this session for its roots (see {@link #ROOTS_NOTICE_WINDOW}). */
    void noticeOfRoots(long now) {
        rootsNoticedAt = now;
    }

    /** Whether this session announced its roots less than {@link #ROOTS_NOTICE_WINDOW} before {@code now}. */
    boolean announcedRootsWithinWindow(long now) {
        long noticed = rootsNoticedAt;
        return noticed != NEVER && now - noticed < ROOTS_NOTICE_WINDOW.toNanos();
    }
}
