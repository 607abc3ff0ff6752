package io.mcpproxy.core.observe;

import org.eclipse.jetty.server.Request;

/**
 * What a proxy learned about one HTTP exchange while serving it (its transport, the MCP method of its body, its
 * session), kept as request attributes for the metrics and the access log line written when it completes.
 */
public final class Exchanges {

    static final String TRANSPORT = "io.mcpproxy.exchange.transport";
    static final String MCP_METHOD = "io.mcpproxy.exchange.mcpMethod";
    static final String SESSION = "io.mcpproxy.exchange.session";

    private Exchanges() {
    }

    /** The transport that serves {@code request} ({@code streamable}, {@code sse}, {@code transparent}). */
    public static void transport(Request request, String transport) {
        request.setAttribute(TRANSPORT, transport);
    }

    /** The bounded MCP method tag of the request's body (see {@link McpMethods#tagOf}). */
    public static void mcpMethod(Request request, String tag) {
        request.setAttribute(MCP_METHOD, tag);
    }

    /** The request's session id, already abbreviated: a full session id never reaches a log line. */
    public static void session(Request request, String abbreviatedId) {
        request.setAttribute(SESSION, abbreviatedId);
    }

    /** The transport that served {@code request}, or null when none did. */
    public static String transport(Request request) {
        return (String) request.getAttribute(TRANSPORT);
    }

    /** The MCP method tag, {@link McpMethods#NONE} when no body was read. */
    public static String mcpMethod(Request request) {
        Object tag = request.getAttribute(MCP_METHOD);
        return tag == null ? McpMethods.NONE : (String) tag;
    }

    /** The abbreviated session id, or null. */
    public static String session(Request request) {
        return (String) request.getAttribute(SESSION);
    }
}
