package io.mcpproxy.stdio.cluster;

import io.mcpproxy.core.forward.ForwardedExchange;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.http.JsonResponses;
import java.net.URI;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a client's request for a session another replica holds to that replica, its owner, with the forwarding
 * engine (streamed back with backpressure; released at once when the client goes away; never retried once a byte
 * went out), marked as forwarded so that the owner trusts it and never forwards it again.
 */
public final class OwnerForwarder {

    private static final Logger LOG = LoggerFactory.getLogger(OwnerForwarder.class);

    private final Forwarder forwarder;
    private final ForwardMarker marker;

    public OwnerForwarder(Forwarder forwarder, ForwardMarker marker) {
        this.forwarder = forwarder;
        this.marker = marker;
    }

    /**
     * Sends {@code clientToProxyRequest} (its body, if any, read whole as {@code body}) to the replica at
     * {@code owner} and streams the answer back.
     */
    public void forward(Request clientToProxyRequest, Response proxyToClientResponse, Callback callback, byte[] body,
                        URI owner) {
        new ToOwner(clientToProxyRequest, proxyToClientResponse, callback, body, owner).send();
    }

    /** One request on its way to the owner. */
    private final class ToOwner extends ForwardedExchange {
        ToOwner(Request clientToProxyRequest, Response proxyToClientResponse, Callback callback, byte[] body,
                URI owner) {
            super(forwarder, clientToProxyRequest, proxyToClientResponse, callback, body, owner);
        }

        @Override
        protected void adjustProxyToServerHeaders(HttpFields.Mutable proxyToServerHeaders) {
            proxyToServerHeaders.put(ForwardMarker.HEADER, marker.value());
        }

        /**
         * The owner did not answer: the session may well live on, so the client retries rather than starts over. The
         * answer names no replica: the client does not see which one it reached.
         */
        @Override
        protected void writeProxyToClientError(Throwable failure) {
            LOG.info("the owner {} of a session did not answer a forwarded request: {}", upstream(), failure.toString());
            JsonResponses.unavailable(proxyToClientResponse(), proxyToClientCallback(), requestId(),
                    "owner_unreachable", "The proxy replica that holds this session did not answer; retry shortly", 1);
        }
    }
}
