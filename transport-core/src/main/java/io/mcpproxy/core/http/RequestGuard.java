package io.mcpproxy.core.http;

import io.mcpproxy.core.ListenerSettings;
import java.net.URI;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Origin and Host checks against DNS rebinding, applied to every request before anything else
 * (MCP: servers MUST validate Origin; a present, invalid Origin gets 403).
 *
 * <p>Defaults: requests without Origin and from loopback origins ({@code http(s)://localhost|127.0.0.1|[::1]},
 * any port) are allowed; when the proxy is bound to a loopback address, the Host header must name loopback too.
 */
public final class RequestGuard {

    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final Set<String> allowedOrigins;
    private final boolean anyOrigin;
    private final Set<String> allowedHosts;
    private final boolean anyHost;

    /**
     * @param allowedOrigins extra origins, exact ({@code https://app.example.com}), or {@code *} for any
     * @param allowedHosts   host names the Host header may carry (port ignored), {@code *} for any; empty = the
     *                       loopback names when {@code boundToLoopback}, else any
     */
    public RequestGuard(Set<String> allowedOrigins, Set<String> allowedHosts, boolean boundToLoopback) {
        this.anyOrigin = allowedOrigins.contains("*");
        this.allowedOrigins = lowerCase(allowedOrigins);
        if (allowedHosts.isEmpty()) {
            this.anyHost = !boundToLoopback;
            this.allowedHosts = LOOPBACK_NAMES;
        } else {
            this.anyHost = allowedHosts.contains("*");
            this.allowedHosts = lowerCase(allowedHosts);
        }
    }

    /** The guard of a listener with {@code settings}. */
    public static RequestGuard of(ListenerSettings settings) {
        return new RequestGuard(settings.allowedOrigins(), settings.allowedHosts(),
                HttpListener.isLoopback(settings.host()));
    }

    /** @return why the request is forbidden, or null when it may proceed */
    public String check(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !anyOrigin && !isAllowedOrigin(origin)) {
            return "Origin " + origin + " is not allowed";
        }
        if (!anyHost) {
            String host = hostName(request.getHeaders().get(HttpHeader.HOST));
            if (host == null || !allowedHosts.contains(host)) {
                return "Host " + request.getHeaders().get(HttpHeader.HOST) + " is not allowed";
            }
        }
        return null;
    }

    private boolean isAllowedOrigin(String origin) {
        String normalized = origin.toLowerCase(Locale.ROOT);
        if (allowedOrigins.contains(normalized)) {
            return true;
        }
        try {
            URI uri = URI.create(normalized);
            String scheme = uri.getScheme();
            String host = uri.getHost();
            return ("http".equals(scheme) || "https".equals(scheme)) && host != null
                    && LOOPBACK_NAMES.contains(host) && uri.getRawPath().isEmpty();
        } catch (IllegalArgumentException e) {
            return false; // "null" and other opaque origins
        }
    }

    /** The host part of a Host header, lower case, without port; null when malformed. */
    static String hostName(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? null : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private static Set<String> lowerCase(Set<String> values) {
        return Set.copyOf(values.stream().map(value -> value.toLowerCase(Locale.ROOT)).toList());
    }
}
