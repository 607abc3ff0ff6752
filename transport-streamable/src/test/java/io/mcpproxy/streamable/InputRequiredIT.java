package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.ModernCalls.accepted;
import static io.mcpproxy.streamable.ModernCalls.onlyKey;
import static io.mcpproxy.streamable.ModernCalls.sampled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Multi round-trip requests of 2026-07-28 clients through the proxy to the legacy example server over stdio: the
 * server's own sampling and elicitation requests become input requests, and the client's retry answers them.
 */
class InputRequiredIT {

    private static final Map<String, ?> EVERY_CAPABILITY = Map.of("sampling", Map.of(), "elicitation", Map.of(),
            "roots", Map.of());

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();

    private ModernCalls start(Map<String, ?> capabilities, UnaryOperator<StreamableHttpProxy.Builder> options)
            throws Exception {
        StreamableHttpProxy proxy = proxies.start(options::apply);
        return new ModernCalls(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"), capabilities);
    }

    /** The first round of {@code call}: its {@code InputRequiredResult}. */
    private static JsonNode inputRequired(ModernCalls client, ObjectNode call) throws Exception {
        McpTestClient.Reply reply = client.send(call);
        assertEquals(200, reply.status(), reply.body());
        JsonNode result = reply.response().path("result");
        assertEquals("input_required", result.path("resultType").asText(), reply.response().toString());
        assertEquals(call.get("id").asLong(), reply.response().get("id").asLong());
        return result;
    }

    /** A 400 with {@code -32602} and {@code reason}: the client starts the request over. */
    static void assertRefused(McpTestClient.Reply reply, String reason) {
        assertEquals(400, reply.status(), reply.body());
        assertEquals(-32602, reply.json().path("error").path("code").asInt(), reply.body());
        assertEquals(reason, reply.json().path("error").path("data").path("reason").asText(), reply.body());
    }

    @Test
    void theServersSamplingRequestBecomesAnInputRequestAndTheRetryGetsTheCallsResult() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b);
        ObjectNode call = client.toolCall("sample", Map.of("prompt", "say hi"));

        JsonNode first = inputRequired(client, call);
        String key = onlyKey(first);
        assertEquals("sampling/createMessage", first.path("inputRequests").path(key).path("method").asText());
        assertEquals("say hi", first.path("inputRequests").path(key).path("params").path("messages").path(0)
                .path("content").path("text").asText(), first.toString());
        assertTrue(first.path("requestState").isTextual(), first.toString());

        ObjectNode retry = client.retry(call, Map.of(key, sampled("hello from the client")),
                first.get("requestState").asText());
        McpTestClient.Reply done = client.send(retry);

