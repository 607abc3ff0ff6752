package io.mcpproxy.sse;

import io.mcpproxy.stdio.testing.ProxyExtension;

/**
 * Legacy HTTP+SSE proxies for the tests, started and closed by a {@link ProxyExtension}:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();
 *
 * @Test
 * void aTest() throws Exception {
 *     SseProxy proxy = proxies.start(builder -> builder.keepAliveInterval(Duration.ofMillis(100)));
 * }
 * }</pre>
 */
final class Proxies {

    private Proxies() {
    }

    static ProxyExtension<SseProxy.Builder, SseProxy> sse() {
        return new ProxyExtension<>(SseProxy::builder, SseProxy.Builder::build, SseProxy::start);
    }
}
