package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.mcpproxy.stdio.testing.BulkServer;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Server messages beyond Jackson's default limits, through a real stdio server process and real HTTP: a text of
 * 25,000,000 characters reaches the client whole, and an answer that cannot be parsed reaches it as an error at
 * once rather than at the request timeout.
 */
class LargeServerMessageIT {

    /** The test's own reader: the proxy's client-side limits are not what is tested here. */
    private static final ObjectMapper UNLIMITED = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build()).build();

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.command(BulkServer.commandLine()));

    private StreamableHttpProxy proxy;
    private McpTestClient client;

    @BeforeEach
    void start() throws Exception {
        // the default request timeout: a dropped answer would hang far past WAIT
        proxy = proxies.start(builder -> builder.requestTimeout(Duration.ofMinutes(5)));
        client = new McpTestClient(HttpClient.newHttpClient(), proxy.uri());
        client.initialize();
    }

    @Test
    void aToolResultWithA25MillionCharacterTextReachesTheClientWhole() throws Exception {
        int chars = 25_000_000; // above Jackson's default maximum string length of 20,000,000
        McpTestClient.Reply reply = client.post(client.request("tools/call", toolCall("big", Map.of("chars", chars))));
        assertEquals(200, reply.status(), () -> reply.body().substring(0, Math.min(500, reply.body().length())));
        JsonNode answer = UNLIMITED.readTree(reply.body());
        String text = answer.path("result").path("content").path(0).path("text").asText();
        assertEquals(chars, text.length());
        String block = "0123456789abcdef";
        for (int i = 0; i < chars; i += 1_000_003) { // sampled: the pattern runs through the whole text
            assertEquals(block.charAt(i % block.length()), text.charAt(i), "character " + i);
        }
        assertTrue(text.endsWith(block.substring(0, chars % block.length() == 0 ? 16 : chars % block.length())));
    }

    @Test
    void anAnswerThatCannotBeParsedReachesItsClientAsAnErrorAtOnce() throws Exception {
        McpTestClient.Reply reply = client.post(client.request("tools/call", toolCall("unreadable", Map.of())));
        assertEquals(200, reply.status());
        JsonNode error = reply.json().path("error");
        assertEquals(-32000, error.path("code").asInt(), reply.body());
        assertEquals("unparseable_response", error.path("data").path("reason").asText(), reply.body());
        assertEquals(200, client.post(client.request("ping", null)).status(),
                "the server's stream is still read after the broken line");
    }

    @Test
    void anAnswerOverTheMessageLimitReachesItsClientAsAnErrorAtOnce() throws Exception {
        StreamableHttpProxy limited = proxies.startAnother(builder -> builder.maxServerMessageSize(1_000_000));
        McpTestClient limitedClient = new McpTestClient(HttpClient.newHttpClient(), limited.uri());
        limitedClient.initialize();
        long start = System.nanoTime();
        McpTestClient.Reply reply = limitedClient.post(
                limitedClient.request("tools/call", toolCall("big", Map.of("chars", 3_000_000))));
        assertEquals(200, reply.status());
        JsonNode error = reply.json().path("error");
        assertEquals(-32000, error.path("code").asInt(), reply.body());
        assertEquals("message_too_large", error.path("data").path("reason").asText(), reply.body());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 60, "an answer, not a timeout");
        McpTestClient.Reply small = limitedClient.post(
                limitedClient.request("tools/call", toolCall("big", Map.of("chars", 1_000))));
        assertEquals(1_000, small.json().path("result").path("content").path(0).path("text").asText().length(),
                "the server's stream is still read after the skipped line: " + small.body());
    }
}
