package io.mcpproxy.example;

import static io.mcpproxy.example.ServerProcess.initializeParams;
import static io.mcpproxy.example.ServerProcess.notification;
import static io.mcpproxy.example.ServerProcess.resultText;
import static io.mcpproxy.example.ServerProcess.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Drives the server as a child process over real stdin/stdout pipes. */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class ExampleServerTest {

    private ServerProcess server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void initializeNegotiatesTheVersionAndRefusesASecondInitialize() throws Exception {
        server = ServerProcess.start();

        JsonNode first = server.call(1, "initialize", initializeParams("2025-06-18"));
        assertEquals("2025-06-18", first.at("/result/protocolVersion").asText());
        assertTrue(first.at("/result/capabilities/tools/listChanged").asBoolean());
        assertTrue(first.at("/result/capabilities/resources/subscribe").asBoolean());
        assertTrue(first.at("/result/capabilities/prompts/listChanged").asBoolean());
        assertTrue(first.at("/result/capabilities/logging").isObject());
        assertEquals("example-server", first.at("/result/serverInfo/name").asText());
        server.send(notification("notifications/initialized", "{}"));

        JsonNode second = server.call(2, "initialize", initializeParams("2025-06-18"));
        assertEquals(-32600, second.at("/error/code").asInt());
        assertEquals("already initialized", second.at("/error/message").asText());
        assertFalse(second.has("result"));
        assertTrue(server.call(3, "ping", "{}").get("result").isEmpty(), "server keeps working after the refusal");
    }

    @Test
    void unknownVersionFallsBackToLatestAndReinitializeCanBeAllowed() throws Exception {
        server = ServerProcess.start("--allow-reinitialize");

        assertEquals("2025-11-25",
                server.call(1, "initialize", initializeParams("1999-01-01")).at("/result/protocolVersion").asText());
        assertEquals("2024-11-05",
                server.call(2, "initialize", initializeParams("2024-11-05")).at("/result/protocolVersion").asText());
    }

    @Test
    void toolsListContainsEveryTool() throws Exception {
        server = ServerProcess.startInitialized();

        JsonNode tools = server.call(1, "tools/list", "{}").at("/result/tools");
        Set<String> names = new TreeSet<>();
        for (JsonNode tool : tools) {
            names.add(tool.get("name").asText());
            assertEquals("object", tool.at("/inputSchema/type").asText(), tool::toString);
            assertFalse(tool.get("description").asText().isEmpty());
        }
        assertEquals(new TreeSet<>(List.of("echo", "slow", "progress", "sample", "roots", "elicit", "crash",
                "notify_list_changed", "update_resource", "cancelled", "garbage", "pid", "known_roots", "client",
                "requests", "route")), names);
    }

    @Test
    void echoReturnsTheTextOnOneLine() throws Exception {
        server = ServerProcess.startInitialized();

        String text = "two\nlines and ünïcödé";
        JsonNode response = server.call(1, "tools/call",
                "{\"name\":\"echo\",\"arguments\":{\"text\":" + ServerProcess.JSON.valueToTree(text) + "}}");
        assertEquals(text, resultText(response));
        assertFalse(response.at("/result/isError").asBoolean());
    }

    @Test
    void cancelledSlowCallGetsNoResponseAndDoesNotBlockOthers() throws Exception {
        server = ServerProcess.startInitialized();

        long slowSent = System.nanoTime();
        server.send(toolCall(10, "slow", "{\"ms\":1000}"));
        assertEquals("quick", server.callTool(11, "echo", "{\"text\":\"quick\"}"), "slow call must not block");
        server.send(notification("notifications/cancelled", "{\"requestId\":10,\"reason\":\"test\"}"));
        assertEquals("[10]", server.callTool(12, "cancelled", "{}"), "the cancellation reached the server");

        // Wait past the moment the slow call would have answered: nothing may arrive for id 10.
        List<String> late = server.linesUntil(slowSent + Duration.ofMillis(1400).toNanos());
        assertEquals(List.of(), late);
        assertEquals("still alive", server.callTool(13, "echo", "{\"text\":\"still alive\"}"));
    }

    @Test
    void uncancelledSlowCallAnswers() throws Exception {
        server = ServerProcess.startInitialized();

        assertEquals("slept 50 ms", server.callTool(1, "slow", "{\"ms\":50}"));
    }

    @Test
    void progressSendsNotificationsInOrderBeforeTheResult() throws Exception {
        server = ServerProcess.startInitialized();

        server.send(ServerProcess.request(7, "tools/call",
                "{\"name\":\"progress\",\"arguments\":{\"steps\":3,\"delayMs\":5},\"_meta\":{\"progressToken\":\"tok\"}}"));
        for (int step = 1; step <= 3; step++) {
            JsonNode progress = server.nextMessage();
            assertEquals("notifications/progress", progress.get("method").asText(), progress::toString);
            assertEquals("tok", progress.at("/params/progressToken").asText());
            assertEquals(step, progress.at("/params/progress").asInt());
            assertEquals(3, progress.at("/params/total").asInt());
            assertEquals("step " + step, progress.at("/params/message").asText());

            JsonNode log = server.nextMessage();
            assertEquals("notifications/message", log.get("method").asText(), log::toString);
            assertEquals("info", log.at("/params/level").asText());
            assertEquals("step " + step + " of 3", log.at("/params/data").asText());
        }
        assertEquals("done 3 steps", resultText(server.responseTo(7)));
    }

    @Test
    void progressWithoutTokenAndAboveLogLevelSendsOnlyTheResult() throws Exception {
        server = ServerProcess.startInitialized();

        assertTrue(server.call(1, "logging/setLevel", "{\"level\":\"warning\"}").get("result").isEmpty());
        // responseTo() fails if any notification comes first
        assertEquals("done 2 steps", server.callTool(2, "progress", "{\"steps\":2,\"delayMs\":1}"));
    }

    @Test
    void sampleRoundTripsThroughTheClient() throws Exception {
        server = ServerProcess.startInitialized();

        server.send(toolCall(5, "sample", "{\"prompt\":\"hi\"}"));
        JsonNode sampling = server.nextMessage();
        assertEquals("sampling/createMessage", sampling.get("method").asText(), sampling::toString);
        assertTrue(sampling.get("id").asText().startsWith("srv-"), sampling::toString);
        assertEquals("user", sampling.at("/params/messages/0/role").asText());
        assertEquals("hi", sampling.at("/params/messages/0/content/text").asText());
        assertEquals(100, sampling.at("/params/maxTokens").asInt());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + sampling.get("id") + ",\"result\":{\"role\":\"assistant\","
                + "\"content\":{\"type\":\"text\",\"text\":\"hello back\"},\"model\":\"test-model\"}}");
        assertEquals("sampled: hello back", resultText(server.responseTo(5)));

        server.send(toolCall(6, "sample", "{\"prompt\":\"again\"}"));
        JsonNode second = server.nextMessage();
        assertNotEquals(sampling.get("id"), second.get("id"), "server request ids are unique");
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + second.get("id")
                + ",\"error\":{\"code\":-1,\"message\":\"user rejected sampling\"}}");
        JsonNode failed = server.responseTo(6);
        assertTrue(failed.at("/result/isError").asBoolean());
        assertEquals("user rejected sampling", resultText(failed));
    }

    @Test
    void aRootsChangeMakesTheServerAskForTheRoots() throws Exception {
        server = ServerProcess.startInitialized();
        assertEquals("none asked yet", server.callTool(1, "known_roots", "{}"));

        server.send(notification("notifications/roots/list_changed", "{}"));
        JsonNode roots = server.nextMessage();
        assertEquals("roots/list", roots.get("method").asText(), roots::toString);
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + roots.get("id") + ",\"result\":{\"roots\":["
                + "{\"uri\":\"file:///a\"}]}}");
        String known = "";
        for (int i = 2; i < 100 && !known.startsWith("["); i++) { // the answer is stored by a worker
            known = server.callTool(i, "known_roots", "{}");
        }
        assertEquals("[{\"uri\":\"file:///a\"}]", known);
    }

    @Test
    void rootsAndElicitRoundTripThroughTheClient() throws Exception {
        server = ServerProcess.startInitialized();

        server.send(toolCall(1, "roots", "{}"));
        JsonNode roots = server.nextMessage();
        assertEquals("roots/list", roots.get("method").asText(), roots::toString);
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + roots.get("id") + ",\"result\":{\"roots\":["
                + "{\"uri\":\"file:///a\"},{\"uri\":\"file:///b\"}]}}");
        assertEquals("roots: 2", resultText(server.responseTo(1)));

        server.send(toolCall(2, "elicit", "{\"message\":\"continue?\"}"));
        JsonNode elicit = server.nextMessage();
        assertEquals("elicitation/create", elicit.get("method").asText(), elicit::toString);
        assertEquals("continue?", elicit.at("/params/message").asText());
        assertEquals("string", elicit.at("/params/requestedSchema/properties/answer/type").asText());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":" + elicit.get("id")
                + ",\"result\":{\"action\":\"accept\",\"content\":{\"answer\":\"yes\"}}}");
        assertEquals("elicited: accept {\"answer\":\"yes\"}", resultText(server.responseTo(2)));
    }

    @Test
    void crashExitsWithTheCodeWithoutAnswering() throws Exception {
        server = ServerProcess.startInitialized();

        server.send(toolCall(1, "crash", "{\"exitCode\":7}"));
        assertEquals(7, server.waitForExit(Duration.ofSeconds(5)));
        assertEquals(List.of(), server.unreadLines());
        assertTrue(server.awaitStderr("crash", Duration.ofSeconds(5)).contains("crash"), server::stderr);
    }

    @Test
    void garbageWritesANonJsonLineBeforeItsResult() throws Exception {
        server = ServerProcess.startInitialized();

        server.send(toolCall(1, "garbage", "{}"));
        assertEquals("this is not json", server.nextLine());
        assertEquals("ok", resultText(server.responseTo(1)));
    }

    @Test
    void updateResourceNotifiesOnlyWhileSubscribed() throws Exception {
        server = ServerProcess.startInitialized();
        String uri = "{\"uri\":\"example://greeting\"}";

        // callTool() reads the very next message, so these also prove no notification was sent.
        assertEquals("not subscribed example://greeting", server.callTool(1, "update_resource", uri));
        assertTrue(server.call(2, "resources/subscribe", uri).get("result").isEmpty());

        server.send(toolCall(3, "update_resource", uri));
        JsonNode updated = server.nextMessage();
        assertEquals("notifications/resources/updated", updated.get("method").asText(), updated::toString);
        assertEquals("example://greeting", updated.at("/params/uri").asText());
        assertEquals("updated example://greeting", resultText(server.responseTo(3)));

        assertTrue(server.call(4, "resources/unsubscribe", uri).get("result").isEmpty());
        assertEquals("not subscribed example://greeting", server.callTool(5, "update_resource", uri));
    }

    @Test
    void resourcesPromptsAndProtocolErrors() throws Exception {
        server = ServerProcess.startInitialized();

        assertEquals("hello from example-server", server.call(1, "resources/read",
                "{\"uri\":\"example://greeting\"}").at("/result/contents/0/text").asText());
        assertEquals(-32002, server.call(2, "resources/read", "{\"uri\":\"example://nope\"}").at("/error/code").asInt());
        assertEquals("Say hello to Ada", server.call(3, "prompts/get",
                "{\"name\":\"greeting\",\"arguments\":{\"name\":\"Ada\"}}").at("/result/messages/0/content/text").asText());
        assertEquals("Method not found: nope/nope", server.call(4, "nope/nope", "{}").at("/error/message").asText());
        assertEquals(-32602, server.call(5, "tools/call", "{\"name\":\"nope\"}").at("/error/code").asInt());
        assertTrue(server.call(6, "tools/call", "{\"name\":\"echo\",\"arguments\":{}}").at("/result/isError").asBoolean());

        server.send("this is { not json");                      // ignored: no id to answer
        server.send("{\"id\":7,\"method\":\"ping\"}");           // no "jsonrpc": invalid request with a known id
        assertEquals(-32600, server.responseTo(7).at("/error/code").asInt());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"srv-999\",\"result\":{}}"); // response nobody waits for: ignored
        assertEquals("ok", server.callTool("abc", "echo", "{\"text\":\"ok\"}"), "string ids work and nothing was answered in between");
        assertTrue(server.awaitStderr("ignoring line that is not JSON", Duration.ofSeconds(5))
                .contains("ignoring line that is not JSON"), server::stderr);
        assertFalse(server.stderr().contains("Exception"), server::stderr);
    }

    @Test
    void eofOnStdinExitsWithZero() throws Exception {
        server = ServerProcess.startInitialized();

        server.closeStdin();
        assertEquals(0, server.waitForExit(Duration.ofSeconds(5)));
    }
}
