package io.mcpproxy.stdio.backend;

/** How client sessions map to MCP server processes. */
public enum BackendMode {
    /** One server process for all sessions (the default): ids are remapped, initialize happens once. */
    SHARED,
    /**
     * One server process per session, started by its initialize and stopped when the session ends or expires:
     * for servers that keep per-client state. Bounded by {@link StdioBackendSettings#maxBackends}.
     */
    PER_SESSION
}
