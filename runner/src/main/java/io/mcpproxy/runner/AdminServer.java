package io.mcpproxy.runner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.http.JsonErrorHandler;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.observe.Health;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * The admin listener, off the MCP port and on threads of its own: {@code GET /metrics} (Prometheus text, JVM and
 * the proxy listener's thread pool included), {@code /healthz} (the process serves) and {@code /readyz} (200 or
 * 503, with every check of the proxy's {@link Health}).
 */
final class AdminServer implements AutoCloseable {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final ServerConnector connector;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /**
     * @param proxyThreads the MCP listener's worker pool, measured as {@code jetty_threads_*}
     * @param health       the proxy's checks, asked on every {@code /readyz}
     */
    AdminServer(OperationsSettings settings, PrometheusMeterRegistry registry, ThreadPool proxyThreads,
                Supplier<Health> health) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JettyServerThreadPoolMetrics(proxyThreads, List.of()).bindTo(registry);
        QueuedThreadPool threads = new QueuedThreadPool(4, 1);
        threads.setName("mcp-admin");
        server = new Server(threads);
        connector = new ServerConnector(server, 1, 1);
        connector.setHost(settings.adminHost());
        connector.setPort(settings.adminPort());
        server.addConnector(connector);
        server.setErrorHandler(new JsonErrorHandler());
        server.setHandler(new Handler.Abstract() { // /readyz waits for the storage: blocking
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback, registry, health);
                return true;
            }
        });
    }

    private static void serve(Request request, Response response, Callback callback,
                              PrometheusMeterRegistry registry, Supplier<Health> health) {
        String path = Request.getPathInContext(request);
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            JsonResponses.error(response, callback, 405, null, JsonRpc.INVALID_REQUEST, "Method Not Allowed");
            return;
        }
        switch (path) {
            case "/metrics" -> write(response, callback, 200, PROMETHEUS_TEXT, registry.scrape());
            case "/healthz" -> write(response, callback, 200, "application/json", "{\"status\":\"UP\"}");
            case "/readyz" -> {
                Health now = health.get();
                write(response, callback, now.ready() ? 200 : 503, "application/json", describe(now));
            }
            default -> JsonResponses.error(response, callback, 404, null, JsonRpc.INVALID_REQUEST,
                    "Not Found: the admin listener serves /metrics, /healthz and /readyz");
        }
    }

    static String describe(Health health) {
        ObjectNode body = JSON.createObjectNode().put("status", health.ready() ? "UP" : "DOWN");
        ArrayNode checks = body.putArray("checks");
        for (Health.Check check : health.checks()) {
            checks.addObject().put("name", check.name()).put("status", check.up() ? "UP" : "DOWN")
                    .put("detail", check.detail());
        }
        return body.toString();
    }

    private static void write(Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    void start() throws Exception {
        server.start();
    }

    URI uri() {
        return URI.create("http://" + connector.getHost() + ":" + connector.getLocalPort());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(AdminServer.class).warn("admin listener did not stop cleanly: {}",
                    e.toString());
        } finally {
            gc.close();
        }
    }
}
