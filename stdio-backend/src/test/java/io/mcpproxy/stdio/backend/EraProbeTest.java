package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.process.StdioServer;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The era probe against a scripted server: what the server answers to {@code server/discover} decides whether it
 * gets {@code initialize} (legacy) or requests with their {@code _meta} (modern), and nothing of a client's reaches
 * it before that is decided.
 */
class EraProbeTest {

    private static final String MODERN_META = "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
            + "\"io.modelcontextprotocol/clientCapabilities\":{}}";

    private ScriptedServer script;
    private Backends backends;

    private Backend.Channel start(ServerEra era) throws Exception {
        script = new ScriptedServer("scripted");
        backends = Backends.builder(script.server()).requestTimeout(Duration.ofSeconds(5)).serverEra(era).build();
        backends.start();
        if (era == ServerEra.MODERN) {
            proxyListens();
        }
        return backends.open("s1", new Recorder());
    }

    /** The proxy's own subscriptions/listen, the first thing a modern process gets after the probe; its id. */
    private JsonNode proxyListens() throws Exception {
        ObjectNode listen = script.receives();
        assertEquals("subscriptions/listen", listen.path("method").asText(), listen.toString());
        assertTrue(listen.path("params").path("notifications").path("toolsListChanged").asBoolean());
        return listen.get("id");
    }

    @AfterEach
    void stop() throws Exception {
        if (script != null) {
            script.close();
        }
        backends.close();
    }

