package io.mcpproxy.core.observe;

import org.eclipse.jetty.server.Request;

/**
 * What a proxy learned about one HTTP exchange while serving it (its transport, the MCP method of its body, its
 * session), kept in one request attribute for the metrics and the access log line written when it completes. One
 * attribute rather than one per fact: each is a map operation on every request.
 */
public final class Exchanges {

    static final String ATTRIBUTE = "io.mcpproxy.exchange";

    /**
     * One exchange a transport serves. Its transport and session are known when it starts; its MCP method once the
     * body is read, on whichever thread reads it, so that field is volatile.
     */
    public static final class Exchange {
        private final String transport;
        private final String session;
        private volatile String mcpMethod = McpMethods.NONE;
        private volatile boolean declined;

        Exchange(String transport, String session) {
            this.transport = transport;
            this.session = session;
        }

        /** The transport that serves it ({@code streamable}, {@code sse}, {@code transparent}). */
        public String transport() {
            return transport;
        }

        /** Its session id, already abbreviated (a full session id never reaches a log line), or null. */
        public String session() {
            return session;
        }

        /** The MCP method tag of its body (see {@link McpMethods#tagOf}), {@link McpMethods#NONE} when none was read. */
        public String mcpMethod() {
            return mcpMethod;
        }

        boolean declined() {
            return declined;
        }
    }

    private Exchanges() {
    }

    /** Marks {@code request} as served by {@code transport}, for {@code abbreviatedSession} (null: none). */
    static Exchange start(Request request, String transport, String abbreviatedSession) {
        Exchange exchange = new Exchange(transport, abbreviatedSession);
        request.setAttribute(ATTRIBUTE, exchange);
        return exchange;
    }

    /** Unmarks {@code request}: the transport declined it, and whoever serves it next marks it anew. */
    static void decline(Request request, Exchange exchange) {
        exchange.declined = true;
        request.removeAttribute(ATTRIBUTE);
    }

    /** The exchange a transport serves on {@code request}, or null when none does. */
    public static Exchange of(Request request) {
        return (Exchange) request.getAttribute(ATTRIBUTE);
    }

    /** Names the bounded MCP method tag of the request's body (see {@link McpMethods#tagOf}). */
    public static void mcpMethod(Request request, String tag) {
        Exchange exchange = of(request);
        if (exchange != null) {
            exchange.mcpMethod = tag;
        }
    }
}
