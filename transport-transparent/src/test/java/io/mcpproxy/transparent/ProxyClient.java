package io.mcpproxy.transparent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP calls through the transparent proxy. */
final class ProxyClient {

    private final HttpClient http;
    private final URI uri;
    /** The {@code Authorization} header every request carries; null: none. */
    String authorization;

    ProxyClient(HttpClient http, URI uri) {
        this.http = http;
        this.uri = uri;
    }

    HttpResponse<String> post(String session, String method) throws Exception {
        return post(uri, session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{}}");
    }

    HttpResponse<String> post(URI target, String session, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("Mcp-Session-Id", session);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** initialize; returns the session id the upstream issued. */
    String initialize() throws Exception {
        HttpResponse<String> response = post(null, "initialize");
        if (response.statusCode() != 200) {
            throw new AssertionError("initialize: " + response.statusCode() + " " + response.body());
        }
        return response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    }

    static String servedBy(HttpResponse<String> response) {
        return ((ObjectNode) JsonRpc.parse(response.body().getBytes())).path("result").path("servedBy").asText();
    }
}
