package io.mcpproxy.transparent;

import io.mcpproxy.core.ListenerBuilder;
import io.mcpproxy.core.Settings;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.client.HttpClient;

/**
 * The upstream options of {@link TransparentProxy.Builder}: the MCP servers it forwards to, how often they are
 * probed, and the connections to them, either a pool whose options are shortcuts to the fields of
 * {@link UpstreamPoolSettings} (where each one's default, unit and range are declared) or the caller's own client in
 * its place. A base class, as {@link ListenerBuilder} is for the listener options, so that the proxy keeps one
 * builder whose chained calls reach every option.
 *
 * @param <B> the concrete builder, so that chained calls keep its own options in reach
 */
abstract class UpstreamBuilder<B extends UpstreamBuilder<B>> extends ListenerBuilder<B> {

    private final List<URI> targets = new ArrayList<>();
    private Duration healthCheckInterval;
    private UpstreamPoolSettings upstreamPool = UpstreamPoolSettings.DEFAULTS;
    private HttpClient client;

    UpstreamBuilder() {
    }

    /**
     * The targets named so far.
     *
     * @throws IllegalStateException when none is: a proxy needs an upstream
     */
    final List<URI> requiredTargets() {
        if (targets.isEmpty()) {
            throw new IllegalStateException("no upstream: call target(...) or targets(...)");
        }
        return targets;
    }

    /** How often the targets are probed; null: not at all. */
    final Duration healthProbeInterval() {
        return healthCheckInterval;
    }

    /** The upstream pool as the options so far describe it. */
    final UpstreamPoolSettings upstreamPoolSettings() {
        return upstreamPool;
    }

    /** The client handed in by {@link #httpClient}; null: the proxy builds and owns one from the pool options. */
    final HttpClient callersClient() {
        return client;
    }

    /** The one upstream MCP server endpoint, e.g. {@code http://127.0.0.1:9000/mcp}. */
    public B target(URI target) {
        return targets(List.of(target));
    }

    /** Several upstreams: new sessions are spread round robin; each session sticks to its own. */
    public B targets(List<URI> targets) {
        for (URI target : targets) {
            Objects.requireNonNull(target, "target");
            if (!target.isAbsolute() || target.getHost() == null
                    || !("http".equals(target.getScheme()) || "https".equals(target.getScheme()))) {
                throw new IllegalArgumentException("target must be an absolute http(s) URL, got " + target);
            }
            this.targets.add(target);
        }
        return self();
    }

    /** Probe every target this often; a target that fails gets no new sessions until it answers. Default off. */
    public B healthCheckInterval(Duration interval) {
        this.healthCheckInterval = Settings.requireAtLeast(interval, Duration.ofMillis(1), "healthCheckInterval");
        return self();
    }

    /** The whole upstream pool at once. */
    public B upstreamPool(UpstreamPoolSettings settings) {
        this.upstreamPool = Objects.requireNonNull(settings, "upstreamPool");
        return self();
    }

    /** See {@link UpstreamPoolSettings#maxConnectionsPerUpstream}. */
    public B maxConnectionsPerUpstream(int max) {
        this.upstreamPool = upstreamPool.withMaxConnectionsPerUpstream(max);
        return self();
    }

    /** See {@link UpstreamPoolSettings#upstreamIoThreads}. */
    public B upstreamIoThreads(int threads) {
        this.upstreamPool = upstreamPool.withUpstreamIoThreads(threads);
        return self();
    }

    /** See {@link UpstreamPoolSettings#maxQueuedRequests}. */
    public B maxQueuedRequests(int max) {
        this.upstreamPool = upstreamPool.withMaxQueuedRequests(max);
        return self();
    }

    /** See {@link UpstreamPoolSettings#poolIdleTimeout}. */
    public B poolIdleTimeout(Duration timeout) {
        this.upstreamPool = upstreamPool.withPoolIdleTimeout(timeout);
        return self();
    }

    /** See {@link UpstreamPoolSettings#connectTimeout}. */
    public B connectTimeout(Duration timeout) {
        this.upstreamPool = upstreamPool.withConnectTimeout(timeout);
        return self();
    }

    /** See {@link UpstreamPoolSettings#responseIdleTimeout}. */
    public B responseIdleTimeout(Duration timeout) {
        this.upstreamPool = upstreamPool.withResponseIdleTimeout(timeout);
        return self();
    }

    /** See {@link UpstreamPoolSettings#http2}. */
    public B http2(boolean http2) {
        this.upstreamPool = upstreamPool.withHttp2(http2);
        return self();
    }

    /** See {@link UpstreamPoolSettings#idlePooling}. */
    public B idlePooling(boolean idlePooling) {
        this.upstreamPool = upstreamPool.withIdlePooling(idlePooling);
        return self();
    }

    /** See {@link UpstreamPoolSettings#poolingRate}. */
    public B poolingRate(double rate) {
        this.upstreamPool = upstreamPool.withPoolingRate(rate);
        return self();
    }

    /**
     * A Jetty client of your own, used as is: the pool options that configure a client (connections, queue,
     * I/O threads, idle and connect timeouts, HTTP/2) do not apply and nothing of it is changed. It is started if
     * needed and never stopped by the proxy. Its cookie store, content decoders and protocol handlers act on the
     * proxied traffic as they are; the proxy's own client has no cookie store, no decoders and no authentication
     * or redirect handlers (a 401 and its body, a compressed body, a {@code Set-Cookie} all pass through
     * untouched).
     */
    public B httpClient(HttpClient client) {
        this.client = Objects.requireNonNull(client, "httpClient");
        return self();
    }
}
