package io.mcpproxy.stdio;

import org.eclipse.jetty.server.Handler;

/**
 * One HTTP transport of an {@link McpProxy} (Streamable HTTP, legacy HTTP+SSE): it turns the shared
 * {@link ProxyContext} into a Jetty handler for its paths. Several transports may serve one port and one backend.
 */
public interface Transport {

    /** The transport's handler; it answers only its own paths and declines the rest. */
    Endpoint open(ProxyContext context);

    /** A live transport: its handler, and how to end its sessions on shutdown. */
    interface Endpoint {
        Handler handler();

        /** The transport's name in metrics and logs ({@code transport} tag and MDC field), lower case. */
        default String name() {
            return "mcp";
        }

        /** The paths it serves, for the start-up log line. */
        String describe();

        /** The paths a client starts at (each also a suffix of the Protected Resource Metadata's path). */
        default java.util.List<String> paths() {
            return java.util.List.of();
        }

        /** Ends every session this replica holds for the transport (streams closed, sessions removed). */
        void closeSessions();

        /**
         * The proxy starts draining and accepts no new connections: work that waits for a client to come back (not
         * for the server) ends now rather than hold up the drain. Nothing by default.
         */
        default void draining() {
        }
    }
}
