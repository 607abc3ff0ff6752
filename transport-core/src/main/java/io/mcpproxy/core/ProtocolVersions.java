package io.mcpproxy.core;

import java.util.List;

/**
 * Every decision that depends on the MCP protocol revision, in one place, so that a new revision (such as the
 * stateless 2026-07-28 one) slots in here rather than in each transport.
 */
public final class ProtocolVersions {

    public static final String V2024_11_05 = "2024-11-05";
    public static final String V2025_03_26 = "2025-03-26";
    public static final String V2025_06_18 = "2025-06-18";
    public static final String V2025_11_25 = "2025-11-25";

    /** Revisions the session-based transports accept, oldest first. */
    public static final List<String> SUPPORTED = List.of(V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25);

    public static final String LATEST = V2025_11_25;

    /** The first revision without sessions: every request carries its version in {@code _meta}. */
    public static final String V2026_07_28 = "2026-07-28";

    /** Revisions served statelessly, per request, oldest first. */
    public static final List<String> MODERN = List.of(V2026_07_28);

    /** The newest modern revision: what the proxy's own modern requests carry. */
    public static final String LATEST_MODERN = V2026_07_28;

    /** Every revision the Streamable HTTP endpoint serves, oldest first: the sessions' ones, then the modern ones. */
    public static final List<String> ALL = List.of(V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25, V2026_07_28);

    private ProtocolVersions() {
    }

    public static boolean isSupported(String version) {
        return version != null && SUPPORTED.contains(version);
    }

    /** Whether {@code version} is a revision without sessions that the proxy serves. */
    public static boolean isModern(String version) {
        return version != null && MODERN.contains(version);
    }

    /** JSON-RPC batches exist only in 2025-03-26; later revisions removed them. */
    public static boolean allowsBatches(String version) {
        return V2025_03_26.equals(version);
    }

    /** 2025-11-25 servers SHOULD open every SSE stream with a priming event (an id and empty data). */
    public static boolean primesStreams(String version) {
        return version != null && version.compareTo(V2025_11_25) >= 0;
    }

    /**
     * The version to answer a later client's {@code initialize} with, when the MCP server behind the proxy was
     * initialized once with {@code serverVersion}: the client's own version if the proxy supports it and it is
     * not newer than the server's, otherwise the server's.
     */
    public static String negotiate(String requested, String serverVersion) {
        if (isSupported(requested) && requested.compareTo(serverVersion) <= 0) {
            return requested;
        }
        return serverVersion;
    }
}
