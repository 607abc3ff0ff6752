package io.mcpproxy.core.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.eclipse.jetty.client.ContinueProtocolHandler;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.RedirectProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.junit.jupiter.api.Test;

class UpstreamClientsTest {

    /** What a started client of the factory passes through untouched, however often it was started. */
    private static void assertPassesTrafficThrough(HttpClient client) {
        assertTrue(client.getContentDecoderFactories().isEmpty(), "no content decoding");
        // remove(name) answers null when there is no such handler, and then changes nothing
        assertNull(client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME), "no 401 handling");
        assertNull(client.getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME), "no 407 handling");
        assertNull(client.getProtocolHandlers().remove(RedirectProtocolHandler.NAME), "no redirects");
        assertTrue(client.getProtocolHandlers().dump().contains(ContinueProtocolHandler.class.getSimpleName()),
                "1xx handling stays: " + client.getProtocolHandlers().dump());
        assertTrue(client.getHttpCookieStore() instanceof HttpCookieStore.Empty, "nothing remembered");
        assertFalse(client.isFollowRedirects());
        assertNull(client.getUserAgentField());
    }

    @Test
    void theClientIsSizedFromTheSettingsAndPassesTrafficThroughEachTimeItStarts() throws Exception {
        UpstreamPoolSettings settings = UpstreamPoolSettings.DEFAULTS.withMaxConnectionsPerUpstream(7)
                .withMaxQueuedRequests(9).withUpstreamIoThreads(3).withPoolIdleTimeout(Duration.ofMillis(1500))
                .withConnectTimeout(Duration.ofMillis(2500));
        HttpClient client = UpstreamClients.newClient("factory-test", settings, InvocationType.NON_BLOCKING);
        assertFalse(client.isStarted(), "built, not started");
        assertEquals(7, client.getMaxConnectionsPerDestination());
        assertEquals(9, client.getMaxRequestsQueuedPerDestination());
        assertEquals(1500, client.getIdleTimeout());
        assertEquals(2500, client.getConnectTimeout());
        HttpClientTransportOverHTTP transport = (HttpClientTransportOverHTTP) client.getTransport();
        assertEquals(3, transport.getClientConnector().getSelectors());
        assertEquals(InvocationType.NON_BLOCKING, transport.getInvocationType());
        try {
            client.start();
            assertPassesTrafficThrough(client);
            client.stop();
            client.start(); // HttpClient installs its handlers and decoders again on every start
            assertPassesTrafficThrough(client);
        } finally {
            client.stop();
        }
    }

    @Test
    void http2SettingsGiveAnHttp2TransportWhoseListenersMayBlock() {
        HttpClient client = UpstreamClients.newClient("factory-test",
                UpstreamPoolSettings.DEFAULTS.withHttp2(true), InvocationType.BLOCKING);
        assertTrue(client.getTransport() instanceof HttpClientTransportOverHTTP2, client.getTransport().toString());
        assertEquals(InvocationType.BLOCKING, client.getTransport().getInvocationType());
    }
}
