package io.mcpproxy.stdio.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stdio MCP server for tests that keeps working on requests the client cancelled (the specification lets a server
 * ignore {@code notifications/cancelled}), and talks to the client about them later, when the test says so:
 * the case where a proxy must still know whose messages those are.
 *
 * <ul>
 *   <li>tool {@code stubborn} {@code {tag}}: waits; on the next client {@code notifications/roots/list_changed}
 *       (the trigger: a notification reaches the server without making its session busy) it sends
 *       {@code notifications/message} "log for TAG" and {@code sampling/createMessage} "private prompt of TAG", waits
 *       up to 5 s for that answer, then answers "done TAG";</li>
 *   <li>tool {@code started}: how many {@code stubborn} calls wait for the trigger;</li>
 *   <li>tool {@code hold}: answers once any server request of this server got an answer (at most 5 s);</li>
 *   <li>tool {@code answers}: the answers its server requests got, e.g. {@code ["s-1 error -32603"]}.</li>
 * </ul>
 */
public final class StubbornServer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CLIENT_WAIT_SECONDS = 5;

    private final PrintStream out;
    private final List<ObjectNode> waiting = new ArrayList<>(); // stubborn calls before the trigger; guarded by this
    private final Map<String, CountDownLatch> serverRequests = new ConcurrentHashMap<>();
    private final List<String> answers = new CopyOnWriteArrayList<>();
    private final CountDownLatch anyAnswer = new CountDownLatch(1);
    private final AtomicInteger serverRequestIds = new AtomicInteger();

    private StubbornServer(PrintStream out) {
        this.out = out;
    }

    /** The command line that spawns this server from the test's own classpath. */
    public static List<String> commandLine() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                StubbornServer.class.getName());
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        StubbornServer server = new StubbornServer(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                server.receive((ObjectNode) JSON.readTree(line));
            }
        }
    }

    /** Called on the one reader thread, in the order the proxy wrote. */
    private void receive(ObjectNode message) {
        String method = message.path("method").asText(null);
        JsonNode id = message.get("id");
        if (method == null) { // a client's answer to one of our requests
            answered(message);
        } else if (id == null) {
            if ("notifications/roots/list_changed".equals(method)) {
                trigger();
            } // notifications/cancelled included: ignored on purpose
        } else if ("initialize".equals(method)) {
            ObjectNode result = JSON.createObjectNode();
            result.put("protocolVersion", message.path("params").path("protocolVersion").asText("2025-06-18"));
            result.putObject("capabilities").putObject("tools");
            result.putObject("serverInfo").put("name", "stubborn").put("version", "1");
            answer(id, result);
        } else if ("tools/call".equals(method)) {
            call(message);
        } else {
            answer(id, JSON.createObjectNode());
        }
    }

    private void call(ObjectNode request) {
        JsonNode id = request.get("id");
        String tool = request.path("params").path("name").asText();
        switch (tool) {
            case "stubborn" -> {
                synchronized (this) {
                    waiting.add(request);
                }
            }
            case "started" -> {
                int count;
                synchronized (this) {
                    count = waiting.size();
                }
                answer(id, text(String.valueOf(count)));
            }
            case "hold" -> background(() -> {
                anyAnswer.await(CLIENT_WAIT_SECONDS, TimeUnit.SECONDS);
                answer(id, text("held"));
            });
            case "answers" -> answer(id, text(JSON.valueToTree(answers).toString()));
            default -> answer(id, text("unknown tool " + tool));
        }
    }

    /** Messages for every waiting stubborn call, sent before the trigger's sender can do anything else. */
    private void trigger() {
        List<ObjectNode> released;
        synchronized (this) {
            released = List.copyOf(waiting);
            waiting.clear();
        }
        for (ObjectNode request : released) {
            String tag = request.path("params").path("arguments").path("tag").asText();
            ObjectNode log = JSON.createObjectNode().put("level", "info").put("data", "log for " + tag);
            send(message(null, "notifications/message", log));
            String samplingId = "s-" + serverRequestIds.incrementAndGet();
            CountDownLatch answeredLatch = new CountDownLatch(1);
            serverRequests.put(samplingId, answeredLatch);
            ObjectNode sampling = JSON.createObjectNode().put("maxTokens", 5);
            sampling.putArray("messages").addObject().put("role", "user").putObject("content")
                    .put("type", "text").put("text", "private prompt of " + tag);
            send(message(JSON.getNodeFactory().textNode(samplingId), "sampling/createMessage", sampling));
            background(() -> {
                answeredLatch.await(CLIENT_WAIT_SECONDS, TimeUnit.SECONDS);
                answer(request.get("id"), text("done " + tag));
            });
        }
    }

    private void answered(ObjectNode response) {
        String id = response.path("id").asText();
        CountDownLatch latch = serverRequests.remove(id);
        answers.add(id + (response.has("error") ? " error " + response.path("error").path("code").asInt() : " result"));
        anyAnswer.countDown();
        if (latch != null) {
            latch.countDown();
        }
    }

    private static ObjectNode text(String text) {
        ObjectNode result = JSON.createObjectNode();
        result.putArray("content").addObject().put("type", "text").put("text", text);
        return result;
    }

    private void answer(JsonNode id, ObjectNode result) {
        ObjectNode response = JSON.createObjectNode().put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        send(response);
    }

    private static ObjectNode message(JsonNode id, String method, ObjectNode params) {
        ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
        if (id != null) {
            message.set("id", id);
        }
        message.put("method", method);
        message.set("params", params);
        return message;
    }

    private synchronized void send(ObjectNode message) {
        out.print(message.toString());
        out.print('\n');
        out.flush();
    }

    private interface Blocking {
        void run() throws InterruptedException;
    }

    private static void background(Blocking work) {
        Thread thread = new Thread(() -> {
            try {
                work.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        thread.setDaemon(true);
        thread.start();
    }
}
