package io.mcpproxy.streamable;

import io.mcpproxy.stdio.testing.ProxyExtension;

/**
 * Streamable HTTP proxies for the tests, started and closed by a {@link ProxyExtension}:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();
 *
 * @Test
 * void aTest() throws Exception {
 *     StreamableHttpProxy proxy = proxies.start(builder -> builder.sessionTtl(Duration.ofSeconds(1)));
 * }
 * }</pre>
 */
final class Proxies {

    private Proxies() {
    }

    static ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> streamable() {
        return new ProxyExtension<>(StreamableHttpProxy::builder, StreamableHttpProxy.Builder::build,
                StreamableHttpProxy::start);
    }
}
