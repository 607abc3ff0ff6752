package io.mcpproxy.core;

import java.time.Duration;
import java.util.Collection;
import java.util.Objects;

/**
 * The listener options every proxy builder offers, each a shortcut to one field of {@link ListenerSettings}.
 *
 * @param <B> the concrete builder, so that chained calls keep its own options in reach
 */
public abstract class ListenerBuilder<B extends ListenerBuilder<B>> {

    private ListenerSettings listener = ListenerSettings.DEFAULTS;

    protected ListenerBuilder() {
    }

    /** This builder, as its own type. */
    protected abstract B self();

    /** The listener as the options so far describe it. */
    protected final ListenerSettings listenerSettings() {
        return listener;
    }

    /** The whole listener at once (host, port, timeouts, threads, body size, allowed origins and hosts). */
    public B listener(ListenerSettings settings) {
        this.listener = Objects.requireNonNull(settings, "listener");
        return self();
    }

    /** See {@link ListenerSettings#host}. */
    public B host(String host) {
        this.listener = listener.withHost(host);
        return self();
    }

    /** See {@link ListenerSettings#port}. */
    public B port(int port) {
        this.listener = listener.withPort(port);
        return self();
    }

    /** See {@link ListenerSettings#idleTimeout}. */
    public B idleTimeout(Duration timeout) {
        this.listener = listener.withIdleTimeout(timeout);
        return self();
    }

    /** See {@link ListenerSettings#drainTimeout}. */
    public B drainTimeout(Duration timeout) {
        this.listener = listener.withDrainTimeout(timeout);
        return self();
    }

    /** See {@link ListenerSettings#maxThreads}. */
    public B maxThreads(int maxThreads) {
        this.listener = listener.withMaxThreads(maxThreads);
        return self();
    }

    /** See {@link ListenerSettings#headerTimeout}. */
    public B headerTimeout(Duration timeout) {
        this.listener = listener.withHeaderTimeout(timeout);
        return self();
    }

    /** See {@link ListenerSettings#bodyTimeout}. */
    public B bodyTimeout(Duration timeout) {
        this.listener = listener.withBodyTimeout(timeout);
        return self();
    }

    /** See {@link ListenerSettings#maxClientConnections}. */
    public B maxClientConnections(int max) {
        this.listener = listener.withMaxClientConnections(max);
        return self();
    }

    /** See {@link ListenerSettings#tls}: HTTPS with this certificate, reloaded when its files change. */
    public B tls(TlsSettings tls) {
        this.listener = listener.withTls(tls);
        return self();
    }

    /** See {@link ListenerSettings#maxBodyBytes}: a request body is read whole before it is handled. */
    public B maxBodySize(long bytes) {
        this.listener = listener.withMaxBodyBytes(bytes);
        return self();
    }

    /** See {@link ListenerSettings#allowedOrigins}; adds to those already allowed. */
    public B allowedOrigins(Collection<String> origins) {
        this.listener = listener.withAllowedOrigins(origins);
        return self();
    }

    /** See {@link ListenerSettings#allowedHosts}; adds to those already allowed. */
    public B allowedHosts(Collection<String> hosts) {
        this.listener = listener.withAllowedHosts(hosts);
        return self();
    }
}
