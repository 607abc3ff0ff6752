package io.mcpproxy.stdio.backend;

/**
 * No MCP server can take a new session right now (restarting, the per-session process limit or this replica's
 * session limit is reached): HTTP 503 with {@code Retry-After}.
 */
public final class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    /** {@link #reason()} of a refusal for lack of a server. */
    public static final String SERVER_UNAVAILABLE = "server_unavailable";
    /** {@link #reason()} of a refusal at the session limit. */
    public static final String TOO_MANY_SESSIONS = "too_many_sessions";

    private final String reason;

    public BackendUnavailableException(String message) {
        this(SERVER_UNAVAILABLE, message);
    }

    public BackendUnavailableException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** The JSON-RPC error's {@code data.reason}. */
    public String reason() {
        return reason;
    }
}
