package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A client request in flight at the server, under the proxy-unique id it was sent with. Kept by the
 * {@link RequestTable}, which answers it exactly once.
 */
final class ClientRequest {

    final long proxyId;
    final JsonNode clientId;
    final String clientIdKey;
    final ClientSession session;
    final Backend.Exchange exchange;
    final String method;
    /**
     * The progress token as the client sent it, and the one the server got instead; null without one. Written once,
     * before the request enters the table (whose lock publishes them).
     */
    JsonNode clientProgressToken;
    String proxyProgressToken;
    /** The request timeout armed for it, if any; cancelled when it is answered. */
    volatile Scheduler.Task timeout;

    ClientRequest(long proxyId, JsonNode clientId, String clientIdKey, ClientSession session, Backend.Exchange exchange,
                  String method) {
        this.proxyId = proxyId;
        this.clientId = clientId;
        this.clientIdKey = clientIdKey;
        this.session = session;
        this.exchange = exchange;
        this.method = method;
    }

    ServerProcess process() {
        return session.process();
    }

    @Override
    public String toString() {
        return method + " " + clientId + " (id " + proxyId + " at the server) of " + session;
    }
}
