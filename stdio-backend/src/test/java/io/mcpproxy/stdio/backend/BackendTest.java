package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.process.StdioServer;
import io.mcpproxy.session.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backend routing against a scripted MCP server on a handed-in stream pair: the test plays the server, reading
 * exactly the lines the proxy writes and answering with chosen lines.
 */
class BackendTest {

    private PipedOutputStream serverStdout; // the test writes the server's output here
    private BufferedReader serverStdin;     // and reads what the proxy sends to the server
    private Backends backends;
    private final CountingScheduler timers = new CountingScheduler();
    /** Filled by one long-lived thread: a piped stream breaks once the thread that last read it has died. */
    private final BlockingQueue<String> linesToServer = new LinkedBlockingQueue<>();

    @BeforeEach
    void connect() throws Exception {
        PipedInputStream proxyReads = new PipedInputStream(1 << 16);
        serverStdout = new PipedOutputStream(proxyReads);
        PipedInputStream serverReads = new PipedInputStream(1 << 16);
        OutputStream proxyWrites = new PipedOutputStream(serverReads);
        serverStdin = new BufferedReader(new InputStreamReader(serverReads, StandardCharsets.UTF_8));
        timers.start();
        backends = Backends.builder(StdioServer.streams("scripted", proxyReads, proxyWrites))
                .requestTimeout(Duration.ofSeconds(5)).serverEra(ServerEra.LEGACY).scheduler(timers).build();
        backends.start();
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = serverStdin.readLine()) != null) {
                    linesToServer.add(line);
                }
            } catch (IOException closed) {
                // the proxy closed its end
            }
        }, "scripted-server-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    @AfterEach
    void close() throws Exception {
        serverStdout.close(); // the server's end: a pipe's reader waits for its writer, and the stop for the reader
        backends.close();
        timers.stop();
    }

    /** One line the proxy wrote to the server, parsed. */
    private ObjectNode serverReceives() throws Exception {
        String line = linesToServer.poll(5, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("the proxy sent nothing to the server");
        }
        // a raw newline inside a message would have split it into two lines, neither of them parseable
        return (ObjectNode) JsonRpc.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    private void serverSends(String json) throws IOException {
        serverStdout.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        serverStdout.flush();
    }

    /** A channel whose session has completed initialize (the first one at the server, answered by the test). */
    private Backend.Channel initialized(String sessionId, Recorder client) throws Exception {
        Backend.Channel channel = backends.open(sessionId, client);
        channel.request(request("init", "initialize", "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":"
                + "{\"sampling\":{},\"elicitation\":{},\"roots\":{}}}"), client);
        ObjectNode answered = client.responses.poll(100, TimeUnit.MILLISECONDS);
        if (answered == null) { // the first: the server answers it
            ObjectNode init = serverReceives();
            serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + init.get("id") + ",\"result\":{\"protocolVersion\":"
                    + "\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}}");
            answered = client.response();
        }
        assertTrue(answered.has("result"), answered.toString());
        return channel;
    }

    private static ObjectNode request(Object id, String method, String paramsJson) {
        JsonNode params = paramsJson == null ? null : JsonRpc.parse(paramsJson.getBytes(StandardCharsets.UTF_8));
        return JsonRpc.request(JsonRpc.MAPPER.valueToTree(id), method, params);
    }

    @Test
    void answeredRequestsLeaveNoTimeoutTimerBehind() throws Exception {
        Recorder client = new Recorder();
        Backend.Channel channel = initialized("timers", client);
        long before = timers.scheduled(); // the initialize armed one too
        for (int i = 0; i < 500; i++) {
            channel.request(request(i, "tools/list", null), client);
            ObjectNode atServer = serverReceives();
            serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + atServer.get("id") + ",\"result\":{}}");
            assertEquals(i, client.response().path("id").asInt());
        }
        // each request armed a 5 s timeout; its answer must have cancelled the timer, not left it armed until the
        // deadline (that is what piles up under load; the scheduler takes a cancelled one out of its queue at once)
        assertEquals(500, timers.scheduled() - before);
        assertEquals(0, timers.pending());
    }

    @Test
    void collidingClientIdsAreRemappedAndRestored() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Backend.Channel channelA = initialized("a", a);
        Backend.Channel channelB = initialized("b", b);
        channelA.request(request(1, "tools/list", null), a);
        channelB.request(request(1, "tools/list", null), b);
        ObjectNode first = serverReceives();
        ObjectNode second = serverReceives();
        assertNotEquals(first.get("id"), second.get("id"), "proxy-unique ids at the server");
        // answer in reverse order, each with a payload naming the request it answers
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + second.get("id") + ",\"result\":{\"for\":\"second\"}}");
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + first.get("id") + ",\"result\":{\"for\":\"first\"}}");
        ObjectNode toA = a.response();
        ObjectNode toB = b.response();
        assertEquals(1, toA.get("id").asInt());
        assertEquals(1, toB.get("id").asInt());
        assertEquals("first", toA.path("result").path("for").asText());
        assertEquals("second", toB.path("result").path("for").asText());
    }

    @Test
    void progressTokensAreRemappedAndTheOriginalTokenTypeRestored() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel channel = initialized("a", a);
        channel.request(request("x", "tools/call", "{\"name\":\"t\",\"_meta\":{\"progressToken\":42}}"), a);
        ObjectNode sent = serverReceives();
        String proxyToken = sent.path("params").path("_meta").path("progressToken").asText();
        assertNotEquals("42", proxyToken);
        serverSends("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\""
                + proxyToken + "\",\"progress\":1}}");
        ObjectNode progress = a.messages.poll(5, TimeUnit.SECONDS);
        assertTrue(progress.path("params").path("progressToken").isInt(), progress.toString());
        assertEquals(42, progress.path("params").path("progressToken").asInt());
    }

    @Test
    void initializeGoesToTheServerOnceAndLaterOnesAreAnsweredByTheProxy() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        backends.open("a", a).request(request(0, "initialize", "{\"protocolVersion\":\"2025-11-25\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"first\",\"version\":\"1\"}}"), a);
        ObjectNode init = serverReceives();
        assertEquals("mcp-transport-proxy", init.at("/params/clientInfo/name").asText(), "the proxy is the client");
        assertTrue(init.at("/params/capabilities/sampling").isObject(), init.toString());
        assertEquals("first", init.at("/params/_meta/io.mcpproxy~1firstClient/name").asText());
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + init.get("id") + ",\"result\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}}");
        assertEquals("2025-06-18", a.response().path("result").path("protocolVersion").asText());

        Backend.Channel second = backends.open("b", b);
        second.request(request(0, "initialize", "{\"protocolVersion\":\"2025-03-26\"}"), b);
        ObjectNode answered = b.response();
        assertEquals("2025-03-26", answered.path("result").path("protocolVersion").asText());
        assertEquals("s", answered.path("result").path("serverInfo").path("name").asText());

        second.notify(JsonRpc.notification("notifications/initialized", null));
        backends.open("c", new Recorder()).notify(JsonRpc.notification("notifications/initialized", null));
        second.request(request(5, "ping", null), b);
        ObjectNode next = serverReceives();
        assertEquals("notifications/initialized", JsonRpc.method(next), "the first initialized is forwarded");
        assertEquals("ping", JsonRpc.method(serverReceives()), "the second initialized was swallowed");
    }

    @Test
    void aChannelInitializedFromTheCacheSendsTheServerNothingAndItsRequestsPass() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel early = backends.open("early", a);
        assertNull(early.initializeFromCache(JsonRpc.objectNode()), "no initialize answered yet: nothing to take");
        early.request(request(1, "tools/list", null), a);
        assertEquals(JsonRpc.INVALID_REQUEST, a.response().path("error").path("code").asInt(),
                "a channel that found no cache is still uninitialized");

        initialized("first", new Recorder());
        Recorder b = new Recorder();
        Backend.Channel channel = backends.open("cached", b);
        ObjectNode result = channel.initializeFromCache(JsonRpc.objectNode());
        assertEquals("s", result.path("serverInfo").path("name").asText(), result.toString());
        channel.request(request(2, "tools/list", null), b);
        ObjectNode atServer = serverReceives();
        assertEquals("tools/list", JsonRpc.method(atServer), "no initialize went first: " + atServer);
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + atServer.get("id") + ",\"result\":{\"tools\":[]}}");
        assertEquals(2, b.response().path("id").asInt());
    }

    @Test
    void requestsBeforeInitializeAreAnsweredByTheProxyAndOnlyPingReachesTheServer() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel channel = backends.open("a", a);
        channel.request(request(1, "server/discover", "{}"), a);
        ObjectNode refused = a.response();
        assertEquals(1, refused.get("id").asInt());
        assertEquals(JsonRpc.INVALID_REQUEST, refused.path("error").path("code").asInt(), refused.toString());
        channel.request(request(2, "ping", null), a);
        assertEquals("ping", JsonRpc.method(serverReceives()), "ping may come first; server/discover never came");

        initialized("b", new Recorder());
        channel.request(request(3, "tools/list", null), a);
        assertEquals(JsonRpc.INVALID_REQUEST, a.response().path("error").path("code").asInt(),
                "another session's handshake does not count for this one");
    }

    @Test
    void serverPingIsAnsweredByTheProxyAndAmbiguousServerRequestsAreRefused() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Backend.Channel channelA = initialized("a", a);
        Backend.Channel channelB = initialized("b", b);
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":\"srv-ping\",\"method\":\"ping\"}");
        ObjectNode pong = serverReceives();
        assertEquals("srv-ping", pong.get("id").asText());
        assertTrue(pong.has("result"));

        channelA.request(request(1, "tools/call", "{\"name\":\"slow\"}"), a);
        channelB.request(request(1, "tools/call", "{\"name\":\"slow\"}"), b);
        serverReceives();
        serverReceives();
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"sampling/createMessage\",\"params\":{}}");
        ObjectNode refusal = serverReceives();
        assertEquals("srv-1", refusal.get("id").asText());
        assertEquals(JsonRpc.INTERNAL_ERROR, refusal.path("error").path("code").asInt());
        assertEquals(1, backends.stats().undeliverable());
        assertNull(a.messages.poll(100, TimeUnit.MILLISECONDS), "never guessed at");
        assertNull(b.messages.poll(10, TimeUnit.MILLISECONDS));
    }

    @Test
    void messagesForARequestWhoseStreamIsGoneAreCountedAndServerRequestsRefused() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel channel = initialized("a", a);
        channel.request(request(3, "tools/call", "{\"name\":\"t\",\"_meta\":{\"progressToken\":\"tok\"}}"), a);
        ObjectNode call = serverReceives();
        String proxyToken = call.path("params").path("_meta").path("progressToken").asText();
        a.streamGone = true;
        long before = backends.stats().undeliverable();
        serverSends("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\""
                + proxyToken + "\",\"progress\":1}}");
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":\"srv-9\",\"method\":\"sampling/createMessage\",\"params\":{}}");
        ObjectNode refusal = serverReceives(); // the server is not left waiting for an answer nobody can give
        assertEquals("srv-9", refusal.get("id").asText());
        assertEquals(JsonRpc.INTERNAL_ERROR, refusal.path("error").path("code").asInt());
        assertEquals(before + 2, backends.stats().undeliverable(), "the progress and the sampling request");
        assertTrue(a.messages.isEmpty());
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + call.get("id") + ",\"result\":{}}");
        assertEquals(3, a.response().get("id").asInt());
    }

    @Test
    void anUnambiguousServerRequestRidesTheBusyRequestAndOnlyThatSessionMayAnswer() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Backend.Channel channelA = initialized("a", a);
        Backend.Channel channelB = initialized("b", b);
        channelA.request(request(9, "tools/call", "{\"name\":\"sample\"}"), a);
        ObjectNode call = serverReceives();
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"method\":\"sampling/createMessage\",\"params\":{}}");
        ObjectNode sampling = a.messages.poll(5, TimeUnit.SECONDS);
        assertEquals("sampling/createMessage", JsonRpc.method(sampling));

        assertFalse(channelB.respond((ObjectNode) JsonRpc.parse(
                "{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"result\":{\"stolen\":true}}".getBytes())));
        assertEquals(1, backends.stats().misdirectedResponses());
        assertTrue(channelA.respond((ObjectNode) JsonRpc.parse(
                "{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"result\":{\"ok\":true}}".getBytes())));
        ObjectNode relayed = serverReceives();
        assertEquals("srv-2", relayed.get("id").asText());
        assertTrue(relayed.path("result").path("ok").asBoolean());
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + call.get("id") + ",\"result\":{}}");
        assertEquals(9, a.response().get("id").asInt());
    }

    @Test
    void nonJsonStdoutLinesAreSkippedWithoutLosingTheStream() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel channel = initialized("a", a);
        channel.request(request(1, "ping", null), a);
        ObjectNode ping = serverReceives();
        serverSends("this is a log line on stdout, against the rules");
        serverSends("{\"jsonrpc\":\"2.0\",\"id\":" + ping.get("id") + ",\"result\":{}}");
        assertEquals(1, a.response().get("id").asInt());
    }

    @Test
    void outgoingMessagesAreOneLineEvenWithNewlinesInStrings() throws Exception {
        Recorder a = new Recorder();
        initialized("a", a).request(request(1, "tools/call",
                "{\"name\":\"echo\",\"arguments\":{\"text\":\"line one\\nline two\"}}"), a);
        ObjectNode sent = serverReceives(); // one whole line, or it would not parse
        assertEquals("line one\nline two", sent.path("params").path("arguments").path("text").asText());
    }

    @Test
    void whenHandedInStreamsCloseInFlightRequestsFailAndSessionsEndWithoutRestart() throws Exception {
        Recorder a = new Recorder();
        Backend.Channel channel = initialized("a", a);
        channel.request(request(1, "tools/call", "{\"name\":\"slow\"}"), a);
        serverReceives();
        long start = System.nanoTime();
        serverStdout.close();
        ObjectNode failed = a.response();
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 1_000);
        assertEquals(JsonRpc.PROXY_ERROR, failed.path("error").path("code").asInt());
        // the channel ends right after its in-flight requests are failed, on the reader thread
        Await.until(() -> !a.ended.isEmpty(), Duration.ofSeconds(2));
        assertEquals(1, a.ended.size());
        assertTrue(channel.isEnded());
        Thread.sleep(300);
        assertFalse(backends.shared().isUp(), "handed-in streams are never restarted");
        assertEquals(0, backends.stats().restarts());
    }
}
