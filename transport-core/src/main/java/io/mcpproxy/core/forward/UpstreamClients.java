package io.mcpproxy.core.forward;

import java.util.Objects;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.RedirectProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * Builds the pooled Jetty {@link HttpClient} a proxy forwards through. The client passes traffic on as it is: no
 * cookie store (nothing of one client may reach another; Set-Cookie still reaches the client and the client's
 * Cookie is still forwarded), no content decoding (compressed bodies and their Content-Encoding pass untouched), no
 * authentication or redirect handling (a 401 and its challenge, a 3xx, reach the client as the upstream sent them),
 * no User-Agent or Content-Type of its own.
 *
 * <p>A client handed in by a caller is never passed through here: the proxy uses it as it is.
 */
public final class UpstreamClients {

    private UpstreamClients() {
    }

    /**
     * A new, unstarted client configured from {@code settings}. Whoever starts it stops it.
     *
     * @param name                   prefix of its thread names
     * @param responseInvocationType how Jetty may run the response listeners: {@code NON_BLOCKING} lets them run on
     *                               the selector thread that read the response (saving a thread hand-off per
     *                               response), for callers whose listeners never block
     */
    public static HttpClient newClient(String name, UpstreamPoolSettings settings,
                                       InvocationType responseInvocationType) {
        Objects.requireNonNull(responseInvocationType, "responseInvocationType");
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(settings.upstreamIoThreads());
        HttpClientTransport transport = settings.http2()
                ? new HttpClientTransportOverHTTP2(new HTTP2Client(connector))
                : new HttpClientTransportOverHTTP(connector);
        transport.setInvocationType(responseInvocationType);
        HttpClient client = new PassThroughClient(transport);
        client.setName(name);
        client.setMaxConnectionsPerDestination(settings.maxConnectionsPerUpstream());
        client.setMaxRequestsQueuedPerDestination(settings.maxQueuedRequests());
        client.setIdleTimeout(settings.poolIdleTimeout().toMillis());
        client.setConnectTimeout(settings.connectTimeout().toMillis());
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);          // the client's own User-Agent is forwarded
        client.setDefaultRequestContentType(null); // a body without Content-Type stays without
        return client;
    }

    /** A client that undoes, each time it starts, what {@link HttpClient} installs when it starts. */
    private static final class PassThroughClient extends HttpClient {

        PassThroughClient(HttpClientTransport transport) {
            super(transport);
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            // HttpClient installs gzip decoding when it starts with no decoders; compressed bodies and their
            // Content-Encoding must pass untouched.
            getContentDecoderFactories().clear();
            // The authentication handlers would buffer a 401 (407) body, failing one over 16 KiB, and retry with
            // credentials of their own; a proxy passes the challenge through. The 1xx handlers stay: they reset the
            // exchange for the answer that follows.
            getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
            getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME);
            getProtocolHandlers().remove(RedirectProtocolHandler.NAME);
        }
    }
}
