package io.mcpproxy.example;

import static io.mcpproxy.example.ServerProcess.initializeParams;
import static io.mcpproxy.example.ServerProcess.notification;
import static io.mcpproxy.example.ServerProcess.resultText;
import static io.mcpproxy.example.ServerProcess.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Drives {@link ConformanceServer} as a child process, checking what the conformance suite's scenarios check. */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class ConformanceServerTest {

    private ServerProcess server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private void startInitialized() throws Exception {
        server = ServerProcess.startMain(ConformanceServer.class);
        JsonNode response = server.call(0, "initialize", initializeParams("2025-11-25"));
        assertEquals("2025-11-25", response.at("/result/protocolVersion").asText(), response::toString);
        server.send(notification("notifications/initialized", "{}"));
    }

    @Test
    void initializeAdvertisesEverythingAndMayBeRepeated() throws Exception {
        server = ServerProcess.startMain(ConformanceServer.class);

        JsonNode first = server.call(1, "initialize", initializeParams("2025-06-18"));
        assertEquals("2025-06-18", first.at("/result/protocolVersion").asText());
        JsonNode capabilities = first.at("/result/capabilities");
        assertTrue(capabilities.at("/tools").isObject(), capabilities::toString);
        assertTrue(capabilities.at("/resources/subscribe").asBoolean(), capabilities::toString);
        assertTrue(capabilities.at("/resources/listChanged").asBoolean(), capabilities::toString);
        assertTrue(capabilities.at("/prompts").isObject(), capabilities::toString);
        assertTrue(capabilities.at("/logging").isObject(), capabilities::toString);
        assertTrue(capabilities.at("/completions").isObject(), capabilities::toString);
        server.send(notification("notifications/initialized", "{}"));

        JsonNode second = server.call(2, "initialize", initializeParams("2025-11-25"));
        assertEquals("2025-11-25", second.at("/result/protocolVersion").asText(), second::toString);
        assertTrue(server.call(3, "ping", "{}").get("result").isEmpty());
    }

    @Test
    void everyToolAndPromptIsListedWithADescription() throws Exception {
        startInitialized();

        Set<String> tools = new TreeSet<>();
        for (JsonNode tool : server.call(1, "tools/list", "{}").at("/result/tools")) {
            tools.add(tool.get("name").asText());
            assertFalse(tool.path("description").asText().isEmpty(), tool::toString);
            assertTrue(tool.get("inputSchema").isObject(), tool::toString);
        }
        assertTrue(tools.containsAll(List.of("test_simple_text", "test_image_content", "test_audio_content",
                "test_embedded_resource", "test_multiple_content_types", "test_tool_with_logging", "test_logging_tool",
                "test_trigger_tool_change", "test_trigger_prompt_change",
                "test_tool_with_progress", "test_error_handling", "test_sampling", "test_elicitation",
                "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums", "json_schema_2020_12_tool")),
                tools::toString);

        Set<String> prompts = new TreeSet<>();
        for (JsonNode prompt : server.call(2, "prompts/list", "{}").at("/result/prompts")) {
            prompts.add(prompt.get("name").asText());
            assertFalse(prompt.path("description").asText().isEmpty(), prompt::toString);
        }
        assertEquals(new TreeSet<>(List.of("test_simple_prompt", "test_prompt_with_arguments",
                "test_prompt_with_embedded_resource", "test_prompt_with_image", "test_input_required_result_prompt")),
                prompts);
    }

    @Test
    void multiRoundTripToolsAskUnderTheKeysTheSuiteExpectsAllAtOnce() throws Exception {
        startInitialized();

        server.send(toolCall(1, "test_input_required_result_multiple_inputs", "{}"));
        Map<String, String> asked = new TreeMap<>();
        for (int i = 0; i < 3; i++) {
            JsonNode request = server.nextMessage();
            asked.put(request.get("id").asText(), request.path("method").asText());
        }
        assertEquals(Map.of("user_name", "elicitation/create", "greeting", "sampling/createMessage",
                "client_roots", "roots/list"), asked);
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"client_roots\",\"result\":{\"roots\":[]}}");
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"greeting\",\"result\":{\"role\":\"assistant\","
                + "\"content\":{\"type\":\"text\",\"text\":\"Hi\"},\"model\":\"m\"}}");
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"user_name\",\"result\":{\"action\":\"accept\","
                + "\"content\":{\"name\":\"Ada\"}}}");
        assertEquals("Hi, Ada (0 roots)", resultText(server.responseTo(1)));
    }

    @Test
    void aNewCallWithdrawsTheRequestAnAbandonedCallStillWaitsForUnderTheSameId() throws Exception {
        startInitialized();

        server.send(toolCall(1, "test_input_required_result_elicitation", "{}"));
        assertEquals("user_name", server.nextMessage().get("id").asText());
        server.send(toolCall(2, "test_input_required_result_elicitation", "{}"));

        JsonNode withdrawn = server.nextMessage();
        assertEquals("notifications/cancelled", withdrawn.path("method").asText(), withdrawn::toString);
        assertEquals("user_name", withdrawn.at("/params/requestId").asText());
        JsonNode first = server.nextMessage();
        JsonNode second = server.nextMessage(); // the abandoned call's end and the new request, in either order
        JsonNode abandoned = first.has("method") ? second : first;
        JsonNode asked = first.has("method") ? first : second;
        assertEquals(1, abandoned.get("id").asInt(), abandoned::toString);
        assertTrue(abandoned.at("/result/isError").asBoolean(), abandoned::toString);
        assertEquals("user_name", asked.get("id").asText());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"user_name\",\"result\":{\"action\":\"accept\","
                + "\"content\":{\"name\":\"Bo\"}}}");
        assertEquals("Hello, Bo!", resultText(server.responseTo(2)));
    }

    @Test
    void contentToolsReturnTheExpectedItems() throws Exception {
        startInitialized();

        // No "arguments" key at all, as the suite sends it.
        assertEquals("This is a simple text response for testing.",
                resultText(server.call(1, "tools/call", "{\"name\":\"test_simple_text\"}")));

        JsonNode image = server.call(2, "tools/call", "{\"name\":\"test_image_content\",\"arguments\":{}}");
        assertEquals("image/png", image.at("/result/content/0/mimeType").asText());
        byte[] png = Base64.getDecoder().decode(image.at("/result/content/0/data").asText());
        assertEquals("PNG", new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII));

        JsonNode audio = server.call(3, "tools/call", "{\"name\":\"test_audio_content\",\"arguments\":{}}");
        assertEquals("audio", audio.at("/result/content/0/type").asText());
        assertEquals("audio/wav", audio.at("/result/content/0/mimeType").asText());

        JsonNode mixed = server.call(4, "tools/call", "{\"name\":\"test_multiple_content_types\",\"arguments\":{}}");
        assertEquals(List.of("text", "image", "resource"),
                mixed.at("/result/content").findValuesAsText("type").subList(0, 3));

        JsonNode error = server.call(5, "tools/call", "{\"name\":\"test_error_handling\",\"arguments\":{}}");
        assertTrue(error.at("/result/isError").asBoolean(), error::toString);
        assertEquals("This tool intentionally returns an error for testing", resultText(error));
        assertEquals(-32602, server.call(6, "tools/call", "{\"name\":\"nope\"}").at("/error/code").asInt());
    }

    @Test
    void progressEchoesTheTokenWithItsJsonType() throws Exception {
        startInitialized();

        for (String token : List.of("1", "\"progress-test-1\"")) {
            server.send(ServerProcess.request(7, "tools/call",
                    "{\"name\":\"test_tool_with_progress\",\"arguments\":{},\"_meta\":{\"progressToken\":" + token + "}}"));
            for (int expected : new int[] {0, 50, 100}) {
                JsonNode progress = server.nextMessage();
                assertEquals("notifications/progress", progress.path("method").asText(), progress::toString);
                assertEquals(ServerProcess.parse(token), progress.at("/params/progressToken"), progress::toString);
                assertEquals(expected, progress.at("/params/progress").asInt());
                assertEquals(100, progress.at("/params/total").asInt());
            }
            server.responseTo(7);
        }
    }

    @Test
    void loggingToolSendsThreeMessagesAfterSetLevel() throws Exception {
        startInitialized();

        server.send(ServerProcess.request(1, "logging/setLevel", "{\"level\":\"debug\"}"));
        assertEquals("Log level set to: debug", server.nextMessage().at("/params/data").asText());
        assertTrue(server.responseTo(1).get("result").isEmpty());

        server.send(toolCall(2, "test_tool_with_logging", "{}"));
        for (String data : List.of("Tool execution started", "Tool processing data", "Tool execution completed")) {
            JsonNode log = server.nextMessage();
            assertEquals("notifications/message", log.path("method").asText(), log::toString);
            assertEquals("info", log.at("/params/level").asText());
            assertEquals(data, log.at("/params/data").asText());
        }
        assertEquals("Tool with logging executed successfully", resultText(server.responseTo(2)));
    }

    @Test
    void theTriggerToolsAnnounceAListChange() throws Exception {
        startInitialized();

        server.send(toolCall(1, "test_trigger_tool_change", "{}"));
        assertEquals("notifications/tools/list_changed", server.nextMessage().path("method").asText());
        assertEquals("Sent notifications/tools/list_changed", resultText(server.responseTo(1)));
        server.send(toolCall(2, "test_trigger_prompt_change", "{}"));
        assertEquals("notifications/prompts/list_changed", server.nextMessage().path("method").asText());
        assertEquals("Sent notifications/prompts/list_changed", resultText(server.responseTo(2)));
    }

    @Test
    void samplingAndElicitationRoundTripThroughTheClient() throws Exception {
        startInitialized();

        server.send(toolCall(1, "test_sampling", "{\"prompt\":\"Test prompt for sampling\"}"));
        JsonNode sampling = server.nextMessage();
        assertEquals("sampling/createMessage", sampling.path("method").asText(), sampling::toString);
        assertEquals("Test prompt for sampling", sampling.at("/params/messages/0/content/text").asText());
        assertEquals(100, sampling.at("/params/maxTokens").asInt());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + sampling.get("id") + ",\"result\":{\"role\":\"assistant\","
                + "\"content\":{\"type\":\"text\",\"text\":\"hi\"},\"model\":\"test-model\",\"stopReason\":\"endTurn\"}}");
        assertEquals("LLM response: hi", resultText(server.responseTo(1)));

        server.send(toolCall(2, "test_elicitation_sep1034_defaults", "{}"));
        JsonNode elicit = server.nextMessage();
        assertEquals("elicitation/create", elicit.path("method").asText(), elicit::toString);
        JsonNode properties = elicit.at("/params/requestedSchema/properties");
        assertEquals("John Doe", properties.at("/name/default").asText());
        assertTrue(properties.at("/age/default").isInt());
        assertEquals(30, properties.at("/age/default").asInt());
        assertEquals(95.5, properties.at("/score/default").asDouble());
        assertEquals("active", properties.at("/status/default").asText());
        assertTrue(properties.at("/verified/default").asBoolean());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + elicit.get("id")
                + ",\"result\":{\"action\":\"accept\",\"content\":{\"name\":\"Jane\"}}}");
        assertEquals("Elicitation completed: action=accept, content={\"name\":\"Jane\"}",
                resultText(server.responseTo(2)));

        server.send(toolCall(3, "test_elicitation_sep1330_enums", "{}"));
        JsonNode enums = server.nextMessage();
        JsonNode fields = enums.at("/params/requestedSchema/properties");
        assertTrue(fields.at("/untitledSingle/enum").isArray());
        assertEquals("First Option", fields.at("/titledSingle/oneOf/0/title").asText());
        assertEquals(3, fields.at("/legacyEnum/enumNames").size());
        assertTrue(fields.at("/untitledMulti/items/enum").isArray());
        assertEquals("value1", fields.at("/titledMulti/items/anyOf/0/const").asText());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + enums.get("id") + ",\"result\":{\"action\":\"decline\"}}");
        assertEquals("Elicitation completed: action=decline, content=null", resultText(server.responseTo(3)));
    }

    @Test
    void resourcesTemplatesAndSubscriptions() throws Exception {
        startInitialized();

        JsonNode list = server.call(1, "resources/list", "{}").at("/result/resources");
        assertEquals(List.of("test://static-text", "test://static-binary", "test://watched-resource"),
                list.findValuesAsText("uri"));
        assertEquals("This is the content of the static text resource.", server.call(2, "resources/read",
                "{\"uri\":\"test://static-text\"}").at("/result/contents/0/text").asText());
        JsonNode binary = server.call(3, "resources/read", "{\"uri\":\"test://static-binary\"}").at("/result/contents/0");
        assertEquals("image/png", binary.get("mimeType").asText());
        assertFalse(binary.get("blob").asText().isEmpty());
        JsonNode templated = server.call(4, "resources/read", "{\"uri\":\"test://template/123/data\"}")
                .at("/result/contents/0");
        assertEquals("test://template/123/data", templated.get("uri").asText());
        assertEquals("{\"id\":\"123\",\"templateTest\":true,\"data\":\"Data for ID: 123\"}", templated.get("text").asText());
        assertEquals("test://template/{id}/data", server.call(5, "resources/templates/list", "{}")
                .at("/result/resourceTemplates/0/uriTemplate").asText());
        assertEquals(-32002, server.call(6, "resources/read", "{\"uri\":\"test://nope\"}").at("/error/code").asInt());
        assertTrue(server.call(7, "resources/subscribe", "{\"uri\":\"test://watched-resource\"}").get("result").isEmpty());
        assertTrue(server.call(8, "resources/unsubscribe", "{\"uri\":\"test://watched-resource\"}").get("result").isEmpty());
    }

    @Test
    void promptsAndCompletion() throws Exception {
        startInitialized();

        assertEquals("This is a simple prompt for testing.", server.call(1, "prompts/get",
                "{\"name\":\"test_simple_prompt\"}").at("/result/messages/0/content/text").asText());
        assertEquals("Prompt with arguments: arg1='testValue1', arg2='testValue2'", server.call(2, "prompts/get",
                "{\"name\":\"test_prompt_with_arguments\",\"arguments\":{\"arg1\":\"testValue1\",\"arg2\":\"testValue2\"}}")
                .at("/result/messages/0/content/text").asText());
        JsonNode embedded = server.call(3, "prompts/get", "{\"name\":\"test_prompt_with_embedded_resource\","
                + "\"arguments\":{\"resourceUri\":\"test://example-resource\"}}").at("/result/messages/0/content");
        assertEquals("resource", embedded.get("type").asText());
        assertEquals("test://example-resource", embedded.at("/resource/uri").asText());
        JsonNode image = server.call(4, "prompts/get", "{\"name\":\"test_prompt_with_image\"}")
                .at("/result/messages/0/content");
        assertEquals("image", image.get("type").asText());
        assertEquals(-32602, server.call(5, "prompts/get", "{\"name\":\"test_prompt_with_arguments\"}")
                .at("/error/code").asInt());

        JsonNode completion = server.call(6, "completion/complete", "{\"ref\":{\"type\":\"ref/prompt\","
                + "\"name\":\"test_prompt_with_arguments\"},\"argument\":{\"name\":\"arg1\",\"value\":\"test\"}}")
                .at("/result/completion");
        assertEquals(List.of("test-alpha", "test-beta"), ServerProcess.JSON.convertValue(completion.get("values"), List.class));
        assertFalse(completion.get("hasMore").asBoolean());
    }
}
