package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.ModernCalls.accepted;
import static io.mcpproxy.streamable.ModernCalls.onlyKey;
import static io.mcpproxy.streamable.ModernCalls.sampled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Multi round-trip requests against the legacy {@code ConformanceServer}'s tools, which ask for several inputs at
 * once, ask again after an answer, and fail with a JSON-RPC error without a capability.
 */
class InputRequiredScenariosIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.command(conformanceServer()));

    private final HttpClient http = HttpClient.newHttpClient();

    /** The example server's command line, running the conformance server's main class instead. */
    private static List<String> conformanceServer() {
        List<String> command = new ArrayList<>(ExampleServerCommand.commandLine());
        command.set(command.size() - 1, "io.mcpproxy.example.ConformanceServer");
        return command;
    }

    private ModernCalls client(Map<String, ?> capabilities) throws Exception {
        StreamableHttpProxy proxy = proxies.start();
        return new ModernCalls(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"), capabilities);
    }

    @Test
    void serverRequestsSentTogetherAreAllAskedAndAnsweredByTheRetries() throws Exception {
        ModernCalls client = client(Map.of("sampling", Map.of(), "elicitation", Map.of(), "roots", Map.of()));
        ObjectNode call = client.toolCall("test_input_required_result_multiple_inputs", Map.of());
        Map<String, Object> answers = Map.of("user_name", accepted(Map.of("name", "Ada")), "greeting",
                sampled("Hello"), "client_roots", Map.of("roots", List.of(Map.of("uri", "file:///r", "name", "r"))));

        TreeSet<String> asked = new TreeSet<>();
        ObjectNode response = client.send(call).response();
        // normally one round (they come within the gather window); a starved reader may split them over two
        for (int round = 0; round < 3 && "input_required".equals(response.path("result").path("resultType")
                .asText()); round++) {
            JsonNode result = response.path("result");
            Map<String, Object> given = new java.util.HashMap<>();
            result.path("inputRequests").fieldNames().forEachRemaining(key -> {
                asked.add(key);
                given.put(key, answers.get(key));
            });
            response = client.send(client.retry(call, given, result.get("requestState").asText())).response();
        }

        assertEquals(new TreeSet<>(answers.keySet()), asked);
        assertEquals("Hello, Ada (1 roots)", McpTestClient.text(response), response.toString());
    }

    @Test
    void aServerThatAsksAgainAfterTheAnswerGetsAnotherRoundUnderANewState() throws Exception {
        ModernCalls client = client(Map.of("elicitation", Map.of()));
        ObjectNode call = client.toolCall("test_input_required_result_multi_round", Map.of());
        JsonNode first = client.send(call).response().path("result");
        assertEquals("step1", onlyKey(first));

        JsonNode second = client.send(client.retry(call, Map.of("step1", accepted(Map.of("name", "Ada"))),
                first.get("requestState").asText())).response().path("result");
        assertEquals("step2", onlyKey(second), second.toString());
        McpTestClient.Reply done = client.send(client.retry(call, Map.of("step2", accepted(Map.of("color", "red"))),
                second.get("requestState").asText()));

        assertEquals("Ada likes red", McpTestClient.text(done.response()), done.body());
    }

    @Test
    void onlyWhatTheClientDeclaredIsAskedAndACallFailingWithoutTheRestGetsMinus32021() throws Exception {
        StreamableHttpProxy proxy = proxies.start();
        URI uri = URI.create("http://127.0.0.1:" + proxy.port() + "/mcp");
        ModernCalls sampling = new ModernCalls(http, uri, Map.of("sampling", Map.of()));
        ModernCalls nothing = new ModernCalls(http, uri, Map.of());

        JsonNode partly = sampling.send(sampling.toolCall("test_input_required_result_capabilities", Map.of()))
                .response().path("result");
        McpTestClient.Reply missing = nothing.send(nothing.toolCall("test_missing_capability", Map.of()));

        assertEquals("greeting", onlyKey(partly), "elicitation was not declared: not asked");
        assertEquals(400, missing.status(), missing.body());
        assertEquals(BridgedCall.MISSING_CAPABILITY, missing.json().path("error").path("code").asInt());
        assertTrue(missing.json().path("error").path("data").path("requiredCapabilities").path("sampling")
                .isObject(), missing.body());
    }
}