    @Test
    void theJavaExampleServerIsFoundLegacyAndServesASessionAsBefore() throws Exception {
        backends = Backends.builder(StdioServer.command(ExampleServerCommand.commandLine()))
                .requestTimeout(Duration.ofSeconds(20)).build();
        backends.start();
        Recorder client = new Recorder();
        Backend.Channel channel = backends.open("s1", client);
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}"), client);
        ObjectNode initialized = client.responses.poll(20, TimeUnit.SECONDS);
        assertEquals("2025-11-25", initialized.path("result").path("protocolVersion").asText(),
                String.valueOf(initialized));
        assertEquals(ServerEra.LEGACY, backends.shared().serverEra());
    }

    private static ObjectNode json(String text) {
        return (ObjectNode) JsonRpc.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The probe the server gets first; answered with {@code answer} (its id filled in). */
    private ObjectNode probeAnsweredWith(String answer) throws Exception {
        ObjectNode probe = script.receives();
        assertEquals("server/discover", probe.path("method").asText(), probe.toString());
        assertEquals("2026-07-28", probe.path("params").path("_meta").path("io.modelcontextprotocol/protocolVersion")
                .asText(), probe.toString());
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + probe.get("id") + "," + answer + "}");
        return probe;
    }

    @Test
    void aServerThatAnswersDiscoverIsModernAndGetsRequestsWithTheirMetaAndNoInitialize() throws Exception {
        Backend.Channel channel = start(ServerEra.AUTO);
        Recorder client = new Recorder();
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/list\",\"params\":{\"_meta\":"
                + MODERN_META + "}}"), client);
        probeAnsweredWith("\"result\":{\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{}}");
        proxyListens();

        ObjectNode forwarded = script.receives();
        assertEquals("tools/list", forwarded.path("method").asText(), "no initialize first: " + forwarded);
        assertEquals("2026-07-28", forwarded.path("params").path("_meta")
                .path("io.modelcontextprotocol/protocolVersion").asText(), forwarded.toString());
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + forwarded.get("id") + ",\"result\":{\"tools\":[]}}");
        assertEquals("c1", client.response().path("id").asText());
        assertEquals(ServerEra.MODERN, backends.shared().serverEra());
    }

    static Stream<Arguments> probeAnswers() {
        return Stream.of(
                Arguments.of("\"error\":{\"code\":-32022,\"message\":\"no\",\"data\":{\"supported\":[\"2027-01-01\"]}}",
                        ServerEra.MODERN),
                Arguments.of("\"error\":{\"code\":-32022,\"message\":\"no data\"}", ServerEra.LEGACY),
                Arguments.of("\"error\":{\"code\":-32602,\"message\":\"not initialized\"}", ServerEra.LEGACY),
                Arguments.of("\"result\":{\"supportedVersions\":[\"2025-11-25\"],\"capabilities\":{}}",
                        ServerEra.LEGACY));
    }

    @ParameterizedTest(name = "{1} after {0}")
    @MethodSource("probeAnswers")
    void anUnsupportedVersionErrorWithASupportedListIsModernAndOtherAnswersLegacy(String answer, ServerEra era)
            throws Exception {
        start(ServerEra.AUTO);
        probeAnsweredWith(answer);
        assertEquals(era, awaitEra());
    }

    @Test
    void anyOtherErrorMeansLegacyAndTheClientsInitializeGoesToTheServer() throws Exception {
        Backend.Channel channel = start(ServerEra.AUTO);
        probeAnsweredWith("\"error\":{\"code\":-32601,\"message\":\"Method not found\"}");
        assertEquals(ServerEra.LEGACY, awaitEra());
        assertEquals("initialize", initializeAtServer(channel), "legacy: the client's initialize goes on");
    }

    @Test
    void aLegacyEraSettingSkipsTheProbe() throws Exception {
        Backend.Channel channel = start(ServerEra.LEGACY);
        assertEquals(ServerEra.LEGACY, backends.shared().serverEra());
        assertEquals("initialize", initializeAtServer(channel), "the first message, no probe");
    }

    /** Sends a client's initialize; the method of the next message the server gets. */
    private String initializeAtServer(Backend.Channel channel) throws Exception {
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}"),
                new Recorder());
        return script.receives().path("method").asText();
    }

    @Test
    void aModernEraSettingSkipsTheProbeToo() throws Exception {
        Backend.Channel channel = start(ServerEra.MODERN);
        assertEquals(ServerEra.MODERN, backends.shared().serverEra());
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":"
                + MODERN_META + "}}"), new Recorder());
        assertEquals("tools/list", script.receives().path("method").asText(), "the first message, no probe");
    }

    @Test
    void aLegacySessionOnAModernServerIsInitializedFromDiscoverAndItsRequestsGetTheModernMeta() throws Exception {
        Backend.Channel channel = start(ServerEra.MODERN);
        Recorder client = new Recorder();
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{\"sampling\":{},\"experimental\":{}},\"clientInfo\":{\"name\":"
                + "\"old\",\"version\":\"1\"}}}"), client);
        ObjectNode discover = script.receives();
        assertEquals("server/discover", discover.path("method").asText());
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + discover.get("id") + ",\"result\":{\"supportedVersions\":"
                + "[\"2026-07-28\"],\"capabilities\":{\"tools\":{}},\"_meta\":{\"io.modelcontextprotocol/serverInfo\":"
                + "{\"name\":\"modern\",\"version\":\"2\"}}}}");
        ObjectNode initialized = client.response();
        assertEquals("2025-06-18", initialized.path("result").path("protocolVersion").asText(), initialized.toString());
        assertEquals("modern", initialized.path("result").path("serverInfo").path("name").asText());
        assertTrue(initialized.path("result").path("capabilities").has("tools"));

        channel.notify(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"), client);
        ObjectNode forwarded = script.receives();
        assertEquals("tools/list", forwarded.path("method").asText(), "no notifications/initialized: " + forwarded);
        ObjectNode meta = (ObjectNode) forwarded.path("params").path("_meta");
        assertEquals("2026-07-28", meta.path("io.modelcontextprotocol/protocolVersion").asText());
        assertEquals("old", meta.path("io.modelcontextprotocol/clientInfo").path("name").asText());
        assertTrue(meta.path("io.modelcontextprotocol/clientCapabilities").has("sampling"), meta.toString());
    }

    @Test
    void aModernServersInputRequestsBecomeServerRequestsOfALegacySessionAndTheRequestIsRetriedWithTheAnswers()
            throws Exception {
        Backend.Channel channel = start(ServerEra.MODERN);
        Recorder client = new Recorder();
        legacySession(channel, client);
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\"}}"),
                client);
        ObjectNode call = script.receives();
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + call.get("id") + ",\"result\":{\"resultType\":"
                + "\"input_required\",\"requestState\":\"state-1\",\"inputRequests\":{\"who\":{\"method\":"
                + "\"elicitation/create\",\"params\":{\"message\":\"Name?\"}}}}}");

        ObjectNode asked = client.messages.poll(5, TimeUnit.SECONDS);
        assertEquals("elicitation/create", asked.path("method").asText(), String.valueOf(asked));
        assertTrue(channel.respond(json("{\"jsonrpc\":\"2.0\",\"id\":" + asked.get("id") + ",\"result\":{\"action\":"
                + "\"accept\",\"content\":{\"name\":\"Ada\"}}}")));

        ObjectNode retried = script.receives();
        assertEquals("tools/call", retried.path("method").asText(), retried.toString());
        assertEquals("state-1", retried.path("params").path("requestState").asText(), retried.toString());
        assertEquals("Ada", retried.path("params").path("inputResponses").path("who").path("content").path("name")
                .asText(), retried.toString());
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + retried.get("id") + ",\"result\":{\"content\":[],"
                + "\"resultType\":\"complete\"}}");
        ObjectNode answered = client.response();
        assertEquals(7, answered.path("id").asInt(), answered.toString());
        assertEquals("complete", answered.path("result").path("resultType").asText());
    }

    @Test
    void listChangesOnTheProxysOwnListenReachLegacySessionsAsPlainListChangedNotifications() throws Exception {
        script = new ScriptedServer("scripted");
        backends = Backends.builder(script.server()).serverEra(ServerEra.MODERN).build();
        backends.start();
        JsonNode listenId = proxyListens();
        Recorder session = new Recorder();
        legacySession(backends.open("legacy", session), session);

        script.sends("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{"
                + "\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":" + listenId + "}}}");
        script.sends("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":"
                + "{\"io.modelcontextprotocol/subscriptionId\":" + listenId + "}}}");

        ObjectNode heard = session.delivered.poll(5, TimeUnit.SECONDS);
        assertEquals("notifications/tools/list_changed", heard.path("method").asText(), String.valueOf(heard));
        assertFalse(heard.path("params").has("_meta"), "no trace of the proxy's listen: " + heard);
        assertNull(session.delivered.poll(), "the acknowledgement is the proxy's own");
    }

    /** A legacy session on a modern server: its initialize answered from the server's discover. */
    private void legacySession(Backend.Channel channel, Recorder client) throws Exception {
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-11-25\",\"capabilities\":{\"elicitation\":{}},\"clientInfo\":{\"name\":\"c\","
                + "\"version\":\"1\"}}}"), client);
        ObjectNode discover = script.receives();
        script.sends("{\"jsonrpc\":\"2.0\",\"id\":" + discover.get("id") + ",\"result\":{\"supportedVersions\":"
                + "[\"2026-07-28\"],\"capabilities\":{\"tools\":{}}}}");
        assertTrue(client.response().has("result"));
    }

    @Test
    void aListenStreamsNotificationsReachItsRequestWithTheClientsIdAsSubscriptionId() throws Exception {
        Backend.Channel channel = start(ServerEra.MODERN);
        Recorder client = new Recorder();
        channel.request(json("{\"jsonrpc\":\"2.0\",\"id\":\"listen-1\",\"method\":\"subscriptions/listen\","
                + "\"params\":{\"_meta\":" + MODERN_META + "}}"), client);
        ObjectNode listen = script.receives();
        script.sends("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":"
                + "{\"io.modelcontextprotocol/subscriptionId\":" + listen.get("id") + "}}}");

        ObjectNode heard = client.messages.poll(5, TimeUnit.SECONDS);
        assertEquals("listen-1", heard.path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId")
                .asText(), String.valueOf(heard));
        assertNull(client.responses.poll(), "the listen request is still open");
    }

    /** The shared server's era, once the probe has decided it (up to 5 s). */
    private ServerEra awaitEra() throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            ServerEra era = backends.shared().serverEra();
            if (era != null) {
                return era;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the probe decided nothing");
    }
}
