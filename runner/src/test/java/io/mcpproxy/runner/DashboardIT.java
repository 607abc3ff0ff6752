package io.mcpproxy.runner;

import static io.mcpproxy.runner.RunnerProcesses.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.streamable.StreamableHttpProxy;
import io.mcpproxy.transparent.TransparentProxy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard in {@code ops/grafana} queries only metrics a real scrape has: after load through a
 * transparent proxy in front of a Streamable HTTP proxy (one upstream refused), every metric name in its PromQL
 * is in the scrape, which also passes {@code promtool check metrics} when promtool is installed.
 */
class DashboardIT {

    private static final Path DASHBOARD = Path.of("..", "ops", "grafana", "mcp-transport-proxy.json");
    private static final Pattern METRIC = Pattern.compile("\\bmcp_proxy_[a-z_]+");

    @TempDir
    Path dir;

    @Test
    void everyMetricTheDashboardQueriesIsInAScrapeAfterLoad() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<AutoCloseable> running = new ArrayList<>();
        try {
            StreamableHttpProxy stdio = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                    .port(0).meterRegistry(registry).build();
            running.add(stdio);
            stdio.start();
            TransparentProxy transparent = TransparentProxy.builder().targets(List.of(stdio.uri(), closedPort()))
                    .meterRegistry(registry).port(0).build();
            running.add(transparent);
            transparent.start();
            URI mcp = transparent.uri("/mcp");
            HttpClient http = HttpClient.newHttpClient();
            String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                    + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\","
                    + "\"version\":\"1\"}}}";
            HttpResponse<String> first = http.send(post(mcp, null, initialize), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, first.statusCode(), first.body());
            String session = first.headers().firstValue("Mcp-Session-Id").orElseThrow();
            assertEquals(502, http.send(post(mcp, null, initialize), HttpResponse.BodyHandlers.ofString())
                    .statusCode(), "round robin: the closed port");
            assertEquals(200, http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            String scrape = registry.scrape();
            Set<String> queried = new TreeSet<>();
            Matcher names = METRIC.matcher(Files.readString(DASHBOARD));
            while (names.find()) {
                queried.add(names.group());
            }
            assertTrue(queried.size() >= 15, "the dashboard's metrics: " + queried);
            for (String name : queried) {
                assertTrue(Pattern.compile("(?m)^" + name + "[{ ]").matcher(scrape).find(),
                        name + " is not in the scrape:\n" + scrape);
            }
            PromtoolCheck.assertValid(scrape, dir);
        } finally {
            for (int i = running.size() - 1; i >= 0; i--) {
                running.get(i).close();
            }
        }
    }

    private static URI closedPort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/mcp");
        }
    }
}
