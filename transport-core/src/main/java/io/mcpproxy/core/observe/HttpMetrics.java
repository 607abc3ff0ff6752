package io.mcpproxy.core.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * The HTTP exchanges of one proxy: a timer {@value #REQUESTS} (Prometheus {@code mcp_proxy_http_requests_seconds})
 * per transport, HTTP method, MCP method and status, with a percentile histogram. Every tag value is bounded: the
 * MCP method is one the specification defines or {@code other}, the HTTP method one of four or {@code other}.
 * An SSE stream's exchange lasts as long as the stream.
 */
public final class HttpMetrics {

    static final String REQUESTS = "mcp.proxy.http.requests";

    private final MeterRegistry registry;
    /** One timer per tag combination, so that an exchange looks up no meter by name. */
    private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();

    private record Key(String transport, String httpMethod, String mcpMethod, int status) {
    }

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records a completed {@code exchange}, from its first byte to its last. */
    void record(Exchanges.Exchange exchange, Request request, Response response) {
        Key key = new Key(exchange.transport(), httpMethod(request.getMethod()), exchange.mcpMethod(),
                response.getStatus());
        Timer timer = timers.computeIfAbsent(key, this::timer);
        timer.record(System.nanoTime() - request.getBeginNanoTime(), TimeUnit.NANOSECONDS);
    }

    private Timer timer(Key key) {
        return Timer.builder(REQUESTS)
                .description("HTTP exchanges served, by transport, HTTP method, MCP method and status")
                .tag("transport", key.transport())
                .tag("http_method", key.httpMethod())
                .tag("mcp_method", key.mcpMethod())
                .tag("status", Integer.toString(key.status()))
                .publishPercentileHistogram()
                .register(registry);
    }

    private static String httpMethod(String method) {
        return switch (method) {
            case "GET", "POST", "DELETE", "HEAD", "OPTIONS" -> method;
            default -> "other";
        };
    }
}
