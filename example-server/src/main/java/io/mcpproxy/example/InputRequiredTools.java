package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.example.OutgoingRequests.Outgoing;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The conformance suite's multi round-trip tools ({@code input-required-result-*} and the diagnostic tools of
 * {@code server-stateless}), written the legacy way: each sends real {@code sampling/createMessage},
 * {@code elicitation/create} and {@code roots/list} requests over stdio and waits for the answers. A proxy that
 * bridges 2026-07-28 clients turns those into the input requests the scenarios expect; the request ids are the
 * keys the scenarios look for ({@code user_name}, {@code capital_question}, ...), and requests a tool needs together
 * go out together.
 */
final class InputRequiredTools {

    /** How long a tool waits for its client; an abandoned call's requests are taken over by the next call anyway. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private final OutgoingRequests client;

    InputRequiredTools(OutgoingRequests client) {
        this.client = client;
    }

    /** {@code test_input_required_result_elicitation} (and the scenarios reusing it). */
    ObjectNode elicitName() throws ToolFailure, InterruptedException {
        JsonNode answer = result(ask(Map.of("user_name", elicitation("What is your name?", "name", "string"))),
                "user_name");
        return text("Hello, " + answer.path("content").path("name").asText("stranger") + "!");
    }

    /** {@code test_input_required_result_sampling}. */
    ObjectNode sampleCapital() throws ToolFailure, InterruptedException {
        JsonNode answer = result(ask(Map.of("capital_question", sampling("What is the capital of France?", 100))),
                "capital_question");
        return text("Sampled: " + sampledText(answer));
    }

    /** {@code test_input_required_result_list_roots}. */
    ObjectNode listRoots() throws ToolFailure, InterruptedException {
        JsonNode answer = result(ask(Map.of("client_roots", new Outgoing("roots/list", Wire.object()))),
                "client_roots");
        return text("Roots: " + Wire.toJson(answer.path("roots")));
    }

    /** {@code test_input_required_result_request_state} and {@code ..._tampered_state}. */
    ObjectNode confirm() throws ToolFailure, InterruptedException {
        JsonNode answer = result(ask(Map.of("confirm", elicitation("Please confirm", "ok", "boolean"))), "confirm");
        return text("state-ok: confirmed " + answer.path("content").path("ok").asBoolean());
    }

    /** {@code test_input_required_result_multiple_inputs}: elicitation, sampling and roots at once. */
    ObjectNode multipleInputs() throws ToolFailure, InterruptedException {
        Map<String, Outgoing> requests = new LinkedHashMap<>();
        requests.put("user_name", elicitation("What is your name?", "name", "string"));
        requests.put("greeting", sampling("Generate a greeting", 50));
        requests.put("client_roots", new Outgoing("roots/list", Wire.object()));
        Map<String, JsonNode> answers = ask(requests);
        return text(sampledText(result(answers, "greeting")) + ", "
                + result(answers, "user_name").path("content").path("name").asText() + " ("
                + result(answers, "client_roots").path("roots").size() + " roots)");
    }

    /** {@code test_input_required_result_multi_round}: a second question after the first answer. */
    ObjectNode multiRound() throws ToolFailure, InterruptedException {
        String name = result(ask(Map.of("step1", elicitation("Step 1: What is your name?", "name", "string"))),
                "step1").path("content").path("name").asText();
        String color = result(ask(Map.of("step2", elicitation("Step 2: What is your favorite color?", "color",
                "string"))), "step2").path("content").path("color").asText();
        return text(name + " likes " + color);
    }

    /**
     * {@code test_input_required_result_capabilities}: asks for elicitation and sampling at once and goes on with
     * whatever the client could answer (a client without elicitation answers that request with an error).
     */
    ObjectNode whateverTheClientCan() throws ToolFailure, InterruptedException {
        Map<String, Outgoing> requests = new LinkedHashMap<>();
        requests.put("user_name", elicitation("What is your name?", "name", "string"));
        requests.put("greeting", sampling("Generate a greeting", 50));
        Map<String, JsonNode> answers = ask(requests);
        StringBuilder answered = new StringBuilder("Answered:");
        answers.forEach((key, response) -> answered.append(' ').append(key)
                .append(response.has("error") ? "=refused" : "=ok"));
        return text(answered.toString());
    }

    /** {@code test_missing_capability}: needs sampling, and fails with a JSON-RPC error without it. */
    ObjectNode needsSampling() throws RpcException, InterruptedException {
        try {
            JsonNode response = ask(Map.of("needed_sample", sampling("Say something", 20))).get("needed_sample");
            if (response.has("error")) {
                throw new RpcException(RpcException.INTERNAL_ERROR, "this tool needs sampling: "
                        + response.path("error").path("message").asText());
            }
            return text("Sampled: " + sampledText(response.path("result")));
        } catch (ToolFailure e) {
            throw new RpcException(RpcException.INTERNAL_ERROR, e.getMessage());
        }
    }

    /** {@code test_input_required_result_prompt}: a {@code prompts/get} that asks for its context. */
    ObjectNode promptWithContext() throws ToolFailure, InterruptedException {
        JsonNode answer = result(ask(Map.of("user_context", elicitation("What context should the prompt use?",
                "context", "string"))), "user_context");
        ObjectNode prompt = Wire.object().put("description", "A prompt that asks for its context first.");
        prompt.putArray("messages").add(Content.userMessage(Content.text("Use this context: "
                + answer.path("content").path("context").asText())));
        return prompt;
    }

    private Map<String, JsonNode> ask(Map<String, Outgoing> requests) throws ToolFailure, InterruptedException {
        return client.callAll(requests, CLIENT_TIMEOUT);
    }

    /** The result of the answer to {@code key}; a tool failure when the client refused. */
    private static JsonNode result(Map<String, JsonNode> answers, String key) throws ToolFailure {
        JsonNode response = answers.get(key);
        if (response.has("error")) {
            throw new ToolFailure(key + " was refused: " + response.path("error").path("message").asText());
        }
        return response.path("result");
    }

    private static Outgoing elicitation(String message, String field, String type) {
        ObjectNode params = Wire.object().put("message", message);
        ObjectNode schema = params.putObject("requestedSchema").put("type", "object");
        schema.putObject("properties").putObject(field).put("type", type);
        schema.putArray("required").add(field);
        return new Outgoing("elicitation/create", params);
    }

    private static Outgoing sampling(String prompt, int maxTokens) {
        ObjectNode params = Wire.object();
        params.putArray("messages").add(Content.userMessage(Content.text(prompt)));
        params.put("maxTokens", maxTokens);
        return new Outgoing("sampling/createMessage", params);
    }

    private static String sampledText(JsonNode createMessageResult) {
        JsonNode content = createMessageResult.path("content");
        return (content.isArray() ? content.path(0) : content).path("text").asText();
    }

    private static ObjectNode text(String text) {
        ObjectNode result = Wire.object();
        result.putArray("content").add(Content.text(text));
        return result;
    }
}
