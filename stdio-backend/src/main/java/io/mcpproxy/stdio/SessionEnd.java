package io.mcpproxy.stdio;

/** Why a session held by this replica ended: the {@code reason} tag of {@code mcp.proxy.sessions.ended}. */
public enum SessionEnd {
    /** The client deleted it (HTTP DELETE). */
    DELETED,
    /** Idle past its TTL, or gone from the storage (expired there, deleted through another replica). */
    EXPIRED,
    /** Its MCP server process exited. */
    SERVER_EXITED,
    /** The storage lost its data (a Redis restarted without persistence, or flushed). */
    STORAGE_LOST,
    /** The client closed its stream (legacy SSE), or was cut off as a slow reader. */
    CLIENT_GONE,
    /** The proxy ended it: shutdown, or its initialize failed. */
    CLOSED;

    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