        assertEquals(200, done.status(), done.body());
        assertEquals(retry.get("id").asLong(), done.response().get("id").asLong(), "the retry's own id");
        assertEquals("complete", done.response().path("result").path("resultType").asText());
        assertEquals("sampled: hello from the client", McpTestClient.text(done.response()));
    }

    @Test
    void aTamperedRequestStateGets400AndTheCallStillWaitsForTheRealOne() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b);
        ObjectNode call = client.toolCall("elicit", Map.of("message", "your name?"));
        JsonNode first = inputRequired(client, call);
        String key = onlyKey(first);
        String state = first.get("requestState").asText();
        char last = state.charAt(state.length() - 1);
        String tampered = state.substring(0, state.length() - 1) + (last == 'A' ? 'B' : 'A');

        McpTestClient.Reply refused = client.send(client.retry(call, Map.of(key, accepted(Map.of("answer", "x"))),
                tampered));
        McpTestClient.Reply appended = client.send(client.retry(call, Map.of(key, accepted(Map.of("answer", "x"))),
                state + "-TAMPERED"));

        assertRefused(refused, "request_state_invalid");
        assertRefused(appended, "request_state_invalid");
        McpTestClient.Reply done = client.send(client.retry(call, Map.of(key, accepted(Map.of("answer", "Ada"))),
                state));
        assertEquals("elicited: accept {\"answer\":\"Ada\"}", McpTestClient.text(done.response()));
    }

    @Test
    void aRequestStateServesOneRetryOnly() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b);
        ObjectNode call = client.toolCall("sample", Map.of("prompt", "once"));
        JsonNode first = inputRequired(client, call);
        ObjectNode retry = client.retry(call, Map.of(onlyKey(first), sampled("one")),
                first.get("requestState").asText());
        assertEquals("sampled: one", McpTestClient.text(client.send(retry).response()));

        McpTestClient.Reply again = client.send(client.retry(call, Map.of(onlyKey(first), sampled("two")),
                first.get("requestState").asText()));

        assertRefused(again, "request_state_unknown");
    }

    @Test
    void aRetryCarryingAnotherRequestsParamsIsRefusedAndTheCallStillWaits() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b);
        ObjectNode call = client.toolCall("sample", Map.of("prompt", "mine"));
        JsonNode first = inputRequired(client, call);
        String state = first.get("requestState").asText();
        ObjectNode other = client.toolCall("sample", Map.of("prompt", "someone else's"));

        McpTestClient.Reply refused = client.send(client.retry(other, Map.of(onlyKey(first), sampled("x")), state));

        assertRefused(refused, "request_state_mismatch");
        McpTestClient.Reply done = client.send(client.retry(call, Map.of(onlyKey(first), sampled("right")), state));
        assertEquals("sampled: right", McpTestClient.text(done.response()));
    }

    @Test
    void aRetryWithoutTheAnswerIsAskedAgainUnderANewState() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b);
        ObjectNode call = client.toolCall("elicit", Map.of("message", "colour?"));
        JsonNode first = inputRequired(client, call);

        McpTestClient.Reply asked = client.send(client.retry(call, Map.of("wrong_key", accepted(Map.of())),
                first.get("requestState").asText()));

        JsonNode again = asked.response().path("result");
        assertEquals("input_required", again.path("resultType").asText(), asked.body());
        assertEquals(onlyKey(first), onlyKey(again));
        assertNotEquals(first.get("requestState"), again.get("requestState"));
        McpTestClient.Reply done = client.send(client.retry(call, Map.of(onlyKey(again),
                accepted(Map.of("answer", "blue"))), again.get("requestState").asText()));
        assertEquals("elicited: accept {\"answer\":\"blue\"}", McpTestClient.text(done.response()));
    }

    @Test
    void aServerRequestForACapabilityTheClientLacksIsRefusedToTheServerAndNeverAsked() throws Exception {
        ModernCalls client = start(Map.of("elicitation", Map.of()), b -> b);

        McpTestClient.Reply reply = client.send(client.toolCall("sample", Map.of("prompt", "no sampling here")));

        assertEquals(200, reply.status(), reply.body());
        JsonNode result = reply.response().path("result");
        assertEquals("complete", result.path("resultType").asText(), reply.body());
        assertTrue(result.path("isError").asBoolean(), reply.body());
        assertTrue(McpTestClient.text(reply.response()).contains("does not support sampling"), reply.body());
    }

    @Test
    void aCallWhoseClientDoesNotComeBackInTimeIsOverAndItsStateUnknown() throws Exception {
        ModernCalls client = start(EVERY_CAPABILITY, b -> b.inputTimeout(Duration.ofSeconds(1)));
        ObjectNode call = client.toolCall("sample", Map.of("prompt", "too late"));
        JsonNode first = inputRequired(client, call);

        Thread.sleep(1_500);
        McpTestClient.Reply late = client.send(client.retry(call, Map.of(onlyKey(first), sampled("late")),
                first.get("requestState").asText()));

        assertRefused(late, "request_state_unknown");
        // the server's request was answered and the call cancelled there: the next call runs at once
        McpTestClient.Reply next = client.send(client.toolCall("echo", Map.of("text", "still here")));
        assertEquals("still here", McpTestClient.text(next.response()));
    }
}
