package io.mcpproxy.stdio.backend;

/** No MCP server can take a new session right now (restarting, or the per-session limit is reached): HTTP 503. */
public final class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }
}
