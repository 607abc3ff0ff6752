package io.mcpproxy.core;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The HTTP listener every proxy has: where it binds, how it treats client connections, and which requests it lets
 * in. Each option's default, unit and valid range are declared here once; the proxy builders and the runner's
 * flags all set them through this record, so an invalid value is refused with the same words everywhere.
 *
 * @param host           address to bind. Default {@code 127.0.0.1}
 * @param port           port to bind, 0-65535; 0 picks a free one. Default 8080
 * @param idleTimeout    idle timeout of client connections between requests (never cuts a pending response),
 *                       at least 1 ms. Default 30 s
 * @param drainTimeout   on close, how long in-flight requests may take to finish, zero or more. Default 10 s
 * @param maxThreads     Jetty worker threads, at least 8. Default 200
 * @param maxBodyBytes   largest request body in bytes, 1 byte to 2 GiB; a larger one gets 413. Default 4 MiB
 * @param allowedOrigins Origins allowed besides the defaults (no Origin header, and loopback origins): exact
 *                       origins such as {@code https://app.example.com}, or {@code *} for any. Default none
 * @param allowedHosts   Host header names allowed, {@code *} for any. Default empty: the loopback names when bound
 *                       to loopback, else any
 * @param headerTimeout  how long a request head (request line and headers) may take to arrive whole, from its first
 *                       byte; then 408 and the connection closes. At least 1 ms. Default 10 s
 * @param bodyTimeout    longest silence while a request body is read; then 408 and the connection closes. At least
 *                       1 ms. Default 30 s
 * @param maxClientConnections most client connections open at once; further ones wait in the accept queue until one
 *                       closes. At least 1. Default 10000
 * @param tls            TLS on the listener, or null for plain HTTP. Default null
 */
public record ListenerSettings(String host, int port, Duration idleTimeout, Duration drainTimeout, int maxThreads,
                               long maxBodyBytes, Set<String> allowedOrigins, Set<String> allowedHosts,
                               Duration headerTimeout, Duration bodyTimeout, int maxClientConnections,
                               TlsSettings tls) {

    /** Every option at its default. */
    public static final ListenerSettings DEFAULTS = new ListenerSettings("127.0.0.1", 8080, Duration.ofSeconds(30),
            Duration.ofSeconds(10), 200, 4L * 1024 * 1024, Set.of(), Set.of(), Duration.ofSeconds(10),
            Duration.ofSeconds(30), 10_000, null);

    public ListenerSettings {
        host = Settings.requireText(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, got " + port);
        }
        Settings.requireAtLeast(idleTimeout, Duration.ofMillis(1), "idleTimeout");
        Settings.requireAtLeast(drainTimeout, Duration.ZERO, "drainTimeout");
        if (maxThreads < 8) {
            throw new IllegalArgumentException("maxThreads must be at least 8, got " + maxThreads);
        }
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxBodySize must be 1 byte to 2 GiB, got " + maxBodyBytes);
        }
        allowedOrigins = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(allowedOrigins, "allowedOrigins")));
        allowedHosts = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(allowedHosts, "allowedHosts")));
        Settings.requireAtLeast(headerTimeout, Duration.ofMillis(1), "headerTimeout");
        Settings.requireAtLeast(bodyTimeout, Duration.ofMillis(1), "bodyTimeout");
        Settings.requireAtLeast(maxClientConnections, 1, "maxClientConnections");
    }

    public ListenerSettings withHost(String host) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withPort(int port) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withIdleTimeout(Duration idleTimeout) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withDrainTimeout(Duration drainTimeout) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withMaxThreads(int maxThreads) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withMaxBodyBytes(long maxBodyBytes) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    /** These settings with {@code origins} added to the allowed ones. */
    public ListenerSettings withAllowedOrigins(Collection<String> origins) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes,
                Settings.union(allowedOrigins, origins), allowedHosts, headerTimeout, bodyTimeout,
                maxClientConnections, tls);
    }

    /** These settings with {@code hosts} added to the allowed ones. */
    public ListenerSettings withAllowedHosts(Collection<String> hosts) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                Settings.union(allowedHosts, hosts), headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withHeaderTimeout(Duration headerTimeout) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withBodyTimeout(Duration bodyTimeout) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    public ListenerSettings withMaxClientConnections(int maxClientConnections) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }

    /** These settings with TLS (null: plain HTTP). */
    public ListenerSettings withTls(TlsSettings tls) {
        return new ListenerSettings(host, port, idleTimeout, drainTimeout, maxThreads, maxBodyBytes, allowedOrigins,
                allowedHosts, headerTimeout, bodyTimeout, maxClientConnections, tls);
    }
}
